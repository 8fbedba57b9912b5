#pragma once
// The private topics between the hub core and the broker plugin, shared by
// both sides (the plugin and the hub's MQTT device channel).
//
//   hub -> plugin  $offhub/to/{id}/<device topic>   delivered to client {id} only
//   hub -> plugin  $offhub/keys/{id}                JSON keys/status, empty = remove (from kKeysClientId)
//   hub -> plugin  $offhub/kick/{id}                close the client's connection, if any (from kKeysClientId)
//   plugin -> hub  $offhub/from/{id}/<device topic> a device's publish, re-addressed
//   plugin -> hub  $offhub/presence/{id}            "connected" | "methods" | "desired" | "disconnected"
//                  ("methods"/"desired": the session holds that subscription)
//   hub -> plugin  $offhub/probe                    ignored; its PUBACK tells the hub the broker answers
//
// {id} is the client id (device id, or "{deviceId}/{moduleId}") with '%', '+', '#', '/' and control bytes
// percent-encoded (IoT Hub allows '+', '#' and '%' in device ids; MQTT topic
// names cannot carry wildcards). Nothing here touches mosquitto.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace offhub::broker {

// The hub core's two MQTT client ids: one for device traffic and presence,
// one for keys alone, so a key change never waits behind a device's flood.
// A space never occurs in an IoT Hub device or module id, so no identity key
// (a device id, or "{deviceId}/{moduleId}") can claim either.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-identity-registry#device-identity-properties
inline constexpr std::string_view kHubClientId = "offhub hub";
inline constexpr std::string_view kKeysClientId = "offhub keys";
inline bool IsHubClient(std::string_view client_id) { return client_id == kHubClientId || client_id == kKeysClientId; }

inline constexpr std::string_view kToPrefix = "$offhub/to/";
inline constexpr std::string_view kFromPrefix = "$offhub/from/";
inline constexpr std::string_view kKeysPrefix = "$offhub/keys/";
inline constexpr std::string_view kKickPrefix = "$offhub/kick/";
inline constexpr std::string_view kPresencePrefix = "$offhub/presence/";
inline constexpr std::string_view kProbeTopic = "$offhub/probe";

inline constexpr std::string_view kPresenceConnected = "connected";
inline constexpr std::string_view kPresenceMethods = "methods";
inline constexpr std::string_view kPresenceDesired = "desired";
inline constexpr std::string_view kPresenceDisconnected = "disconnected";

// MQTT's limit on a topic name (a two-byte length prefix).
inline constexpr std::size_t kMaxTopicBytes = 65535;

// A client's own topic root under devices/: "devices/{deviceId}/" for a device,
// "devices/{deviceId}/modules/{moduleId}/" for a module (client id "{d}/{m}").
std::string IdentityTopicRoot(std::string_view client_id);

std::string EncodeIdSegment(std::string_view device_id);
// nullopt for an empty segment, a bad %XX escape or a '/' in the segment.
std::optional<std::string> DecodeIdSegment(std::string_view segment);

// nullopt when the result would exceed kMaxTopicBytes.
std::optional<std::string> AddressedTopic(std::string_view prefix, std::string_view device_id, std::string_view topic);
std::string DeviceTopic(std::string_view prefix, std::string_view device_id);  // keys/presence

struct Addressed {
  std::string device_id;
  std::string topic;  // the device-side topic; never empty
};
// Splits "$offhub/to/{id}/<topic>" (or from/) given its prefix; nullopt when
// the prefix, the id or the inner topic is missing or malformed.
std::optional<Addressed> SplitAddressed(std::string_view topic, std::string_view prefix);
// The {id} of "$offhub/keys/{id}" or "$offhub/presence/{id}"; nullopt otherwise.
std::optional<std::string> DeviceIdAfter(std::string_view topic, std::string_view prefix);

}  // namespace offhub::broker
