#include "domain/device_job.hpp"

#include <map>
#include <ranges>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace offhub::domain;
using nlohmann::json;
namespace ev = offhub::domain::device_job_event;

namespace {

const UtcTime kStart = ParseUtc("2017-07-11T23:55:12.0052Z").value();

Job RunningJob(JobType type) {
  JobRequest request;
  request.job_id = "J1";
  request.type = type;
  request.query_condition = "*";
  if (type == JobType::kScheduleDeviceMethod) request.method = MethodRequest{"reboot", nullptr, 30, 0};
  if (type == JobType::kScheduleUpdateTwin) request.update_twin = json{{"tags", {{"a", 1}}}};
  request.start_time = kStart;
  request.max_execution_time_seconds = 100;
  Job job = MakeJob(std::move(request), kStart);
  job.status = JobStatus::kRunning;
  return job;
}

DeviceJob Apply(const DeviceJob& record, const DeviceJobEvent& event, UtcTime now) {
  auto next = Transition(record, event, now);
  REQUIRE_MESSAGE(next.ok(), next.error().message());
  return std::move(next).value();
}

Error Refused(const DeviceJob& record, const DeviceJobEvent& event) {
  auto next = Transition(record, event, kStart);
  REQUIRE_FALSE(next.ok());
  return next.error();
}

DeviceJob Record(JobType type, DeviceJobStatus status) {
  DeviceJob record = MakeDeviceJob(RunningJob(type), "d", kStart);
  record.status = status;
  return record;
}

}  // namespace

TEST_CASE("a new record is pending over the job window") {
  const UtcTime created = ParseUtc("2017-07-11T23:55:13.4955445Z").value();
  const DeviceJob record = MakeDeviceJob(RunningJob(JobType::kScheduleUpdateTwin), "d", created);
  CHECK(record.status == DeviceJobStatus::kPending);
  CHECK(record.device_id == "d");
  CHECK(record.job_id == "J1");
  CHECK(record.job_type == JobType::kScheduleUpdateTwin);
  CHECK(FormatUtc(record.start_time) == "2017-07-11T23:55:12.0052000Z");
  CHECK(FormatUtc(record.end_time) == "2017-07-11T23:56:52.0052000Z");  // + 100 s, as in the Java fixtures
  CHECK(record.created_time == created);
  CHECK(record.last_updated_time == created);
  CHECK_FALSE(record.method_response);
  CHECK_FALSE(record.error);
}

TEST_CASE("a device that answers with any status completes its record") {
  for (int status : {200, 404, 500, -1}) {
    CAPTURE(status);
    const DeviceJob pending = MakeDeviceJob(RunningJob(JobType::kScheduleDeviceMethod), "d", kStart);
    const DeviceJob running = Apply(pending, ev::Started{}, kStart.PlusMillis(10));
    CHECK(running.status == DeviceJobStatus::kRunning);
    CHECK(running.last_updated_time == kStart.PlusMillis(10));
    const DeviceJob done = Apply(running, ev::Answered{{status, "executed reboot"}}, kStart.PlusMillis(20));
    CHECK(done.status == DeviceJobStatus::kCompleted);
    CHECK(done.method_response == MethodResult{status, "executed reboot"});
    CHECK(done.last_updated_time == kStart.PlusMillis(20));
    CHECK(done.created_time == kStart);
    CHECK_FALSE(done.error);
  }
}

TEST_CASE("twin records complete with no outcome") {
  const DeviceJob running =
      Apply(Record(JobType::kScheduleUpdateTwin, DeviceJobStatus::kPending), ev::Started{}, kStart);
  const DeviceJob done = Apply(running, ev::TwinUpdated{}, kStart.PlusMillis(1));
  CHECK(done.status == DeviceJobStatus::kCompleted);
  CHECK_FALSE(done.method_response);
}

TEST_CASE("an offline device that never came online fails with JobRunPreconditionFailed") {
  for (const DeviceJobStatus waiting : {DeviceJobStatus::kPending, DeviceJobStatus::kScheduled}) {
    const DeviceJob failed =
        Apply(Record(JobType::kScheduleDeviceMethod, waiting), ev::WindowClosed{}, kStart.PlusSeconds(100));
    CHECK(failed.status == DeviceJobStatus::kFailed);
    REQUIRE(failed.error);
    CHECK(failed.error->code == "JobRunPreconditionFailed");
    CHECK(failed.error->description ==
          "The job did not start within specified period: either device did not come online or invalid endTime "
          "specified.");
  }
}

TEST_CASE("the window closing on a call in flight cancels the record (single L)") {
  const DeviceJob canceled =
      Apply(Record(JobType::kScheduleDeviceMethod, DeviceJobStatus::kRunning), ev::WindowClosed{}, kStart);
  CHECK(canceled.status == DeviceJobStatus::kCanceled);
  CHECK(ToString(canceled.status) == "canceled");
  CHECK_FALSE(canceled.error);
}

