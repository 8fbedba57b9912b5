// The job engine through the service ports, on the manual clock: every scenario of
// the in-process hub issue, with no real sleeping.
#include "tests/emulator/hub_fixture.hpp"

using namespace offhub;
using offhub::testing::HubFixture;
using offhub::testing::MethodJob;
using offhub::testing::TwinJob;
using nlohmann::json;

TEST_CASE("door-lock tutorial: a method job and a twin job over one device both complete") {
  HubFixture f;
  auto& device = f.AddOnlineDevice("myDeviceId");
  const std::string condition = "deviceId IN ['myDeviceId']";

  const auto method_job = f.CreateJob("lockDoorJob", MethodJob(condition));
  REQUIRE(method_job.ok());
  CHECK(*method_job == json{{"jobId", "lockDoorJob"}, {"type", "scheduleDeviceMethod"}, {"status", "queued"}});
  const auto twin_job = f.CreateJob("updateTwinJob", TwinJob(condition));
  REQUIRE(twin_job.ok());

  f.clock.AdvanceSeconds(1);
  for (const char* id : {"lockDoorJob", "updateTwinJob"}) {
    const json job = f.Job(id);
    CAPTURE(job.dump());
    CHECK(job["status"] == "completed");
    CHECK(job["deviceJobStatistics"] ==
          json{{"deviceCount", 1}, {"failedCount", 0}, {"succeededCount", 1}, {"runningCount", 0}, {"pendingCount", 0}});
    CHECK(job.contains("endTime"));
  }
  REQUIRE(device.calls.size() == 1);
  CHECK(device.calls[0].method_name == "lockDoor");
  CHECK(device.calls[0].payload.is_null());
  REQUIRE(device.desired_updates.size() == 1);
  CHECK(device.desired_updates[0].body == json::parse(R"({"building":"43","floor":3,"$version":2})"));

  const json records = f.DeviceJobs("lockDoorJob");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["status"] == "completed");
  CHECK(records[0]["outcome"]["deviceMethodResponse"]["status"] == 200);
  const json twin = *f.hub->GetTwin(offhub::ports::Identity::Device("myDeviceId"));
  CHECK(twin["properties"]["desired"]["building"] == "43");
  CHECK(twin["properties"]["desired"]["$version"] == 2);
}

TEST_CASE("a job scheduled an hour ahead stays scheduled until the clock gets there") {
  HubFixture f;
  auto& device = f.AddOnlineDevice("d1");
  const auto start = testing::kT0.PlusSeconds(3600);
  REQUIRE(f.CreateJob("later", MethodJob("*", {{"startTime", domain::FormatUtc(start)}})).ok());
  f.clock.AdvanceSeconds(5);
  CHECK(f.Job("later")["status"] == "scheduled");
  f.clock.AdvanceSeconds(3590);
  CHECK(f.Job("later")["status"] == "scheduled");
  CHECK(device.calls.empty());
  f.clock.AdvanceSeconds(10);
  CHECK(f.Job("later")["status"] == "completed");
  CHECK(f.Job("later")["startTime"] == domain::FormatUtc(start));
  CHECK(device.calls.size() == 1);
}

TEST_CASE("cancel before start: the job is cancelled and never runs") {
  HubFixture f;
  auto& device = f.AddOnlineDevice("d1");
  REQUIRE(f.CreateJob("c1", MethodJob("*", {{"startTime", domain::FormatUtc(testing::kT0.PlusSeconds(600))}})).ok());
  f.clock.AdvanceSeconds(1);
  const auto cancelled = f.hub->CancelJob("c1");
  REQUIRE(cancelled.ok());
  CHECK((*cancelled)["status"] == "cancelled");
  f.clock.AdvanceSeconds(3600);
  CHECK(f.Job("c1")["status"] == "cancelled");
  CHECK(device.calls.empty());
  CHECK(f.DeviceJobs("c1").empty());
}

