// The test-control plane (/offhub/v1/ and --seed, --clock) against the
// emulator process, with raw HTTP and MQTT clients.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <fstream>
#include <thread>

#include "adapters/asio/asio_clock.hpp"
#include "tests/emulator/answering_device.hpp"

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

}  // namespace

TEST_CASE("the control plane answers only iothubowner-like policies, in IoT Hub's envelope") {
  EmulatorProcess emulator;
  const int port = emulator.http_port();
  const auto without = RawRequest(port, "GET /offhub/v1/state HTTP/1.1\r\nHost: localhost\r\n\r\n");
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

namespace {

// A direct call to `device` over REST: the status and the body.
std::pair<int, std::string> Invoke(int port, const std::string& device, const std::string& method, int timeout = 5) {
  const auto response = Request(port, http::verb::post, "/twins/" + device + "/methods?api-version=2021-04-12",
                                R"({"methodName":")" + method + R"(","responseTimeoutInSeconds":)" + std::to_string(timeout) + "}");
  return {response.result_int(), response.body()};
}

json PutFaults(int port, const std::string& path, const std::string& body, int expected = 200) {
  const auto response = Request(port, http::verb::put, "/offhub/v1/devices/" + path + "/faults", body);
  REQUIRE_MESSAGE(response.result_int() == expected, response.body());
  return json::parse(response.body());
}

template <typename Predicate>
bool Eventually(Predicate predicate) {
  for (int i = 0; i < 300; ++i) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

}  // namespace

TEST_CASE("faults: method answers, drops and latency; desired and reported; the device itself untouched") {
  const auto seed = WriteFile("faults.json", kSeed);
  EmulatorProcess emulator({"--seed", seed.string()});
  const int port = emulator.http_port();
  AnsweringDevice lock1(emulator.mqtt_port(), "lock1", kKey1);
  REQUIRE(lock1.WaitSubscribed());

  // Bad bodies: 400 naming the field; unknown identities 404 with IoT Hub's codes.
  const auto bad = Request(port, http::verb::put, "/offhub/v1/devices/lock1/faults", R"({"methods":{"m":{"drop":true,"status":200}}})");
  CHECK(bad.result_int() == 400);
  CHECK(bad.body().find("$.methods[\\\"m\\\"].drop") != std::string::npos);
  CHECK(Request(port, http::verb::put, "/offhub/v1/devices/lock1/faults", R"({"reported":{"status":200}})").result_int() == 400);
  CHECK(Request(port, http::verb::put, "/offhub/v1/devices/lock1/faults", R"({"connect":"refused"})").result_int() == 400);
  CHECK(Request(port, http::verb::put, "/offhub/v1/devices/lock1/faults", R"({"methods":{"*":{"latencyMs":-1}}})").result_int() == 400);
  const auto unknown = Request(port, http::verb::put, "/offhub/v1/devices/nobody/faults", "{}");
  CHECK(unknown.result_int() == 404);
  CHECK(unknown.body().find("DeviceNotFound") != std::string::npos);
  const auto no_module = Request(port, http::verb::get, "/offhub/v1/devices/lock1/modules/nomod/faults");
  CHECK(no_module.result_int() == 404);
  CHECK(no_module.body().find("ModuleNotFound") != std::string::npos);
  CHECK(Get(port, "/offhub/v1/devices/lock1/faults") == json::object());

  const json set = PutFaults(port, "lock1", R"({"methods":{"reboot":{"status":500,"payload":{"error":"disk"}},
      "slow":{"latencyMs":400},"*":{"drop":true}},"desired":"drop","reported":{"status":429}})");
  CHECK(Get(port, "/offhub/v1/devices/lock1/faults") == set);
  CHECK(set["methods"]["reboot"] == json{{"status", 500}, {"payload", {{"error", "disk"}}}});

  // status: answered for the device, which never sees the call.
  const auto reboot = Invoke(port, "lock1", "reboot");
  CHECK(reboot.first == 200);
  CHECK(json::parse(reboot.second) == json{{"status", 500}, {"payload", {{"error", "disk"}}}});
  CHECK(lock1.calls == 0);
  // latency: the device answers, that much later.
  const auto started = std::chrono::steady_clock::now();
  const auto slow = Invoke(port, "lock1", "slow");
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(400));
  CHECK(slow.first == 200);
  CHECK(json::parse(slow.second)["payload"]["answered"] == "slow");
  CHECK(lock1.calls == 1);
  // "*": any other method is dropped; the caller gets IoT Hub's timeout.
  const auto dropped = Invoke(port, "lock1", "other", 5);
  CHECK(dropped.first == 504);
  CHECK(dropped.second.find("504101") != std::string::npos);
  CHECK(lock1.calls == 1);

  // desired: the twin changes, the device hears nothing.
  REQUIRE(Request(port, http::verb::patch, "/twins/lock1?api-version=2021-04-12", R"({"properties":{"desired":{"mode":"open"}}})")
              .result_int() == 200);
  // reported: refused with the fault's status, not stored.
  const std::string refused = lock1.ReportPatch(R"({"fw":"2.0"})", 7);
  CHECK(refused.starts_with("$iothub/twin/res/429/"));
  CHECK(Get(port, "/twins/lock1?api-version=2021-04-12")["properties"]["reported"]["fw"] == "1.0");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(lock1.desired == 0);

  // The export carries the faults; a reset clears them; the device is itself again.
  CHECK(Get(port, "/offhub/v1/state")["devices"][0]["faults"] == set);
  REQUIRE(Request(port, http::verb::post, "/offhub/v1/reset").result_int() == 200);
  CHECK(Get(port, "/offhub/v1/devices/lock1/faults") == json::object());
  CHECK(Invoke(port, "lock1", "reboot").first == 200);
  CHECK(lock1.calls == 2);
  CHECK(lock1.ReportPatch(R"({"fw":"2.0"})", 8).starts_with("$iothub/twin/res/204/"));
  REQUIRE(Request(port, http::verb::patch, "/twins/lock1?api-version=2021-04-12", R"({"properties":{"desired":{"mode":"shut"}}})")
              .result_int() == 200);
  CHECK(Eventually([&] { return lock1.desired == 1; }));

  // An import sets the document's faults; DELETE clears them.
  json document = Get(port, "/offhub/v1/state");
  document["devices"][0]["faults"] = {{"methods", {{"*", {{"status", 404}}}}}};
  REQUIRE(Request(port, http::verb::put, "/offhub/v1/state", document.dump()).result_int() == 200);
  CHECK(json::parse(Invoke(port, "lock1", "anything").second)["status"] == 404);
  document["devices"][0]["faults"]["disconnect"] = true;
  CHECK(Request(port, http::verb::put, "/offhub/v1/state", document.dump()).result_int() == 400);
  CHECK(Request(port, http::verb::delete_, "/offhub/v1/devices/lock1/faults").result_int() == 204);
  CHECK(Get(port, "/offhub/v1/devices/lock1/faults") == json::object());
  std::filesystem::remove(seed);
}

