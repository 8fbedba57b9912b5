#pragma once
// A jobs-v2 job and its lifecycle as a pure state machine: no clock, no
// threads, no I/O. The job engine (adapters/emulator) feeds it events with the
// time they happened and stores what comes back.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-jobs
//
//   queued --Accepted (start in the future)--> scheduled
//   queued | scheduled --StartTimeReached--> running
//   running --DeviceSetFixed{0}--> completed      (nothing matched the query)
//   running --AllDevicesFinished--> completed
//   queued | scheduled | running --MaxExecutionTimeReached--> completed
//   queued | scheduled | running --RunFailed{reason}--> failed
//   queued | scheduled --CancelRequested--> cancelled
//
// - Per-device failures do not fail the job: it ends `completed` with
//   failedCount > 0 (what the SDKs' e2e tests wait for). `failed` is for
//   job-level failures such as a query condition that does not parse.
// - Accepted on a job whose start time has come keeps it `queued`; the engine
//   follows with StartTimeReached at once.
// - Cancel: a cancelled job stays cancelled and the cancel succeeds again
//   (idempotent, offhub's choice). A running job cannot be cancelled: the real
//   hub answers `ErrorCode:OperationNotAllowedInCurrentState;Job cannot be
//   cancelled in 'Running' status.` (azure-iot-sdk-node issue #464, "by
//   design"). offhub has no number for that name and answers 400
//   InvalidOperation (400003) with the same text; a completed or failed job
//   gets the same error naming its status.
// - Every other event in a state not listed above, or before its time
//   (StartTimeReached before startTime, MaxExecutionTimeReached before the
//   deadline), is 400 InvalidOperation and leaves the job as it was: that is
//   an engine bug, reported rather than absorbed.
// - endTime is set when the job reaches a final status and never changes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "domain/job_request.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace offhub::domain {

enum class JobStatus { kQueued, kScheduled, kRunning, kCompleted, kFailed, kCancelled };

// "queued" | "scheduled" | "running" | "completed" | "failed" | "cancelled"
std::string_view ToString(JobStatus status);
// Exact spelling as above (double-L "cancelled"); nullopt otherwise.
std::optional<JobStatus> ParseJobStatus(std::string_view text);
bool IsFinal(JobStatus status);  // completed, failed or cancelled

struct Job {
  JobRequest request;  // start_time already resolved (null => creation time)
  JobStatus status = JobStatus::kQueued;
  UtcTime created_time;
  std::optional<UtcTime> end_time;  // set iff IsFinal(status)
  std::string failure_reason;       // non-empty only when failed
  std::string status_message;       // offhub never sets it today; kept for the wire shape

  const std::string& id() const { return request.job_id; }
  bool operator==(const Job&) const = default;
};

// A new job, `queued`, created at `now`.
Job MakeJob(JobRequest request, UtcTime now);

namespace job_event {
struct Accepted {};
struct StartTimeReached {};
struct DeviceSetFixed {
  std::int64_t device_count = 0;  // >= 0
};
struct AllDevicesFinished {};
struct MaxExecutionTimeReached {};
struct RunFailed {
  std::string reason;
};
struct CancelRequested {};
}  // namespace job_event

using JobEvent = std::variant<job_event::Accepted, job_event::StartTimeReached, job_event::DeviceSetFixed,
                              job_event::AllDevicesFinished, job_event::MaxExecutionTimeReached, job_event::RunFailed,
                              job_event::CancelRequested>;

// The job after `event` happened at `now`, or 400 InvalidOperation (see above).
Result<Job> Transition(const Job& job, const JobEvent& event, UtcTime now);

}  // namespace offhub::domain
