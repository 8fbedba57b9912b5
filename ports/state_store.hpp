#pragma once
// StateStore: where the hub's state lives between runs. The hub keeps its
// working copy in memory and writes every change through this port; at start
// it loads everything back. In-memory now (MakeMemoryStateStore); a SQLite
// store implements the same port without callers changing.
//
// Contract
// - Save* replaces the stored record with the same key (the identity's key:
//   device id, or "{deviceId}/{moduleId}" for a module; job id; job id +
//   device id) or adds it. DeleteDevice removes the identity with that key and
//   its twin, and for a device also its modules; a missing key is not an error.
// - SaveDeviceJobs writes a batch of device records in one transaction: all
//   or nothing. A job starts by storing its records in such batches and then
//   itself as `running`, so a job found `running` after a crash has every
//   record it started with (a job is never silently smaller than what it
//   matched); records of a job still queued or scheduled are leftovers of an
//   interrupted start, and DeleteDeviceJobs removes every record of a job.
// - ReplaceAll makes the stored state exactly `state` (the control plane's
//   import, reset and seed): all or nothing.
// - A write that returns an error left the stored state as it was; the hub
//   then answers 500 ServerError and keeps its memory unchanged too.
// - Load returns what the writes left, in key order.
// - Single-threaded: called from the hub's event loop only.

#include <memory>
#include <string_view>
#include <vector>

#include "domain/device.hpp"
#include "domain/device_job.hpp"
#include "domain/job.hpp"
#include "domain/result.hpp"
#include "domain/twin.hpp"

namespace offhub::ports {

// A device or a module (identity.module_id set) with its twin.
struct StoredDevice {
  domain::Device identity;
  domain::Twin twin;
};

struct StoredState {
  std::vector<StoredDevice> devices;
  std::vector<domain::Job> jobs;
  std::vector<domain::DeviceJob> device_jobs;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual domain::Result<StoredState> Load() = 0;
  virtual domain::Status SaveDevice(const StoredDevice& device) = 0;
  virtual domain::Status DeleteDevice(std::string_view device_id) = 0;
  virtual domain::Status SaveJob(const domain::Job& job) = 0;
  virtual domain::Status SaveDeviceJob(const domain::DeviceJob& record) = 0;
  virtual domain::Status SaveDeviceJobs(const std::vector<domain::DeviceJob>& records) = 0;
  virtual domain::Status DeleteDeviceJobs(std::string_view job_id) = 0;
  virtual domain::Status ReplaceAll(const StoredState& state) = 0;
};

}  // namespace offhub::ports
