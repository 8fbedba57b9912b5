#include "adapters/emulator/stores/memory_state_store.hpp"

#include <map>
#include <string>
#include <utility>

namespace offhub::emulator {
namespace {

class MemoryStateStore final : public ports::StateStore {
 public:
  domain::Result<ports::StoredState> Load() override {
    ports::StoredState state;
    for (const auto& [id, device] : devices_) state.devices.push_back(device);
    for (const auto& [id, job] : jobs_) state.jobs.push_back(job);
    for (const auto& [key, record] : device_jobs_) state.device_jobs.push_back(record);
    return state;
  }
  domain::Status SaveDevice(const ports::StoredDevice& device) override {
    devices_.insert_or_assign(device.identity.key(), device);
    return domain::Success();
  }
  domain::Status DeleteDevice(std::string_view device_id) override {
    devices_.erase(std::string(device_id));
    const std::string modules = std::string(device_id) + '/';
    for (auto it = devices_.lower_bound(modules); it != devices_.end() && it->first.starts_with(modules);) {
      it = devices_.erase(it);
    }
    return domain::Success();
  }
  domain::Status SaveJob(const domain::Job& job) override {
    jobs_.insert_or_assign(job.id(), job);
    return domain::Success();
  }
  domain::Status SaveDeviceJob(const domain::DeviceJob& record) override {
    device_jobs_.insert_or_assign(std::pair(record.job_id, record.key()), record);
    return domain::Success();
  }
  domain::Status SaveDeviceJobs(const std::vector<domain::DeviceJob>& records) override {
    for (const auto& record : records) (void)SaveDeviceJob(record);
    return domain::Success();
  }
  domain::Status DeleteDeviceJobs(std::string_view job_id) override {
    const std::string id(job_id);
    device_jobs_.erase(device_jobs_.lower_bound({id, ""}), device_jobs_.lower_bound({id + '\0', ""}));
    return domain::Success();
  }
  domain::Status ReplaceAll(const ports::StoredState& state) override {
    devices_.clear();
    jobs_.clear();
    device_jobs_.clear();
    for (const auto& device : state.devices) (void)SaveDevice(device);
    for (const auto& job : state.jobs) (void)SaveJob(job);
    return SaveDeviceJobs(state.device_jobs);
  }

 private:
  std::map<std::string, ports::StoredDevice> devices_;
  std::map<std::string, domain::Job> jobs_;
  std::map<std::pair<std::string, std::string>, domain::DeviceJob> device_jobs_;
};

class NullStateStore final : public ports::StateStore {
 public:
  domain::Result<ports::StoredState> Load() override { return ports::StoredState{}; }
  domain::Status SaveDevice(const ports::StoredDevice&) override { return domain::Success(); }
  domain::Status DeleteDevice(std::string_view) override { return domain::Success(); }
  domain::Status SaveJob(const domain::Job&) override { return domain::Success(); }
  domain::Status SaveDeviceJob(const domain::DeviceJob&) override { return domain::Success(); }
  domain::Status SaveDeviceJobs(const std::vector<domain::DeviceJob>&) override { return domain::Success(); }
  domain::Status DeleteDeviceJobs(std::string_view) override { return domain::Success(); }
  domain::Status ReplaceAll(const ports::StoredState&) override { return domain::Success(); }
};

}  // namespace

std::unique_ptr<ports::StateStore> MakeMemoryStateStore() { return std::make_unique<MemoryStateStore>(); }
std::unique_ptr<ports::StateStore> MakeNullStateStore() { return std::make_unique<NullStateStore>(); }

}  // namespace offhub::emulator
