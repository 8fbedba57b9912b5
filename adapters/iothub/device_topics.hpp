#pragma once
// IoT Hub's device-side MQTT topics and bodies, as the Node SDK speaks them
// (https://learn.microsoft.com/azure/iot-hub/iot-mqtt-connect-to-iot-hub).
// Pure functions: building topics, and parsing what the hub sends. Parsers
// never throw; malformed input gives nullopt or an Error.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::iothub {

inline constexpr std::string_view kApiVersion = "2021-04-12";
inline constexpr std::string_view kMethodsFilter = "$iothub/methods/POST/#";
inline constexpr std::string_view kTwinResponseFilter = "$iothub/twin/res/#";
inline constexpr std::string_view kDesiredFilter = "$iothub/twin/PATCH/properties/desired/#";
// Node sends a twin GET with a single space as its body.
inline constexpr std::string_view kTwinGetBody = " ";

// An empty module_id means the device itself; otherwise the device's module.
// "{host}/{device_id}/?api-version=2021-04-12", for a module
// "{host}/{device_id}/{module_id}/?api-version=2021-04-12".
std::string DeviceUsername(std::string_view host_name, std::string_view device_id, std::string_view module_id = {});
// "{host}/devices/{device_id}" (a module: ".../modules/{module_id}"): the SAS
// resource of a device or module token.
std::string DeviceResource(std::string_view host_name, std::string_view device_id, std::string_view module_id = {});

std::string MethodResponseTopic(int status, std::string_view rid);  // $iothub/methods/res/{status}/?$rid={rid}
std::string TwinGetTopic(std::string_view rid);                     // $iothub/twin/GET/?$rid={rid}
std::string ReportedPatchTopic(std::string_view rid);  // $iothub/twin/PATCH/properties/reported/?$rid={rid}

// The value of `key` in a "k=v&k2=v2" query (no percent-decoding: IoT Hub's
// rids and versions need none); nullopt when absent.
std::optional<std::string_view> QueryValue(std::string_view query, std::string_view key);

// $iothub/methods/POST/{name}/?$rid={rid}: name and rid both non-empty.
struct MethodRequestTopic {
  std::string name;
  std::string rid;
};
std::optional<MethodRequestTopic> ParseMethodRequestTopic(std::string_view topic);

// $iothub/twin/res/{status}/?$rid={rid}[&$version={n}]: status 100..599, rid non-empty.
struct TwinResponseTopic {
  int status = 0;
  std::string rid;
  std::optional<std::int64_t> version;
};
std::optional<TwinResponseTopic> ParseTwinResponseTopic(std::string_view topic);

// A method request's body. Empty => null (the hub sends `null` for a null
// payload; an empty body can only mean "nothing"). Not JSON => an
// ArgumentInvalid error whose message the transport answers with status 400,
// as the Node SDK does ("Invalid request format: ...").
domain::Result<nlohmann::json> ParseMethodPayload(std::string_view body);

// $iothub/twin/PATCH/properties/desired/?$version={n} with a JSON object body.
// The patch comes back without "$version"; the version is the topic's, else
// the body's. nullopt when the topic is not a desired notification, the body
// is not a JSON object, or no integer version is found.
struct DesiredPatch {
  nlohmann::json patch;
  std::int64_t version = 0;
};
std::optional<DesiredPatch> ParseDesiredPatch(std::string_view topic, std::string_view body);

// A twin answer's body as a result: status < 300 parses the body (empty =>
// null); otherwise the hub's error from its {"errorCode":..,"message":..}
// body (domain::ErrorFromResponse). A 2xx body that is not JSON is a
// IotHubFormatError.
domain::Result<nlohmann::json> TwinAnswerBody(int status, std::string_view body);

// The application and system properties a device put in a telemetry topic,
// "devices/{d}[/modules/{m}]/messages/events/{property_bag}" (the bag
// "k=v&k2=v2", percent-encoded, may be empty or end with '/'), decoded:
// {"k":"v","$.ct":"application/json",...}. A key without '=' has an empty
// value; a pair that does not decode to UTF-8 text is skipped. At most
// kMaxTelemetryProperties pairs are read.
inline constexpr std::size_t kMaxTelemetryProperties = 256;
nlohmann::json TelemetryProperties(std::string_view topic);

}  // namespace offhub::iothub
