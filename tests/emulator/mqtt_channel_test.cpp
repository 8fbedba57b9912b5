// The hub's MQTT device channel against a real mosquitto running the offhub
// plugin, with raw libmosquitto clients (through MqttConnection) as devices.
// Every wait drives the io_context until a condition holds or a deadline
// passes (which fails the test); no sleeps.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "domain/json_text.hpp"
#include "adapters/iothub/sas_token.hpp"
#include "adapters/asio/asio_clock.hpp"
#include "adapters/emulator/mqtt/broker_process.hpp"
#include "adapters/iothub/mqtt_connection.hpp"
#include "adapters/emulator/mqtt/mqtt_device_channel.hpp"
#include "offhub_topics.hpp"

using namespace offhub;
using namespace offhub::emulator;
using namespace offhub::iothub;
using nlohmann::json;

namespace {

constexpr std::string_view kHost = "testhub.azure-devices.net";
constexpr std::string_view kKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
constexpr std::string_view kOtherKey = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
constexpr auto kTimeout = std::chrono::seconds(5);

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string DeviceTokenUntil(std::string_view id, std::int64_t expiry, std::string_view key = kKey) {
  return iothub::MakeSasToken(std::string(kHost) + "/devices/" + std::string(id), key, expiry).value();
}

std::string DeviceToken(std::string_view id, std::string_view key = kKey, std::int64_t ttl = 3600) {
  return DeviceTokenUntil(id, NowSeconds() + ttl, key);
}

std::filesystem::path FreshDirectory() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("offhub-mqtt-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove_all(dir);
  return dir;
}

struct Received {
  std::string topic;
  std::string payload;
};

struct PresenceLog final : ports::PresenceListener {
  std::vector<std::pair<std::string, ports::Presence>> events;
  void OnPresence(std::string_view id, ports::Presence p) override { events.emplace_back(std::string(id), p); }
  bool Saw(std::string_view id, ports::Presence p) const {
    for (const auto& e : events) {
      if (e.first == id && e.second == p) return true;
    }
    return false;
  }
};

struct Handler final : DeviceRequestHandler {
  std::optional<domain::Error> fail;
  json reported_seen;
  std::vector<std::pair<std::string, std::string>> telemetry;
  domain::Result<json> OnTwinGet(std::string_view) override {
    if (fail) return *fail;
    return json{{"desired", {{"$version", 1}}}, {"reported", {{"$version", 1}}}};
  }
  domain::Result<std::int64_t> OnReportedPatch(std::string_view, const json& patch) override {
    if (fail) return *fail;
    reported_seen = patch;
    return std::int64_t{5};
  }
  void OnTelemetry(std::string_view, std::string_view topic, std::string_view payload) override {
    telemetry.emplace_back(std::string(topic), std::string(payload));
  }
};

// A device: a raw libmosquitto client with IoT Hub credentials.
struct Device {
  std::optional<int> connack;
  bool ended = false;
  std::vector<Received> messages;
  std::map<int, int> subacks;
  std::vector<int> published;
  bool auto_answer = false;  // answers every method call with 200 and its request payload
  std::size_t calls_answered = 0;
  std::unique_ptr<MqttConnection> mqtt;

