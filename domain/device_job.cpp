#include "domain/device_job.hpp"

#include "domain/method_result.hpp"

#include <array>
#include <utility>

namespace offhub::domain {
namespace {

constexpr std::array<std::string_view, 6> kStatusNames = {"pending",   "scheduled", "running",
                                                          "completed", "failed",    "canceled"};

bool IsWaiting(DeviceJobStatus s) { return s == DeviceJobStatus::kPending || s == DeviceJobStatus::kScheduled; }

Error NotAllowed(std::string_view event, DeviceJobStatus status) {
  return Error(ErrorCode::InvalidOperation, std::string(event) + " is not allowed for a device job in '" +
                                                std::string(ToString(status)) + "' status.");
}

// One handler per event; each returns the next record or why it cannot be.
class Machine {
 public:
  Machine(const DeviceJob& record, UtcTime now) : record_(record), now_(now) {}

  Result<DeviceJob> operator()(const device_job_event::Started&) const {
    if (!IsWaiting(record_.status)) return NotAllowed("Started", record_.status);
    return With(DeviceJobStatus::kRunning);
  }

  Result<DeviceJob> operator()(const device_job_event::Answered& e) const {
    if (record_.job_type != JobType::kScheduleDeviceMethod) return WrongType("Answered");
    if (record_.status != DeviceJobStatus::kRunning) return NotAllowed("Answered", record_.status);
    DeviceJob next = With(DeviceJobStatus::kCompleted);
    next.method_response = e.result;
    return next;
  }

  Result<DeviceJob> operator()(const device_job_event::TwinUpdated&) const {
    if (record_.job_type != JobType::kScheduleUpdateTwin) return WrongType("TwinUpdated");
    if (record_.status != DeviceJobStatus::kRunning) return NotAllowed("TwinUpdated", record_.status);
    return With(DeviceJobStatus::kCompleted);
  }

  Result<DeviceJob> operator()(const device_job_event::ResponseTimedOut&) const {
    if (record_.job_type != JobType::kScheduleDeviceMethod) return WrongType("ResponseTimedOut");
    if (record_.status != DeviceJobStatus::kRunning) return NotAllowed("ResponseTimedOut", record_.status);
    return Failing(ToDeviceJobError(ResponseTimeoutError()));
  }

  Result<DeviceJob> operator()(const device_job_event::WindowClosed&) const {
    if (IsWaiting(record_.status)) return Failing(PreconditionFailedError());
    if (record_.status == DeviceJobStatus::kRunning) return With(DeviceJobStatus::kCanceled);
    return NotAllowed("WindowClosed", record_.status);
  }

  Result<DeviceJob> operator()(const device_job_event::Failed& e) const {
    if (IsFinal(record_.status)) return NotAllowed("Failed", record_.status);
    return Failing(e.error);
  }

 private:
  Error WrongType(std::string_view event) const {
    return Error(ErrorCode::InvalidOperation,
                 std::string(event) + " does not apply to a " + std::string(ToString(record_.job_type)) + " job.");
  }

  DeviceJob With(DeviceJobStatus status) const {
    DeviceJob next = record_;
    next.status = status;
    next.last_updated_time = now_;
    return next;
  }

  DeviceJob Failing(DeviceJobError error) const {
    DeviceJob next = With(DeviceJobStatus::kFailed);
    next.error = std::move(error);
    return next;
  }

  const DeviceJob& record_;
  UtcTime now_;
};

}  // namespace

std::string_view ToString(DeviceJobStatus status) { return kStatusNames[static_cast<std::size_t>(status)]; }

std::optional<DeviceJobStatus> ParseDeviceJobStatus(std::string_view text) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == text) return static_cast<DeviceJobStatus>(i);
  }
  return std::nullopt;
}

bool IsFinal(DeviceJobStatus status) {
  return status == DeviceJobStatus::kCompleted || status == DeviceJobStatus::kFailed ||
         status == DeviceJobStatus::kCanceled;
}

DeviceJobError PreconditionFailedError() {
  return {std::string(kJobRunPreconditionFailed), std::string(kJobRunPreconditionFailedDescription)};
}

DeviceJobError ToDeviceJobError(const Error& error) { return {std::string(error.name()), error.message()}; }

DeviceJob MakeDeviceJob(const Job& job, std::string device_id, UtcTime now, std::string module_id) {
  DeviceJob record;
  record.device_id = std::move(device_id);
  record.module_id = std::move(module_id);
  record.job_id = job.id();
  record.job_type = job.request.type;
  record.start_time = job.request.start_time;
  record.end_time = job.request.Deadline();
  record.created_time = now;
  record.last_updated_time = now;
  return record;
}

Result<DeviceJob> Transition(const DeviceJob& record, const DeviceJobEvent& event, UtcTime now) {
  return std::visit(Machine(record, now), event);
}

void AddToStatistics(DeviceJobStatistics& stats, DeviceJobStatus status) {
  ++stats.device_count;
  switch (status) {
    case DeviceJobStatus::kPending:
    case DeviceJobStatus::kScheduled: ++stats.pending_count; break;
    case DeviceJobStatus::kRunning: ++stats.running_count; break;
    case DeviceJobStatus::kCompleted: ++stats.succeeded_count; break;
    case DeviceJobStatus::kFailed:
    case DeviceJobStatus::kCanceled: ++stats.failed_count; break;
  }
}

}  // namespace offhub::domain
