// offhub-emulator as a process, driven with raw clients: HTTP (Beast, SAS
// tokens made here) and MQTT (libmosquitto through MqttConnection). A device
// that listens for another device's method calls must not get them, and
// garbage on every listener leaves the emulator serving others.
#include "tests/emulator/process_fixture.hpp"

using namespace offhub;
using namespace offhub::testing;

TEST_CASE("a device cannot read another device's method calls; the called device answers") {
  EmulatorProcess emulator;
  const std::string key_a = CreateDevice(emulator.http_port(), "device-a");
  const std::string key_b = CreateDevice(emulator.http_port(), "device-b");

  asio::io_context io;
  Device a(io, emulator.mqtt_port(), "device-a", key_a);
  Device b(io, emulator.mqtt_port(), "device-b", key_b);
  REQUIRE(RunUntil(io, [&] { return a.connack && b.connack; }));
  CHECK(*a.connack == 0);
  CHECK(*b.connack == 0);
  a.mqtt->Subscribe("$iothub/methods/POST/#", 0);
  b.mqtt->Subscribe("$iothub/methods/POST/#", 0);
  b.mqtt->Subscribe("$offhub/#", 0);           // the hub's own topics: refused
  b.mqtt->Subscribe("devices/device-a/#", 0);  // another device's topics: refused
  REQUIRE(RunUntil(io, [&] { return a.granted_qos.size() == 1 && b.granted_qos.size() == 3; }));
  CHECK(b.granted_qos[1] == 128);
  CHECK(b.granted_qos[2] == 128);

  // The call is made over HTTP on another thread while this one answers as device-a.
  std::optional<http::response<http::string_body>> answer;
  std::thread caller([&] {
    answer = Request(emulator.http_port(), http::verb::post, "/twins/device-a/methods?api-version=2021-04-12",
                     R"({"methodName":"lockDoor","payload":{"door":1},"responseTimeoutInSeconds":5})");
  });
  REQUIRE(RunUntil(io, [&] { return !a.received.empty(); }));
  const auto& [topic, payload] = a.received.front();
  CHECK(topic.starts_with("$iothub/methods/POST/lockDoor/?$rid="));
  CHECK(json::parse(payload) == json{{"door", 1}});
  a.mqtt->Publish("$iothub/methods/res/200/" + topic.substr(topic.find("?$rid=")), R"({"locked":true})", 0);
  RunUntil(io, [&] { return false; });  // keep serving device-a's socket while the answer travels
  caller.join();
  REQUIRE(answer);
  CHECK(answer->result() == http::status::ok);
  CHECK(json::parse(answer->body()) == json::parse(R"({"status":200,"payload":{"locked":true}})"));
  CHECK(b.received.empty());

  // device-b answering device-a's call does not count: the rid is not its own.
  b.mqtt->Publish("$iothub/methods/res/500/?$rid=1", "{}", 0);
  CHECK(emulator.Alive());
}

TEST_CASE("wrong credentials and garbage on every listener: refused or dropped, the emulator keeps serving") {
  EmulatorProcess emulator;
  const std::string key = CreateDevice(emulator.http_port(), "device-c");
  asio::io_context io;
  Device wrong(io, emulator.mqtt_port(), "device-c", "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktMDE=");
  Device impostor(io, emulator.mqtt_port(), "device-x", key);  // another id with device-c's key
  REQUIRE(RunUntil(io, [&] { return wrong.connack && impostor.connack; }));
  CHECK(*wrong.connack == 5);
  CHECK(*impostor.connack == 5);

  for (int port : {emulator.http_port(), emulator.mqtt_port()}) {
    asio::io_context raw;
    tcp::socket socket(raw);
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(std::string("\x10\xff\xff\xff\xff\x7f garbage \x00\x01\r\n\r\n", 22)), ec);
    char byte;
    socket.read_some(asio::buffer(&byte, 1), ec);  // an answer or a close, never a hang
  }
  CHECK(Request(emulator.http_port(), http::verb::get, "/health").result() == http::status::ok);
  CHECK(Request(emulator.http_port(), http::verb::get, "/devices/device-c").result() == http::status::ok);
  Device right(io, emulator.mqtt_port(), "device-c", key);
  REQUIRE(RunUntil(io, [&] { return right.connack.has_value(); }));
  CHECK(*right.connack == 0);
  CHECK(emulator.Alive());
}

TEST_CASE("a name with '#': PATCH /twins is 400 ArgumentInvalid, a reported patch gets twin/res/400; nothing stored") {
  EmulatorProcess emulator;
  const int port = emulator.http_port();
  const std::string key = CreateDevice(port, "d");
  const auto before = json::parse(Request(port, http::verb::get, "/twins/d").body());
  const auto patched = Request(port, http::verb::patch, "/twins/d", R"({"properties":{"desired":{"mode#1":1}}})",
                               {{"If-Match", "*"}});
  CHECK(patched.result_int() == 400);
  CHECK(std::string(patched["iothub-errorcode"]) == "ArgumentInvalid");

  asio::io_context io;
  Device device(io, emulator.mqtt_port(), "d", key);
  REQUIRE(RunUntil(io, [&] { return device.connack.has_value(); }));
  device.mqtt->Subscribe("$iothub/twin/res/#", 0);
  REQUIRE(RunUntil(io, [&] { return device.granted_qos.size() == 1; }));
  device.mqtt->Publish("$iothub/twin/PATCH/properties/reported/?$rid=t1", R"({"fw#ver":5})", 0);
  REQUIRE(RunUntil(io, [&] { return device.received.size() == 1; }));
  CHECK(device.received[0].first == "$iothub/twin/res/400/?$rid=t1");
  const auto after = json::parse(Request(port, http::verb::get, "/twins/d").body());
  CHECK(after["properties"]["desired"] == before["properties"]["desired"]);
  CHECK(after["properties"]["reported"] == before["properties"]["reported"]);
  CHECK(after["etag"] == before["etag"]);
}

TEST_CASE("a twin job without etag \"*\" is refused with 412 and never queued") {
  EmulatorProcess emulator;
  const int port = emulator.http_port();
  CreateDevice(port, "d");
  for (const char* update : {R"({"etag":null,"properties":{"desired":{"a":1}}})", R"({"properties":{"desired":{"a":1}}})"}) {
    CAPTURE(update);
    const std::string body = std::string(R"({"type":"scheduleUpdateTwin","queryCondition":"*","maxExecutionTimeInSeconds":60,"updateTwin":)") +
                             update + "}";
    const auto refused = Request(port, http::verb::put, "/jobs/v2/j1", body);
    CHECK(refused.result_int() == 412);
    CHECK(std::string(refused["iothub-errorcode"]) == "PreconditionFailed");
    CHECK(Request(port, http::verb::get, "/jobs/v2/j1").result_int() == 404);
  }
}
