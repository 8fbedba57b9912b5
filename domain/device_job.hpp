#pragma once
// A job's record for one targeted device (what `SELECT * FROM devices.jobs`
// returns) and its lifecycle as pure functions, plus the job's
// deviceJobStatistics, always derived from the records.
// https://learn.microsoft.com/azure/iot-hub/query-jobs
//
//   pending | scheduled --Started--> running          (call sent / twin write begins)
//   running --Answered{result}--> completed           (method jobs: ANY device status)
//   running --TwinUpdated--> completed                (twin jobs)
//   running --ResponseTimedOut--> failed  {GatewayTimeout, "Timed out waiting for the response from device."}
//   pending | scheduled --WindowClosed--> failed {JobRunPreconditionFailed, <IoT Hub's text>}
//   running --WindowClosed--> canceled                (the job ended while the call was in flight)
//   pending | scheduled | running --Failed{error}--> failed   (e.g. twin etag mismatch, device deleted)
//
// Decisions where IoT Hub's docs are silent:
// - A device online but silent past responseTimeoutInSeconds fails with code
//   "GatewayTimeout" and the text of the hub's 504101 answer to a direct call.
// - Records are created `pending` when the job starts (the device set is fixed
//   then). offhub never produces `scheduled` records but accepts them (they
//   behave like pending); `canceled` only comes from WindowClosed on a running
//   record.
// - Statistics: completed => succeeded, failed and canceled => failed,
//   running => running, pending and scheduled => pending; so deviceCount is
//   always the sum of the other four.
// - Any other event, or an event for the wrong job type, is 400
//   InvalidOperation and leaves the record as it was. Every accepted event
//   sets lastUpdatedDateTimeUtc; final states also set the error/outcome.

#include <concepts>
#include <cstdint>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <variant>

#include "domain/device.hpp"
#include "domain/job.hpp"
#include "domain/method_result.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace offhub::domain {

enum class DeviceJobStatus { kPending, kScheduled, kRunning, kCompleted, kFailed, kCanceled };

// "pending" | "scheduled" | "running" | "completed" | "failed" | "canceled" (single L)
std::string_view ToString(DeviceJobStatus status);
std::optional<DeviceJobStatus> ParseDeviceJobStatus(std::string_view text);
bool IsFinal(DeviceJobStatus status);  // completed, failed or canceled

// The record's `error`: a code *name* (not always one of ErrorCode's) and text.
struct DeviceJobError {
  std::string code;
  std::string description;
  bool operator==(const DeviceJobError&) const = default;
};

inline constexpr std::string_view kJobRunPreconditionFailed = "JobRunPreconditionFailed";
inline constexpr std::string_view kJobRunPreconditionFailedDescription =
    "The job did not start within specified period: either device did not come online or invalid endTime specified.";

DeviceJobError PreconditionFailedError();             // the device never came online in the window
DeviceJobError ToDeviceJobError(const Error& error);  // {error.name(), error.message()}

struct DeviceJob {
  std::string device_id;
  std::string module_id;  // set when the job targets modules (FROM devices.modules)
  std::string job_id;
  JobType job_type = JobType::kScheduleDeviceMethod;
  DeviceJobStatus status = DeviceJobStatus::kPending;
  UtcTime start_time;    // the job window: the job's start time ...
  UtcTime end_time;      // ... plus maxExecutionTimeInSeconds
  UtcTime created_time;  // real timestamps
  UtcTime last_updated_time;
  std::optional<MethodResult> method_response;  // completed method records only
  std::optional<DeviceJobError> error;          // failed records only

  bool operator==(const DeviceJob&) const = default;
  // The target's identity key: "{deviceId}" or "{deviceId}/{moduleId}".
  std::string key() const { return IdentityKey(device_id, module_id); }
};

// A `pending` record of `job` for `device_id` (or its module `module_id`), created at `now`.
DeviceJob MakeDeviceJob(const Job& job, std::string device_id, UtcTime now, std::string module_id = {});

namespace device_job_event {
struct Started {};
struct Answered {
  MethodResult result;
};
struct TwinUpdated {};
struct ResponseTimedOut {};
struct WindowClosed {};
struct Failed {
  DeviceJobError error;
};
}  // namespace device_job_event

using DeviceJobEvent =
    std::variant<device_job_event::Started, device_job_event::Answered, device_job_event::TwinUpdated,
                 device_job_event::ResponseTimedOut, device_job_event::WindowClosed, device_job_event::Failed>;

// The record after `event` happened at `now`, or 400 InvalidOperation.
Result<DeviceJob> Transition(const DeviceJob& record, const DeviceJobEvent& event, UtcTime now);

struct DeviceJobStatistics {
  std::int64_t device_count = 0;
  std::int64_t failed_count = 0;
  std::int64_t succeeded_count = 0;
  std::int64_t running_count = 0;
  std::int64_t pending_count = 0;
  bool operator==(const DeviceJobStatistics&) const = default;
};

// Counts one record into `stats` (the mapping is documented above).
void AddToStatistics(DeviceJobStatistics& stats, DeviceJobStatus status);

// The statistics of a job from all of its records: any range whose elements
// are DeviceJobs (a vector, the values of a map, ...).
// clang-format off
template <class Records>
  requires std::ranges::input_range<const Records> &&
           std::convertible_to<std::ranges::range_reference_t<const Records>, const DeviceJob&>
DeviceJobStatistics ComputeStatistics(const Records& records) {
  // clang-format on
  DeviceJobStatistics stats;
  for (const DeviceJob& record : records) AddToStatistics(stats, record.status);
  return stats;
}

}  // namespace offhub::domain
