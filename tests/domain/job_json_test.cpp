#include "domain/job_json.hpp"

#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "domain/job_filter.hpp"

using namespace offhub::domain;
using nlohmann::json;

namespace {

UtcTime At(const char* text) { return ParseUtc(text).value(); }

// The CLI's fixture of a completed twin job, modelled on real output.
Job CompletedTwinJob() {
  const json body = json::parse(
      R"({"jobId":"j1","type":"scheduleUpdateTwin","updateTwin":{"etag":"*","tags":{"deviceClass":"Class1"}},"queryCondition":"deviceId in ['a','b']","maxExecutionTimeInSeconds":300})");
  const UtcTime created = At("2020-01-06T21:44:00.8884134Z");
  Job job = MakeJob(ParseJobRequest("j1", body, created).value(), created);
  job.status = JobStatus::kCompleted;
  job.end_time = At("2020-01-06T21:44:06.2536519Z");
  return job;
}

Job MethodJob(JobStatus status) {
  const json body = json::parse(
      R"({"jobId":"job1","type":"scheduleDeviceMethod","cloudToDeviceMethod":{"methodName":"reboot","payload":{"x":1},"responseTimeoutInSeconds":30},"startTime":"2030-01-01T00:00:00.000Z","maxExecutionTimeInSeconds":120,"queryCondition":"deviceId IN ['dev1']"})");
  Job job = MakeJob(ParseJobRequest("job1", body, At("2029-12-31T00:00:00Z")).value(), At("2029-12-31T00:00:00Z"));
  job.status = status;
  return job;
}

}  // namespace

TEST_CASE("completed twin job in the hub's shape") {
  const json expected = json::parse(R"({
    "jobId":"j1","type":"scheduleUpdateTwin","status":"completed",
    "queryCondition":"deviceId in ['a','b']",
    "createdTime":"2020-01-06T21:44:00.8884134Z","startTime":"2020-01-06T21:44:00.8884134Z",
    "endTime":"2020-01-06T21:44:06.2536519Z","maxExecutionTimeInSeconds":300,
    "updateTwin":{"deviceId":null,"etag":"*","tags":{"deviceClass":"Class1"}},
    "deviceJobStatistics":{"deviceCount":2,"failedCount":0,"pendingCount":0,"runningCount":0,"succeededCount":2}})");
  CHECK(ToJson(CompletedTwinJob(), DeviceJobStatistics{2, 0, 2, 0, 0}) == expected);
}

TEST_CASE("scheduled method job: no endTime, the method echoed with its defaults") {
  const json body = ToJson(MethodJob(JobStatus::kScheduled), DeviceJobStatistics{});
  CHECK(body["status"] == "scheduled");
  CHECK_FALSE(body.contains("endTime"));
  CHECK_FALSE(body.contains("updateTwin"));
  CHECK_FALSE(body.contains("failureReason"));
  CHECK_FALSE(body.contains("statusMessage"));
  CHECK(body["startTime"] == "2030-01-01T00:00:00.0000000Z");
  CHECK(body["createdTime"] == "2029-12-31T00:00:00.0000000Z");
  CHECK(body["cloudToDeviceMethod"] ==
        json::parse(
            R"({"methodName":"reboot","payload":{"x":1},"responseTimeoutInSeconds":30,"connectTimeoutInSeconds":0})"));
  CHECK(body["deviceJobStatistics"]["deviceCount"] == 0);
}

TEST_CASE("failed job shows its failure reason") {
  Job job = MethodJob(JobStatus::kFailed);
  job.end_time = At("2030-01-01T00:00:01Z");
  job.failure_reason = "Query condition is invalid.";
  job.status_message = "see failureReason";
  const json body = ToJson(job, DeviceJobStatistics{});
  CHECK(body["status"] == "failed");
  CHECK(body["failureReason"] == "Query condition is invalid.");
  CHECK(body["statusMessage"] == "see failureReason");
  CHECK(body["endTime"] == "2030-01-01T00:00:01.0000000Z");
}

