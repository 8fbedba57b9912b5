#pragma once
// The hub side of IoT Hub's device MQTT topics
// (https://learn.microsoft.com/azure/iot-hub/iot-mqtt-connect-to-iot-hub):
// parsing what devices publish and building what the hub answers. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace offhub::emulator {

enum class DeviceMessageKind { kMethodResponse, kTwinGet, kReportedPatch, kTelemetry, kOther };

struct DeviceMessage {
  DeviceMessageKind kind = DeviceMessageKind::kOther;
  std::string rid;  // $rid, "" when absent
  int status = 0;   // method responses only
};

// Classifies a device topic as the device published it (after the plugin's
// re-addressing is removed). `device_id` (the client id) scopes telemetry to
// "devices/{id}/messages/events/" ("devices/{d}/modules/{m}/messages/events/").
DeviceMessage ClassifyDeviceTopic(std::string_view device_id, std::string_view topic);

// The value of `name` in the "?a=b&c=d" part of a topic; nullopt if absent.
std::optional<std::string> TopicQueryValue(std::string_view topic, std::string_view name);

// A method answer body as the service sees it: empty -> null, JSON (nested at
// most domain::kMaxJsonDepth deep) -> the value; anything else -> a raw value
// (domain::RawJson) that the hub's answers carry unchanged: IoT Hub splices a
// device's bytes into {"status":..,"payload":<bytes>} (reported by users of
// the service SDKs, whose JSON parsers then fail), with U+FFFD for each byte
// sequence that is not UTF-8.
nlohmann::json MethodAnswerPayload(std::string_view body);

// "$iothub/methods/POST/{name}/?$rid={rid}"; nullopt for a method name that
// is empty or holds '/', '?', '+', '#' or control characters.
std::optional<std::string> MethodRequestTopic(std::string_view method_name, std::uint64_t rid);

std::string TwinResponseTopic(int status, std::string_view rid);
std::string TwinPatchResponseTopic(std::string_view rid, std::int64_t version);  // 204 with $version
std::string DesiredPatchTopic(std::int64_t version);

}  // namespace offhub::emulator
