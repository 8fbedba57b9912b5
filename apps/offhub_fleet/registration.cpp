#include "apps/offhub_fleet/registration.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>

namespace offhub::fleet {
namespace {

using nlohmann::json;
using domain::ErrorCode;

constexpr auto kProgressInterval = std::chrono::seconds(1);

domain::Result<std::string> PrimaryKey(const json& device) {
  const json* key = &device;
  for (const char* member : {"authentication", "symmetricKey", "primaryKey"}) {
    if (!key->is_object() || !key->contains(member)) key = nullptr;
    if (key == nullptr) break;
    key = &(*key)[member];
  }
  if (key == nullptr || !key->is_string() || key->get<std::string>().empty()) {
    return domain::Error::ArgumentInvalid("device " + device.value("deviceId", std::string("?")) +
                                          " has no SAS primary key (offhub-fleet devices authenticate with SAS keys)");
  }
  return key->get<std::string>();
}

// Shared by the registering threads: the next id to take, the outcome.
class Registrar {
 public:
  Registrar(const apps::ServiceSettings& hub, const std::vector<std::string>& ids) : hub_(hub), ids_(ids) {
    result_.devices.resize(ids.size());
  }

  void Work() {
    boost::asio::io_context io;  // the remote hub's clock lives on it; unused here
    auto hub = apps::ConnectServiceHub(io, hub_);
    if (!hub) return Fail(hub.error());
    for (std::size_t i = next_++; i < ids_.size() && !failed_; i = next_++) {
      auto key = Ensure((*hub)->services().registry, ids_[i]);
      if (!key) return Fail(key.error());
      result_.devices[i] = {ids_[i], std::move(*key)};
      ++done_;
    }
  }

  // Waits for the threads' end, reporting progress every interval.
  void Wait(const std::function<void(const RegistrationProgress&)>& progress) {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kProgressInterval, [this] { return finished_ > 0; })) progress(Progress());
  }
  void ThreadEnded(std::size_t threads) {
    if (++threads_ended_ == threads) Notify();
  }

  RegistrationProgress Progress() const { return {done_.load(), created_.load(), ids_.size()}; }
  std::optional<domain::Error> error() const { return error_; }
  Registration Take() {
    result_.created = created_;
    result_.existing = done_ - created_;
    return std::move(result_);
  }

 private:
  domain::Result<std::string> Ensure(ports::RegistryService& hub, const std::string& id) {
    auto device = hub.GetIdentity(ports::Identity::Device(id));
    if (!device && device.error().code() == ErrorCode::DeviceNotFound) {
      const auto spec = domain::ParseDeviceSpec(json::object(), id);
      if (!spec) return spec.error();
      device = hub.PutIdentity(*spec, std::nullopt);
      if (device) ++created_;
      if (!device && device.error().code() == ErrorCode::DeviceAlreadyExists) device = hub.GetIdentity(ports::Identity::Device(id));
    }
    if (!device) return device.error();
    return PrimaryKey(*device);
  }

  void Fail(domain::Error error) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(error);
    failed_ = true;
  }
  void Notify() {
    {
      std::lock_guard lock(mutex_);
      finished_ = 1;
    }
    wake_.notify_all();
  }

  const apps::ServiceSettings& hub_;
  const std::vector<std::string>& ids_;
  Registration result_;
  std::atomic<std::size_t> next_{0}, done_{0}, created_{0}, threads_ended_{0};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  int finished_ = 0;
  std::optional<domain::Error> error_;
};

}  // namespace

domain::Result<Registration> RegisterDevices(const apps::ServiceSettings& hub, const std::vector<std::string>& ids,
                                             int concurrency,
                                             const std::function<void(const RegistrationProgress&)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  Registrar registrar(hub, ids);
  const std::size_t threads = std::max<std::size_t>(1, std::min<std::size_t>(concurrency, ids.size()));
  std::vector<std::jthread> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&registrar, threads] {
      registrar.Work();
      registrar.ThreadEnded(threads);
    });
  }
  registrar.Wait(progress);
  workers.clear();  // joins
  progress(registrar.Progress());
  if (auto error = registrar.error()) return *error;
  Registration done = registrar.Take();
  done.took = std::chrono::steady_clock::now() - start;
  return done;
}

}  // namespace offhub::fleet