TEST_CASE("cancel of a running job is refused and the job goes on") {
  HubFixture f;
  f.AddOnlineDevice("slow", {.latency_ms = 10'000});
  REQUIRE(f.CreateJob("r1", MethodJob("*")).ok());
  f.clock.AdvanceSeconds(1);
  REQUIRE(f.Job("r1")["status"] == "running");
  const auto refused = f.hub->CancelJob("r1");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().http_status() == 400);
  f.clock.AdvanceSeconds(10);
  CHECK(f.Job("r1")["status"] == "completed");
}

TEST_CASE("an offline device that connects within the window gets the call") {
  HubFixture f;
  auto& device = f.AddOfflineDevice("late");
  REQUIRE(f.CreateJob("j", MethodJob("*")).ok());
  f.clock.AdvanceSeconds(60);
  CHECK(f.Job("j")["status"] == "running");
  CHECK(f.DeviceJobs("j")[0]["status"] == "pending");
  CHECK(f.Job("j")["deviceJobStatistics"]["pendingCount"] == 1);
  f.devices.Connect("late");
  f.clock.AdvanceSeconds(1);
  CHECK(device.calls.size() == 1);
  CHECK(f.Job("j")["status"] == "completed");
  CHECK(f.Job("j")["deviceJobStatistics"]["succeededCount"] == 1);
}

// A direct method call through the methods port; the answer lands in the returned slot.
std::shared_ptr<std::optional<domain::Result<domain::MethodResult>>> DirectCall(HubFixture& f, const std::string& id,
                                                                                std::string method,
                                                                                std::int64_t connect_timeout) {
  domain::MethodRequest request;
  request.method_name = std::move(method);
  request.connect_timeout_seconds = connect_timeout;
  auto answer = std::make_shared<std::optional<domain::Result<domain::MethodResult>>>();
  f.hub->InvokeMethod(offhub::ports::Identity::Device(id), request, [answer](auto result) { *answer = std::move(result); });
  return answer;
}

TEST_CASE("one waiting list: a direct call and a job's call for one offline device both go out when it subscribes") {
  HubFixture f;
  auto& device = f.AddOfflineDevice("late");
  REQUIRE(f.CreateJob("j", MethodJob("*")).ok());
  f.clock.AdvanceSeconds(1);
  const auto answer = DirectCall(f, "late", "reboot", 30);
  f.clock.AdvanceSeconds(10);
  CHECK(device.calls.empty());
  CHECK_FALSE(answer->has_value());
  f.devices.Connect("late");
  f.clock.AdvanceSeconds(1);
  REQUIRE(device.calls.size() == 2);
  CHECK(device.calls[0].method_name == "lockDoor");  // placed first, sent first
  CHECK(device.calls[1].method_name == "reboot");
  REQUIRE(answer->has_value());
  CHECK((*answer)->ok());
  CHECK(f.Job("j")["status"] == "completed");
}

TEST_CASE("a direct call waiting for an offline device ends 404103 at its connect timeout; the job's call waits on") {
  HubFixture f;
  auto& device = f.AddOfflineDevice("late");
  REQUIRE(f.CreateJob("j", MethodJob("*", {{"maxExecutionTimeInSeconds", 120}})).ok());
  f.clock.AdvanceSeconds(1);
  const auto answer = DirectCall(f, "late", "reboot", 5);
  f.clock.AdvanceSeconds(6);
  REQUIRE(answer->has_value());
  REQUIRE_FALSE((*answer)->ok());
  CHECK((*answer)->error().code() == domain::ErrorCode::DeviceNotOnline);
  f.devices.Connect("late");
  f.clock.AdvanceSeconds(1);
  REQUIRE(device.calls.size() == 1);
  CHECK(device.calls[0].method_name == "lockDoor");
  CHECK(f.Job("j")["deviceJobStatistics"]["succeededCount"] == 1);
}

TEST_CASE("after the window closes, a device that connects gets no call from the job") {
  HubFixture f;
  auto& device = f.AddOfflineDevice("late");
  REQUIRE(f.CreateJob("j", MethodJob("*", {{"maxExecutionTimeInSeconds", 60}})).ok());
  f.clock.AdvanceSeconds(61);
  CHECK(f.Job("j")["status"] == "completed");
  f.devices.Connect("late");
  f.clock.AdvanceSeconds(1);
  CHECK(device.calls.empty());
  CHECK(f.DeviceJobs("j")[0]["error"]["code"] == "JobRunPreconditionFailed");
}

TEST_CASE("a job targets exactly what a query with its condition returns") {
  HubFixture f;
  for (const char* id : {"q1-abc-1", "q1-abc-2", "q1-xyz-3"}) f.AddOnlineDevice(id);
  REQUIRE(f.CreateJob("j", TwinJob("STARTSWITH(deviceId, 'q1-abc')")).ok());
  f.clock.AdvanceSeconds(1);
  const json records = f.DeviceJobs("j");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["deviceId"] == "q1-abc-1");
  CHECK(records[1]["deviceId"] == "q1-abc-2");
  CHECK(f.Job("j")["status"] == "completed");
  const auto queried = f.hub->Query("SELECT deviceId FROM devices WHERE STARTSWITH(deviceId, 'q1-abc')", {});
  REQUIRE(queried.ok());
  CHECK(queried->items.size() == records.size());
}

