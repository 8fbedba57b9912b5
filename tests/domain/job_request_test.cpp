#include "domain/job_request.hpp"

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace offhub::domain;
using nlohmann::json;

namespace {

const UtcTime kNow = UtcTime::FromSeconds(1'700'000'000);

// [CAP] the Node SDK's callback-style method job.
const char* const kMethodJob =
    R"({"jobId":"job1","type":"scheduleDeviceMethod","cloudToDeviceMethod":{"methodName":"reboot","payload":{"x":1},"responseTimeoutInSeconds":30},"startTime":"2030-01-01T00:00:00.000Z","maxExecutionTimeInSeconds":120,"queryCondition":"deviceId IN ['dev1']"})";
// [CAP] the promise-style twin job: startTime null, no maxExecutionTimeInSeconds.
const char* const kTwinJob =
    R"({"jobId":"job2","type":"scheduleUpdateTwin","updateTwin":{"etag":"*","properties":{"desired":{"z":1}}},"startTime":null,"queryCondition":"deviceId = 'dev1'"})";

json MethodJob() { return json::parse(kMethodJob); }
json TwinJob() { return json::parse(kTwinJob); }

Error ParseError(std::string_view id, const json& body) {
  const auto parsed = ParseJobRequest(id, body, kNow);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error();
}

}  // namespace

TEST_CASE("captured method job") {
  const auto parsed = ParseJobRequest("job1", MethodJob(), kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->job_id == "job1");
  CHECK(parsed->type == JobType::kScheduleDeviceMethod);
  CHECK(parsed->query_condition == "deviceId IN ['dev1']");
  CHECK(parsed->start_time == ParseUtc("2030-01-01T00:00:00Z").value());
  CHECK(parsed->max_execution_time_seconds == 120);
  CHECK(parsed->Deadline() == parsed->start_time.PlusSeconds(120));
  REQUIRE(parsed->method);
  CHECK(*parsed->method == MethodRequest{"reboot", {{"x", 1}}, 30, 0});
  CHECK_FALSE(parsed->update_twin);
}

TEST_CASE("captured twin job: null startTime means now, default max execution time") {
  const auto parsed = ParseJobRequest("job2", TwinJob(), kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->type == JobType::kScheduleUpdateTwin);
  CHECK(parsed->start_time == kNow);
  CHECK(parsed->max_execution_time_seconds == kDefaultMaxExecutionTimeSeconds);
  CHECK(parsed->max_execution_time_seconds == 3600);
  REQUIRE(parsed->update_twin);
  CHECK(*parsed->update_twin == json::parse(R"({"etag":"*","properties":{"desired":{"z":1}}})"));
  CHECK_FALSE(parsed->method);
}

TEST_CASE("the door-lock tutorial's jobs") {
  const json method = {
      {"jobId", "lock"},
      {"type", "scheduleDeviceMethod"},
      {"cloudToDeviceMethod", {{"methodName", "lockDoor"}, {"payload", nullptr}, {"responseTimeoutInSeconds", 15}}},
      {"queryCondition", "deviceId IN ['myDeviceId']"},
      {"startTime", "2024-05-01T10:00:00.1234567Z"},
      {"maxExecutionTimeInSeconds", 300}};
  const auto m = ParseJobRequest("lock", method, kNow);
  REQUIRE(m.ok());
  CHECK(m->method->response_timeout_seconds == 15);
  CHECK(m->start_time.ticks % UtcTime::kTicksPerSecond == 1234567);
  const json twin = json::parse(
      R"({"jobId":"twin","type":"scheduleUpdateTwin","updateTwin":{"etag":"*","properties":{"desired":{"building":"43","floor":3}}},"queryCondition":"deviceId IN ['myDeviceId']","maxExecutionTimeInSeconds":300})");
  const auto t = ParseJobRequest("twin", twin, kNow);
  REQUIRE(t.ok());
  CHECK((*t->update_twin)["properties"]["desired"]["floor"] == 3);
}

TEST_CASE("Microsoft's doc example: all devices, tags patch") {
  // iot-hub-devguide-jobs: queryCondition "*" and a tags-only updateTwin.
  const json body = json::parse(
      R"({"jobId":"j","type":"scheduleUpdateTwin","updateTwin":{"deviceId":"ignored","etag":"*","tags":{"deviceClass":"Class1"}},"queryCondition":"*","startTime":"2020-01-06T21:44:00Z","maxExecutionTimeInSeconds":300})");
  const auto parsed = ParseJobRequest("j", body, kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->query_condition == "*");
  CHECK(*parsed->update_twin == json::parse(R"({"etag":"*","tags":{"deviceClass":"Class1"}})"));
}

TEST_CASE("ToJson round-trips") {
  for (const json& body : {MethodJob(), TwinJob()}) {
    const auto parsed = ParseJobRequest(body["jobId"].get<std::string>(), body, kNow);
    REQUIRE(parsed.ok());
    const json sent = ToJson(*parsed);
    CHECK(sent["startTime"].is_string());
    CHECK(ParseJobRequest(parsed->job_id, sent, UtcTime{}).value() == *parsed);
  }
}

TEST_CASE("jobId: body must match the path; path follows the device-id rule") {
  json without_id = MethodJob();
  without_id.erase("jobId");
  CHECK(ParseJobRequest("job1", without_id, kNow).ok());
  json null_id = MethodJob();
  null_id["jobId"] = nullptr;
  CHECK(ParseJobRequest("job1", null_id, kNow).ok());
  CHECK(ParseError("other", MethodJob()).code() == ErrorCode::ArgumentInvalid);
  CHECK(ParseError("JOB1", MethodJob()).code() == ErrorCode::ArgumentInvalid);
  for (const json& bad : {json(1), json(true), json::array({"job1"})}) {
    json body = MethodJob();
    body["jobId"] = bad;
    CHECK(ParseError("job1", body).code() == ErrorCode::ArgumentInvalid);
  }
  for (const std::string& good :
       {std::string("a"), std::string(128, 'j'), std::string("job-1.2+3%4_5#6*7?8!9(0),:=@$'")}) {
    CAPTURE(good);
    CHECK(ValidateJobId(good).ok());
  }
  for (const std::string& bad : {std::string(""), std::string(129, 'j'), std::string("a b"), std::string("a/b"),
                                 std::string("caf\xc3\xa9"), std::string("a\0b", 3), std::string("a{b}")}) {
    CAPTURE(bad);
    CHECK(ValidateJobId(bad).error().code() == ErrorCode::ArgumentInvalid);
    json body = MethodJob();
    body.erase("jobId");
    CHECK(ParseError(bad, body).code() == ErrorCode::ArgumentInvalid);
  }
}

TEST_CASE("type: anything but the two v2 types is GenericBadRequest;BadRequest") {
  for (const json& bad : {json("scheduleDirectRequest"), json("scheduleTwinUpdate"), json("ScheduleDeviceMethod"),
                          json("export"), json(""), json(nullptr), json(1), json::object()}) {
    CAPTURE(bad.dump());
    json body = MethodJob();
    body["type"] = bad;
    const Error e = ParseError("job1", body);
    CHECK(e.code() == ErrorCode::GenericBadRequest);
    CHECK(e.message() == "BadRequest");
  }
  json body = MethodJob();
  body.erase("type");
  CHECK(ParseError("job1", body).code() == ErrorCode::GenericBadRequest);
}

TEST_CASE("cloudToDeviceMethod is required for method jobs and validated") {
  json body = MethodJob();
  body.erase("cloudToDeviceMethod");
  CHECK(ParseError("job1", body).code() == ErrorCode::ArgumentNull);
  body["cloudToDeviceMethod"] = nullptr;
  CHECK(ParseError("job1", body).code() == ErrorCode::ArgumentNull);
  body["cloudToDeviceMethod"] = "reboot";
  CHECK(ParseError("job1", body).code() == ErrorCode::ArgumentInvalid);
  body["cloudToDeviceMethod"] = {{"methodName", "reboot"}, {"responseTimeoutInSeconds", 0}};
  CHECK(ParseError("job1", body).message() == "responseTimeoutInSeconds must be within [5; 300].");
  body["cloudToDeviceMethod"] = {{"methodName", "re boot"}};
  CHECK(ParseError("job1", body).code() == ErrorCode::ArgumentInvalid);
  body["cloudToDeviceMethod"] = {{"payload", 1}};
  CHECK(ParseError("job1", body).code() == ErrorCode::ArgumentNull);
}

TEST_CASE("updateTwin is required for twin jobs and shaped like a twin patch") {
  json body = TwinJob();
  body.erase("updateTwin");
  CHECK(ParseError("job2", body).code() == ErrorCode::ArgumentNull);
  const char* const bad_patches[] = {
      R"("x")",
      R"([])",
      R"({"desired":{"z":1}})",  // Node SDK issue #44
      R"({"reported":{"z":1}})",
      R"({"properties":{"reported":{"z":1}}})",
      R"({"properties":{"desired":{"z":1},"reported":{"z":2}}})",
      R"({"properties":{"reported":[]}})",
      R"({"properties":"x"})",
      R"({"properties":{"desired":[1]}})",
      R"({"properties":{"desired":5}})",
      R"({"tags":"x"})",
      R"({"tags":[]})",
      R"({"etag":1})",
  };
  for (const char* patch : bad_patches) {
    CAPTURE(patch);
    body["updateTwin"] = json::parse(patch);
    CHECK(ParseError("job2", body).code() == ErrorCode::ArgumentInvalid);
  }
  body["updateTwin"] = json::parse(R"({"etag":"*","tags":null,"properties":{"desired":null},"version":3})");
  CHECK(*ParseJobRequest("job2", body, kNow)->update_twin == json{{"etag", "*"}});
  // What the Java service SDK always sends: an empty reported section, ignored as IoT Hub does.
  for (const char* empty : {R"({})", "null"}) {
    body["updateTwin"] = json::parse(std::string(R"({"etag":"*","properties":{"desired":{"z":1},"reported":)") + empty + "}}");
    CHECK(*ParseJobRequest("job2", body, kNow)->update_twin ==
          json::parse(R"({"etag":"*","properties":{"desired":{"z":1}}})"));
  }
}

TEST_CASE("a twin job's updateTwin must say etag \"*\": absent, null or another etag is 412 PreconditionFailed") {
  json body = TwinJob();
  for (const char* patch : {R"({"etag":null,"properties":{"desired":{"z":1}}})", R"({"properties":{"desired":{"z":1}}})",
                            R"({"etag":"AAAAAAAAAAE=","tags":{"a":1}})", R"({})"}) {
    CAPTURE(patch);
    body["updateTwin"] = json::parse(patch);
    const auto error = ParseError("job2", body);
    CHECK(error.code() == ErrorCode::PreconditionFailed);
    CHECK(error.http_status() == 412);
  }
}

TEST_CASE("updateTwin nested beyond the guard is rejected") {
  json deep = 1;
  for (std::size_t i = 0; i < 10000; ++i) deep = json{{"k", std::move(deep)}};
  json body = TwinJob();
  body["updateTwin"]["tags"] = std::move(deep);
  CHECK(ParseError("job2", body).code() == ErrorCode::ArgumentInvalid);
}

TEST_CASE("queryCondition is a required, non-blank string of bounded length") {
  json body = MethodJob();
  body.erase("queryCondition");
  CHECK(ParseError("job1", body).code() == ErrorCode::ArgumentNull);
  body["queryCondition"] = nullptr;
  CHECK(ParseError("job1", body).code() == ErrorCode::ArgumentNull);
  for (const json& bad : {json(""), json("  \t"), json(1), json::array({"*"})}) {
    body["queryCondition"] = bad;
    const Error e = ParseError("job1", body);
    CHECK(e.code() == ErrorCode::ArgumentInvalid);
    CHECK(e.message().find("queryCondition") != std::string::npos);
  }
  // The job's query ("SELECT deviceId FROM devices WHERE " + condition, 35 more
  // characters) may be 8192 characters: longer is 412 at once, as on IoT Hub.
  const std::string prefix = "deviceId = '";
  const auto condition_of = [&](std::size_t length) { return prefix + std::string(length - prefix.size() - 1, 'x') + "'"; };
  body["queryCondition"] = condition_of(8192 - 35);
  CHECK(ParseJobRequest("job1", body, kNow).ok());
  for (const std::size_t length : {std::size_t{8192 - 35 + 1}, std::size_t{8192}, std::size_t{100'000}}) {
    body["queryCondition"] = condition_of(length);
    CHECK(ParseError("job1", body).code() == ErrorCode::PreconditionFailed);
  }
  body["queryCondition"] = "FROM devices.modules WHERE " + condition_of(8192 - 53);  // 26 + 27 + ...
  CHECK(ParseJobRequest("job1", body, kNow).ok());
  body["queryCondition"] = "FROM devices.modules WHERE " + condition_of(8192 - 52);
  CHECK(ParseError("job1", body).code() == ErrorCode::PreconditionFailed);
  body["queryCondition"] = "deviceId = 'a' GROUP BY status";  // a syntax error fails the job when it starts
  CHECK(ParseJobRequest("job1", body, kNow).ok());
}

TEST_CASE("startTime: ISO-8601 string, or absent/null for now") {
  json body = MethodJob();
  body.erase("startTime");
  CHECK(ParseJobRequest("job1", body, kNow)->start_time == kNow);
  body["startTime"] = "2020-01-01T00:00:00+01:00";  // past times start at once
  CHECK(ParseJobRequest("job1", body, kNow)->start_time == ParseUtc("2019-12-31T23:00:00Z").value());
  for (const json& bad :
       {json("tomorrow"), json("2030-02-30T00:00:00Z"), json(""), json(1700000000), json(true), json::object()}) {
    CAPTURE(bad.dump());
    body["startTime"] = bad;
    const Error e = ParseError("job1", body);
    CHECK(e.code() == ErrorCode::ArgumentInvalid);
    CHECK(e.message().find("startTime") != std::string::npos);
  }
}

TEST_CASE("maxExecutionTimeInSeconds: default 3600 for absent/null/0, valid 1..30 days") {
  json body = MethodJob();
  for (const json& unset : {json(nullptr), json(0)}) {
    body["maxExecutionTimeInSeconds"] = unset;
    CHECK(ParseJobRequest("job1", body, kNow)->max_execution_time_seconds == 3600);
  }
  for (std::int64_t good : {std::int64_t{1}, std::int64_t{300}, kMaxMaxExecutionTimeSeconds}) {
    body["maxExecutionTimeInSeconds"] = good;
    CHECK(ParseJobRequest("job1", body, kNow)->max_execution_time_seconds == good);
  }
  for (const json& bad :
       {json(-1), json(kMaxMaxExecutionTimeSeconds + 1), json(9223372036854775807LL), json(18446744073709551615ULL),
        json(120.0), json(1.5), json(1e300), json("120"), json(true), json::array()}) {
    CAPTURE(bad.dump());
    body["maxExecutionTimeInSeconds"] = bad;
    const Error e = ParseError("job1", body);
    CHECK(e.code() == ErrorCode::ArgumentInvalid);
    CHECK(e.message().find("maxExecutionTimeInSeconds") != std::string::npos);
  }
}

TEST_CASE("a body that is not an object is a format error") {
  for (const json& bad : {json(nullptr), json::array(), json("job")}) {
    CHECK(ParseError("job1", bad).code() == ErrorCode::IotHubFormatError);
  }
}

TEST_CASE("job type names") {
  CHECK(ToString(JobType::kScheduleDeviceMethod) == "scheduleDeviceMethod");
  CHECK(ToString(JobType::kScheduleUpdateTwin) == "scheduleUpdateTwin");
  CHECK(ParseJobType("scheduleUpdateTwin") == JobType::kScheduleUpdateTwin);
  CHECK_FALSE(ParseJobType("scheduleupdatetwin"));
}