  Device(boost::asio::io_context& io, int port, std::string id, std::string token, bool clean, std::string client_id,
         int protocol_version = 4) {
    MqttConnectionOptions o;
    o.port = port;
    o.client_id = client_id.empty() ? id : client_id;
    o.username = std::string(kHost) + "/" + id + "/?api-version=2021-04-12&DeviceClientType=offhub-test";
    o.password = std::move(token);
    o.clean_session = clean;
    o.protocol_version = protocol_version;
    MqttHandlers h;
    h.on_connect = [this](int rc) { connack = rc; };
    h.on_disconnect = [this](int) { ended = true; };
    h.on_message = [this](std::string_view t, std::string_view p, int) {
      if (auto_answer && t.starts_with("$iothub/methods/POST/")) {
        mqtt->Publish("$iothub/methods/res/200/?" + std::string(t.substr(t.find('?') + 1)), p, 0);
        ++calls_answered;
        return;
      }
      messages.push_back({std::string(t), std::string(p)});
    };
    h.on_subscribe = [this](int mid, int granted) { subacks[mid] = granted; };
    h.on_publish = [this](int mid) { published.push_back(mid); };
    mqtt = std::make_unique<MqttConnection>(io, std::move(o), std::move(h));
    mqtt->Start();
  }
  const Received* Find(std::string_view topic_prefix) const {
    for (const auto& m : messages) {
      if (m.topic.starts_with(topic_prefix)) return &m;
    }
    return nullptr;
  }
};

struct Env {
  boost::asio::io_context io;
  std::unique_ptr<ports::Clock> clock = MakeAsioClock(io);
  std::filesystem::path dir = FreshDirectory();
  std::string secret = MakeRunSecret();
  BrokerProcess broker{Config()};
  std::unique_ptr<MqttDeviceChannel> channel;
  PresenceLog presence;
  Handler handler;
  std::uint64_t next_call = 1;

  Env() {
    broker.Start();
    channel = MakeMqttDeviceChannel(io, *clock, {"127.0.0.1", broker.mqtt_port(), "offhub-hub", secret});
    channel->SetPresenceListener(&presence);
    channel->SetRequestHandler(&handler);
    broker.SetKeysSnapshot([this] { return channel->CredentialsSnapshot(); });
    REQUIRE(RunUntil([&] { return channel->connected(); }));
  }
  ~Env() {
    channel.reset();
    broker.Stop();
    std::filesystem::remove_all(dir);
  }

  BrokerConfig Config() const {
    BrokerConfig c;
    c.directory = dir;
    c.mosquitto_path = OFFHUB_MOSQUITTO_PATH;
    c.plugin_path = OFFHUB_BROKER_PLUGIN_PATH;
    c.hub_username = "offhub-hub";
    c.hub_password = secret;
    return c;
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::steady_clock::duration timeout = kTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (io.stopped()) io.restart();
      io.run_one_until(deadline);
    }
    return true;
  }

  void AddDevice(std::string_view id, std::string_view key = kKey, bool enabled = true) {
    bool applied = false;
    channel->SetDeviceCredentials(id, key, "", enabled, [&] { applied = true; });
    REQUIRE(RunUntil([&] { return applied; }));
  }

  std::unique_ptr<Device> Connect(std::string id, std::string token = "", bool clean = true,
                                  std::string client_id = "") {
    if (token.empty()) token = DeviceToken(id);
    auto d =
        std::make_unique<Device>(io, broker.mqtt_port(), std::move(id), std::move(token), clean, std::move(client_id));
    REQUIRE(RunUntil([&] { return d->connack.has_value() || d->ended; }));
    return d;
  }

  std::unique_ptr<Device> ConnectOk(std::string id, bool clean = true) {
    auto d = Connect(id, "", clean);
    REQUIRE(d->connack == std::optional<int>(0));
    REQUIRE(RunUntil([&] { return presence.Saw(id, ports::Presence::kConnected); }));
    return d;
  }

  int Subscribe(Device& d, std::string_view filter) {
    const auto mid = d.mqtt->Subscribe(filter, 0);
    REQUIRE(mid);
    REQUIRE(RunUntil([&] { return d.subacks.count(*mid) > 0; }));
    return d.subacks[*mid];
  }

  // Calls `method` on the device, lets it answer, returns the answer.
  domain::MethodResult RoundTrip(Device& d, std::string_view id, std::string_view body = R"({"done":true})",
                                int status = 200) {
    const std::uint64_t call_id = next_call++;
    std::optional<domain::MethodResult> answer;
    REQUIRE(channel->SendMethod({call_id, std::string(id), "lockDoor", json{{"n", call_id}}},
                                [&](domain::MethodResult a) { answer = std::move(a); }));
    const std::string topic = "$iothub/methods/POST/lockDoor/?$rid=" + std::to_string(call_id);
    REQUIRE(RunUntil([&] { return d.Find(topic) != nullptr; }));
    CHECK(json::parse(d.Find(topic)->payload) == json{{"n", call_id}});
    d.mqtt->Publish("$iothub/methods/res/" + std::to_string(status) + "/?$rid=" + std::to_string(call_id), body, 0);
    REQUIRE(RunUntil([&] { return answer.has_value(); }));
    return *answer;
  }
};

}  // namespace

