#pragma once
// A StateStore stacked on another that refuses every write while `failing`
// is set (500 ServerError "disk full"), to prove that a refused write is
// refused to the caller and leaves the hub's memory as it was. Loads pass
// through.

#include <string_view>
#include <vector>

#include "ports/state_store.hpp"

namespace offhub::fakes {

class FailingStore final : public ports::StateStore {
 public:
  explicit FailingStore(ports::StateStore& inner) : inner_(inner) {}

  bool failing = false;
  int refused = 0;  // writes refused so far

  domain::Result<ports::StoredState> Load() override { return inner_.Load(); }
  domain::Status SaveDevice(const ports::StoredDevice& d) override { return failing ? Fail() : inner_.SaveDevice(d); }
  domain::Status DeleteDevice(std::string_view id) override { return failing ? Fail() : inner_.DeleteDevice(id); }
  domain::Status SaveJob(const domain::Job& j) override { return failing ? Fail() : inner_.SaveJob(j); }
  domain::Status SaveDeviceJob(const domain::DeviceJob& r) override { return failing ? Fail() : inner_.SaveDeviceJob(r); }
  domain::Status SaveDeviceJobs(const std::vector<domain::DeviceJob>& r) override {
    return failing ? Fail() : inner_.SaveDeviceJobs(r);
  }
  domain::Status DeleteDeviceJobs(std::string_view id) override {
    return failing ? Fail() : inner_.DeleteDeviceJobs(id);
  }
  domain::Status ReplaceAll(const ports::StoredState& state) override {
    return failing ? Fail() : inner_.ReplaceAll(state);
  }

 private:
  domain::Status Fail() {
    ++refused;
    return domain::Error(domain::ErrorCode::ServerError, "disk full");
  }
  ports::StateStore& inner_;
};

}  // namespace offhub::fakes