TEST_CASE("faults: connect refuse closes the connection and refuses reconnects until cleared; disconnect is once") {
  const auto seed = WriteFile("connect.json", kSeed);
  EmulatorProcess emulator({"--seed", seed.string()});
  const int port = emulator.http_port();
  AnsweringDevice lock1(emulator.mqtt_port(), "lock1", kKey1, /*reconnect=*/true);
  REQUIRE(lock1.WaitSubscribed());

  // disconnect: closed once; the device comes back and the fault is not kept.
  CHECK(PutFaults(port, "lock1", R"({"disconnect":true})") == json::object());
  CHECK(Eventually([&] { return lock1.connects == 2; }));
  CHECK(lock1.disconnects >= 1);
  REQUIRE(lock1.WaitSubscribed(2));
  CHECK(Invoke(port, "lock1", "ping").first == 200);

  // disconnect alone leaves the faults set as they were.
  PutFaults(port, "lock1", R"({"desired":"drop"})");
  CHECK(PutFaults(port, "lock1", R"({"disconnect":true})") == json{{"desired", "drop"}});
  CHECK(Eventually([&] { return lock1.connects == 3; }));
  REQUIRE(lock1.WaitSubscribed(3));
  CHECK(Get(port, "/offhub/v1/devices/lock1/faults") == json{{"desired", "drop"}});

  // connect refuse: closed, and every reconnect refused with CONNACK 5 while set.
  PutFaults(port, "lock1", R"({"connect":"refuse"})");
  CHECK(Eventually([&] { return lock1.connack == 5; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(lock1.connects == 3);
  CHECK(Get(port, "/twins/lock1?api-version=2021-04-12")["connectionState"] == "Disconnected");
  CHECK(Invoke(port, "lock1", "ping").first == 404);  // DeviceNotOnline, as for any offline device
  // The registry still says enabled: the refusal is the fault's, not the device's status.
  CHECK(Get(port, "/devices/lock1?api-version=2021-04-12")["status"] == "enabled");
  // A module keeps its own faults: the module connects meanwhile.
  AnsweringDevice cam(emulator.mqtt_port(), "lock1/cam", kKey2);
  REQUIRE(cam.WaitSubscribed());

  REQUIRE(Request(port, http::verb::delete_, "/offhub/v1/devices/lock1/faults").result_int() == 204);
  CHECK(Eventually([&] { return lock1.connects == 4; }));
  REQUIRE(lock1.WaitSubscribed(4));
  CHECK(Invoke(port, "lock1", "ping").first == 200);

  // A deleted identity loses its faults: the same id made again starts clean.
  PutFaults(port, "lock1/modules/cam", R"({"desired":"drop"})");
  REQUIRE(Request(port, http::verb::delete_, "/devices/lock1/modules/cam?api-version=2021-04-12", "", {{"If-Match", "*"}})
              .result_int() == 204);
  REQUIRE(Request(port, http::verb::put, "/devices/lock1/modules/cam?api-version=2021-04-12", R"({"moduleId":"cam"})")
              .result_int() == 200);
  CHECK(Get(port, "/offhub/v1/devices/lock1/modules/cam/faults") == json::object());
  std::filesystem::remove(seed);
}

TEST_CASE("faults on a manual clock: latency is hub time, and a dropped call does not hold an advance") {
  const auto seed = WriteFile("clock-faults.json", kSeed);
  EmulatorProcess emulator({"--seed", seed.string(), "--clock", "manual=2030-01-01T00:00:00Z"});
  const int port = emulator.http_port();
  AnsweringDevice lock1(emulator.mqtt_port(), "lock1", kKey1);
  REQUIRE(lock1.WaitSubscribed());
  PutFaults(port, "lock1", R"({"methods":{"reboot":{"latencyMs":5000,"status":503},"*":{"drop":true}}})");

  // A job calls reboot (answered 503 after 5 s of hub time) and ping (dropped: 30 s timeout).
  for (const std::string method : {"reboot", "ping"}) {
    REQUIRE(Request(port, http::verb::put, "/jobs/v2/" + method + "?api-version=2021-04-12",
                    R"({"jobId":")" + method + R"(","type":"scheduleDeviceMethod","queryCondition":"deviceId = 'lock1'",)"
                    R"("maxExecutionTimeInSeconds":3600,"cloudToDeviceMethod":{"methodName":")" + method +
                        R"(","responseTimeoutInSeconds":30}})")
                .result_int() == 200);
  }
  const auto advance = [&](int seconds) {
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":)" + std::to_string(seconds) + "}")
                .result_int() == 200);
    return std::chrono::steady_clock::now() - started;
  };
  // Held calls await no device: the advance does not wait out its real-time bound on them.
  CHECK(advance(4) < std::chrono::milliseconds(1500));
  CHECK(Get(port, "/jobs/v2/reboot?api-version=2021-04-12")["status"] == "running");
  CHECK(advance(1) < std::chrono::milliseconds(1500));
  const json reboot = Get(port, "/jobs/v2/reboot?api-version=2021-04-12");
  CHECK(reboot["status"] == "completed");
  CHECK(reboot["deviceJobStatistics"]["succeededCount"] == 1);  // the device answered, with 503
  CHECK(Get(port, "/jobs/v2/ping?api-version=2021-04-12")["status"] == "running");
  CHECK(advance(25) < std::chrono::milliseconds(1500));
  const json ping = Get(port, "/jobs/v2/ping?api-version=2021-04-12");
  CHECK(ping["status"] == "completed");
  CHECK(ping["deviceJobStatistics"]["failedCount"] == 1);
  CHECK(lock1.calls == 0);
  std::filesystem::remove(seed);
}

