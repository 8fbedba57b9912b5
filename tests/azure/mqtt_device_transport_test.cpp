// The Azure MQTT device transport against the whole emulator in process:
// TLS with the emulator's CA and host-name verification, methods, twins,
// desired updates, bad credentials, a broker restart, SAS renewal, and a
// module of the device connecting as itself.
// One io_context, driven by the test; every wait has a deadline.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "adapters/azure/mqtt/mqtt_device_transport.hpp"
#include "adapters/iothub/sas_token.hpp"
#include "adapters/emulator/emulator.hpp"
#include "adapters/emulator/mqtt/broker_process.hpp"

using namespace offhub;
using namespace std::chrono_literals;
using nlohmann::json;
using ports::DeviceConnection;

namespace {

constexpr const char* kDeviceId = "door-1";
constexpr const char* kKey = "c2VjcmV0LWtleS1mb3ItZG9vci0xLXRlc3RzLTAwMDE=";
constexpr const char* kOtherKey = "b3RoZXIta2V5LWZvci1kb29yLTEtdGVzdHMtMDAwMDI=";
constexpr const char* kWrongKey = "d3Jvbmcta2V5LWZvci1kb29yLTEtdGVzdHMtMDAwMDM=";
constexpr const char* kModuleId = "lock-module";
constexpr const char* kModuleKey = "bW9kdWxlLWtleS1mb3ItZG9vci0xLXRlc3RzLTAwMDQ=";

struct TempDir {
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("offhub-transport-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

struct ConnectionLog {
  std::vector<std::pair<DeviceConnection, std::string>> events;
  int Count(DeviceConnection state) const {
    int n = 0;
    for (const auto& e : events) n += e.first == state ? 1 : 0;
    return n;
  }
  bool connected() const { return !events.empty() && events.back().first == DeviceConnection::kConnected; }
};

class Fixture {
 public:
  Fixture() {
    emulator::EmulatorConfig config;
    config.http_port = 0;
    config.https_port = 0;
    config.mqtt_port = 0;
    config.mqtts_port = emulator::PickFreeLoopbackPort();
    config.data_dir = dir_.path;
    config.plugin_path = OFFHUB_BROKER_PLUGIN;
    emulator_ = std::make_unique<emulator::Emulator>(io_, config);
    bool ready = false;
    emulator_->WhenReady([&] { ready = true; });
    REQUIRE(RunUntil([&] { return ready; }));
    PutDevice(kKey, std::nullopt);
  }
  ~Fixture() {
    transport_.reset();
    emulator_->Stop();
    io_.poll();
  }

  // Drives the io_context until `done` holds; false when the deadline passes.
  template <class Predicate>
  bool RunUntil(Predicate done, std::chrono::steady_clock::duration timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_for(20ms);
    }
    return true;
  }
  // Drives the io_context for `how_long`, for checks that nothing bad happens.
  void RunFor(std::chrono::steady_clock::duration how_long) {
    const auto deadline = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < deadline) {
      if (io_.stopped()) io_.restart();
      io_.run_one_until(deadline);
    }
  }

  void PutDevice(const std::string& key, ports::IfMatch if_match) {
    const json body = {
        {"deviceId", kDeviceId},
        {"authentication", {{"type", "sas"}, {"symmetricKey", {{"primaryKey", key}, {"secondaryKey", kOtherKey}}}}}};
    auto spec = domain::ParseDeviceSpec(body, kDeviceId);
    REQUIRE(spec);
    REQUIRE(hub().PutIdentity(*spec, if_match));
  }

  void PutModule() {
    const json body = {
        {"authentication",
         {{"type", "sas"}, {"symmetricKey", {{"primaryKey", kModuleKey}, {"secondaryKey", kOtherKey}}}}}};
    auto spec = domain::ParseModuleSpec(body, kDeviceId, kModuleId);
    REQUIRE(spec);
    REQUIRE(hub().PutIdentity(*spec, std::nullopt));
  }

