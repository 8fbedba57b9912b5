// Persistent device sessions survive an emulator restart with --data-dir:
// a device that connected with clean session = false and subscribed to
// methods and desired updates gets both after the emulator is stopped and
// started again on the same data directory, although it reconnects with
// clean = false and does not subscribe again (as IoT Hub keeps sessions).
// Also after a SIGKILL of the emulator (and so of its broker) 1.5 s after
// the session was made: session changes are on disk within about a second.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/emulator/process_fixture.hpp"

using namespace offhub;
using namespace offhub::testing;

namespace {

constexpr const char* kDevice = "kept-session";

// A clean=false device that subscribes only on its very first connection.
struct PersistentDevice {
  PersistentDevice(boost::asio::io_context& io, int port, const std::string& key) {
    auto options = DeviceOptions(port, kDevice, key);
    options.clean_session = false;
    options.reconnect = true;
    options.reconnect_delay = std::chrono::milliseconds(50);
    options.max_reconnect_delay = std::chrono::milliseconds(200);
    iothub::MqttHandlers handlers;
    handlers.on_connect = [this](int rc) { OnConnect(rc); };
    handlers.on_subscribe = [this](int, int granted) { granted_qos.push_back(granted); };
    handlers.on_message = [this](std::string_view topic, std::string_view payload, int) {
      received.emplace_back(std::string(topic), std::string(payload));
      if (topic.starts_with("$iothub/methods/POST/")) {
        const std::string rid(topic.substr(topic.find("?$rid=")));
        mqtt->Publish("$iothub/methods/res/200/" + rid, R"({"locked":true})", 0);
      }
    };
    mqtt = std::make_unique<iothub::MqttConnection>(io, options, handlers);
    mqtt->Start();
  }
  void OnConnect(int rc) {
    if (rc != 0) return;
    ++connections;
    session_present.push_back(mqtt->session_present());
    if (connections > 1) return;  // resuming: the broker kept the subscriptions
    mqtt->Subscribe("$iothub/methods/POST/#", 0);
    mqtt->Subscribe("$iothub/twin/PATCH/properties/desired/#", 0);
  }
  bool Got(std::string_view prefix) const {
    for (const auto& [topic, payload] : received) {
      if (topic.starts_with(prefix)) return true;
    }
    return false;
  }

  int connections = 0;
  std::vector<bool> session_present;
  std::vector<int> granted_qos;
  std::vector<std::pair<std::string, std::string>> received;
  std::unique_ptr<iothub::MqttConnection> mqtt;
};

// Calls the device's lockDoor over REST on another thread while `io` serves the device.
Response CallLockDoor(boost::asio::io_context& io, int http_port) {
  std::optional<Response> answer;
  std::atomic<bool> done = false;
  std::thread caller([&] {
    answer = Request(http_port, http::verb::post, std::string("/twins/") + kDevice + "/methods?api-version=2021-04-12",
                         R"({"methodName":"lockDoor","payload":null,"responseTimeoutInSeconds":5,"connectTimeoutInSeconds":5})");
    done = true;
  });
  RunUntil(io, [&] { return done.load(); }, std::chrono::seconds(15));
  caller.join();
  REQUIRE(answer);
  return *answer;
}

}  // namespace

TEST_CASE("a clean=false device keeps its methods and desired updates across an emulator restart (--data-dir)") {
  EmulatorProcess hub;
  const int http_port = hub.http_port();
  const std::string key = CreateDevice(http_port, kDevice);

  boost::asio::io_context io;
  PersistentDevice device(io, hub.mqtt_port(), key);
  REQUIRE(RunUntil(io, [&] { return device.granted_qos.size() == 2; }));
  CHECK(device.granted_qos == std::vector<int>{0, 0});
  SUBCASE("stopped (SIGTERM)") {
    CHECK(CallLockDoor(io, http_port).result() == http::status::ok);  // before the restart, as a baseline
    CHECK(hub.Stop(SIGTERM) == 0);
  }
  SUBCASE("killed (SIGKILL, the broker with it) 1.5 s after the session was made") {
    RunUntil(io, [] { return false; }, std::chrono::milliseconds(1500));
    hub.Kill();
  }
  hub.Start();
  REQUIRE(RunUntil(io, [&] { return device.connections >= 2; }, std::chrono::seconds(10)));
  CHECK(device.session_present.back());  // the broker kept the session
  CHECK(device.granted_qos.size() == 2);  // and the device did not subscribe again

  device.received.clear();
  const auto answer = CallLockDoor(io, http_port);
  CHECK(answer.result() == http::status::ok);
  CHECK(json::parse(answer.body()) == json::parse(R"({"status":200,"payload":{"locked":true}})"));
  CHECK(device.Got("$iothub/methods/POST/lockDoor/"));

  const auto patched = Request(http_port, http::verb::patch, std::string("/twins/") + kDevice + "?api-version=2021-04-12",
                                   R"({"properties":{"desired":{"floor":5}}})");
  CHECK(patched.result() == http::status::ok);
  REQUIRE(RunUntil(io, [&] { return device.Got("$iothub/twin/PATCH/properties/desired/"); }));
  for (const auto& [topic, payload] : device.received) {
    if (topic.starts_with("$iothub/twin/PATCH/properties/desired/")) CHECK(json::parse(payload)["floor"] == 5);
  }
}

// A device that reconnects (every 5-10 ms) the moment the restarted broker
// listens must not be refused (CONNACK 5) while the hub is still loading its
// registry: the broker starts knowing every stored device's keys.
TEST_CASE("after a SIGKILL and restart, a registered device reconnecting at once is never refused") {
  EmulatorProcess hub;
  const int http_port = hub.http_port();
  constexpr int kDevices = 400;  // a registry that takes the hub a moment to load
  std::string key;
  for (int i = 0; i < kDevices; ++i) key = CreateDevice(http_port, "restart-" + std::to_string(i));
  const std::string id = "restart-" + std::to_string(kDevices - 1);

  boost::asio::io_context io;
  auto options = DeviceOptions(hub.mqtt_port(), id, key);
  options.reconnect = true;
  options.reconnect_delay = std::chrono::milliseconds(5);
  options.max_reconnect_delay = std::chrono::milliseconds(10);
  std::atomic<int> accepted = 0;
  std::atomic<int> refused = 0;
  std::unique_ptr<iothub::MqttConnection> device;
  iothub::MqttHandlers handlers;
  handlers.on_connect = [&](int rc) {
    if (rc == 0) {
      ++accepted;
    } else {
      ++refused;  // retried every 5-10 ms
    }
  };
  device = std::make_unique<iothub::MqttConnection>(io, options, handlers);
  device->Start();
  REQUIRE(RunUntil(io, [&] { return accepted == 1; }));

  std::atomic<bool> stop = false;
  std::thread serving([&] {
    while (!stop) io.run_for(std::chrono::milliseconds(5));
  });
  // Started again at once, as a supervisor would: the killed process may still
  // hold the data directory's lock and the broker's ports for a moment.
  const pid_t killed = hub.pid();
  ::kill(killed, SIGKILL);
  hub.Start();
  ::waitpid(killed, nullptr, 0);
  for (int i = 0; i < 400 && accepted < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  stop = true;
  serving.join();
  CHECK(accepted == 2);
  CHECK(refused == 0);
}