TEST_CASE("--tier S1 on a manual clock: twin reads past the burst are 429, one active job, 10 job device operations a second") {
  json seed = {{"devices", json::array()}};
  for (int i = 0; i < 25; ++i) seed["devices"].push_back({{"deviceId", "t" + std::to_string(i)}});
  const auto file = WriteFile("tier.json", seed.dump());
  EmulatorProcess emulator({"--seed", file.string(), "--clock", "manual=2030-01-01T00:00:00Z", "--tier", "S1"});
  const int port = emulator.http_port();

  // Twin reads: S1 allows 100 a second; the hub's clock stands still, so the 101st is refused.
  for (int i = 0; i < 100; ++i) REQUIRE(Request(port, http::verb::get, "/twins/t1?api-version=2021-04-12").result_int() == 200);
  const auto throttled = Request(port, http::verb::get, "/twins/t1?api-version=2021-04-12");
  CHECK(throttled.result_int() == 429);
  CHECK(throttled.body().find("ThrottlingException") != std::string::npos);
  REQUIRE(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":1})").result_int() == 200);
  CHECK(Request(port, http::verb::get, "/twins/t1?api-version=2021-04-12").result_int() == 200);

  // A twin job over 25 devices goes 10 a second of hub time; a second job waits its turn.
  const auto twin_job = [&](const std::string& id) {
    return Request(port, http::verb::put, "/jobs/v2/" + id + "?api-version=2021-04-12",
                   R"({"jobId":")" + id + R"(","type":"scheduleUpdateTwin","queryCondition":"*",)"
                   R"("updateTwin":{"etag":"*","tags":{"wave":1}},"maxExecutionTimeInSeconds":600})");
  };
  REQUIRE(twin_job("wave1").result_int() == 200);
  const auto succeeded = [&] {
    return Get(port, "/jobs/v2/wave1?api-version=2021-04-12")["deviceJobStatistics"]["succeededCount"].get<int>();
  };
  CHECK(Eventually([&] { return succeeded() == 10; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(succeeded() == 10);
  const auto second = twin_job("wave2");
  CHECK(second.result_int() == 429);
  CHECK(second.body().find("ThrottlingMaxActiveJobCountExceeded") != std::string::npos);
  REQUIRE(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":1})").result_int() == 200);
  CHECK(Eventually([&] { return succeeded() == 20; }));
  REQUIRE(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":1})").result_int() == 200);
  CHECK(Eventually([&] { return Get(port, "/jobs/v2/wave1?api-version=2021-04-12")["status"] == "completed"; }));
  CHECK(succeeded() == 25);
  CHECK(twin_job("wave2").result_int() == 200);
  std::filesystem::remove(file);
}

