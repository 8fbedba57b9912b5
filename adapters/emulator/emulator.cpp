#include "adapters/emulator/emulator.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "adapters/asio/asio_clock.hpp"
#include "adapters/emulator/control/hub_control.hpp"
#include "adapters/emulator/control/throttled_services.hpp"
#include "adapters/emulator/data_directory.hpp"
#include "adapters/emulator/stores/memory_state_store.hpp"
#include "adapters/emulator/stores/sqlite_state_store.hpp"
#include "adapters/emulator/mqtt/broker_process.hpp"
#include "adapters/emulator/mqtt/broker_supervisor.hpp"
#include "adapters/emulator/mqtt/mqtt_device_channel.hpp"
#include "adapters/emulator/rest/http_server.hpp"
#include "adapters/emulator/rest/router.hpp"
#include "adapters/iothub/sas_token.hpp"
#include "domain/json_text.hpp"

namespace offhub::emulator {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;

// Hands device and module keys and status to the broker plugin as the
// registry changes, by identity key (the MQTT client id).
// An identity removed loses its faults.
class CredentialsForwarder final : public RegistryObserver {
 public:
  CredentialsForwarder(MqttDeviceChannel& channel, FaultInjector& faults) : channel_(channel), faults_(faults) {}
  void OnDeviceChanged(const domain::Device& d) override {
    channel_.SetDeviceCredentials(d.key(), d.primary_key, d.secondary_key, d.status == domain::DeviceStatus::kEnabled);
  }
  void OnDeviceRemoved(std::string_view id) override {
    faults_.Forget(id);
    channel_.RemoveDevice(id);
  }

 private:
  MqttDeviceChannel& channel_;
  FaultInjector& faults_;
};

std::unique_ptr<rest::HttpServer> Listen(asio::io_context& io, rest::Router& router, const std::string& address,
                                         int port, asio::ssl::context* tls, int mqtt_port,
                                         std::shared_ptr<rest::ConnectionLimit> limit, const char* what) {
  if (port == 0) return nullptr;
  try {
    return rest::StartHttpServer(io, router, address, static_cast<std::uint16_t>(port), tls,
                                 static_cast<std::uint16_t>(mqtt_port), std::move(limit));
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(std::string("cannot listen for ") + what + " on " + address + ":" + std::to_string(port) +
                             ": " + e.code().message());
  }
}

}  // namespace

// The hub core's broker connection retries this often at most while the
// broker restarts, so /health turns 200 soon after the broker is back.
constexpr auto kHubReconnectMax = std::chrono::milliseconds(200);
// How long the dashboard page's token lasts (a day: a page left open is reloaded before then).
constexpr std::int64_t kPageTokenSeconds = 24 * 3600;

std::string ReadText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool IsLoopback(const std::string& address) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  return address == "localhost" || (!ec && ip.is_loopback());
}
constexpr auto kReadyPoll = std::chrono::milliseconds(5);

struct Emulator::Parts {
  asio::io_context& io;
  EmulatorConfig config;
  std::unique_ptr<DataDirectory> data;
  fs::path data_dir;
  TlsMaterial tls;
  std::unique_ptr<SteerableClock> clock;
  std::optional<BrokerProcess> broker;
  std::optional<BrokerSupervisor> supervisor;
  std::unique_ptr<MqttDeviceChannel> channel;
  std::unique_ptr<FaultInjector> faults;  // between the hub and `channel`
  std::unique_ptr<ports::StateStore> store;
  std::unique_ptr<CredentialsForwarder> forwarder;
  std::unique_ptr<EventFeed> events;  // what the hub tells GET /offhub/v1/events
  std::unique_ptr<LocalHub> hub;
  std::unique_ptr<ControlService> control;
  std::unique_ptr<ThrottledServices> throttled;  // --tier: what the REST front calls
  std::unique_ptr<rest::Router> router;
  asio::ssl::context server_tls{asio::ssl::context::tls_server};
  std::unique_ptr<rest::HttpServer> http;
  std::unique_ptr<rest::HttpServer> https;
  asio::steady_timer ready_timer{io};

  explicit Parts(asio::io_context& io_in, EmulatorConfig config_in) : io(io_in), config(std::move(config_in)) {}
};

Emulator::Emulator(asio::io_context& io, EmulatorConfig config) : parts_(std::make_unique<Parts>(io, std::move(config))) {
  auto& p = *parts_;
  p.data = DataDirectory::Open(p.config.data_dir);
  p.data_dir = p.data->path();
  try {
    Start();
  } catch (...) {
    Stop();
    throw;
  }
}

