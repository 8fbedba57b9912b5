#include "apps/lib/hub_switch.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "adapters/asio/asio_clock.hpp"
#include "adapters/azure/mqtt/mqtt_device_transport.hpp"
#include "adapters/azure/rest_hub_service.hpp"
#include "adapters/emulator/emulator.hpp"
#include "adapters/emulator/hub/local_hub.hpp"
#include "adapters/emulator/hub/simulated_devices.hpp"
#include "adapters/emulator/rest/sas_auth.hpp"
#include "adapters/emulator/stores/memory_state_store.hpp"
#include "adapters/emulator/tls_material.hpp"
#include "adapters/iothub/connection_string.hpp"
#include "domain/device.hpp"

namespace offhub::apps {
namespace {

domain::Error Invalid(std::string message) { return domain::Error::ArgumentInvalid(std::move(message)); }

// The local emulator's defaults: its host name and ports as offhub-emulator starts without flags.
const emulator::EmulatorConfig& EmulatorDefaults() {
  static const emulator::EmulatorConfig kDefaults;
  return kDefaults;
}

// The emulator's CA where it keeps it by default, when that file exists.
std::optional<std::string> DefaultEmulatorCa() {
  const auto ca = emulator::DefaultTlsDir() / "ca.pem";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(ca, ec)) return std::nullopt;
  return ca.string();
}

// A CLI11 check by a parser of the setting: its error's message, or none.
template <class Parse>
CLI::Validator ParsedBy(Parse parse, std::string description) {
  return CLI::Validator(
      [parse](const std::string& text) {
        const auto parsed = parse(text);
        return parsed ? std::string() : parsed.error().message();
      },
      std::move(description));
}

CLI::Validator EndpointCheck(std::string secure, std::string plain) {
  return ParsedBy([=](const std::string& text) { return ParseEndpoint(text, secure, plain, "the endpoint"); }, "URL");
}

class RemoteHub final : public ServiceHub {
 public:
  RemoteHub(boost::asio::io_context& io, std::unique_ptr<ports::Hub> service, std::string host_name,
            std::string description)
      : clock_(offhub::MakeAsioClock(io)),
        service_(std::move(service)),
        host_name_(std::move(host_name)),
        description_(std::move(description)) {}
  ports::HubServices services() override { return service_->services(); }
  ports::Clock& clock() override { return *clock_; }
  std::string description() const override { return description_; }
  std::string host_name() const override { return host_name_; }

 private:
  std::unique_ptr<ports::Clock> clock_;
  std::unique_ptr<ports::Hub> service_;
  std::string host_name_;
  std::string description_;
};

class EmbeddedHub final : public ServiceHub {
 public:
  explicit EmbeddedHub(boost::asio::io_context& io)
      : clock_(offhub::MakeAsioClock(io)), devices_(*clock_), store_(emulator::MakeMemoryStateStore()) {}

  domain::Status Start(const std::vector<std::string>& device_ids) {
    auto hub = emulator::MakeLocalHub(*clock_, devices_, *store_);
    if (!hub) return hub.error();
    hub_ = std::move(*hub);
    for (const auto& id : device_ids) {
      auto spec = domain::ParseDeviceSpec(nlohmann::json::object(), id);
      if (!spec) return spec.error();
      if (auto created = hub_->PutIdentity(*spec, std::nullopt); !created) return created.error();
      devices_.Script(id, {.status = 200, .payload = nullptr, .latency_ms = 5});
      devices_.Connect(id);
    }
    return domain::Success();
  }
  ports::HubServices services() override { return hub_->services(); }
  ports::Clock& clock() override { return *clock_; }
  std::string description() const override { return "the embedded hub (in process)"; }
  std::string host_name() const override { return "localhost"; }

 private:
  std::unique_ptr<ports::Clock> clock_;
  emulator::SimulatedDevices devices_;
  std::unique_ptr<ports::StateStore> store_;
  std::unique_ptr<emulator::LocalHub> hub_;
};

}  // namespace

