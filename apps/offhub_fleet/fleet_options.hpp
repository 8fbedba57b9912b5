#pragma once
// offhub-fleet's command line: what the fleet is, where the hub is, how the
// devices answer. Every check is a CLI11 validator or runs in the app's
// callback, so a bad setting is one line naming its flag and exit code 2.
//
// The hub switch is the other programs' (apps/lib/hub_switch.hpp):
//   --connection-string / $IOTHUB_CONNECTION_STRING  service connection string (registry access);
//   --endpoint / $OFFHUB_ENDPOINT                   https://host:port or http://host:port instead of HostName:443;
//   --device-endpoint / $OFFHUB_DEVICE_ENDPOINT     mqtts://host:port or mqtt://host:port instead of HostName:8883;
//   --ca-file / $OFFHUB_CA_FILE                     PEM CAs to trust (the emulator's ca.pem).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "apps/lib/hub_switch.hpp"
#include "apps/offhub_fleet/fleet_device.hpp"
#include "apps/offhub_fleet/method_replies.hpp"

namespace CLI {
class App;
}

namespace offhub::fleet {

struct FleetOptions {
  std::string connection_string;
  std::string endpoint;
  std::string device_endpoint;
  std::string ca_file;
  std::string prefix = "fleet-";
  std::int64_t devices = 0;
  std::int64_t first_index = 0;
  std::int64_t devices_per_worker = 0;  // 0: as many as the file-descriptor limit allows
  int connect_concurrency = 64;
  int register_concurrency = 8;
  std::vector<std::string> method_specs;
  std::string methods_file;
  std::int64_t token_ttl_seconds = 3600;
  int keepalive_seconds = 300;
  double duration_seconds = 0;  // 0: until SIGINT/SIGTERM
  int progress_interval_ms = 0;  // 0: 250 on a terminal, 1000 otherwise
  std::string output = "text";

  // Filled by the app's callback once the options are valid.
  MethodReplies replies;
  std::int64_t per_worker = 0;  // devices per worker process
};

// How many devices one worker process can hold with `open_files` descriptors
// (libmosquitto takes three per client; a hundred are kept for the rest).
std::int64_t DevicesPerProcess(std::uint64_t open_files);

// Adds the options and the checks that need more than one of them;
// `open_files` is the worker's RLIMIT_NOFILE.
void AddFleetOptions(CLI::App& app, FleetOptions& options, std::uint64_t open_files);

// The device ids: prefix + (first_index + i).
std::vector<std::string> DeviceIds(const FleetOptions& options);

apps::ServiceSettings ServiceSettingsOf(const FleetOptions& options);
// Valid once the options passed their checks.
DeviceLink DeviceLinkOf(const FleetOptions& options);

}  // namespace offhub::fleet