TEST_CASE("a device that never connects fails when the window ends") {
  HubFixture f;
  f.AddDevice("never");
  f.AddOnlineDevice("ok");
  REQUIRE(f.CreateJob("j", MethodJob("*", {{"maxExecutionTimeInSeconds", 100}})).ok());
  f.clock.AdvanceSeconds(99);
  CHECK(f.Job("j")["status"] == "running");
  f.clock.AdvanceSeconds(2);
  const json job = f.Job("j");
  CHECK(job["status"] == "completed");
  CHECK(job["deviceJobStatistics"]["failedCount"] == 1);
  CHECK(job["deviceJobStatistics"]["succeededCount"] == 1);
  const json records = f.DeviceJobs("j");
  const json& never = records[0]["deviceId"] == "never" ? records[0] : records[1];
  CHECK(never["status"] == "failed");
  CHECK(never["error"]["code"] == "JobRunPreconditionFailed");
  CHECK(never["error"]["description"] ==
        "The job did not start within specified period: either device did not come online or invalid endTime specified.");
}

TEST_CASE("a device slower than the response timeout fails with the timeout") {
  HubFixture f;
  f.AddOnlineDevice("slow", {.latency_ms = 20'000});
  REQUIRE(f.CreateJob("j", MethodJob("*")).ok());  // response timeout 15 s
  f.clock.AdvanceSeconds(16);
  CHECK(f.Job("j")["status"] == "completed");
  const json record = f.DeviceJobs("j")[0];
  CHECK(record["status"] == "failed");
  CHECK(record["error"]["code"] == "GatewayTimeout");
  CHECK(f.devices.pending_answers() == 0);  // the hub told the channel to forget the call
}

TEST_CASE("1,000 fake devices with mixed outcomes: statistics match the records exactly") {
  HubFixture f({.max_in_flight_per_job = 64});
  int expect_ok = 0, expect_failed = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "dev" + std::to_string(1000 + i);
    switch (i % 4) {
      case 0: f.AddOnlineDevice(id, {.status = 200, .latency_ms = i % 50}); ++expect_ok; break;
      case 1: f.AddOnlineDevice(id, {.status = 500, .payload = {{"error", "jammed"}}}); ++expect_ok; break;
      case 2: f.AddOnlineDevice(id, {.never_answers = true}); ++expect_failed; break;
      case 3: f.AddDevice(id); ++expect_failed; break;  // offline for good
    }
  }
  REQUIRE(f.CreateJob("fleet", MethodJob("*", {{"maxExecutionTimeInSeconds", 120}})).ok());
  f.clock.AdvanceSeconds(1);
  const json running = f.Job("fleet")["deviceJobStatistics"];
  CHECK(running["deviceCount"] == 1000);
  f.clock.AdvanceSeconds(200);
  const json job = f.Job("fleet");
  CHECK(job["status"] == "completed");
  CHECK(job["deviceJobStatistics"] == json{{"deviceCount", 1000}, {"failedCount", expect_failed},
                                             {"succeededCount", expect_ok}, {"runningCount", 0}, {"pendingCount", 0}});
  // Statistics are the records, counted.
  std::map<std::string, int> by_status;
  json page;
  domain::Result<ports::QueryPage> p = f.hub->Query("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'fleet'", {});
  int total = 0;
  while (true) {
    REQUIRE(p.ok());
    for (const auto& r : p->items) ++by_status[r["status"].get<std::string>()], ++total;
    if (!p->continuation) break;
    p = f.hub->Query("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'fleet'", {0, p->continuation});
  }
  CHECK(total == 1000);
  CHECK(by_status["completed"] == expect_ok);
  CHECK(by_status["failed"] == expect_failed);
}

TEST_CASE("method calls of a job are pipelined with a bounded number in flight") {
  HubFixture f({.max_in_flight_per_job = 8});
  for (int i = 0; i < 40; ++i) f.AddOnlineDevice("d" + std::to_string(i), {.latency_ms = 1000});
  REQUIRE(f.CreateJob("p", MethodJob("*")).ok());
  f.clock.RunDue();
  CHECK(f.devices.pending_answers() == 8);
  CHECK(f.Job("p")["deviceJobStatistics"]["runningCount"] == 8);
  f.clock.AdvanceMillis(1000);
  CHECK(f.devices.pending_answers() == 8);
  CHECK(f.Job("p")["deviceJobStatistics"]["succeededCount"] == 8);
  f.clock.AdvanceSeconds(10);
  CHECK(f.Job("p")["status"] == "completed");
  CHECK(f.Job("p")["deviceJobStatistics"]["succeededCount"] == 40);
}

TEST_CASE("a device that joins after the job started is not included") {
  HubFixture f;
  f.AddOnlineDevice("early", {.latency_ms = 5000});
  REQUIRE(f.CreateJob("j", MethodJob("*")).ok());
  f.clock.AdvanceSeconds(1);
  auto& late = f.AddOnlineDevice("late");
  f.clock.AdvanceSeconds(10);
  CHECK(f.Job("j")["deviceJobStatistics"]["deviceCount"] == 1);
  CHECK(late.calls.empty());
}

TEST_CASE("a twin job bumps desired $version and notifies connected devices only") {
  HubFixture f;
  auto& online = f.AddOnlineDevice("on");
  f.AddDevice("off");
  auto& offline = f.devices.Script("off");
  REQUIRE(f.CreateJob("t", TwinJob("*")).ok());
  f.clock.AdvanceSeconds(1);
  CHECK(f.Job("t")["deviceJobStatistics"]["succeededCount"] == 2);
  for (const char* id : {"on", "off"}) {
    const json twin = *f.hub->GetTwin(offhub::ports::Identity::Device(id));
    CHECK(twin["properties"]["desired"]["$version"] == 2);
    CHECK(twin["properties"]["desired"]["floor"] == 3);
  }
  CHECK(online.desired_updates.size() == 1);
  CHECK(offline.desired_updates.empty());
  CHECK(f.DeviceJobs("t")[0]["outcome"] == json::object());
}

TEST_CASE("query conditions select by tags; an invalid condition fails the job") {
  HubFixture f;
  auto& in43 = f.AddOnlineDevice("a");
  auto& other = f.AddOnlineDevice("b");
  REQUIRE(f.hub->PatchTwin(offhub::ports::Identity::Device("a"), {{"tags", {{"building", "43"}}}}, "*").ok());
  REQUIRE(f.hub->PatchTwin(offhub::ports::Identity::Device("b"), {{"tags", {{"building", "44"}}}}, "*").ok());
  REQUIRE(f.CreateJob("sel", MethodJob("tags.building = '43'")).ok());
  REQUIRE(f.CreateJob("bad", MethodJob("deviceId IN ['a'")).ok());
  f.clock.AdvanceSeconds(1);
  CHECK(in43.calls.size() == 1);
  CHECK(other.calls.empty());
  const json bad = f.Job("bad");
  CHECK(bad["status"] == "failed");
  CHECK(bad["failureReason"].get<std::string>().find("query") != std::string::npos);
}

TEST_CASE("a jobId that is reused is refused; jobs are listed by type and status") {
  HubFixture f;
  f.AddOnlineDevice("d");
  REQUIRE(f.CreateJob("once", MethodJob("*")).ok());
  const auto again = f.CreateJob("once", TwinJob("*"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().http_status() == 409);
  REQUIRE(f.CreateJob("twin", TwinJob("*")).ok());
  f.clock.AdvanceSeconds(1);
  const auto methods = f.hub->ListJobs({"ScheduleDeviceMethod", "completed"}, {});
  REQUIRE(methods.ok());
  REQUIRE(methods->items.size() == 1);
  CHECK(methods->items[0]["jobId"] == "once");
  CHECK(f.hub->ListJobs({}, {})->items.size() == 2);
  CHECK(f.hub->ListJobs({std::nullopt, "finished"}, {})->items.empty());
  const auto paged = f.hub->ListJobs({}, {1, std::nullopt});
  REQUIRE(paged.ok());
  CHECK(paged->items.size() == 1);
  REQUIRE(paged->continuation);
  const auto rest = f.hub->ListJobs({}, {1, paged->continuation});
  CHECK(rest->items.size() == 1);
  CHECK_FALSE(rest->continuation);
  CHECK(f.hub->ListJobs({}, {1, std::string("garbage!")}).error().http_status() == 400);
  CHECK(f.hub->GetJob("nope").error().code() == domain::ErrorCode::JobNotFound);
}

TEST_CASE("jobs survive a restart on the same store and finish afterwards") {
  HubFixture f;
  f.AddOnlineDevice("d");
  REQUIRE(f.CreateJob("later", MethodJob("*", {{"startTime", domain::FormatUtc(testing::kT0.PlusSeconds(60))}})).ok());
  f.clock.AdvanceSeconds(1);
  f.Rebuild();
  CHECK(f.Job("later")["status"] == "scheduled");
  CHECK(f.hub->GetIdentity(offhub::ports::Identity::Device("d")).ok());
  f.devices.Connect("d");
  f.clock.AdvanceSeconds(120);
  CHECK(f.Job("later")["status"] == "completed");
  CHECK(f.Job("later")["deviceJobStatistics"]["succeededCount"] == 1);
}

TEST_CASE("a job over modules: FROM devices.modules calls each matching module on its own connection") {
  HubFixture f;
  for (const char* device : {"gw1", "gw2"}) {
    f.AddDevice(device);
    for (const char* module : {"m1", "m2"}) {
      REQUIRE(f.hub->PutIdentity(*domain::ParseModuleSpec(json::object(), device, module), std::nullopt).ok());
    }
  }
  auto& gw1_m1 = f.devices.Script("gw1/m1");
  f.devices.Connect("gw1/m1");
  auto& gw2_m1 = f.devices.Script("gw2/m1");  // offline until later
  auto& gw1_m2 = f.devices.Script("gw1/m2");
  f.devices.Connect("gw1/m2");
  REQUIRE(f.CreateJob("mj", MethodJob("FROM devices.modules WHERE moduleId = 'm1'")).ok());
  f.clock.AdvanceSeconds(1);
  CHECK(gw1_m1.calls.size() == 1);
  CHECK(gw1_m2.calls.empty());
  CHECK(f.Job("mj")["status"] == "running");
  f.devices.Connect("gw2/m1");
  f.clock.AdvanceSeconds(1);
  CHECK(gw2_m1.calls.size() == 1);
  const json job = f.Job("mj");
  CHECK(job["status"] == "completed");
  CHECK(job["deviceJobStatistics"]["deviceCount"] == 2);
  CHECK(job["deviceJobStatistics"]["succeededCount"] == 2);
  const json records = f.DeviceJobs("mj");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["deviceId"] == "gw1");
  CHECK(records[0]["moduleId"] == "m1");
  CHECK(records[1]["deviceId"] == "gw2");
  CHECK(records[1]["moduleId"] == "m1");
  CHECK(records[1]["status"] == "completed");

  // The records, with their module ids, survive a restart.
  f.Rebuild();
  CHECK(f.DeviceJobs("mj") == records);
}

TEST_CASE("a twin job over modules patches the module twins, not the devices'") {
  HubFixture f;
  f.AddDevice("gw");
  REQUIRE(f.hub->PutIdentity(*domain::ParseModuleSpec(json::object(), "gw", "cam"), std::nullopt).ok());
  REQUIRE(f.hub->PutIdentity(*domain::ParseModuleSpec(json::object(), "gw", "mic"), std::nullopt).ok());
  REQUIRE(f.CreateJob("tj", TwinJob("FROM devices.modules WHERE moduleId IN ['cam']")).ok());
  f.clock.AdvanceSeconds(1);
  CHECK(f.Job("tj")["status"] == "completed");
  CHECK((*f.hub->GetTwin(offhub::ports::Identity::Module("gw", "cam")))["properties"]["desired"]["building"] == "43");
  CHECK_FALSE((*f.hub->GetTwin(offhub::ports::Identity::Module("gw", "mic")))["properties"]["desired"].contains("building"));
  CHECK_FALSE((*f.hub->GetTwin(offhub::ports::Identity::Device("gw")))["properties"]["desired"].contains("building"));
  const json records = f.DeviceJobs("tj");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["moduleId"] == "cam");
}