TEST_CASE("create response is the hub's minimal body") {
  // Microsoft doc capture: {"jobId":"job01","type":"scheduleDeviceMethod","status":"queued"}
  CHECK(CreatedJobJson(MethodJob(JobStatus::kQueued)) ==
        json::parse(R"({"jobId":"job1","type":"scheduleDeviceMethod","status":"queued"})"));
  CHECK(CreatedJobJson(MethodJob(JobStatus::kQueued)).dump().size() == 64);
}

TEST_CASE("device-job records as in the Java parser fixtures") {
  Job twin_job = CompletedTwinJob();
  twin_job.request.job_id = "J1";
  twin_job.request.start_time = At("2017-07-11T23:55:12.0052Z");
  twin_job.request.max_execution_time_seconds = 100;
  DeviceJob record = MakeDeviceJob(twin_job, "d", At("2017-07-11T23:55:13.4955445Z"));
  record.status = DeviceJobStatus::kCompleted;
  record.last_updated_time = At("2017-07-11T23:55:13.5267866Z");
  CHECK(ToJson(record) ==
        json::parse(R"({"deviceId":"d","jobId":"J1","jobType":"scheduleUpdateTwin","status":"completed",
      "startTimeUtc":"2017-07-11T23:55:12.0052000Z","endTimeUtc":"2017-07-11T23:56:52.0052000Z",
      "createdDateTimeUtc":"2017-07-11T23:55:13.4955445Z","lastUpdatedDateTimeUtc":"2017-07-11T23:55:13.5267866Z",
      "outcome":{}})"));

  record.job_type = JobType::kScheduleDeviceMethod;
  record.method_response = MethodResult{404, "executed reboot"};
  const json answered = ToJson(record);
  CHECK(answered["jobType"] == "scheduleDeviceMethod");
  CHECK(answered["outcome"] == json::parse(R"({"deviceMethodResponse":{"status":404,"payload":"executed reboot"}})"));
  CHECK_FALSE(answered.contains("error"));

  record.method_response.reset();
  record.status = DeviceJobStatus::kFailed;
  record.error = PreconditionFailedError();
  const json failed = ToJson(record);
  CHECK(failed["status"] == "failed");
  CHECK(failed["outcome"] == json::object());
  CHECK(failed["error"] == json::parse(R"({"code":"JobRunPreconditionFailed",
      "description":"The job did not start within specified period: either device did not come online or invalid endTime specified."})"));
}

TEST_CASE("job list filters: case-insensitive, unknown values match nothing") {
  const Job completed_method = MethodJob(JobStatus::kCompleted);
  const Job completed_twin = CompletedTwinJob();
  const Job running_method = MethodJob(JobStatus::kRunning);
  const auto matching = [&](const JobFilter& filter) {
    std::vector<std::string> ids;
    for (const Job* job : {&completed_method, &completed_twin, &running_method}) {
      if (filter.Matches(*job)) ids.push_back(job->id() + ":" + std::string(ToString(job->status)));
    }
    return ids;
  };
  using V = std::vector<std::string>;
  CHECK(matching(JobFilter{}).size() == 3);
  CHECK(matching(JobFilter{std::nullopt, std::nullopt}).size() == 3);
  CHECK(matching(JobFilter{"", ""}).size() == 3);
  // [CAP] jobStatus=completed&jobType=scheduleDeviceMethod
  CHECK(matching(JobFilter{"scheduleDeviceMethod", "completed"}) == V{"job1:completed"});
  // C# sends .NET enum names.
  CHECK(matching(JobFilter{"ScheduleDeviceMethod", "Completed"}) == V{"job1:completed"});
  CHECK(matching(JobFilter{"SCHEDULEUPDATETWIN", std::nullopt}) == V{"j1:completed"});
  CHECK(matching(JobFilter{std::nullopt, "RUNNING"}) == V{"job1:running"});
  CHECK(matching(JobFilter{std::nullopt, "finished"}).empty());
  CHECK(matching(JobFilter{"export", std::nullopt}).empty());
  CHECK(matching(JobFilter{std::nullopt, "canceled"}).empty());
}