TEST_CASE("an online device that does not answer in time fails with GatewayTimeout") {
  const DeviceJob failed =
      Apply(Record(JobType::kScheduleDeviceMethod, DeviceJobStatus::kRunning), ev::ResponseTimedOut{}, kStart);
  CHECK(failed.status == DeviceJobStatus::kFailed);
  CHECK(failed.error == DeviceJobError{"GatewayTimeout", "Timed out waiting for the response from device."});
}

TEST_CASE("explicit failures carry the error's name and text") {
  const Error etag = Error::PreconditionFailed("Precondition failed: etag mismatch");
  const DeviceJob failed = Apply(Record(JobType::kScheduleUpdateTwin, DeviceJobStatus::kRunning),
                                 ev::Failed{ToDeviceJobError(etag)}, kStart);
  CHECK(failed.error == DeviceJobError{"PreconditionFailed", "Precondition failed: etag mismatch"});
  CHECK(Apply(Record(JobType::kScheduleUpdateTwin, DeviceJobStatus::kPending), ev::Failed{{"DeviceNotFound", "d"}},
              kStart)
            .status == DeviceJobStatus::kFailed);
}

TEST_CASE("events for the other job type are refused") {
  const DeviceJob twin = Record(JobType::kScheduleUpdateTwin, DeviceJobStatus::kRunning);
  CHECK(Refused(twin, ev::Answered{{200, nullptr}}).code() == ErrorCode::InvalidOperation);
  CHECK(Refused(twin, ev::ResponseTimedOut{}).code() == ErrorCode::InvalidOperation);
  const DeviceJob method = Record(JobType::kScheduleDeviceMethod, DeviceJobStatus::kRunning);
  CHECK(Refused(method, ev::TwinUpdated{}).code() == ErrorCode::InvalidOperation);
}

TEST_CASE("out-of-order and final-state events are refused") {
  const DeviceJob pending = Record(JobType::kScheduleDeviceMethod, DeviceJobStatus::kPending);
  CHECK(Refused(pending, ev::Answered{{200, nullptr}}).code() == ErrorCode::InvalidOperation);
  CHECK(Refused(pending, ev::ResponseTimedOut{}).code() == ErrorCode::InvalidOperation);
  CHECK(Refused(Record(JobType::kScheduleDeviceMethod, DeviceJobStatus::kRunning), ev::Started{}).code() ==
        ErrorCode::InvalidOperation);
  for (const DeviceJobStatus final_status :
       {DeviceJobStatus::kCompleted, DeviceJobStatus::kFailed, DeviceJobStatus::kCanceled}) {
    const DeviceJob record = Record(JobType::kScheduleDeviceMethod, final_status);
    CHECK(IsFinal(final_status));
    for (const DeviceJobEvent& event : {DeviceJobEvent{ev::Started{}}, DeviceJobEvent{ev::Answered{{200, nullptr}}},
                                        DeviceJobEvent{ev::ResponseTimedOut{}}, DeviceJobEvent{ev::WindowClosed{}},
                                        DeviceJobEvent{ev::Failed{{"x", "y"}}}}) {
      CHECK(Refused(record, event).code() == ErrorCode::InvalidOperation);
    }
  }
}

TEST_CASE("statistics are derived from the records") {
  std::vector<DeviceJob> records;
  const DeviceJobStatus statuses[] = {
      DeviceJobStatus::kPending,   DeviceJobStatus::kScheduled, DeviceJobStatus::kRunning,
      DeviceJobStatus::kRunning,   DeviceJobStatus::kCompleted, DeviceJobStatus::kCompleted,
      DeviceJobStatus::kCompleted, DeviceJobStatus::kFailed,    DeviceJobStatus::kCanceled};
  for (const DeviceJobStatus s : statuses) records.push_back(Record(JobType::kScheduleDeviceMethod, s));
  const DeviceJobStatistics stats = ComputeStatistics(records);
  CHECK(stats == DeviceJobStatistics{9, 2, 3, 2, 2});
  CHECK(stats.device_count == stats.failed_count + stats.succeeded_count + stats.running_count + stats.pending_count);
  CHECK(ComputeStatistics(std::vector<DeviceJob>{}) == DeviceJobStatistics{});

  // Any range of records will do, e.g. the values of a map keyed by device id.
  std::map<std::string, DeviceJob> by_device{{"a", records[0]}, {"b", records[4]}};
  CHECK(ComputeStatistics(by_device | std::views::values) == DeviceJobStatistics{2, 0, 1, 0, 1});
}

TEST_CASE("status names (single-L canceled)") {
  for (const DeviceJobStatus s : {DeviceJobStatus::kPending, DeviceJobStatus::kScheduled, DeviceJobStatus::kRunning,
                                  DeviceJobStatus::kCompleted, DeviceJobStatus::kFailed, DeviceJobStatus::kCanceled}) {
    CHECK(ParseDeviceJobStatus(ToString(s)) == s);
  }
  CHECK_FALSE(ParseDeviceJobStatus("cancelled"));
}