TEST_CASE("job conditions in FROM form: devices work, devices.jobs and aggregates fail the job") {
  HubFixture f;
  f.AddOnlineDevice("d1");
  REQUIRE(f.CreateJob("ok", MethodJob("from devices where deviceId = 'd1'")).ok());
  REQUIRE(f.CreateJob("jobs", MethodJob("FROM devices.jobs")).ok());
  REQUIRE(f.CreateJob("agg", MethodJob("FROM devices GROUP BY status")).ok());
  f.clock.AdvanceSeconds(1);
  CHECK(f.Job("ok")["status"] == "completed");
  CHECK(f.Job("ok")["deviceJobStatistics"]["succeededCount"] == 1);
  CHECK_FALSE(f.DeviceJobs("ok")[0].contains("moduleId"));
  for (const char* id : {"jobs", "agg"}) {
    CAPTURE(id);
    CHECK(f.Job(id)["status"] == "failed");
  }
}

// A job's start runs in steps on the event loop (issue: jobs at scale), so a
// job over many devices does not hold the loop for one long turn.
TEST_CASE("a job over 5,000 devices starts in steps: queued, then running with every record at once") {
  HubFixture f;
  for (int i = 0; i < 5000; ++i) f.AddDevice("s" + std::to_string(i));
  REQUIRE(f.CreateJob("steps", TwinJob("*")).ok());
  int turns = 0;
  while (f.Job("steps")["status"] != "running" && turns < 100) {
    CHECK(f.Job("steps")["status"] == "queued");
    CHECK(f.DeviceJobs("steps").empty());  // no record shows before the job runs
    f.clock.RunDueOnce();
    ++turns;
  }
  // 50 pages of targets, 10 per turn; 5,000 records, 2,000 per turn; then the job.
  CHECK(turns >= 5 + 3);
  CHECK(f.Job("steps")["status"] == "running");
  f.clock.RunDue();
  CHECK(f.Job("steps")["status"] == "completed");
  CHECK(f.Job("steps")["deviceJobStatistics"]["succeededCount"] == 5000);
}