TEST_CASE("JobResponse reads back what ToJson writes") {
  Job failed = MethodJob(JobStatus::kFailed);
  failed.end_time = At("2030-01-01T00:00:01.1234567Z");
  failed.failure_reason = "bad query";
  for (const Job& job : {CompletedTwinJob(), MethodJob(JobStatus::kQueued), MethodJob(JobStatus::kRunning), failed}) {
    CAPTURE(ToString(job.status));
    const DeviceJobStatistics stats{5, 1, 2, 1, 1};
    const auto read = ParseJobResponse(ToJson(job, stats));
    REQUIRE_MESSAGE(read.ok(), read.error().message());
    CHECK(read->job == job);
    CHECK(read->statistics == stats);
  }
}

TEST_CASE("JobResponse as a real hub may write it") {
  const json body = json::parse(R"({"jobId":"j1","type":"scheduleUpdateTwin","status":"enqueued",
    "queryCondition":"*","createdTime":"2020-01-06T21:44:00.8884134Z","startTime":"2020-01-06T21:44:00.8884134Z",
    "endTime":"0001-01-01T00:00:00Z","maxExecutionTimeInSeconds":300,
    "updateTwin":{"deviceId":null,"etag":"*","tags":{"deviceClass":"Class1"}}})");
  const auto read = ParseJobResponse(body);
  REQUIRE(read.ok());
  CHECK(read->job.status == JobStatus::kQueued);
  CHECK_FALSE(read->job.end_time);
  CHECK(read->statistics == DeviceJobStatistics{});
  CHECK(*read->job.request.update_twin == json::parse(R"({"etag":"*","tags":{"deviceClass":"Class1"}})"));
}

TEST_CASE("malformed JobResponses are refused naming the member") {
  const json good = ToJson(CompletedTwinJob(), DeviceJobStatistics{2, 0, 2, 0, 0});
  const std::pair<const char*, json> breakages[] = {
      {"status", "unknown"},
      {"status", nullptr},
      {"status", 1},
      {"createdTime", nullptr},
      {"createdTime", "yesterday"},
      {"startTime", nullptr},
      {"endTime", 5},
      {"failureReason", 1},
      {"deviceJobStatistics", "x"},
      {"deviceJobStatistics", {{"deviceCount", -1}}},
      {"deviceJobStatistics", {{"failedCount", 1.5}}},
      {"jobId", nullptr},
      {"type", "import"},
      {"updateTwin", nullptr},
  };
  for (const auto& [member, value] : breakages) {
    CAPTURE(member);
    CAPTURE(value.dump());
    json body = good;
    body[member] = value;
    CHECK_FALSE(ParseJobResponse(body).ok());
  }
  CHECK_FALSE(ParseJobResponse(json::array()).ok());
}

TEST_CASE("device-job records read back what ToJson writes") {
  Job job = MethodJob(JobStatus::kRunning);
  DeviceJob pending = MakeDeviceJob(job, "dev1", At("2030-01-01T00:00:00.5Z"));
  DeviceJob answered = pending;
  answered.status = DeviceJobStatus::kCompleted;
  answered.method_response = MethodResult{200, {{"ok", true}}};
  DeviceJob failed = pending;
  failed.status = DeviceJobStatus::kFailed;
  failed.error = ToDeviceJobError(ResponseTimeoutError());
  for (const DeviceJob& record : {pending, answered, failed}) {
    const auto read = ParseDeviceJob(ToJson(record));
    REQUIRE_MESSAGE(read.ok(), read.error().message());
    CHECK(*read == record);
  }
  const std::pair<const char*, json> breakages[] = {
      {"deviceId", nullptr}, {"jobType", "x"},         {"status", "cancelled"},
      {"startTimeUtc", 1},   {"outcome", "x"},         {"outcome", {{"deviceMethodResponse", {{"status", "200"}}}}},
      {"error", "x"},        {"error", {{"code", 1}}}, {"lastUpdatedDateTimeUtc", nullptr},
  };
  for (const auto& [member, value] : breakages) {
    CAPTURE(member);
    json body = ToJson(answered);
    body[member] = value;
    CHECK_FALSE(ParseDeviceJob(body).ok());
  }
}