TEST_CASE("a device with a good token gets a method call and its answer reaches the hub") {
  Env env;
  env.AddDevice("dev1");
  auto dev = env.ConnectOk("dev1");
  CHECK(env.Subscribe(*dev, "$iothub/methods/POST/#") == 0);
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kMethodsSubscribed); }));

  const auto answer = env.RoundTrip(*dev, "dev1");
  CHECK(answer.status == 200);
  CHECK(answer.payload == json{{"done", true}});

  SUBCASE("null payloads go out as 'null'; empty and non-JSON answers") {
    std::optional<domain::MethodResult> a;
    REQUIRE(env.channel->SendMethod({100, "dev1", "m", nullptr}, [&](domain::MethodResult x) { a = x; }));
    REQUIRE(env.RunUntil([&] { return dev->Find("$iothub/methods/POST/m/?$rid=100") != nullptr; }));
    CHECK(dev->Find("$iothub/methods/POST/m/?$rid=100")->payload == "null");
    dev->mqtt->Publish("$iothub/methods/res/500/?$rid=100", "", 0);
    REQUIRE(env.RunUntil([&] { return a.has_value(); }));
    CHECK(a->status == 500);
    CHECK(a->payload.is_null());
    CHECK(domain::RawJsonText(env.RoundTrip(*dev, "dev1", "plain text", 201).payload) == "plain text");
  }
  SUBCASE("a forgotten call's late answer is dropped") {
    bool called = false;
    REQUIRE(env.channel->SendMethod({200, "dev1", "m", nullptr}, [&](domain::MethodResult) { called = true; }));
    env.channel->ForgetMethod(200);
    dev->mqtt->Publish("$iothub/methods/res/200/?$rid=200", "{}", 0);
    env.RoundTrip(*dev, "dev1");  // ordered after the late answer
    CHECK_FALSE(called);
  }
  SUBCASE("unreachable devices and bad method names") {
    CHECK_FALSE(env.channel->SendMethod({300, "nobody", "m", nullptr}, [](domain::MethodResult) {}));
    for (const char* bad : {"", "a/b", "a+b", "a#b"}) {
      CHECK_FALSE(env.channel->SendMethod({301, "dev1", bad, nullptr}, [](domain::MethodResult) {}));
    }
  }
}

TEST_CASE("bad credentials are refused with CONNACK 5") {
  Env env;
  env.AddDevice("dev1");
  env.AddDevice("off", kKey, /*enabled=*/false);
  CHECK(env.Connect("dev1", DeviceToken("dev1", kOtherKey))->connack == std::optional<int>(5));
  CHECK(env.Connect("dev1", DeviceToken("dev1", kKey, -10))->connack == std::optional<int>(5));
  CHECK(env.Connect("ghost")->connack == std::optional<int>(5));
  CHECK(env.Connect("off")->connack == std::optional<int>(5));
  CHECK(env.Connect("dev1", DeviceToken("dev1"), true, "dev2")->connack == std::optional<int>(5));
  CHECK(env.Connect("dev1", "garbage")->connack == std::optional<int>(5));
  CHECK(env.Connect("dev1", DeviceToken("dev1"), true, std::string(broker::kHubClientId))->connack == std::optional<int>(5));
  CHECK(env.Connect("dev1", DeviceToken("dev1"), true, std::string(broker::kKeysClientId))->connack == std::optional<int>(5));
  CHECK(env.presence.events.empty());

  SUBCASE("removing or disabling a connected device disconnects it") {
    auto dev = env.ConnectOk("dev1");
    bool applied = false;
    env.channel->SetDeviceCredentials("dev1", kKey, "", false, [&] { applied = true; });
    REQUIRE(env.RunUntil([&] { return applied && dev->ended; }));
    REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kDisconnected); }));
    env.channel->RemoveDevice("dev1");
    env.AddDevice("dev2");
    CHECK(env.Connect("dev1")->connack == std::optional<int>(5));
  }
}

