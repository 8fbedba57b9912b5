#pragma once
// The device twin as IoT Hub keeps and serves it, and the rules for writing it.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins
//
// Versions and etag (what the real hub does, see the facts file §3.2):
// - every service write that touches desired (PATCH, PUT, twin job) bumps
//   desired.$version by one; a tags-only write leaves it;
// - a device's reported patch bumps reported.$version;
// - the twin etag changes on service writes (tags/desired) only, never on
//   reported writes, so a service's If-Match survives device traffic;
// - the twin `version` increases by one on every change, tags-only writes
//   included (a new twin has version 2, both sections $version 1).
// A write that fails validation changes nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"
#include "domain/time.hpp"

namespace offhub::domain {

enum class DeviceStatus { kEnabled, kDisabled };
enum class ConnectionState { kDisconnected, kConnected };

std::string_view ToString(DeviceStatus s);       // "enabled" | "disabled"
std::string_view ToString(ConnectionState s);    // "Connected" | "Disconnected"
// Any letter case: the Java service SDK sends "Enabled", IoT Hub accepts it (and answers "enabled").
std::optional<DeviceStatus> ParseDeviceStatus(std::string_view text);

// desired or reported: the user's properties plus their $version/$metadata.
// $metadata is kept per section ($lastUpdated), not per property.
// Tags and a section's properties are JSON objects, but an empty one may be
// held as null: an empty object is a heap allocation, and a million new twins
// would hold three million of them (about 190 MB). Read them through
// ObjectOrEmpty.
struct TwinSection {
  nlohmann::json properties;  // an object or null (empty); never holds $version/$metadata
  std::int64_t version = 1;
  UtcTime last_updated;
};

struct Twin {
  std::string device_id;
  std::string module_id;    // set for a module twin
  std::string device_etag;  // the registry identity's etag, echoed in the twin
  std::uint64_t etag_counter = 1;
  std::int64_t version = 2;
  DeviceStatus status = DeviceStatus::kEnabled;
  std::optional<std::string> status_reason;
  std::optional<UtcTime> status_update_time;
  ConnectionState connection_state = ConnectionState::kDisconnected;
  std::optional<UtcTime> last_activity_time;
  std::int64_t cloud_to_device_message_count = 0;
  std::string authentication_type = "sas";
  std::string model_id;
  bool iot_edge = false;
  nlohmann::json tags;  // an object or null (empty)
  TwinSection desired;
  TwinSection reported;

  // A brand-new twin: etag "AAAAAAAAAAE=", version 2, both sections at $version 1.
  static Twin Create(std::string device_id, UtcTime now);

  std::string etag() const;  // base64 of etag_counter as 8 big-endian bytes
  // "{deviceId}" or "{deviceId}/{moduleId}", as IdentityKey (device.hpp).
  std::string key() const { return module_id.empty() ? device_id : device_id + '/' + module_id; }
};

// `value`, or an empty object when it is null (tags and properties, above).
const nlohmann::json& ObjectOrEmpty(const nlohmann::json& value);

// The twin as GET /twins/{id} (or /twins/{id}/modules/{m}, with "moduleId") returns it.
nlohmann::json ToJson(const Twin& twin);
// The inverse of ToJson (twin_json_read.cpp): what a store keeps, read back.
// 400 ArgumentInvalid for a document that is not a twin.
Result<Twin> TwinFromJson(const nlohmann::json& doc);

// The device's view ($iothub/twin/res/200): {"desired":{..,"$version"},"reported":{..,"$version"}}.
nlohmann::json DeviceView(const Twin& twin);

// If-Match: absent, empty or "*" (quoted or not, optional W/ prefix) always
// matches; anything else must equal the twin's etag, else 412 PreconditionFailed.
Status CheckIfMatch(std::string_view current_etag, std::optional<std::string_view> if_match);

// What a device receives on $iothub/twin/PATCH/properties/desired/?$version=N:
// the applied desired patch (removed keys as null) plus "$version".
struct DesiredNotification {
  nlohmann::json body;
  std::int64_t version = 0;
};

// The outcome of a service write: the notification when desired changed.
struct ServiceWriteResult {
  std::optional<DesiredNotification> notification;
};

// PATCH /twins/{id}: body {tags?, properties:{desired?}} as a JSON merge patch
// (null deletes, objects merge, scalars and arrays replace). Other top-level
// fields of a twin (deviceId, etag, version, ...) are accepted and ignored;
// properties.reported is rejected (400 ArgumentInvalid), as is a top-level
// "desired". Validates the result against IoT Hub's limits before writing.
Result<ServiceWriteResult> ApplyServicePatch(Twin& twin, const nlohmann::json& body, UtcTime now);

// PUT /twins/{id}: tags and properties.desired replaced wholesale.
Result<ServiceWriteResult> ApplyServiceReplace(Twin& twin, const nlohmann::json& body, UtcTime now);

// The device's reported patch ($iothub/twin/PATCH/properties/reported): a merge
// patch of reported properties. Returns the new reported $version.
Result<std::int64_t> ApplyReportedPatch(Twin& twin, const nlohmann::json& patch, UtcTime now);

// IoT Hub's twin limits (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins#tags-and-properties-format).
struct TwinLimits {
  static constexpr std::size_t kMaxDepth = 10;
  static constexpr std::size_t kMaxKeyBytes = 1024;
  static constexpr std::size_t kMaxStringBytes = 4096;
  static constexpr std::size_t kMaxTagsBytes = 8 * 1024;
  static constexpr std::size_t kMaxDesiredBytes = 32 * 1024;
  static constexpr std::size_t kMaxReportedBytes = 32 * 1024;
  static constexpr std::int64_t kMinInteger = -4503599627370496;
  static constexpr std::int64_t kMaxInteger = 4503599627370495;
};

// Checks one section (tags, desired or reported) against the limits above.
// `section` names it in the error ("tags", "properties.desired", ...).
Status ValidateSection(const nlohmann::json& value, std::string_view section, std::size_t max_bytes);

// IoT Hub's size measure: keys and string values count their UTF-8 bytes,
// numbers 8, booleans 4, null 0 ($-prefixed metadata excluded).
std::size_t SectionSize(const nlohmann::json& value);

}  // namespace offhub::domain
