#pragma once
// One switch between a real IoT hub, the emulator and the embedded hub: apps
// build their adapters from configuration only, with no rebuild.
//
// Service side (schedule-job-service, offhub):
//   --connection-string / $IOTHUB_CONNECTION_STRING  a service connection string;
//   --ca-file / $OFFHUB_CA_FILE   PEM CAs to trust (the emulator's ca.pem); default: the system store;
//   --endpoint / $OFFHUB_ENDPOINT where to connect instead of HostName:443, as
//       https://host:port or http://host:port (the emulator's unprivileged ports);
//   --hub embedded                runs LocalHub in this process, with simulated
//       devices (always connected, answering every method 200) named by --device.
//   Neither a connection string nor --hub embedded: the local emulator on its
//       default ports (DefaultToLocalEmulator below).
// Device side (sim-device):
//   --connection-string / $IOTHUB_DEVICE_CONNECTION_STRING  (GatewayHostName=host:port works;
//       with ModuleId=m the app connects as that module of the device);
//   --ca-file / $OFFHUB_CA_FILE;  --endpoint / $OFFHUB_DEVICE_ENDPOINT  mqtts://host:port or mqtt://host:port.
//   A device of the local emulator (HostName=localhost) with no CA given
//       trusts the emulator's default CA (<DefaultTlsDir>/ca.pem) when it exists.
// A malformed --endpoint, a --ca-file that does not exist or a bad --device
// id stops the parse (CLI11, exit 2); other bad settings are a typed 400 error
// naming them.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "domain/result.hpp"
#include "ports/clock.hpp"
#include "ports/device_transport.hpp"
#include "ports/hub_services.hpp"

namespace CLI {
class App;
}

namespace offhub::apps {

struct ServiceSettings {
  std::string hub = "auto";  // auto: from the connection string; embedded: in process
  std::string connection_string;
  std::string ca_file;
  std::string endpoint;
  std::vector<std::string> embedded_devices{"myDeviceId"};
};

struct DeviceSettings {
  std::string connection_string;
  std::string ca_file;
  std::string endpoint;
};

// "https://host:port" -> {tls, "host:port"} (and "mqtts://"/"mqtt://" with
// those names as `secure`/`plain`); a bare "host:port" means TLS. A bad
// scheme or host:port is a 400 ArgumentInvalid naming `what`.
struct Endpoint {
  bool tls = true;
  std::string host_port;
};
domain::Result<Endpoint> ParseEndpoint(const std::string& text, std::string_view secure, std::string_view plain,
                                       const char* what);

// With --hub auto and no service connection string (neither
// --connection-string nor $IOTHUB_CONNECTION_STRING), makes `settings` name
// the local emulator on its default ports: its well-known owner connection
// string (HostName=localhost, rest/sas_auth.hpp), and, unless --endpoint is
// given, https://localhost:8443 when its default CA (<DefaultTlsDir>/ca.pem,
// trusted unless --ca-file is given) exists or --ca-file is given, else
// http://localhost:8080 (EmulatorConfig's ports). Returns the endpoint chosen
// (for the line that says so); nullopt, and `settings` unchanged, when they
// already name a hub. ConnectServiceHub applies it too.
std::optional<std::string> DefaultToLocalEmulator(ServiceSettings& settings);

// Adds the options above to `app`, with the environment as defaults.
void AddServiceOptions(CLI::App& app, ServiceSettings& settings);
void AddDeviceOptions(CLI::App& app, DeviceSettings& settings);

// What a service app talks to, and the clock its polling runs on.
class ServiceHub {
 public:
  virtual ~ServiceHub() = default;
  virtual ports::HubServices services() = 0;
  virtual ports::Clock& clock() = 0;
  // "IoT hub myhub.azure-devices.net", "the embedded hub (in process)", "the local emulator at ... (no ...)"
  virtual std::string description() const = 0;
  virtual std::string host_name() const = 0;    // HostName for device connection strings
};

// Runs on `io` (the embedded hub lives on it; the REST adapter blocks the caller).
domain::Result<std::unique_ptr<ServiceHub>> ConnectServiceHub(boost::asio::io_context& io,
                                                              const ServiceSettings& settings);

// The device transport for a device or module connection string (not started).
domain::Result<std::unique_ptr<ports::DeviceTransport>> ConnectDevice(boost::asio::io_context& io,
                                                                      const DeviceSettings& settings);

}  // namespace offhub::apps