TEST_CASE("devices stay inside their own topics") {
  Env env;
  env.AddDevice("dev1");
  env.AddDevice("dev2");
  auto dev1 = env.ConnectOk("dev1");
  auto dev2 = env.ConnectOk("dev2");
  CHECK(env.Subscribe(*dev1, "$iothub/methods/POST/#") == 0);
  CHECK(env.Subscribe(*dev2, "$iothub/methods/POST/#") == 0);
  CHECK(env.Subscribe(*dev2, "$offhub/#") == 128);
  CHECK(env.Subscribe(*dev2, "#") == 128);
  CHECK(env.Subscribe(*dev2, "devices/dev1/messages/devicebound/#") == 128);
  CHECK(env.Subscribe(*dev2, "devices/dev2/messages/devicebound/#") == 0);
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev2", ports::Presence::kMethodsSubscribed); }));

  env.RoundTrip(*dev1, "dev1");
  // dev2 tries to inject: a call to dev1, an answer for dev1's next call, a fake hub message.
  dev2->mqtt->Publish("$iothub/methods/POST/lockDoor/?$rid=999", "{}", 0);
  dev2->mqtt->Publish("$offhub/to/dev1/$iothub/methods/POST/evil/?$rid=1", "{}", 0);
  dev2->mqtt->Publish("$offhub/keys/dev1", "", 1);
  std::optional<domain::MethodResult> answer;
  REQUIRE(env.channel->SendMethod({50, "dev1", "m", nullptr}, [&](domain::MethodResult a) { answer = a; }));
  dev2->mqtt->Publish("$iothub/methods/res/200/?$rid=50", R"("from dev2")", 0);
  env.RoundTrip(*dev2, "dev2");  // everything dev2 sent before is processed by now
  CHECK_FALSE(answer.has_value());
  dev1->mqtt->Publish("$iothub/methods/res/200/?$rid=50", R"("from dev1")", 0);
  REQUIRE(env.RunUntil([&] { return answer.has_value(); }));
  CHECK(answer->payload == json("from dev1"));

  env.RoundTrip(*dev1, "dev1");
  for (const auto& m : dev2->messages) CHECK(m.topic.find("rid=" + std::to_string(1)) == std::string::npos);
  CHECK(dev2->messages.size() == 1);  // only its own call
  CHECK(dev1->Find("$iothub/methods/POST/lockDoor/?$rid=999") == nullptr);
  CHECK(dev1->Find("$iothub/methods/POST/evil") == nullptr);
  CHECK(env.Connect("dev1")->connack == std::optional<int>(0));  // its keys are still there
}

TEST_CASE("presence, and clean=false sessions keep the methods subscription") {
  Env env;
  env.AddDevice("dev1");
  auto dev = env.ConnectOk("dev1", /*clean=*/false);
  env.Subscribe(*dev, "$iothub/methods/POST/#");
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kMethodsSubscribed); }));
  dev->mqtt->Stop();
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kDisconnected); }));
  CHECK_FALSE(env.channel->SendMethod({1, "dev1", "m", nullptr}, [](domain::MethodResult) {}));
  dev.reset();

  env.presence.events.clear();
  auto again = env.ConnectOk("dev1", /*clean=*/false);  // no new SUBSCRIBE
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kMethodsSubscribed); }));
  CHECK(env.presence.events.front() == std::make_pair(std::string("dev1"), ports::Presence::kConnected));
  CHECK(env.RoundTrip(*again, "dev1").status == 200);

  SUBCASE("a clean=true session starts without it") {
    again->mqtt->Stop();
    REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kDisconnected); }));
    env.presence.events.clear();
    auto fresh = env.ConnectOk("dev1", /*clean=*/true);
    CHECK_FALSE(env.channel->SendMethod({2, "dev1", "m", nullptr}, [](domain::MethodResult) {}));
    CHECK_FALSE(env.presence.Saw("dev1", ports::Presence::kMethodsSubscribed));
  }
}

