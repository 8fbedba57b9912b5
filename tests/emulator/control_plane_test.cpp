// The test-control plane (/offhub/v1/ and --seed, --clock) against the
// emulator process, with raw HTTP and MQTT clients.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

#include "tests/emulator/process_fixture.hpp"

using namespace offhub;
using namespace offhub::testing;

namespace {

constexpr std::string_view kKey1 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
constexpr std::string_view kKey2 = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

const std::string kSeed = std::string(R"({"devices":[
  {"deviceId":"lock1","keys":{"primaryKey":")") + std::string(kKey1) + R"(","secondaryKey":")" + std::string(kKey2) + R"("},
   "tags":{"site":"north"},"desired":{"mode":"locked"},"reported":{"fw":"1.0"},
   "modules":[{"moduleId":"cam","keys":{"primaryKey":")" + std::string(kKey2) + R"(","secondaryKey":")" + std::string(kKey1) + R"("}}]},
  {"deviceId":"lock2","status":"disabled"}]})";

std::filesystem::path WriteFile(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("offhub-control-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path;
}

json Get(int port, const std::string& target) {
  const auto response = Request(port, http::verb::get, target);
  REQUIRE(response.result_int() == 200);
  return json::parse(response.body());
}

// The emulator started with `args` only to fail: its exit status and stderr.
std::pair<int, std::string> FailedStart(const std::vector<std::string>& args) {
  const auto err = std::filesystem::temp_directory_path() / ("offhub-control-err-" + std::to_string(::getpid()));
  std::string command = OFFHUB_EMULATOR_PATH;
  for (const auto& a : args) command += " '" + a + "'";
  command += " --http-port 0 --https-port 0 --mqtt-port 0 --mqtts-port 0 2>" + err.string() + " >/dev/null";
  const int status = std::system(command.c_str());
  std::ifstream in(err);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(err);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// A device that answers every direct method 200 {"answered":"<name>"} from its own thread.
class AnsweringDevice {
 public:
  AnsweringDevice(int port, const std::string& id, std::string_view key) : work_(asio::make_work_guard(io_)) {
    auto options = DeviceOptions(port, id, std::string(key));
    iothub::MqttHandlers handlers;
    handlers.on_connect = [this](int rc) {
      connack = rc;
      if (rc == 0) mqtt_->Subscribe("$iothub/methods/POST/#", 0);
    };
    handlers.on_subscribe = [this](int, int) { subscribed = true; };
    handlers.on_message = [this](std::string_view topic, std::string_view, int) {
      // $iothub/methods/POST/{name}/?$rid={rid}
      const auto name_start = std::string_view("$iothub/methods/POST/").size();
      const auto name = topic.substr(name_start, topic.find('/', name_start) - name_start);
      const auto rid = topic.substr(topic.find("$rid=") + 5);
      mqtt_->Publish("$iothub/methods/res/200/?$rid=" + std::string(rid), R"({"answered":")" + std::string(name) + "\"}", 0);
      ++calls;
    };
    handlers.on_disconnect = [this](int) { disconnects += 1; };
    mqtt_ = std::make_unique<iothub::MqttConnection>(io_, options, handlers);
    mqtt_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~AnsweringDevice() {
    asio::post(io_, [this] {
      mqtt_->Stop();
      work_.reset();
    });
    thread_.join();
  }
  bool WaitSubscribed() {
    for (int i = 0; i < 500 && !subscribed; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return subscribed;
  }

  std::atomic<int> connack{-1};
  std::atomic<bool> subscribed{false};
  std::atomic<int> calls{0};
  std::atomic<int> disconnects{0};

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<iothub::MqttConnection> mqtt_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("the control plane answers only iothubowner-like policies, in IoT Hub's envelope") {
  EmulatorProcess emulator;
  const int port = emulator.http_port();
  const auto without = RawRequest(port, "GET /offhub/v1/state HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(without);
  CHECK(without->result_int() == 401);
  const auto read_only = emulator::rest::WellKnownPolicies();
  for (const auto& policy : read_only) {
    const bool both = (policy.permissions & emulator::rest::kRegistryWrite) && (policy.permissions & emulator::rest::kServiceConnect);
    const auto token = iothub::MakeSasToken("localhost", policy.primary_key, NowSeconds() + 60, policy.name).value();
    const auto answer = Request(port, http::verb::get, "/offhub/v1/clock", "", {{"Authorization", token}});
    CHECK_MESSAGE(answer.result_int() == (both ? 200 : 401), policy.name);
  }
  CHECK(Request(port, http::verb::get, "/offhub/v1/nothing").result_int() == 404);
  CHECK(Request(port, http::verb::delete_, "/offhub/v1/state").result_int() == 405);
  CHECK(Request(port, http::verb::get, "/offhub/v1/reset").result_int() == 405);
  const auto real = Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":5})");
  CHECK(real.result_int() == 409);
  CHECK(real["iothub-errorcode"] == "ClockNotManual");
  const auto bad_mode = Request(port, http::verb::put, "/offhub/v1/clock", R"({"mode":"slow"})");
  CHECK(bad_mode.result_int() == 400);
  CHECK(bad_mode.body().find("'mode'") != std::string::npos);
  const auto bad_doc = Request(port, http::verb::put, "/offhub/v1/state", R"({"devices":[{"deviceId":"a"},{"deviceId":"b","keys":{"primaryKey":"short"}}]})");
  CHECK(bad_doc.result_int() == 400);
  CHECK(bad_doc.body().find("$.devices[1].keys.primaryKey") != std::string::npos);
  CHECK(Get(port, "/offhub/v1/state")["devices"].empty());  // all or nothing: "a" is not there either
  const auto typo = Request(port, http::verb::put, "/offhub/v1/state", R"({"devices":[{"deviceId":"a","tag":{}}]})");
  CHECK(typo.result_int() == 400);
  CHECK(typo.body().find("$.devices[0].tag: unknown field") != std::string::npos);
  CHECK(emulator.Alive());
}

TEST_CASE("a bad seed stops the emulator at start with the file, the JSON path and the reason, exit 2") {
  const auto duplicate = WriteFile("dup.json", R"({"devices":[{"deviceId":"d"},{"deviceId":"d"}]})");
  auto [status, err] = FailedStart({"--seed", duplicate.string()});
  CHECK(status == 2);
  CHECK(err.find(duplicate.string()) != std::string::npos);
  CHECK(err.find("$.devices[1].deviceId: 'd' is defined more than once") != std::string::npos);
  const auto bad_key = WriteFile("key.json", R"({"devices":[{"deviceId":"d","keys":{"primaryKey":"!!"}}]})");
  std::tie(status, err) = FailedStart({"--seed", bad_key.string()});
  CHECK(status == 2);
  CHECK(err.find("$.devices[0].keys.primaryKey") != std::string::npos);
  const auto broken = WriteFile("broken.json", R"({"devices":[)");
  std::tie(status, err) = FailedStart({"--seed", broken.string()});
  CHECK(status == 2);
  CHECK(err.find(broken.string()) != std::string::npos);
  std::tie(status, err) = FailedStart({"--clock", "manual=yesterday"});
  CHECK(status == 2);
  for (const auto& f : {duplicate, bad_key, broken}) std::filesystem::remove(f);
}

TEST_CASE("seed: a device connects with the seed's key at once; reset returns to the seed, export and import round-trip") {
  const auto seed = WriteFile("seed.json", kSeed);
  EmulatorProcess emulator({"--seed", seed.string()});
  const int port = emulator.http_port();
  const json twin = Get(port, "/twins/lock1?api-version=2021-04-12");
  CHECK(twin["tags"]["site"] == "north");
  CHECK(twin["properties"]["desired"]["mode"] == "locked");
  CHECK(twin["properties"]["reported"]["fw"] == "1.0");
  CHECK(Get(port, "/devices/lock2?api-version=2021-04-12")["status"] == "disabled");
  CHECK(Get(port, "/devices/lock1/modules/cam?api-version=2021-04-12")["authentication"]["symmetricKey"]["primaryKey"] == kKey2);
  const std::string lock2_key = Get(port, "/devices/lock2?api-version=2021-04-12")["authentication"]["symmetricKey"]["primaryKey"];

  AnsweringDevice lock1(emulator.mqtt_port(), "lock1", kKey1);
  REQUIRE(lock1.WaitSubscribed());
  CHECK(lock1.connack == 0);

  // Changes, then reset: the seed again (generated keys as they were), the connected device still connected.
  CreateDevice(port, "extra");
  REQUIRE(Request(port, http::verb::patch, "/twins/lock1?api-version=2021-04-12", R"({"tags":{"site":"south"}})").result_int() == 200);
  const auto reset = Request(port, http::verb::post, "/offhub/v1/reset");
  REQUIRE(reset.result_int() == 200);
  CHECK(json::parse(reset.body()) == json{{"devices", 2}, {"modules", 1}, {"jobs", 0}});
  CHECK(Request(port, http::verb::get, "/devices/extra?api-version=2021-04-12").result_int() == 404);
  CHECK(Get(port, "/twins/lock1?api-version=2021-04-12")["tags"]["site"] == "north");
  CHECK(Get(port, "/devices/lock2?api-version=2021-04-12")["authentication"]["symmetricKey"]["primaryKey"] == lock2_key);
  CHECK(Get(port, "/twins/lock1?api-version=2021-04-12")["connectionState"] == "Connected");
  const auto call = Request(port, http::verb::post, "/twins/lock1/methods?api-version=2021-04-12",
                            R"({"methodName":"ping","responseTimeoutInSeconds":5})");
  CHECK(call.result_int() == 200);

  // A job and its records survive export -> reset -> import.
  REQUIRE(Request(port, http::verb::put, "/jobs/v2/tw?api-version=2021-04-12",
                  R"({"jobId":"tw","type":"scheduleUpdateTwin","queryCondition":"deviceId = 'lock1'",)"
                  R"("updateTwin":{"etag":"*","properties":{"desired":{"mode":"open"}}},"maxExecutionTimeInSeconds":60})")
              .result_int() == 200);
  for (int i = 0; i < 200 && Get(port, "/jobs/v2/tw?api-version=2021-04-12")["status"] != "completed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const json exported = Get(port, "/offhub/v1/state");
  CHECK(exported["jobs"].size() == 1);
  CHECK(exported["deviceJobs"].size() == 1);
  REQUIRE(Request(port, http::verb::put, "/offhub/v1/state", R"({"devices":[]})").result_int() == 200);
  CHECK(Get(port, "/offhub/v1/state") == json{{"devices", json::array()}, {"jobs", json::array()}, {"deviceJobs", json::array()}});
  // lock1's identity is gone: its connection is closed, and it cannot come back.
  for (int i = 0; i < 200 && lock1.disconnects == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(lock1.disconnects > 0);
  const auto imported = Request(port, http::verb::put, "/offhub/v1/state", exported.dump());
  REQUIRE(imported.result_int() == 200);
  CHECK(json::parse(imported.body())["jobs"] == 1);
  CHECK(Get(port, "/offhub/v1/state") == exported);
  CHECK(Get(port, "/jobs/v2/tw?api-version=2021-04-12")["status"] == "completed");
  CHECK(Get(port, "/twins/lock1?api-version=2021-04-12")["properties"]["desired"]["mode"] == "open");
  std::filesystem::remove(seed);
}

TEST_CASE("manual clock: a method job scheduled a day ahead runs when the clock is advanced a day, the device answering") {
  const auto seed = WriteFile("clock.json", kSeed);
  EmulatorProcess emulator({"--seed", seed.string(), "--clock", "manual=2030-01-01T00:00:00Z"});
  const int port = emulator.http_port();
  CHECK(Get(port, "/offhub/v1/clock") == json{{"mode", "manual"}, {"now", "2030-01-01T00:00:00.0000000Z"}});
  AnsweringDevice lock1(emulator.mqtt_port(), "lock1", kKey1);
  REQUIRE(lock1.WaitSubscribed());

  REQUIRE(Request(port, http::verb::put, "/jobs/v2/reboot?api-version=2021-04-12",
                  R"({"jobId":"reboot","type":"scheduleDeviceMethod","queryCondition":"deviceId IN ['lock1']",)"
                  R"("startTime":"2030-01-02T00:00:00Z","maxExecutionTimeInSeconds":3600,)"
                  R"("cloudToDeviceMethod":{"methodName":"reboot","payload":{},"responseTimeoutInSeconds":30}})")
              .result_int() == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(Get(port, "/jobs/v2/reboot?api-version=2021-04-12")["status"] == "scheduled");
  CHECK(lock1.calls == 0);

  const auto advanced = Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":86400})");
  REQUIRE(advanced.result_int() == 200);
  CHECK(json::parse(advanced.body())["now"] == "2030-01-02T00:00:00.0000000Z");
  // No waiting: the advance answered once the call was answered and the job done.
  const json job = Get(port, "/jobs/v2/reboot?api-version=2021-04-12");
  CHECK(job["status"] == "completed");
  CHECK(job["startTime"].get<std::string>().starts_with("2030-01-02T00:00:00"));
  CHECK(job["deviceJobStatistics"]["succeededCount"] == 1);
  CHECK(lock1.calls == 1);
  const auto records = Request(port, http::verb::post, "/devices/query?api-version=2021-04-12",
                               R"({"query":"SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'reboot'"})");
  REQUIRE(records.result_int() == 200);
  const json record = json::parse(records.body()).at(0);
  CHECK(record["status"] == "completed");
  CHECK(record["outcome"]["deviceMethodResponse"]["payload"]["answered"] == "reboot");
  CHECK(record["lastUpdatedDateTimeUtc"].get<std::string>().starts_with("2030-01-02T00:00:00"));

  // Frozen: time does not move by itself; resuming goes on from the instant reached.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(Get(port, "/offhub/v1/clock")["now"] == "2030-01-02T00:00:00.0000000Z");
  CHECK(Request(port, http::verb::put, "/offhub/v1/clock", R"({"mode":"manual","now":"2029-01-01T00:00:00Z"})").result_int() == 400);
  const json resumed = json::parse(Request(port, http::verb::put, "/offhub/v1/clock", R"({"mode":"real"})").body());
  CHECK(resumed["mode"] == "real");
  CHECK(resumed["now"].get<std::string>().starts_with("2030-01-02T00:00:0"));
  std::filesystem::remove(seed);
}

TEST_CASE("manual clock: an offline device's job record fails when the clock passes the job's window") {
  EmulatorProcess emulator({"--clock", "manual"});
  const int port = emulator.http_port();
  CreateDevice(port, "sleepy");
  REQUIRE(Request(port, http::verb::put, "/jobs/v2/late?api-version=2021-04-12",
                  R"({"jobId":"late","type":"scheduleDeviceMethod","queryCondition":"deviceId = 'sleepy'",)"
                  R"("maxExecutionTimeInSeconds":600,"cloudToDeviceMethod":{"methodName":"m","responseTimeoutInSeconds":30}})")
              .result_int() == 200);
  REQUIRE(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":599})").result_int() == 200);
  CHECK(Get(port, "/jobs/v2/late?api-version=2021-04-12")["status"] == "running");
  REQUIRE(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":1})").result_int() == 200);
  const json job = Get(port, "/jobs/v2/late?api-version=2021-04-12");
  CHECK(job["status"] == "completed");
  CHECK(job["deviceJobStatistics"]["failedCount"] == 1);
  // Four-digit years only: the clock stops short of year 10000.
  CHECK(Request(port, http::verb::put, "/offhub/v1/clock", R"({"mode":"manual","now":"9999-12-31T23:59:00Z"})").result_int() == 200);
  CHECK(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":120})").result_int() == 400);
  CHECK(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":30})").result_int() == 200);
}