  azure::MqttDeviceOptions ModuleOptions() const {
    auto o = Options(kModuleKey);
    o.module_id = kModuleId;
    return o;
  }

  azure::MqttDeviceOptions Options(const std::string& key = kKey) const {
    azure::MqttDeviceOptions o;
    o.host_name = "localhost";
    o.device_id = kDeviceId;
    o.device_key = key;
    o.gateway = "localhost:" + std::to_string(emulator_->mqtts_port());
    o.ca_file = emulator_->tls().ca_certificate.string();
    o.min_backoff = 50ms;
    o.max_backoff = 500ms;
    o.operation_timeout = 5s;
    return o;
  }

  ports::DeviceTransport& Connect(azure::MqttDeviceOptions options) {
    transport_ = azure::MakeMqttDeviceTransport(io_, std::move(options));
    transport_->OnConnectionChange(
        [this](DeviceConnection s, const std::string& why) { log_.events.emplace_back(s, why); });
    transport_->OnMethod("lockDoor", [](const json& payload, ports::DeviceTransport::Respond respond) {
      respond(200, {{"locked", true}, {"echo", payload}});
    });
    transport_->Start();
    return *transport_;
  }

  domain::Result<domain::MethodResult> Invoke(const std::string& method, const json& payload) {
    std::optional<domain::Result<domain::MethodResult>> result;
    domain::MethodRequest request{method, payload, 5, 10};
    hub().InvokeMethod(offhub::ports::Identity::Device(kDeviceId), request, [&](domain::Result<domain::MethodResult> r) { result.emplace(std::move(r)); });
    REQUIRE(RunUntil([&] { return result.has_value(); }, 20s));
    return std::move(*result);
  }

  domain::Result<domain::MethodResult> InvokeModule(const std::string& method, const json& payload) {
    std::optional<domain::Result<domain::MethodResult>> result;
    domain::MethodRequest request{method, payload, 5, 10};
    hub().InvokeMethod(offhub::ports::Identity::Module(kDeviceId, kModuleId), request, [&](domain::Result<domain::MethodResult> r) { result.emplace(std::move(r)); });
    REQUIRE(RunUntil([&] { return result.has_value(); }, 20s));
    return std::move(*result);
  }

  emulator::LocalHub& hub() { return emulator_->hub(); }

  TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<emulator::Emulator> emulator_;
  std::unique_ptr<ports::DeviceTransport> transport_;
  ConnectionLog log_;
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "connects over TLS and answers a direct method") {
  Connect(Options());
  REQUIRE(RunUntil([&] { return log_.connected(); }));
  const auto result = Invoke("lockDoor", {{"reason", "night"}});
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->payload == json{{"locked", true}, {"echo", {{"reason", "night"}}}});

  SUBCASE("a null payload reaches the handler as null") {
    const auto null_call = Invoke("lockDoor", nullptr);
    REQUIRE(null_call);
    CHECK(null_call->payload["echo"].is_null());
  }
  SUBCASE("a method without a handler is answered 501") {
    const auto missing = Invoke("unlockDoor", nullptr);
    REQUIRE(missing);
    CHECK(missing->status == 501);
    CHECK(missing->payload["message"].is_string());
  }
}