domain::Result<Endpoint> ParseEndpoint(const std::string& text, std::string_view secure, std::string_view plain,
                                       const char* what) {
  Endpoint e;
  std::string rest = text;
  if (rest.starts_with(std::string(secure) + "://")) {
    rest = rest.substr(secure.size() + 3);
  } else if (rest.starts_with(std::string(plain) + "://")) {
    e.tls = false;
    rest = rest.substr(plain.size() + 3);
  } else if (rest.find("://") != std::string::npos) {
    return Invalid(std::string(what) + " must start with " + std::string(secure) + ":// or " + std::string(plain) + "://");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto parsed = iothub::ParseHostPort(rest, what);
  if (!parsed) return parsed.error();
  e.host_port = rest;
  return e;
}

std::optional<std::string> DefaultToLocalEmulator(ServiceSettings& s) {
  if (s.hub != "auto" || !s.connection_string.empty()) return std::nullopt;
  const auto& local = EmulatorDefaults();
  const auto owner = emulator::rest::WellKnownPolicies().front();  // a copy: the vector is a temporary
  s.connection_string =
      "HostName=" + local.host_name + ";SharedAccessKeyName=" + owner.name + ";SharedAccessKey=" + owner.primary_key;
  if (s.ca_file.empty()) s.ca_file = DefaultEmulatorCa().value_or("");
  if (s.endpoint.empty()) {
    s.endpoint = s.ca_file.empty() ? "http://" + local.host_name + ":" + std::to_string(local.http_port)
                                   : "https://" + local.host_name + ":" + std::to_string(local.https_port);
  }
  return s.endpoint;
}

void AddServiceOptions(CLI::App& app, ServiceSettings& s) {
  auto* hub = app.add_option("--hub", s.hub, "auto (from the connection string) or embedded (LocalHub in this process)")
                  ->check(CLI::IsMember({"auto", "embedded"}))
                  ->capture_default_str();
  app.add_option("--connection-string", s.connection_string,
                 "Service connection string (none: the local emulator on its default ports)")
      ->envname("IOTHUB_CONNECTION_STRING")
      ->check(ParsedBy([](const std::string& text) { return iothub::ParseServiceConnectionString(text); },
                       "CONNECTION_STRING"));
  app.add_option("--ca-file", s.ca_file, "PEM file of CAs to trust")
      ->envname("OFFHUB_CA_FILE")
      ->check(CLI::ExistingFile);
  app.add_option("--endpoint", s.endpoint, "https://host:port or http://host:port instead of HostName:443")
      ->envname("OFFHUB_ENDPOINT")
      ->check(EndpointCheck("https", "http"));
  app.add_option("--device", s.embedded_devices, "Simulated devices of the embedded hub (with --hub embedded)")
      ->capture_default_str()
      ->needs(hub)
      ->check(ParsedBy([](const std::string& id) { return domain::ValidateDeviceId(id); }, "ID"));
}

void AddDeviceOptions(CLI::App& app, DeviceSettings& s) {
  app.add_option("--connection-string", s.connection_string, "Device (or module, with ModuleId=) connection string")
      ->envname("IOTHUB_DEVICE_CONNECTION_STRING")
      ->check(ParsedBy([](const std::string& text) { return iothub::ParseDeviceConnectionString(text); },
                       "CONNECTION_STRING"));
  app.add_option("--ca-file", s.ca_file, "PEM file of CAs to trust (default: the system's; the local emulator's for "
                                         "HostName=localhost)")
      ->envname("OFFHUB_CA_FILE")
      ->check(CLI::ExistingFile);
  app.add_option("--endpoint", s.endpoint, "mqtts://host:port or mqtt://host:port instead of HostName:8883")
      ->envname("OFFHUB_DEVICE_ENDPOINT")
      ->check(EndpointCheck("mqtts", "mqtt"));
}

domain::Result<std::unique_ptr<ServiceHub>> ConnectServiceHub(boost::asio::io_context& io,
                                                              const ServiceSettings& settings) {
  if (settings.hub == "embedded") {
    auto hub = std::make_unique<EmbeddedHub>(io);
    if (auto started = hub->Start(settings.embedded_devices); !started) return started.error();
    return std::unique_ptr<ServiceHub>(std::move(hub));
  }
  ServiceSettings s = settings;
  const auto local = DefaultToLocalEmulator(s);
  auto connection = iothub::ParseServiceConnectionString(s.connection_string);
  if (!connection) return connection.error();
  azure::RestHubOptions options;
  options.connection = *connection;
  if (!s.ca_file.empty()) options.ca_file = s.ca_file;
  if (!s.endpoint.empty()) {
    auto endpoint = ParseEndpoint(s.endpoint, "https", "http", "--endpoint");
    if (!endpoint) return endpoint.error();
    options.endpoint_override = endpoint->host_port;
    options.tls = endpoint->tls;
  }
  try {
    auto service = azure::MakeRestHubService(std::move(options));
    const std::string description = local ? "the local emulator at " + *local + " (no IOTHUB_CONNECTION_STRING)"
                                          : "IoT hub " + connection->host_name;
    return std::unique_ptr<ServiceHub>(
        std::make_unique<RemoteHub>(io, std::move(service), connection->host_name, description));
  } catch (const std::exception& e) {
    return Invalid(e.what());
  }
}

domain::Result<std::unique_ptr<ports::DeviceTransport>> ConnectDevice(boost::asio::io_context& io,
                                                                      const DeviceSettings& s) {
  if (s.connection_string.empty()) {
    return Invalid("no device connection string: set IOTHUB_DEVICE_CONNECTION_STRING or --connection-string");
  }
  auto connection = iothub::ParseDeviceConnectionString(s.connection_string);
  if (!connection) return connection.error();
  azure::MqttDeviceOptions options;
  options.host_name = connection->host_name;
  options.device_id = connection->device_id;
  options.module_id = connection->module_id.value_or("");  // ModuleId=...: connect as that module
  options.device_key = connection->key.value_or("");
  options.sas_token = connection->signature.value_or("");
  options.ca_file = s.ca_file;
  if (options.ca_file.empty() && options.host_name == EmulatorDefaults().host_name) {
    options.ca_file = DefaultEmulatorCa().value_or("");  // the local emulator's device, as DefaultToLocalEmulator
  }
  if (connection->gateway_host) {
    options.gateway = *connection->gateway_host;
    if (connection->gateway_port) options.gateway += ":" + std::to_string(*connection->gateway_port);
  }
  if (!s.endpoint.empty()) {
    auto endpoint = ParseEndpoint(s.endpoint, "mqtts", "mqtt", "--endpoint");
    if (!endpoint) return endpoint.error();
    options.gateway = endpoint->host_port;
    options.tls = endpoint->tls;
  }
  try {
    return azure::MakeMqttDeviceTransport(io, std::move(options));
  } catch (const std::exception& e) {
    return Invalid(e.what());
  }
}

}  // namespace offhub::apps
