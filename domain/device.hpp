#pragma once
// A device or module identity in the registry, as PUT/GET /devices/{id} and
// /devices/{id}/modules/{moduleId} carry it.
// https://learn.microsoft.com/rest/api/iothub/service/devices/create-or-update-identity
// https://learn.microsoft.com/rest/api/iothub/service/modules/create-or-update-identity

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"
#include "domain/time.hpp"
#include "domain/twin.hpp"

namespace offhub::domain {

// "{deviceId}" for a device, "{deviceId}/{moduleId}" for a module: the
// identity's MQTT client id, and its key wherever offhub keeps identities
// (ids cannot hold '/', so the key is unambiguous).
std::string IdentityKey(std::string_view device_id, std::string_view module_id);

struct Device {
  std::string device_id;
  std::string module_id;                  // empty for a device
  std::optional<std::string> managed_by;  // modules only
  std::string generation_id;       // 18 digits, fixed at creation
  std::uint64_t etag_counter = 1;  // etag = base64 of its decimal text ("MzE4NzUxOTU1")
  DeviceStatus status = DeviceStatus::kEnabled;
  std::optional<std::string> status_reason;
  std::optional<UtcTime> status_updated_time;
  ConnectionState connection_state = ConnectionState::kDisconnected;
  std::optional<UtcTime> connection_state_updated_time;
  std::optional<UtcTime> last_activity_time;
  std::int64_t cloud_to_device_message_count = 0;
  std::string authentication_type = "sas";  // sas | selfSigned | certificateAuthority | none
  std::string primary_key;                  // base64, 44 characters when generated
  std::string secondary_key;
  bool iot_edge = false;

  std::string etag() const;
  bool is_module() const { return !module_id.empty(); }
  std::string key() const { return IdentityKey(device_id, module_id); }
};

// What a client may set with PUT /devices/{id} (or /devices/{id}/modules/{m}:
// then module_id is set and status does not apply). Absent keys mean "generate".
struct DeviceSpec {
  std::string device_id;
  std::string module_id;
  std::optional<std::string> managed_by;
  DeviceStatus status = DeviceStatus::kEnabled;
  std::optional<std::string> status_reason;
  std::string authentication_type = "sas";
  std::string primary_key;
  std::string secondary_key;
  bool iot_edge = false;
};

// IoT Hub's device id rule: 1..128 ASCII characters from letters, digits and
// - : . + % _ # * ? ! ( ) , = @ ; $ '
Status ValidateDeviceId(std::string_view id);

// Parses a PUT /devices/{id} body. `path_id` is the id from the URL; a body
// deviceId must match it. Keys, when given, must be base64 of 16..64 bytes.
// Fields the service owns (etag, generationId, connectionState, ...) are ignored.
Result<DeviceSpec> ParseDeviceSpec(const nlohmann::json& body, std::string_view path_id);

// A module id follows the device id rule.
Status ValidateModuleId(std::string_view id);

// Parses a PUT /devices/{d}/modules/{m} body: deviceId and moduleId in the
// body, when present, must match the URL's; authentication as for devices.
Result<DeviceSpec> ParseModuleSpec(const nlohmann::json& body, std::string_view path_device_id,
                                   std::string_view path_module_id);

// The identity as GET /devices/{id} (or GET /devices/{id}/modules/{m}) returns it.
nlohmann::json ToJson(const Device& device);

// The inverse of ToJson (twin_json_read.cpp); 400 ArgumentInvalid for a
// document that is not a device identity.
Result<Device> DeviceFromJson(const nlohmann::json& doc);

}  // namespace offhub::domain
