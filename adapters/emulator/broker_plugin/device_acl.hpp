#pragma once
// What an authenticated device may do, following IoT Hub's MQTT support
// (https://learn.microsoft.com/azure/iot-hub/iot-mqtt-connect-to-iot-hub):
// only the documented subscriptions and its own publish topics; nothing
// under $offhub/. The hub core's client is not subject to these rules.
// `device_id` is the client id: a device id, or "{deviceId}/{moduleId}",
// whose own topics live under "devices/{deviceId}/modules/{moduleId}/"
// (telemetry, devicebound, and the module's inputs/#).

#include <string_view>

namespace offhub::broker {

// "$iothub/methods/POST/#", "$iothub/twin/res/#",
// "$iothub/twin/PATCH/properties/desired/#",
// "devices/{deviceId}/messages/devicebound/#" (exact filters only).
bool DeviceMaySubscribe(std::string_view device_id, std::string_view filter);

// "$iothub/methods/res/{status}/?...", "$iothub/twin/GET/?...",
// "$iothub/twin/PATCH/properties/reported/?...",
// "devices/{deviceId}/messages/events/...". Never a wildcard.
bool DeviceMayPublish(std::string_view device_id, std::string_view topic);

// Messages the broker may hand to the device: "$iothub/..." (the plugin only
// ever addresses those to one client) and its own devicebound topics.
bool DeviceMayRead(std::string_view device_id, std::string_view topic);

bool IsMethodsFilter(std::string_view filter);
bool IsDesiredFilter(std::string_view filter);

}  // namespace offhub::broker
