#include "apps/offhub_fleet/fleet_options.hpp"

#include <CLI/CLI.hpp>
#include <fstream>
#include <sstream>

#include "adapters/iothub/connection_string.hpp"
#include "domain/device.hpp"

namespace offhub::fleet {
namespace {

constexpr std::int64_t kMaxDevices = 10'000'000;
constexpr int kDefaultTlsPort = 8883;
constexpr int kDefaultPlainPort = 1883;

constexpr const char* kFooter = R"(Methods: --method NAME[=STATUS[:LATENCY_MS[:PAYLOAD_JSON]]], repeatable; NAME '*' is any
other method. Without --method or --methods-file every method is answered 200 at once with null;
with them, a method that has no reply (and no '*') is answered 501. --methods-file holds a JSON
object: {"lockDoor": {"status": 200, "latencyMs": 50, "payload": {"result": "locked"}}, "*": {"status": 404}}.
Desired-property patches are reported back as reported properties, as the tutorial's device does.

Devices PREFIX0..PREFIX<N-1> (from --first-index) are registered first when missing (service side),
then spread over as many worker processes as the file-descriptor limit needs (or
--devices-per-worker each). Workers die with this process. Progress goes to stderr (a live line on
a terminal, a line a second otherwise); the summary to stdout at the end (--output json: one JSON object).

Exit codes: 0 stopped by SIGINT/SIGTERM or at the end of --duration, every worker disconnected
cleanly; 1 the hub refused the registration or a worker failed; 2 bad configuration.)";

// A CLI11 validator from a function returning a Result: its error message.
template <class Check>
CLI::Validator Checked(Check check, std::string description) {
  return CLI::Validator(
      [check](std::string& value) -> std::string {
        const auto result = check(value);
        return result ? std::string() : std::string(result.error().message());
      },
      std::move(description));
}

domain::Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return domain::Error::ArgumentInvalid("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

domain::Result<MethodReplies> MethodsFromFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return text.error();
  return ParseMethodsJson(*text);
}

// The checks over several options, after parsing.
void Finish(FleetOptions& o, std::uint64_t open_files) {
  const std::string last_id = o.prefix + std::to_string(o.first_index + o.devices - 1);
  if (auto valid = domain::ValidateDeviceId(last_id); !valid) {
    throw CLI::ValidationError("--prefix", "device id " + last_id + ": " + valid.error().message());
  }
  const std::int64_t capacity = DevicesPerProcess(open_files);
  if (o.devices_per_worker > capacity) {
    throw CLI::ValidationError("--devices-per-worker", std::to_string(o.devices_per_worker) +
                                                          " devices do not fit one process's " +
                                                          std::to_string(open_files) + " file descriptors (at most " +
                                                          std::to_string(capacity) + ")");
  }
  o.per_worker = o.devices_per_worker > 0 ? o.devices_per_worker : capacity;
  if (!o.methods_file.empty()) o.replies = *MethodsFromFile(o.methods_file);
  for (const auto& spec : o.method_specs) {
    auto [name, reply] = *ParseMethodSpec(spec);
    o.replies.Set(std::move(name), std::move(reply));
  }
}

void AddHubOptions(CLI::App& app, FleetOptions& o) {
  app.add_option("--connection-string", o.connection_string, "Service connection string (registry read/write)")
      ->envname("IOTHUB_CONNECTION_STRING")
      ->required()
      ->check(Checked([](const std::string& v) { return iothub::ParseServiceConnectionString(v); }, "CONNECTION_STRING"));
  app.add_option("--endpoint", o.endpoint, "https://host:port or http://host:port instead of HostName:443")
      ->envname("OFFHUB_ENDPOINT")
      ->check(Checked([](const std::string& v) { return apps::ParseEndpoint(v, "https", "http", "--endpoint"); }, "URL"));
  app.add_option("--device-endpoint", o.device_endpoint, "mqtts://host:port or mqtt://host:port instead of HostName:8883")
      ->envname("OFFHUB_DEVICE_ENDPOINT")
      ->check(Checked([](const std::string& v) { return apps::ParseEndpoint(v, "mqtts", "mqtt", "--device-endpoint"); },
                      "URL"));
  app.add_option("--ca-file", o.ca_file, "PEM file of CAs to trust (default: the system's)")
      ->envname("OFFHUB_CA_FILE")
      ->check(CLI::ExistingFile);
}

void AddFleetShape(CLI::App& app, FleetOptions& o) {
  app.add_option("--devices", o.devices, "How many devices")->required()->check(CLI::Range(std::int64_t{1}, kMaxDevices));
  app.add_option("--prefix", o.prefix, "Device ids are PREFIX<index>")
      ->capture_default_str()
      ->check(Checked([](const std::string& v) { return domain::ValidateDeviceId(v + "0"); }, "PREFIX"));
  app.add_option("--first-index", o.first_index, "Index of the first device")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}));
  app.add_option("--devices-per-worker", o.devices_per_worker,
                 "Devices per worker process (default: as many as the file-descriptor limit allows)")
      ->check(CLI::Range(std::int64_t{1}, kMaxDevices));
  app.add_option("--connect-concurrency", o.connect_concurrency, "First connection attempts in flight, over all workers")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  app.add_option("--register-concurrency", o.register_concurrency, "Registry requests in flight while registering")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
}

