#pragma once
// What the service ports (registry, twins, queries, methods, jobs) share:
// how an identity is named, If-Match, and query pages.
//
// Contract of every service port
// - Requests come in as validated domain values; documents come back in IoT
//   Hub's wire shape (the JSON of GET /devices/{id}, GET /twins/{id},
//   GET /jobs/v2/{id}, query items), so the same code reads them from the
//   emulator, the embedded hub and the cloud.
// - Every failure is a domain::Error carrying IoT Hub's code (404001
//   DeviceNotFound, 409001 DeviceAlreadyExists, 412001 PreconditionFailed,
//   ...); nothing throws for bad input.
// - Threading: the in-process hub must be called on its event-loop thread and
//   calls back on it; the Azure adapter documents its own rule.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/device.hpp"

namespace offhub::ports {

// A device, or a module of a device: what twins, method calls and the
// registry address (IoT Hub's /devices/{d} and /devices/{d}/modules/{m}).
struct Identity {
  std::string device_id;
  std::string module_id;  // empty: the device itself

  static Identity Device(std::string_view device_id) { return {std::string(device_id), {}}; }
  static Identity Module(std::string_view device_id, std::string_view module_id) {
    return {std::string(device_id), std::string(module_id)};
  }
  bool is_module() const { return !module_id.empty(); }
  // "{deviceId}" or "{deviceId}/{moduleId}" (the MQTT client id).
  std::string key() const { return domain::IdentityKey(device_id, module_id); }
};

// nullopt means "no If-Match header"; "*" and quoted etags as on the wire.
using IfMatch = std::optional<std::string_view>;

struct QueryPageRequest {
  std::size_t max_item_count = 0;  // 0: the hub's default page size
  std::optional<std::string> continuation;
};

struct QueryPage {
  nlohmann::json items = nlohmann::json::array();
  std::optional<std::string> continuation;  // absent on the last page
  std::string item_type;                    // "twin" | "deviceJob" | "jobResponse" | "raw"
};

}  // namespace offhub::ports
