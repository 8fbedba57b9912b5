#include "domain/job.hpp"

#include <array>
#include <utility>

namespace offhub::domain {
namespace {

constexpr std::array<std::string_view, 6> kStatusNames = {"queued",    "scheduled", "running",
                                                          "completed", "failed",    "cancelled"};

// The status as IoT Hub capitalizes it in its own messages ("Running").
std::string Capitalized(JobStatus status) {
  std::string name(ToString(status));
  name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return name;
}

Error NotAllowed(std::string_view event, JobStatus status) {
  return Error(ErrorCode::InvalidOperation,
               std::string(event) + " is not allowed for a job in '" + Capitalized(status) + "' status.");
}

bool IsOneOf(JobStatus status, std::initializer_list<JobStatus> allowed) {
  for (const JobStatus s : allowed) {
    if (s == status) return true;
  }
  return false;
}

// One handler per event; each returns the next job or why it cannot be.
class Machine {
 public:
  Machine(const Job& job, UtcTime now) : job_(job), now_(now) {}

  Result<Job> operator()(const job_event::Accepted&) const {
    if (job_.status != JobStatus::kQueued) return NotAllowed("Accepted", job_.status);
    if (job_.request.start_time <= now_) return job_;
    return With(JobStatus::kScheduled);
  }

  Result<Job> operator()(const job_event::StartTimeReached&) const {
    if (!IsOneOf(job_.status, {JobStatus::kQueued, JobStatus::kScheduled})) {
      return NotAllowed("StartTimeReached", job_.status);
    }
    if (now_ < job_.request.start_time) {
      return Error(ErrorCode::InvalidOperation, "The job's start time has not been reached.");
    }
    return With(JobStatus::kRunning);
  }

  Result<Job> operator()(const job_event::DeviceSetFixed& e) const {
    if (job_.status != JobStatus::kRunning) return NotAllowed("DeviceSetFixed", job_.status);
    if (e.device_count < 0) return Error::ArgumentInvalid("device_count must not be negative.");
    return e.device_count == 0 ? Finished(JobStatus::kCompleted) : job_;
  }

  Result<Job> operator()(const job_event::AllDevicesFinished&) const {
    if (job_.status != JobStatus::kRunning) return NotAllowed("AllDevicesFinished", job_.status);
    return Finished(JobStatus::kCompleted);
  }

  Result<Job> operator()(const job_event::MaxExecutionTimeReached&) const {
    if (IsFinal(job_.status)) return NotAllowed("MaxExecutionTimeReached", job_.status);
    if (now_ < job_.request.Deadline()) {
      return Error(ErrorCode::InvalidOperation, "The job's maximum execution time has not been reached.");
    }
    return Finished(JobStatus::kCompleted);
  }

  Result<Job> operator()(const job_event::RunFailed& e) const {
    if (IsFinal(job_.status)) return NotAllowed("RunFailed", job_.status);
    Job next = Finished(JobStatus::kFailed);
    next.failure_reason = e.reason;
    return next;
  }

  Result<Job> operator()(const job_event::CancelRequested&) const {
    if (job_.status == JobStatus::kCancelled) return job_;
    if (IsOneOf(job_.status, {JobStatus::kQueued, JobStatus::kScheduled})) return Finished(JobStatus::kCancelled);
    return Error(ErrorCode::InvalidOperation, "Job cannot be cancelled in '" + Capitalized(job_.status) + "' status.");
  }

 private:
  Job With(JobStatus status) const {
    Job next = job_;
    next.status = status;
    return next;
  }

  Job Finished(JobStatus status) const {
    Job next = With(status);
    next.end_time = now_;
    return next;
  }

  const Job& job_;
  UtcTime now_;
};

}  // namespace

std::string_view ToString(JobStatus status) { return kStatusNames[static_cast<std::size_t>(status)]; }

std::optional<JobStatus> ParseJobStatus(std::string_view text) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == text) return static_cast<JobStatus>(i);
  }
  return std::nullopt;
}

bool IsFinal(JobStatus status) {
  return IsOneOf(status, {JobStatus::kCompleted, JobStatus::kFailed, JobStatus::kCancelled});
}

Job MakeJob(JobRequest request, UtcTime now) {
  Job job;
  job.request = std::move(request);
  job.created_time = now;
  return job;
}

Result<Job> Transition(const Job& job, const JobEvent& event, UtcTime now) {
  return std::visit(Machine(job, now), event);
}

}  // namespace offhub::domain
