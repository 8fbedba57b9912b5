#include "apps/lib/hub_switch.hpp"

#include <CLI/CLI.hpp>

#include "adapters/iothub/connection_string.hpp"
#include "adapters/azure/mqtt/mqtt_device_transport.hpp"
#include "adapters/azure/rest_hub_service.hpp"
#include "adapters/asio/asio_clock.hpp"
#include "adapters/emulator/hub/local_hub.hpp"
#include "adapters/emulator/stores/memory_state_store.hpp"
#include "adapters/emulator/hub/simulated_devices.hpp"

namespace offhub::apps {
namespace {

domain::Error Invalid(std::string message) { return domain::Error::ArgumentInvalid(std::move(message)); }

class RemoteHub final : public ServiceHub {
 public:
  RemoteHub(boost::asio::io_context& io, std::unique_ptr<ports::Hub> service, std::string host_name)
      : clock_(offhub::MakeAsioClock(io)), service_(std::move(service)), host_name_(std::move(host_name)) {}
  ports::HubServices services() override { return service_->services(); }
  ports::Clock& clock() override { return *clock_; }
  std::string description() const override { return "IoT hub " + host_name_; }
  std::string host_name() const override { return host_name_; }

 private:
  std::unique_ptr<ports::Clock> clock_;
  std::unique_ptr<ports::Hub> service_;
  std::string host_name_;
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

void AddServiceOptions(CLI::App& app, ServiceSettings& s) {
  app.add_option("--hub", s.hub, "auto (from the connection string) or embedded (LocalHub in this process)")
      ->check(CLI::IsMember({"auto", "embedded"}))
      ->capture_default_str();
  app.add_option("--connection-string", s.connection_string, "Service connection string")
      ->envname("IOTHUB_CONNECTION_STRING");
  app.add_option("--ca-file", s.ca_file, "PEM file of CAs to trust")->envname("OFFHUB_CA_FILE");
  app.add_option("--endpoint", s.endpoint, "https://host:port or http://host:port instead of HostName:443")
      ->envname("OFFHUB_ENDPOINT");
  app.add_option("--device", s.embedded_devices, "Simulated devices of the embedded hub")->capture_default_str();
}

void AddDeviceOptions(CLI::App& app, DeviceSettings& s) {
  app.add_option("--connection-string", s.connection_string, "Device (or module, with ModuleId=) connection string")
      ->envname("IOTHUB_DEVICE_CONNECTION_STRING");
  app.add_option("--ca-file", s.ca_file, "PEM file of CAs to trust")->envname("OFFHUB_CA_FILE");
  app.add_option("--endpoint", s.endpoint, "mqtts://host:port or mqtt://host:port instead of HostName:8883")
      ->envname("OFFHUB_DEVICE_ENDPOINT");
}

domain::Result<std::unique_ptr<ServiceHub>> ConnectServiceHub(boost::asio::io_context& io, const ServiceSettings& s) {
  if (s.hub == "embedded") {
    auto hub = std::make_unique<EmbeddedHub>(io);
    if (auto started = hub->Start(s.embedded_devices); !started) return started.error();
    return std::unique_ptr<ServiceHub>(std::move(hub));
  }
  if (s.connection_string.empty()) {
    return Invalid("no service connection string: set IOTHUB_CONNECTION_STRING or --connection-string (or use --hub embedded)");
  }
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
    return std::unique_ptr<ServiceHub>(std::make_unique<RemoteHub>(io, std::move(service), connection->host_name));
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
