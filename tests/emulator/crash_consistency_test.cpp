// Crash-consistent jobs (hardening issue, finding 4): offhub-emulator with a
// data dir, killed with SIGKILL during a job's start, in the middle of a twin
// job and with a method call in flight, then started again on the same data
// dir. The job's device count always equals what its query matched, every
// matched twin ends patched, and a call in flight at the crash is sent again
// (the rule written in adapters/emulator/hub/job_engine.hpp). And the files
// holding every device's keys stay private, also across a SIGKILL.
#include "tests/emulator/process_fixture.hpp"

#include <sys/stat.h>

#include <fstream>

using namespace offhub;
using namespace offhub::testing;

namespace {

constexpr int kDevices = 1500;

json GetJson(int port, const std::string& target) {
  const auto response = Request(port, http::verb::get, target);
  REQUIRE(response.result_int() == 200);
  return json::parse(response.body());
}

// Polls the job until it is final or `seconds` pass.
json WaitForJob(int port, const std::string& id, int seconds = 30) {
  json job;
  for (int i = 0; i < seconds * 20; ++i) {
    job = GetJson(port, "/jobs/v2/" + id);
    if (job["status"] == "completed" || job["status"] == "failed" || job["status"] == "cancelled") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return job;
}

std::int64_t CountDevices(int port, const std::string& where) {
  const auto response = Request(port, http::verb::post, "/devices/query",
                                json{{"query", "SELECT COUNT() AS n FROM devices WHERE " + where}}.dump());
  REQUIRE(response.result_int() == 200);
  return json::parse(response.body())[0]["n"];
}

// The permission bits of `path`, or -1 when it does not exist.
int Mode(const std::filesystem::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<int>(info.st_mode & 07777) : -1;
}

}  // namespace

TEST_CASE("the data directory and the state files are owner-only; SIGKILL leaves no device keys behind") {
  EmulatorProcess emulator;
  CreateDevice(emulator.http_port(), "private-1");
  const auto data = emulator.dir() / "data";
  CHECK(Mode(data) == 0700);
  CHECK(Mode(data / "broker") == 0700);
  CHECK(Mode(data / "state.db") == 0600);
  CHECK(Mode(data / "state.db-wal") == 0600);
  CHECK(Mode(data / "state.db-shm") == 0600);
  CHECK(Mode(data / "broker" / "mosquitto.conf") == 0600);
  CHECK(Mode(data / "broker" / "device-keys.json") == -1);  // only while the broker starts

  emulator.Kill();
  // As an older version, or a kill while the broker started, would leave it.
  std::ofstream(data / "broker" / "device-keys.json") << R"({"private-1":{"primaryKey":"old"}})";
  emulator.Start();
  CHECK(Mode(data / "broker" / "device-keys.json") == -1);
  CHECK(Mode(data / "state.db") == 0600);
}

TEST_CASE("SIGKILL while a twin job starts or runs: after the restart the job covers every matched device") {
  EmulatorProcess emulator;
  const int port = emulator.http_port();
  {
    HttpClient client(port);
    for (int i = 0; i < kDevices; ++i) {
      const std::string id = "crash-" + std::to_string(i);
      REQUIRE(client.Send(http::verb::put, "/devices/" + id, json{{"deviceId", id}}.dump()).result_int() == 200);
    }
  }
  // Killed 0 to 40 ms after the job was accepted: before, during and after its start.
  for (const int delay_ms : {0, 2, 10, 40}) {
    CAPTURE(delay_ms);
    const std::string id = "twin-" + std::to_string(delay_ms);
    const json body = {{"type", "scheduleUpdateTwin"},
                       {"updateTwin", {{"etag", "*"}, {"properties", {{"desired", {{"round", delay_ms}}}}}}},
                       {"queryCondition", "*"},
                       {"maxExecutionTimeInSeconds", 300}};
    REQUIRE(Request(port, http::verb::put, "/jobs/v2/" + id, body.dump()).result_int() == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    emulator.Kill();
    emulator.Start();
    const json job = WaitForJob(port, id);
    CHECK(job["status"] == "completed");
    CHECK(job["deviceJobStatistics"]["deviceCount"] == kDevices);
    CHECK(job["deviceJobStatistics"]["succeededCount"] == kDevices);
    CHECK(CountDevices(port, "properties.desired.round = " + std::to_string(delay_ms)) == kDevices);
  }
}

TEST_CASE("SIGKILL with a method call in flight: the call is sent again after the restart and the job completes") {
  EmulatorProcess emulator;
  const int port = emulator.http_port();
  const std::string key = CreateDevice(port, "inflight");
  asio::io_context io;
  auto options = DeviceOptions(emulator.mqtt_port(), "inflight", key);
  options.reconnect = true;
  std::vector<std::string> calls;
  std::unique_ptr<iothub::MqttConnection> device;
  iothub::MqttHandlers handlers;
  handlers.on_connect = [&](int rc) {
    if (rc == 0) device->Subscribe("$iothub/methods/POST/#", 0);
  };
  handlers.on_message = [&](std::string_view topic, std::string_view, int) { calls.emplace_back(topic); };
  device = std::make_unique<iothub::MqttConnection>(io, options, handlers);
  device->Start();
  RunUntil(io, [&] { return false; }, std::chrono::seconds(1));  // connected and subscribed

  const json body = {{"type", "scheduleDeviceMethod"},
                     {"cloudToDeviceMethod", {{"methodName", "lockDoor"}, {"responseTimeoutInSeconds", 30}}},
                     {"queryCondition", "deviceId = 'inflight'"},
                     {"maxExecutionTimeInSeconds", 120}};
  REQUIRE(Request(port, http::verb::put, "/jobs/v2/inflight-job", body.dump()).result_int() == 200);
  REQUIRE(RunUntil(io, [&] { return calls.size() == 1; }));  // received, not answered
  emulator.Kill();
  emulator.Start();
  REQUIRE(RunUntil(io, [&] { return calls.size() == 2; }, std::chrono::seconds(15)));
  CHECK(calls[1].starts_with("$iothub/methods/POST/lockDoor/?$rid="));
  device->Publish("$iothub/methods/res/200/" + calls[1].substr(calls[1].find("?$rid=")), R"({"locked":true})", 0);
  RunUntil(io, [&] { return false; }, std::chrono::seconds(1));
  const json job = WaitForJob(port, "inflight-job", 10);
  CHECK(job["status"] == "completed");
  CHECK(job["deviceJobStatistics"]["succeededCount"] == 1);
  device->Stop();
}