void Emulator::Start() {
  auto& p = *parts_;
  p.tls = EnsureTlsMaterial(p.config.tls_dir.empty() ? DefaultTlsDir() : p.config.tls_dir, p.config.host_name);
  p.clock = MakeAsioClock(p.io, p.config.manual_clock);
  if (p.config.in_memory || p.data->temporary()) {
    p.store = MakeNullStateStore();  // the hub's own maps are the only copy
  } else {
    auto store = MakeSqliteStateStore(p.data_dir / "state.db");
    if (!store) throw std::runtime_error(store.error().message());
    p.store = std::move(*store);
  }
  if (p.config.seed) {
    if (auto s = p.store->ReplaceAll(p.config.seed->state); !s) {
      throw std::runtime_error("cannot store the seed: " + s.error().message());
    }
  }
  auto loaded = p.config.seed ? domain::Result<ports::StoredState>(p.config.seed->state) : p.store->Load();
  if (!loaded) throw std::runtime_error("cannot load the hub's state: " + loaded.error().message());
  // The broker starts knowing every stored device's keys: a device that
  // reconnects the moment the broker listens is not refused while the hub loads.
  nlohmann::json keys = nlohmann::json::object();
  for (const auto& d : loaded->devices) {
    keys[d.identity.key()] = BrokerKeysJson(d.identity.primary_key, d.identity.secondary_key,
                                            d.identity.status == domain::DeviceStatus::kEnabled);
  }
  StartBroker(domain::DumpJson(keys));
  p.faults = std::make_unique<FaultInjector>(*p.channel, *p.channel, *p.clock);
  p.forwarder = std::make_unique<CredentialsForwarder>(*p.channel, *p.faults);
  p.events = std::make_unique<EventFeed>(*p.clock);
  p.hub = MakeLocalHub(*p.clock, *p.faults, *p.store, std::move(*loaded),
                       {.max_in_flight_per_job = p.config.max_in_flight_per_job,
                        .observer = p.forwarder.get(),
                        .tier = p.config.tier,
                        .events = p.events.get()});
  p.faults->SetRequestHandler(p.hub.get());
  p.channel->SetRequestHandler(p.faults.get());
  // The control plane keeps the seed for resets; the config's copy is not needed again.
  HubDocument seed = std::move(p.config.seed).value_or(HubDocument{});
  p.config.seed.reset();
  p.faults->ReplaceAll(seed.faults);
  p.control = MakeHubControl(*p.clock, *p.hub, *p.faults, std::move(seed));
  StartRest();
}

// The broker (supervised) and the hub core's connection to it.
void Emulator::StartBroker(std::string initial_keys) {
  auto& p = *parts_;
  BrokerConfig broker;
  broker.directory = p.data_dir / "broker";
  broker.mosquitto_path = p.config.mosquitto_path;
  broker.plugin_path = p.config.plugin_path;
  broker.hub_username = "offhub-hub";
  broker.hub_password = MakeRunSecret();
  broker.hostname = p.config.host_name;
  broker.mqtt_port = p.config.mqtt_port;
  if (p.config.mqtts_port != 0) {
    broker.tls = BrokerTlsListener{p.config.mqtts_port, p.tls.server_certificate.string(), p.tls.server_key.string()};
  }
  if (!p.config.in_memory && !p.data->temporary()) broker.persistence_directory = broker.directory;
  if (!fs::exists(broker.mosquitto_path)) throw std::runtime_error("mosquitto not found at " + broker.mosquitto_path);
  if (!fs::exists(broker.plugin_path)) throw std::runtime_error("the broker plugin is not at " + broker.plugin_path);
  p.broker.emplace(broker);
  p.broker->SetKeysSnapshot([keys = std::move(initial_keys)] { return keys; });
  p.broker->Start();
  p.supervisor.emplace(p.io, *p.broker);
  p.supervisor->Watch();

  p.channel = MakeMqttDeviceChannel(p.io, *p.clock,
                                    {.host = "127.0.0.1", .port = p.broker->mqtt_port(),
                                     .hub_username = broker.hub_username, .hub_password = broker.hub_password,
                                     .max_reconnect_delay = kHubReconnectMax});
  // A restarted broker starts with the keys it had, so devices reconnecting
  // before the hub does are not refused.
  p.broker->SetKeysSnapshot([channel = p.channel.get()] { return channel->CredentialsSnapshot(); });
  // A hung broker (alive, not answering) shows in /health and is restarted.
  p.supervisor->SetSilenceProbe([channel = p.channel.get()] { return channel->BrokerSilence(); });
}