TEST_CASE("a job canceled while it starts never runs and leaves no records, also after a restart") {
  HubFixture f;
  for (int i = 0; i < 3000; ++i) f.AddDevice("c" + std::to_string(i));
  REQUIRE(f.CreateJob("halfway", TwinJob("*")).ok());
  for (int i = 0; i < 4; ++i) f.clock.RunDueOnce();  // targets selected, a batch of records stored
  REQUIRE(f.Job("halfway")["status"] == "queued");
  REQUIRE(f.hub->CancelJob("halfway").ok());
  f.clock.RunDue();
  CHECK(f.Job("halfway")["status"] == "cancelled");
  CHECK(f.DeviceJobs("halfway").empty());
  f.Rebuild();
  CHECK(f.DeviceJobs("halfway").empty());
}

TEST_CASE("records an interrupted start left are not the job's: after a restart it starts again over what matches then") {
  HubFixture f;
  for (int i = 0; i < 3000; ++i) f.AddDevice("r" + std::to_string(i));
  REQUIRE(f.CreateJob("again", TwinJob("*")).ok());
  for (int i = 0; i < 4; ++i) f.clock.RunDueOnce();  // some records stored, the job still queued: a crash here
  f.Rebuild();
  CHECK(f.Job("again")["status"] == "queued");
  CHECK(f.DeviceJobs("again").empty());
  REQUIRE(f.hub->DeleteIdentity(offhub::ports::Identity::Device("r0"), "*").ok());  // no longer matches
  f.clock.RunDue();
  CHECK(f.Job("again")["status"] == "completed");
  CHECK(f.Job("again")["deviceJobStatistics"]["succeededCount"] == 2999);
  const auto records = f.hub->Query("SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'r0'", {});
  REQUIRE(records.ok());
  CHECK(records->items.empty());
}