TEST_CASE("twin GET, reported PATCH, desired updates and telemetry") {
  Env env;
  env.AddDevice("dev1");
  auto dev = env.ConnectOk("dev1");
  env.Subscribe(*dev, "$iothub/twin/res/#");

  dev->mqtt->Publish("$iothub/twin/GET/?$rid=g1", " ", 0);
  REQUIRE(env.RunUntil([&] { return dev->Find("$iothub/twin/res/200/?$rid=g1") != nullptr; }));
  CHECK(json::parse(dev->Find("$iothub/twin/res/200/?$rid=g1")->payload)["desired"]["$version"] == 1);

  dev->mqtt->Publish("$iothub/twin/PATCH/properties/reported/?$rid=p1", R"({"temp":21})", 0);
  REQUIRE(env.RunUntil([&] { return dev->Find("$iothub/twin/res/204/?$rid=p1") != nullptr; }));
  CHECK(dev->Find("$iothub/twin/res/204/?$rid=p1")->topic == "$iothub/twin/res/204/?$rid=p1&$version=5");
  CHECK(dev->Find("$iothub/twin/res/204/?$rid=p1")->payload.empty());
  CHECK(env.handler.reported_seen == json{{"temp", 21}});

  dev->mqtt->Publish("$iothub/twin/PATCH/properties/reported/?$rid=p2", "{not json", 0);
  REQUIRE(env.RunUntil([&] { return dev->Find("$iothub/twin/res/400/?$rid=p2") != nullptr; }));
  CHECK(json::parse(dev->Find("$iothub/twin/res/400/?$rid=p2")->payload)["errorCode"] == 400004);

  env.handler.fail = domain::Error::MessageTooLarge("too big");
  dev->mqtt->Publish("$iothub/twin/PATCH/properties/reported/?$rid=p3", "{}", 0);
  REQUIRE(env.RunUntil([&] { return dev->Find("$iothub/twin/res/413/?$rid=p3") != nullptr; }));
  const auto error = json::parse(dev->Find("$iothub/twin/res/413/?$rid=p3")->payload);
  CHECK(error["errorCode"] == 413001);
  CHECK(error["message"] == "too big");
  CHECK(error["trackingId"].get<std::string>().size() == 32);
  env.handler.fail.reset();

  // Desired updates reach only devices subscribed to them.
  env.channel->SendDesired("dev1", {json{{"floor", 3}, {"$version", 2}}, 2});
  const auto mid = dev->mqtt->Publish("devices/dev1/messages/events/a=b", "hello", 1);
  REQUIRE(mid);
  REQUIRE(env.RunUntil([&] { return env.handler.telemetry.size() == 1; }));
  REQUIRE(env.RunUntil([&] { return !dev->published.empty(); }));  // PUBACKed
  CHECK(env.handler.telemetry.at(0) ==
        std::make_pair(std::string("devices/dev1/messages/events/a=b"), std::string("hello")));
  CHECK(dev->Find("$iothub/twin/PATCH/properties/desired") == nullptr);
  env.Subscribe(*dev, "$iothub/twin/PATCH/properties/desired/#");
  // The plugin's "desired" presence reaches the hub before anything the device sends next.
  dev->mqtt->Publish("$iothub/twin/GET/?$rid=g2", " ", 0);
  REQUIRE(env.RunUntil([&] { return dev->Find("$iothub/twin/res/200/?$rid=g2") != nullptr; }));
  env.channel->SendDesired("dev1", {json{{"floor", 4}, {"$version", 3}}, 3});
  REQUIRE(env.RunUntil([&] { return dev->Find("$iothub/twin/PATCH/properties/desired/?$version=3") != nullptr; }));
  CHECK(json::parse(dev->Find("$iothub/twin/PATCH/properties/desired/")->payload)["floor"] == 4);
}