TEST_CASE("--tier and --units are checked at start: exit 2 with the reason") {
  auto [code, err] = FailedStart({"--tier", "F1", "--units", "2"});
  CHECK(code == 2);
  CHECK(err.find("not available for tier F1") != std::string::npos);
  std::tie(code, err) = FailedStart({"--tier", "S4"});
  CHECK(code == 2);
  CHECK(err.find("--tier") != std::string::npos);
  std::tie(code, err) = FailedStart({"--units", "3"});
  CHECK(code == 2);
  CHECK(err.find("--units") != std::string::npos);
}

TEST_CASE("manual clock: devices that never answer cost an advance at most its wait budget; resuming ends it 409") {
  json seed = {{"devices", json::array()}};
  for (int i = 0; i < 25; ++i) {
    seed["devices"].push_back({{"deviceId", "q" + std::to_string(i)}, {"keys", {{"primaryKey", kKey1}, {"secondaryKey", kKey2}}}});
  }
  const auto file = WriteFile("silent.json", seed.dump());
  // S2: 10 job device operations a second, so the calls go out over 16 instants.
  EmulatorProcess emulator({"--seed", file.string(), "--clock", "manual=2030-01-01T00:00:00Z", "--tier", "S2"});
  const int port = emulator.http_port();
  std::vector<std::unique_ptr<AnsweringDevice>> devices;
  for (int i = 0; i < 25; ++i) {
    devices.push_back(std::make_unique<AnsweringDevice>(emulator.mqtt_port(), "q" + std::to_string(i), kKey1, false, false));
  }
  for (auto& d : devices) REQUIRE(d->WaitSubscribed());
  const auto method_job = [&](const std::string& id) {
    REQUIRE(Request(port, http::verb::put, "/jobs/v2/" + id + "?api-version=2021-04-12",
                    R"({"jobId":")" + id + R"(","type":"scheduleDeviceMethod","queryCondition":"*",)"
                    R"("maxExecutionTimeInSeconds":600,"cloudToDeviceMethod":{"methodName":"m","responseTimeoutInSeconds":60}})")
                .result_int() == 200);
  };
  method_job("silent1");
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":5})").result_int() == 200);
  const auto took = std::chrono::steady_clock::now() - started;
  // Without the budget: 2 s at each of 16 instants.
  CHECK(took >= SteerableClock::kQuietBudget - std::chrono::milliseconds(500));
  CHECK(took < SteerableClock::kQuietBudget + std::chrono::seconds(4));
  const auto called = [&] {
    int sum = 0;
    for (auto& d : devices) sum += d->calls;
    return sum;
  };
  CHECK(Eventually([&] { return called() == 25; }));

  // A second job's calls make the next advance wait; the clock set to real meanwhile ends it with 409.
  method_job("silent2");
  std::pair<int, std::string> answer;
  std::thread advance([&] {
    const auto r = Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":5})");
    answer = {r.result_int(), r.body()};
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  REQUIRE(Request(port, http::verb::put, "/offhub/v1/clock", R"({"mode":"real"})").result_int() == 200);
  advance.join();
  CHECK(answer.first == 409);
  CHECK(answer.second.find("ClockNotManual") != std::string::npos);
  CHECK(Request(port, http::verb::post, "/offhub/v1/clock/advance", R"({"seconds":1,"by":2})").result_int() == 400);
  std::filesystem::remove(file);
}
