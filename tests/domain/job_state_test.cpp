#include "domain/job.hpp"

#include <algorithm>
#include <string>

#include <doctest/doctest.h>

using namespace offhub::domain;
namespace ev = offhub::domain::job_event;

namespace {

const UtcTime kCreated = UtcTime::FromSeconds(1'700'000'000);

Job NewJob(UtcTime start, std::int64_t max_seconds = 300) {
  JobRequest request;
  request.job_id = "job1";
  request.type = JobType::kScheduleDeviceMethod;
  request.query_condition = "deviceId IN ['myDeviceId']";
  request.method = MethodRequest{"lockDoor", nullptr, 15, 0};
  request.start_time = start;
  request.max_execution_time_seconds = max_seconds;
  return MakeJob(std::move(request), kCreated);
}

Job Apply(const Job& job, const JobEvent& event, UtcTime now) {
  auto next = Transition(job, event, now);
  REQUIRE_MESSAGE(next.ok(), next.error().message());
  return std::move(next).value();
}

Error Refused(const Job& job, const JobEvent& event, UtcTime now) {
  auto next = Transition(job, event, now);
  REQUIRE_FALSE(next.ok());
  return next.error();
}

Job Running(UtcTime start = kCreated) {
  const Job accepted = Apply(NewJob(start), ev::Accepted{}, kCreated);
  return Apply(accepted, ev::StartTimeReached{}, std::max(start, kCreated));
}

}  // namespace

TEST_CASE("a new job is queued, created now, not ended") {
  const Job job = NewJob(kCreated);
  CHECK(job.status == JobStatus::kQueued);
  CHECK(job.created_time == kCreated);
  CHECK_FALSE(job.end_time);
  CHECK(job.id() == "job1");
}

TEST_CASE("start now: queued -> running -> completed") {
  Job job = Apply(NewJob(kCreated), ev::Accepted{}, kCreated);
  CHECK(job.status == JobStatus::kQueued);  // no detour through scheduled
  job = Apply(job, ev::StartTimeReached{}, kCreated);
  CHECK(job.status == JobStatus::kRunning);
  job = Apply(job, ev::DeviceSetFixed{1}, kCreated);
  CHECK(job.status == JobStatus::kRunning);
  const UtcTime done = kCreated.PlusMillis(5365);
  job = Apply(job, ev::AllDevicesFinished{}, done);
  CHECK(job.status == JobStatus::kCompleted);
  CHECK(job.end_time == done);
  CHECK(job.failure_reason.empty());
}

TEST_CASE("start tomorrow: queued -> scheduled -> running at the start time") {
  const UtcTime tomorrow = kCreated.PlusSeconds(86400);
  Job job = Apply(NewJob(tomorrow), ev::Accepted{}, kCreated);
  CHECK(job.status == JobStatus::kScheduled);
  CHECK(Refused(job, ev::StartTimeReached{}, tomorrow.PlusMillis(-1)).code() == ErrorCode::InvalidOperation);
  job = Apply(job, ev::StartTimeReached{}, tomorrow);
  CHECK(job.status == JobStatus::kRunning);
}

TEST_CASE("a query that matches no device completes the job at once") {
  const Job job = Apply(Running(), ev::DeviceSetFixed{0}, kCreated.PlusMillis(3));
  CHECK(job.status == JobStatus::kCompleted);
  CHECK(job.end_time == kCreated.PlusMillis(3));
  CHECK(Refused(Running(), ev::DeviceSetFixed{-1}, kCreated).code() == ErrorCode::ArgumentInvalid);
}

TEST_CASE("the max execution time ends the job completed, from any non-final status") {
  const UtcTime deadline = kCreated.PlusSeconds(300);
  CHECK(Refused(Running(), ev::MaxExecutionTimeReached{}, deadline.PlusMillis(-1)).code() ==
        ErrorCode::InvalidOperation);
  for (const Job& job :
       {NewJob(kCreated), Apply(NewJob(kCreated.PlusSeconds(1)), ev::Accepted{}, kCreated), Running()}) {
    CAPTURE(ToString(job.status));
    const UtcTime late = job.request.Deadline();
    const Job done = Apply(job, ev::MaxExecutionTimeReached{}, late);
    CHECK(done.status == JobStatus::kCompleted);
    CHECK(done.end_time == late);
  }
}

TEST_CASE("a job-level failure fails the job with its reason") {
  const Job job = Apply(Running(), ev::RunFailed{"Query condition is invalid."}, kCreated.PlusSeconds(1));
  CHECK(job.status == JobStatus::kFailed);
  CHECK(job.failure_reason == "Query condition is invalid.");
  CHECK(job.end_time == kCreated.PlusSeconds(1));
  CHECK(Apply(NewJob(kCreated), ev::RunFailed{"x"}, kCreated).status == JobStatus::kFailed);
}

TEST_CASE("cancel before running: cancelled (double L), idempotent") {
  const UtcTime later = kCreated.PlusSeconds(3600);
  for (const Job& job : {NewJob(later), Apply(NewJob(later), ev::Accepted{}, kCreated)}) {
    CAPTURE(ToString(job.status));
    const Job cancelled = Apply(job, ev::CancelRequested{}, kCreated.PlusSeconds(5));
    CHECK(cancelled.status == JobStatus::kCancelled);
    CHECK(ToString(cancelled.status) == "cancelled");
    CHECK(cancelled.end_time == kCreated.PlusSeconds(5));
    const Job again = Apply(cancelled, ev::CancelRequested{}, kCreated.PlusSeconds(9));
    CHECK(again == cancelled);  // endTime keeps the first cancel
  }
}

TEST_CASE("cancel of a running job is refused as the hub does") {
  const Job running = Running();
  const Error e = Refused(running, ev::CancelRequested{}, kCreated.PlusSeconds(1));
  CHECK(e.code() == ErrorCode::InvalidOperation);
  CHECK(e.message() == "Job cannot be cancelled in 'Running' status.");
  const Job completed = Apply(running, ev::AllDevicesFinished{}, kCreated.PlusSeconds(1));
  CHECK(Refused(completed, ev::CancelRequested{}, kCreated.PlusSeconds(2)).message() ==
        "Job cannot be cancelled in 'Completed' status.");
  const Job failed = Apply(running, ev::RunFailed{"x"}, kCreated.PlusSeconds(1));
  CHECK(Refused(failed, ev::CancelRequested{}, kCreated.PlusSeconds(2)).message() ==
        "Job cannot be cancelled in 'Failed' status.");
}

TEST_CASE("final jobs accept no further events") {
  const Job running = Running();
  const Job finals[] = {Apply(running, ev::AllDevicesFinished{}, kCreated),
                        Apply(running, ev::RunFailed{"x"}, kCreated),
                        Apply(NewJob(kCreated.PlusSeconds(60)), ev::CancelRequested{}, kCreated)};
  const UtcTime far = kCreated.PlusSeconds(86400 * 365);
  for (const Job& job : finals) {
    CAPTURE(ToString(job.status));
    CHECK(IsFinal(job.status));
    for (const JobEvent& event :
         {JobEvent{ev::Accepted{}}, JobEvent{ev::StartTimeReached{}}, JobEvent{ev::DeviceSetFixed{1}},
          JobEvent{ev::AllDevicesFinished{}}, JobEvent{ev::MaxExecutionTimeReached{}}, JobEvent{ev::RunFailed{"y"}}}) {
      CHECK(Refused(job, event, far).code() == ErrorCode::InvalidOperation);
    }
  }
}

TEST_CASE("events out of order are refused and change nothing") {
  const Job queued = NewJob(kCreated);
  CHECK(Refused(queued, ev::DeviceSetFixed{1}, kCreated).code() == ErrorCode::InvalidOperation);
  CHECK(Refused(queued, ev::AllDevicesFinished{}, kCreated).code() == ErrorCode::InvalidOperation);
  const Job running = Running();
  CHECK(Refused(running, ev::Accepted{}, kCreated).code() == ErrorCode::InvalidOperation);
  CHECK(Refused(running, ev::StartTimeReached{}, kCreated).code() == ErrorCode::InvalidOperation);
  const Job scheduled = Apply(NewJob(kCreated.PlusSeconds(10)), ev::Accepted{}, kCreated);
  CHECK(Refused(scheduled, ev::Accepted{}, kCreated).code() == ErrorCode::InvalidOperation);
}

TEST_CASE("status names") {
  for (const JobStatus s : {JobStatus::kQueued, JobStatus::kScheduled, JobStatus::kRunning, JobStatus::kCompleted,
                            JobStatus::kFailed, JobStatus::kCancelled}) {
    CHECK(ParseJobStatus(ToString(s)) == s);
  }
  CHECK(ToString(JobStatus::kQueued) == "queued");
  CHECK_FALSE(ParseJobStatus("canceled"));
  CHECK_FALSE(ParseJobStatus("enqueued"));
  CHECK_FALSE(IsFinal(JobStatus::kRunning));
}