TEST_CASE("garbage does not crash the broker or the channel") {
  Env env;
  env.AddDevice("dev1");
  auto dev = env.ConnectOk("dev1");
  env.Subscribe(*dev, "$iothub/methods/POST/#");
  const std::string binary("\xff\x00\xfe{", 4);
  for (const std::string& topic :
       {std::string("$iothub/methods/res/abc/?$rid=1"), std::string("$iothub/methods/res/200/?$rid=x"),
        std::string("$iothub/methods/res/200/?$rid=99999999999999999999999"), std::string("$iothub/methods/res/200/"),
        std::string("$iothub/twin/GET/"), std::string("$iothub/twin/GET/?$rid="),
        std::string("$iothub/twin/PATCH/properties/reported/?$rid=b"), std::string("devices/dev1/messages/events/"),
        "devices/dev1/messages/events/" + std::string(60000, 'x'), std::string("unrelated/topic")}) {
    dev->mqtt->Publish(topic, binary, 0);
  }
  // Not MQTT at all.
  boost::asio::ip::tcp::socket raw(env.io);
  raw.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(env.broker.mqtt_port())});
  boost::asio::write(raw, boost::asio::buffer(std::string("\x10\xff\xff\xff\xff\x0fGARBAGE\x00\x01", 14)));
  // The hub publishing garbage to the plugin.
  env.channel->SetDeviceCredentials("bad", "not base64!", "", true);
  env.channel->SendDesired("dev1", {json::object(), 1});

  REQUIRE(env.RunUntil([&] { return dev->Find("$iothub/twin/res/400/?$rid=b") != nullptr; }));
  CHECK(env.RoundTrip(*dev, "dev1").status == 200);
  CHECK(env.channel->connected());
}

TEST_CASE("the channel survives a broker restart") {
  Env env;
  env.AddDevice("dev1");
  auto dev = env.ConnectOk("dev1");
  env.Subscribe(*dev, "$iothub/methods/POST/#");
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kMethodsSubscribed); }));

  env.broker.Stop();
  REQUIRE(env.RunUntil([&] { return !env.channel->connected(); }));
  bool dev2_applied = false;
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kDisconnected); }));
  CHECK_FALSE(env.channel->SendMethod({1, "dev1", "m", nullptr}, [](domain::MethodResult) {}));
  dev.reset();

  // While the broker is down: remembered, applied after the reconnect.
  env.channel->SetDeviceCredentials("dev2", kKey, "", true, [&] { dev2_applied = true; });
  env.channel->RemoveDevice("dev1");
  env.channel->SetDeviceCredentials("dev1", kKey, kOtherKey, true);

  env.broker.Start();
  // The restarted broker knows the keys from the start (the snapshot), before
  // the channel is back: a device reconnecting first is not refused.
  auto again = env.Connect("dev1");
  CHECK(again->connack == std::optional<int>(0));
  REQUIRE(env.RunUntil([&] { return env.channel->connected(); }));
  REQUIRE(env.RunUntil([&] { return dev2_applied; }));
  CHECK(env.Connect("dev2")->connack == std::optional<int>(0));
  env.presence.events.clear();
  env.Subscribe(*again, "$iothub/methods/POST/#");
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kMethodsSubscribed); }));
  CHECK(env.RoundTrip(*again, "dev1").status == 200);
}