void AddBehaviour(CLI::App& app, FleetOptions& o) {
  app.add_option("--method", o.method_specs, "NAME[=STATUS[:LATENCY_MS[:PAYLOAD_JSON]]]: how to answer a method")
      ->check(Checked([](const std::string& v) { return ParseMethodSpec(v); }, "SPEC"));
  app.add_option("--methods-file", o.methods_file, "JSON file of method replies (see below)")
      ->check(CLI::ExistingFile & Checked([](const std::string& v) { return MethodsFromFile(v); }, ""));
  app.add_option("--token-ttl", o.token_ttl_seconds, "Seconds each device's SAS token lives (renewed at 3/4)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{60}, std::int64_t{365} * 86400));
  app.add_option("--keepalive", o.keepalive_seconds, "MQTT keep-alive in seconds")
      ->capture_default_str()
      ->check(CLI::Range(5, 1740));  // IoT Hub's maximum keep-alive is 29 minutes
  app.add_option("--duration", o.duration_seconds, "Stop after this many seconds (default: run until SIGINT/SIGTERM)")
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--progress-interval", o.progress_interval_ms, "Milliseconds between progress lines")
      ->check(CLI::Range(10, 3'600'000));
  app.add_option("--output", o.output, "Summary format: text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
}

}  // namespace

std::int64_t DevicesPerProcess(std::uint64_t open_files) {
  constexpr std::uint64_t kReserved = 100;
  constexpr std::uint64_t kPerClient = 3;  // the socket and libmosquitto's wake-up socket pair
  return open_files <= kReserved + kPerClient ? 1 : static_cast<std::int64_t>((open_files - kReserved) / kPerClient);
}

void AddFleetOptions(CLI::App& app, FleetOptions& o, std::uint64_t open_files) {
  AddHubOptions(app, o);
  AddFleetShape(app, o);
  AddBehaviour(app, o);
  app.footer(kFooter);
  app.callback([&o, open_files] { Finish(o, open_files); });
}

std::vector<std::string> DeviceIds(const FleetOptions& o) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(o.devices));
  for (std::int64_t i = 0; i < o.devices; ++i) ids.push_back(o.prefix + std::to_string(o.first_index + i));
  return ids;
}

apps::ServiceSettings ServiceSettingsOf(const FleetOptions& o) {
  apps::ServiceSettings s;
  s.connection_string = o.connection_string;
  s.ca_file = o.ca_file;
  s.endpoint = o.endpoint;
  return s;
}

DeviceLink DeviceLinkOf(const FleetOptions& o) {
  DeviceLink link;
  link.host_name = iothub::ParseServiceConnectionString(o.connection_string)->host_name;
  link.host = link.host_name;
  link.port = kDefaultTlsPort;
  if (!o.device_endpoint.empty()) {
    const auto endpoint = *apps::ParseEndpoint(o.device_endpoint, "mqtts", "mqtt", "--device-endpoint");
    const auto host_port = *iothub::ParseHostPort(endpoint.host_port, "--device-endpoint");
    link.tls = endpoint.tls;
    link.host = host_port.host;
    link.port = host_port.port.value_or(link.tls ? kDefaultTlsPort : kDefaultPlainPort);
  }
  link.ca_file = o.ca_file;
  link.token_ttl = std::chrono::seconds(o.token_ttl_seconds);
  link.keepalive_seconds = o.keepalive_seconds;
  return link;
}

}  // namespace offhub::fleet