TEST_CASE("a window closing over 5,000 unfinished records closes them in steps; a restart in between closes the rest") {
  HubFixture f;
  for (int i = 0; i < 5000; ++i) f.AddDevice("w" + std::to_string(i));  // offline: their calls wait
  REQUIRE(f.CreateJob("late", MethodJob("*", {{"maxExecutionTimeInSeconds", 100}})).ok());
  f.clock.RunDue();
  REQUIRE(f.Job("late")["status"] == "running");
  f.clock.SetNow(f.clock.Now().PlusSeconds(101));
  f.clock.RunDueOnce();  // the deadline: the first 2,000 records close in one transaction
  CHECK(f.Job("late")["status"] == "running");
  CHECK(f.Job("late")["deviceJobStatistics"]["failedCount"] == 2000);
  CHECK(f.Job("late")["deviceJobStatistics"]["pendingCount"] == 3000);
  f.Rebuild();  // a crash between two steps
  CHECK(f.Job("late")["deviceJobStatistics"]["failedCount"] == 2000);
  f.clock.RunDue();
  CHECK(f.Job("late")["status"] == "completed");
  CHECK(f.Job("late")["deviceJobStatistics"]["failedCount"] == 5000);
  CHECK(f.Job("late")["deviceJobStatistics"]["pendingCount"] == 0);
}