TEST_CASE("a burst of calls to several devices, all answered") {
  constexpr int kDevices = 10;
  constexpr int kCallsPerDevice = 500;
  Env env;
  std::vector<std::unique_ptr<Device>> devices;
  for (int i = 0; i < kDevices; ++i) {
    const std::string id = "burst" + std::to_string(i);
    env.AddDevice(id);
    devices.push_back(env.ConnectOk(id));
    devices.back()->auto_answer = true;
    env.Subscribe(*devices.back(), "$iothub/methods/POST/#");
    REQUIRE(env.RunUntil([&] { return env.presence.Saw(id, ports::Presence::kMethodsSubscribed); }));
  }
  std::size_t answered = 0;
  bool payloads_match = true;
  const auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < kCallsPerDevice; ++n) {
    for (int i = 0; i < kDevices; ++i) {
      const std::uint64_t id = env.next_call++;
      REQUIRE(env.channel->SendMethod({id, "burst" + std::to_string(i), "m", json{{"id", id}}},
                                      [&, id](domain::MethodResult a) {
                                        ++answered;
                                        payloads_match = payloads_match && a.payload == json{{"id", id}};
                                      }));
    }
  }
  REQUIRE(env.RunUntil([&] { return answered == kDevices * kCallsPerDevice; }, std::chrono::seconds(20)));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(payloads_match);
  MESSAGE((kDevices * kCallsPerDevice) << " calls (QoS 0, pipelined) in " << seconds * 1000 << " ms: "
                                       << static_cast<int>(kDevices * kCallsPerDevice / seconds) << " calls/s");

  // One call at a time: round-trip latency through hub, broker, plugin and device.
  constexpr int kSequential = 500;
  std::vector<double> rtt_us;
  for (int n = 0; n < kSequential; ++n) {
    const std::uint64_t id = env.next_call++;
    bool done = false;
    const auto sent = std::chrono::steady_clock::now();
    REQUIRE(env.channel->SendMethod({id, "burst0", "m", nullptr}, [&](domain::MethodResult) { done = true; }));
    REQUIRE(env.RunUntil([&] { return done; }));
    rtt_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - sent).count());
  }
  std::sort(rtt_us.begin(), rtt_us.end());
  MESSAGE("sequential round trip: p50 " << rtt_us[kSequential / 2] << " us, p99 " << rtt_us[kSequential * 99 / 100]
                                        << " us");
}

TEST_CASE("pushing keys for a large fleet") {
  constexpr int kFleet = 10000;
  Env env;
  int applied = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kFleet; ++i) {
    env.channel->SetDeviceCredentials("fleet" + std::to_string(i), kKey, kOtherKey, true, [&] { ++applied; });
  }
  REQUIRE(env.RunUntil([&] { return applied == kFleet; }, std::chrono::seconds(30)));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE(kFleet << " key pushes (QoS 1) applied in " << seconds * 1000 << " ms");
  CHECK(env.Connect("fleet9999")->connack == std::optional<int>(0));
}

TEST_CASE("the supervisor also runs a TLS listener, and restarts on the same ports") {
  const auto dir = FreshDirectory();
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string make_cert =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
      " -subj /CN=127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  REQUIRE(std::system(make_cert.c_str()) == 0);
  BrokerConfig config;
  config.directory = dir;
  config.mosquitto_path = OFFHUB_MOSQUITTO_PATH;
  config.plugin_path = OFFHUB_BROKER_PLUGIN_PATH;
  config.hub_username = "hub";
  config.hub_password = MakeRunSecret();
  config.tls = BrokerTlsListener{0, cert, key};
  BrokerProcess broker(config);
  broker.Start();
  const int mqtt_port = broker.mqtt_port(), tls_port = broker.tls_port();
  CHECK(mqtt_port != tls_port);
  broker.Stop();
  CHECK_FALSE(broker.running());
  broker.Start();
  CHECK(broker.mqtt_port() == mqtt_port);
  CHECK(broker.tls_port() == tls_port);

  boost::asio::io_context io;
  boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
  tls.load_verify_file(cert);
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(io, tls);
  stream.set_verify_mode(boost::asio::ssl::verify_peer);
  stream.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(tls_port)});
  boost::system::error_code ec;
  stream.handshake(boost::asio::ssl::stream_base::client, ec);
  CHECK_MESSAGE(!ec, ec.message());
  broker.Stop();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a broker that cannot start is reported") {
  BrokerConfig bad;
  bad.directory = FreshDirectory();
  bad.mosquitto_path = OFFHUB_MOSQUITTO_PATH;
  bad.plugin_path = "/nonexistent/plugin.so";
  bad.hub_username = "hub";
  bad.hub_password = "x";
  BrokerProcess failing(bad);
  CHECK_THROWS_AS(failing.Start(), std::runtime_error);
  CHECK_FALSE(failing.running());
  std::filesystem::remove_all(bad.directory);
}

