// The door-lock tutorial's service logic in process (what `--hub embedded`
// runs), against LocalHub and simulated devices on the manual clock.
#include "apps/lib/door_lock.hpp"
#include "tests/emulator/hub_fixture.hpp"

using namespace offhub;
using nlohmann::json;

namespace {
std::optional<apps::DoorLockJobsOutcome> Run(testing::HubFixture& f, apps::DoorLockJobsOptions options,
                                             std::int64_t seconds, std::vector<std::string>* lines = nullptr) {
  auto outcome = std::make_shared<std::optional<apps::DoorLockJobsOutcome>>();
  apps::RunDoorLockJobs(*f.hub, f.clock, std::move(options),
                        [lines](const std::string& line) { if (lines) lines->push_back(line); },
                        [outcome](apps::DoorLockJobsOutcome o) { outcome->emplace(std::move(o)); });
  f.clock.AdvanceSeconds(seconds);
  return *outcome;
}
}  // namespace

TEST_CASE("both tutorial jobs complete and the device locks and gets building 43, floor 3") {
  testing::HubFixture f;
  auto& device = f.AddOnlineDevice("myDeviceId");
  std::vector<std::string> lines;
  const auto outcome = Run(f, {.job_id_suffix = "-1"}, 10, &lines);
  REQUIRE(outcome);
  CHECK(outcome->succeeded());
  CHECK(outcome->method_job["jobId"] == "lockDoor-1");
  CHECK(outcome->method_job["status"] == "completed");
  CHECK(outcome->twin_job["deviceJobStatistics"]["succeededCount"] == 1);
  REQUIRE(device.calls.size() == 1);
  CHECK(device.calls[0].method_name == "lockDoor");
  REQUIRE(device.desired_updates.size() == 1);
  CHECK(device.desired_updates[0].body["building"] == "43");
  CHECK_FALSE(lines.empty());
  CHECK(lines.back().find("completed  1 device(s): 1 succeeded") != std::string::npos);
}

TEST_CASE("an offline device makes the method job fail at the window's end: not a success") {
  testing::HubFixture f;
  f.AddDevice("myDeviceId");
  auto outcome = std::make_shared<std::optional<apps::DoorLockJobsOutcome>>();
  apps::RunDoorLockJobs(*f.hub, f.clock, {.job_id_suffix = "-2", .max_execution_seconds = 60}, [](const std::string&) {},
                        [outcome](apps::DoorLockJobsOutcome o) { outcome->emplace(std::move(o)); });
  f.clock.AdvanceSeconds(30);
  CHECK_FALSE(outcome->has_value());  // still pending: the device may come online
  f.clock.AdvanceSeconds(40);
  REQUIRE(outcome->has_value());
  CHECK_FALSE((*outcome)->succeeded());
  CHECK((*outcome)->method_job["deviceJobStatistics"]["failedCount"] == 1);
  CHECK((*outcome)->twin_job["deviceJobStatistics"]["succeededCount"] == 1);
}

TEST_CASE("a bad query condition ends with the job failed, and the outcome says so") {
  testing::HubFixture f;
  f.AddOnlineDevice("myDeviceId");
  const auto outcome = Run(f, {.query_condition = "deviceId IN ['myDeviceId'", .job_id_suffix = "-3"}, 5);
  REQUIRE(outcome);
  CHECK_FALSE(outcome->succeeded());
  CHECK(outcome->method_job["status"] == "failed");
}

TEST_CASE("a refused job is reported as the hub's error") {
  testing::HubFixture f;
  const auto outcome = Run(f, {.query_condition = "", .job_id_suffix = "-4"}, 1);
  REQUIRE(outcome);
  REQUIRE(outcome->error);
  CHECK(outcome->error->http_status() == 400);
  CHECK_FALSE(outcome->succeeded());
}

TEST_CASE("progress lines name status and counts") {
  CHECK(apps::ProgressLine(json::parse(R"({"jobId":"j","status":"running","deviceJobStatistics":{"deviceCount":4,"succeededCount":1,"failedCount":1,"runningCount":1,"pendingCount":1}})")) ==
        "j running  4 device(s): 1 succeeded, 1 failed, 1 running, 1 pending");
  CHECK(apps::ProgressLine(json::object()) == "? ?  0 device(s): 0 succeeded, 0 failed, 0 running, 0 pending");
}