void Emulator::StartRest() {
  auto& p = *parts_;
  auto health = [&p] {
    const auto broker = p.supervisor->health();
    rest::HealthReport report;
    const char* state = !broker.up ? "down" : broker.answering ? "running" : "not answering";
    report.details = {{"broker", state}, {"brokerRestarts", broker.restarts}};
    if (!broker.up || !broker.answering) {
      report.ok = false;
      report.reason = broker.reason;
    } else if (!p.channel->connected()) {
      report.ok = false;
      report.reason = "the hub core is not connected to its MQTT broker yet";
    }
    return report;
  };
  if (p.config.tier) p.throttled = MakeThrottledServices(p.hub->services(), *p.config.tier, *p.clock);
  rest::RouterOptions options{.health = health,
                              .control = p.control.get(),
                              .token_seconds = [] { return static_cast<std::int64_t>(std::time(nullptr)); },
                              .events = p.events.get(),
                              .page_token = {},
                              .page_host = p.config.host_name,
                              .ca_certificate = ReadText(p.tls.ca_certificate)};
  if (IsLoopback(p.config.bind_address)) {  // the dashboard works without a login only where only this machine reaches it
    options.require_local_host = true;
    options.page_token = [host = p.config.host_name] {
      const auto owner = rest::WellKnownPolicies().front();
      auto token = iothub::MakeSasToken(host, owner.primary_key, std::time(nullptr) + kPageTokenSeconds, owner.name);
      return token ? *token : std::string();
    };
  }
  p.router = std::make_unique<rest::Router>(p.throttled ? p.throttled->services() : p.hub->services(), *p.clock,
                                            rest::SasAuthorizer(p.config.host_name, rest::WellKnownPolicies()),
                                            std::move(options));
  p.server_tls.use_certificate_chain_file(p.tls.server_certificate.string());
  p.server_tls.use_private_key_file(p.tls.server_key.string(), asio::ssl::context::pem);
  const int mqtt_port = p.broker->mqtt_port();
  // One budget for both listeners: together they stay within the open-file limit.
  const auto limit = rest::ConnectionLimit::ForOpenFiles();
  spdlog::info("REST front: at most {} connections (the open-file limit less {} for the rest)", limit->max(),
               rest::ConnectionLimit::kReservedFiles);
  p.http = Listen(p.io, *p.router, p.config.bind_address, p.config.http_port, nullptr, mqtt_port, limit, "HTTP");
  p.https =
      Listen(p.io, *p.router, p.config.bind_address, p.config.https_port, &p.server_tls, mqtt_port, limit, "HTTPS");
}

Emulator::~Emulator() { Stop(); }

void Emulator::WhenReady(std::function<void()> ready, std::function<void(const std::string&)> failed) {
  PollReady(std::chrono::steady_clock::now() + kReadyTimeout, std::move(ready), std::move(failed));
}

void Emulator::PollReady(std::chrono::steady_clock::time_point deadline, std::function<void()> ready,
                         std::function<void(const std::string&)> failed) {
  auto& p = *parts_;
  if (p.channel->connected()) return ready();
  if (std::chrono::steady_clock::now() >= deadline) {
    const std::string why = "the hub core could not log in to its MQTT broker on 127.0.0.1:" +
                            std::to_string(p.broker->mqtt_port()) + " within " +
                            std::to_string(kReadyTimeout.count()) + " s";
    if (failed) failed(why);
    return;
  }
  p.ready_timer.expires_after(kReadyPoll);
  p.ready_timer.async_wait([this, deadline, ready = std::move(ready), failed = std::move(failed)](
                               const boost::system::error_code& ec) mutable {
    if (!ec) PollReady(deadline, std::move(ready), std::move(failed));
  });
}

void Emulator::Stop() {
  auto& p = *parts_;
  p.ready_timer.cancel();
  if (p.channel) p.channel->SetRequestHandler(nullptr);
  if (p.faults) p.faults->SetRequestHandler(nullptr);
  if (p.http) p.http->Stop();
  if (p.https) p.https->Stop();
  if (p.supervisor) p.supervisor->Stop();
  if (p.broker) p.broker->Stop();
}

void Emulator::RestartBroker() { parts_->supervisor->Restart(); }

std::string Emulator::ServiceConnectionString() const {
  for (const auto& policy : rest::WellKnownPolicies()) {
    if (policy.name == "iothubowner") {
      return "HostName=" + parts_->config.host_name + ";SharedAccessKeyName=iothubowner;SharedAccessKey=" +
             policy.primary_key;
    }
  }
  return {};
}

int Emulator::http_port() const { return parts_->http ? parts_->http->port() : 0; }
int Emulator::https_port() const { return parts_->https ? parts_->https->port() : 0; }
int Emulator::mqtt_port() const { return parts_->broker->mqtt_port(); }
int Emulator::mqtts_port() const { return parts_->broker->tls_port(); }
const TlsMaterial& Emulator::tls() const { return parts_->tls; }
LocalHub& Emulator::hub() { return *parts_->hub; }

}  // namespace offhub::emulator