TEST_CASE("MQTT 5 devices: their publishes are consumed without breaking the broker") {
  Env env;
  env.AddDevice("v5");
  Device dev(env.io, env.broker.mqtt_port(), "v5", DeviceToken("v5"), true, "", /*protocol_version=*/5);
  REQUIRE(env.RunUntil([&] { return dev.connack.has_value(); }));
  REQUIRE(dev.connack == std::optional<int>(0));
  const auto mid = dev.mqtt->Publish("devices/v5/messages/events/", "hello", 1);
  REQUIRE(mid);
  REQUIRE(env.RunUntil([&] { return env.handler.telemetry.size() == 1 && !dev.published.empty(); }));
  dev.mqtt->Publish("$iothub/twin/GET/?$rid=1", " ", 0);
  REQUIRE(env.RunUntil([&] { return dev.Find("$iothub/twin/res/200/?$rid=1") != nullptr; }));
  CHECK(env.Connect("v5")->connack == std::optional<int>(0));  // the broker is alive
}

TEST_CASE("a device's QoS 2 publish gets it disconnected and nothing reaches the hub") {
  Env env;
  env.AddDevice("dev1");
  env.AddDevice("dev2");
  auto dev1 = env.ConnectOk("dev1");
  auto dev2 = env.ConnectOk("dev2");
  REQUIRE(dev1->mqtt->Publish("devices/dev1/messages/events/", "exactly once", 2));
  REQUIRE(env.RunUntil([&] { return dev1->ended; }));
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("dev1", ports::Presence::kDisconnected); }));
  CHECK(dev1->published.empty());  // the broker closed before PUBCOMP
  // The hub gets everything on one connection in order: dev2's later
  // telemetry arriving alone means dev1's never came.
  REQUIRE(dev2->mqtt->Publish("devices/dev2/messages/events/", "after", 1));
  REQUIRE(env.RunUntil([&] { return !env.handler.telemetry.empty(); }));
  CHECK(env.handler.telemetry ==
        std::vector<std::pair<std::string, std::string>>{{"devices/dev2/messages/events/", "after"}});
  CHECK_FALSE(dev2->ended);
  CHECK(env.Connect("dev1")->connack == std::optional<int>(0));  // it may come back
}

TEST_CASE("a device whose SAS token expires while connected is disconnected; fresh tokens keep theirs") {
  Env env;
  for (const char* id : {"short", "long", "renewed"}) env.AddDevice(id);
  const std::int64_t expiry = NowSeconds() + 2;
  auto short_lived = env.Connect("short", DeviceTokenUntil("short", expiry));
  REQUIRE(short_lived->connack == std::optional<int>(0));
  auto renewed_old = env.Connect("renewed", DeviceTokenUntil("renewed", expiry));
  REQUIRE(renewed_old->connack == std::optional<int>(0));
  auto renewed = env.Connect("renewed");  // a fresh token takes the connection over
  REQUIRE(renewed->connack == std::optional<int>(0));
  REQUIRE(env.RunUntil([&] { return renewed_old->ended; }));
  auto long_lived = env.ConnectOk("long");

  REQUIRE(env.RunUntil([&] { return short_lived->ended; }));
  const double ended_at = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(ended_at >= static_cast<double>(expiry));
  CHECK(ended_at < static_cast<double>(expiry) + 1.0);  // the check runs several times a second
  MESSAGE("disconnected " << (ended_at - static_cast<double>(expiry)) * 1000 << " ms after the token's se");
  REQUIRE(env.RunUntil([&] { return env.presence.Saw("short", ports::Presence::kDisconnected); }));

  // Past the short token's expiry, the others are still connected and served.
  CHECK(env.Subscribe(*long_lived, "$iothub/twin/res/#") == 0);
  CHECK(env.Subscribe(*renewed, "$iothub/twin/res/#") == 0);
  CHECK_FALSE(long_lived->ended);
  CHECK_FALSE(renewed->ended);
  CHECK_FALSE(env.presence.Saw("long", ports::Presence::kDisconnected));
}