TEST_CASE_FIXTURE(Fixture, "plain MQTT on the emulator's plain port") {
  auto options = Options();
  options.tls = false;
  options.ca_file.clear();
  options.gateway = "127.0.0.1:" + std::to_string(emulator_->mqtt_port());
  Connect(options);
  REQUIRE(RunUntil([&] { return log_.connected(); }));
  const auto result = Invoke("lockDoor", nullptr);
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE_FIXTURE(Fixture, "TLS to the IP address the certificate names") {
  auto options = Options();
  options.gateway = "127.0.0.1:" + std::to_string(emulator_->mqtts_port());
  Connect(options);
  REQUIRE(RunUntil([&] { return log_.connected(); }));
}

TEST_CASE_FIXTURE(Fixture, "a server certificate from a CA the device does not trust is refused") {
  auto options = Options();
  options.ca_file = emulator::EnsureTlsMaterial(dir_.path / "other-ca", "localhost").ca_certificate.string();
  Connect(options);
  REQUIRE(RunUntil([&] { return log_.Count(DeviceConnection::kDisconnected) >= 2; }));
  CHECK(log_.Count(DeviceConnection::kConnected) == 0);
  CHECK_FALSE(log_.events.front().second.empty());
  MESSAGE("reason: " << log_.events.front().second);
}

TEST_CASE_FIXTURE(Fixture, "twin: GET, reported PATCH and desired notifications") {
  auto& device = Connect(Options());
  std::vector<std::pair<json, std::int64_t>> desired;
  device.OnDesiredChange([&](const json& patch, std::int64_t version) { desired.emplace_back(patch, version); });
  REQUIRE(RunUntil([&] { return log_.connected(); }));

  std::optional<domain::Result<json>> twin;
  device.GetTwin([&](domain::Result<json> r) { twin.emplace(std::move(r)); });
  REQUIRE(RunUntil([&] { return twin.has_value(); }));
  REQUIRE(*twin);
  CHECK((*twin)->contains("desired"));
  CHECK((*twin)->contains("reported"));

  std::optional<domain::Result<std::int64_t>> version;
  device.PatchReported({{"lock", "closed"}}, [&](domain::Result<std::int64_t> r) { version.emplace(std::move(r)); });
  REQUIRE(RunUntil([&] { return version.has_value(); }));
  REQUIRE(*version);
  const auto service_view = hub().GetTwin(offhub::ports::Identity::Device(kDeviceId));
  REQUIRE(service_view);
  CHECK((*service_view)["properties"]["reported"]["lock"] == "closed");
  CHECK((*service_view)["properties"]["reported"]["$version"] == **version);

  // The desired subscription may still be on its way: the service patches
  // until the device hears one (each patch is a new version).
  int floor = 0;
  REQUIRE(RunUntil([&] {
    if (!desired.empty()) return true;
    REQUIRE(hub().PatchTwin(offhub::ports::Identity::Device(kDeviceId), {{"properties", {{"desired", {{"building", "43"}, {"floor", ++floor}}}}}}, std::nullopt));
    return RunUntil([&] { return !desired.empty(); }, 300ms);
  }));
  CHECK(desired.front().first["building"] == "43");
  CHECK_FALSE(desired.front().first.contains("$version"));
  const auto after = hub().GetTwin(offhub::ports::Identity::Device(kDeviceId));
  REQUIRE(after);
  CHECK(desired.back().second == (*after)["properties"]["desired"]["$version"]);
}

TEST_CASE_FIXTURE(Fixture, "operations while disconnected fail at once with 503") {
  auto& device = Connect(Options());
  std::optional<domain::Result<json>> twin;
  device.GetTwin([&](domain::Result<json> r) { twin.emplace(std::move(r)); });  // before CONNACK
  REQUIRE(RunUntil([&] { return twin.has_value(); }, 1s));
  REQUIRE_FALSE(*twin);
  CHECK(twin->error().code() == domain::ErrorCode::ServiceUnavailable);
}

TEST_CASE_FIXTURE(Fixture, "a wrong key is reported, retried, and connects once the hub knows the key") {
  Connect(Options(kWrongKey));
  REQUIRE(RunUntil([&] { return log_.Count(DeviceConnection::kDisconnected) >= 3; }));
  CHECK(log_.Count(DeviceConnection::kConnected) == 0);
  CHECK(log_.events.front().second.find("CONNACK 5") != std::string::npos);
  PutDevice(kWrongKey, "*");
  REQUIRE(RunUntil([&] { return log_.connected(); }));
  const auto result = Invoke("lockDoor", nullptr);
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE_FIXTURE(Fixture, "the broker restarts mid-run: the device reconnects and answers again") {
  Connect(Options());
  REQUIRE(RunUntil([&] { return log_.connected(); }));
  REQUIRE(Invoke("lockDoor", nullptr));
  // The hub core shares this thread, so it cannot answer before the broker
  // goes: the request in flight fails with 503 when the connection drops.
  std::optional<domain::Result<json>> twin;
  transport_->GetTwin([&](domain::Result<json> r) { twin.emplace(std::move(r)); });
  emulator_->RestartBroker();
  REQUIRE(RunUntil([&] { return twin.has_value(); }));
  REQUIRE_FALSE(*twin);
  CHECK(twin->error().code() == domain::ErrorCode::ServiceUnavailable);
  REQUIRE(RunUntil([&] { return log_.Count(DeviceConnection::kDisconnected) >= 1 && log_.connected(); }, 20s));
  const auto result = Invoke("lockDoor", {{"after", "restart"}});
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->payload["echo"]["after"] == "restart");
}

TEST_CASE_FIXTURE(Fixture, "a short SAS TTL is renewed before expiry, without a reported disconnection") {
  auto options = Options();
  options.sas_ttl = 2s;  // se is 1..2 s away: renewed after 0.75 s, the broker drops expired ones
  Connect(options);
  REQUIRE(RunUntil([&] { return log_.connected(); }));
  const auto first = hub().GetIdentity(offhub::ports::Identity::Device(kDeviceId));
  REQUIRE(first);
  RunFor(4500ms);  // past two expiries
  CHECK(log_.Count(DeviceConnection::kDisconnected) == 0);
  const auto later = hub().GetIdentity(offhub::ports::Identity::Device(kDeviceId));
  REQUIRE(later);
  CHECK((*later)["connectionState"] == "Connected");
  CHECK((*later)["connectionStateUpdatedTime"] != (*first)["connectionStateUpdatedTime"]);  // it did reconnect
  const auto result = Invoke("lockDoor", nullptr);
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE_FIXTURE(Fixture, "a module connects as itself: its methods, its twin, its desired updates") {
  PutModule();
  auto& module = Connect(ModuleOptions());
  std::vector<std::pair<json, std::int64_t>> desired;
  module.OnDesiredChange([&](const json& patch, std::int64_t version) { desired.emplace_back(patch, version); });
  REQUIRE(RunUntil([&] { return log_.connected(); }));

  const auto result = InvokeModule("lockDoor", {{"reason", "module"}});
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->payload == json{{"locked", true}, {"echo", {{"reason", "module"}}}});
  // The device itself is not connected: the module's session is its own.
  const auto device = hub().GetIdentity(offhub::ports::Identity::Device(kDeviceId));
  REQUIRE(device);
  CHECK((*device)["connectionState"] == "Disconnected");

  std::optional<domain::Result<json>> twin;
  module.GetTwin([&](domain::Result<json> r) { twin.emplace(std::move(r)); });
  REQUIRE(RunUntil([&] { return twin.has_value(); }));
  REQUIRE(*twin);
  CHECK((*twin)->contains("desired"));
  CHECK((*twin)->contains("reported"));

  std::optional<domain::Result<std::int64_t>> version;
  module.PatchReported({{"lock", "closed"}}, [&](domain::Result<std::int64_t> r) { version.emplace(std::move(r)); });
  REQUIRE(RunUntil([&] { return version.has_value(); }));
  REQUIRE(*version);
  const auto module_twin = hub().GetTwin(offhub::ports::Identity::Module(kDeviceId, kModuleId));
  REQUIRE(module_twin);
  CHECK((*module_twin)["moduleId"] == kModuleId);
  CHECK((*module_twin)["properties"]["reported"]["lock"] == "closed");
  CHECK((*module_twin)["properties"]["reported"]["$version"] == **version);
  const auto device_twin = hub().GetTwin(offhub::ports::Identity::Device(kDeviceId));
  REQUIRE(device_twin);
  CHECK_FALSE((*device_twin)["properties"]["reported"].contains("lock"));

  // As for a device, the desired subscription may still be on its way.
  int floor = 0;
  REQUIRE(RunUntil([&] {
    if (!desired.empty()) return true;
    REQUIRE(hub().PatchTwin(offhub::ports::Identity::Module(kDeviceId, kModuleId), {{"properties", {{"desired", {{"floor", ++floor}}}}}}, std::nullopt));
    return RunUntil([&] { return !desired.empty(); }, 300ms);
  }));
  CHECK(desired.front().first["floor"].is_number_integer());
}

TEST_CASE_FIXTURE(Fixture, "a module's token does not let a client in as the device, nor the device's as the module") {
  PutModule();
  const auto expiry = iothub::DeviceTokenExpiry(std::chrono::system_clock::now(), 1h);
  // Connects with a fixed token and tells whether the hub refused it (CONNACK 5, every retry).
  const auto refused = [&](azure::MqttDeviceOptions options, const std::string& token) {
    transport_.reset();
    log_.events.clear();
    options.device_key.clear();
    options.sas_token = token;
    Connect(std::move(options));
    REQUIRE(RunUntil([&] { return log_.Count(DeviceConnection::kDisconnected) >= 2; }));
    CAPTURE(log_.events.front().second);
    return log_.Count(DeviceConnection::kConnected) == 0 &&
           log_.events.front().second.find("CONNACK 5") != std::string::npos;
  };
  const auto module_token = iothub::MakeDeviceSasToken("localhost", kDeviceId, kModuleKey, expiry, kModuleId);
  const auto module_resource_device_key = iothub::MakeDeviceSasToken("localhost", kDeviceId, kKey, expiry, kModuleId);
  const auto device_token = iothub::MakeDeviceSasToken("localhost", kDeviceId, kKey, expiry);
  REQUIRE(module_token);
  REQUIRE(module_resource_device_key);
  REQUIRE(device_token);

  CHECK(refused(Options(), *module_token));
  CHECK(refused(Options(), *module_resource_device_key));  // the resource alone is enough to refuse
  CHECK(refused(ModuleOptions(), *device_token));
  // The module's own token gets the module in.
  transport_.reset();
  log_.events.clear();
  auto options = ModuleOptions();
  options.device_key.clear();
  options.sas_token = *module_token;
  Connect(options);
  REQUIRE(RunUntil([&] { return log_.connected(); }));
}

TEST_CASE("options are checked when the transport is made") {
  boost::asio::io_context io;
  azure::MqttDeviceOptions o;
  o.host_name = "hub.example";
  o.device_id = "d";
  CHECK_THROWS_AS(azure::MakeMqttDeviceTransport(io, o), std::invalid_argument);  // neither key nor token
  o.device_key = "not base64!";
  CHECK_THROWS_AS(azure::MakeMqttDeviceTransport(io, o), std::invalid_argument);
  o.device_key = kKey;
  o.module_id = "a/b";
  CHECK_THROWS_AS(azure::MakeMqttDeviceTransport(io, o), std::invalid_argument);
  o.module_id = kModuleId;
  CHECK_NOTHROW(azure::MakeMqttDeviceTransport(io, o));
  o.module_id.clear();
  o.gateway = "host:notaport";
  CHECK_THROWS_AS(azure::MakeMqttDeviceTransport(io, o), std::invalid_argument);
  o.gateway.clear();
  CHECK_NOTHROW(azure::MakeMqttDeviceTransport(io, o));  // TLS with the system's CA store
  o.sas_token = "SharedAccessSignature sr=x&sig=y&se=1";
  CHECK_THROWS_AS(azure::MakeMqttDeviceTransport(io, o), std::invalid_argument);  // both key and token
  o.device_key.clear();
  CHECK_NOTHROW(azure::MakeMqttDeviceTransport(io, o));
  o.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS(azure::MakeMqttDeviceTransport(io, o));
}
