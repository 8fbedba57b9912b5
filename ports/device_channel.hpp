#pragma once
// DeviceChannel: how the hub core reaches connected devices and learns who is
// connected. Emulator: MQTT through the managed broker. Tests: fake devices.
//
// Contract
// - All calls, and every callback, happen on the hub's event-loop thread.
// - SendMethod delivers one direct-method call to a device that is connected
//   and subscribed to methods, and later calls `on_answer` once with the
//   device's {status, payload}. It returns false, without calling back, when
//   the device cannot be reached right now. The channel never times out by
//   itself: the hub owns the timeouts and calls ForgetMethod(call_id) when it
//   stops waiting, after which a late answer is dropped.
// - SendDesired pushes a desired-property notification to a connected device
//   subscribed to desired updates; it is dropped otherwise (IoT Hub does not
//   queue them: the device reads the twin when it reconnects).
// - The presence listener hears every change of a device's connection:
//   connected, subscribed to methods, disconnected. Set it once, before use.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/method_result.hpp"
#include "domain/result.hpp"
#include "domain/twin.hpp"

namespace offhub::ports {

struct MethodCall {
  std::uint64_t call_id = 0;  // unique per hub run; the channel may use it as the MQTT $rid
  std::string device_id;
  std::string method_name;
  nlohmann::json payload;  // null when the caller sent none; never "empty"
};

enum class Presence { kConnected, kMethodsSubscribed, kDisconnected };

class PresenceListener {
 public:
  virtual ~PresenceListener() = default;
  virtual void OnPresence(std::string_view device_id, Presence presence) = 0;
};

// What devices ask of the hub; the channel carries the answers back
// ($iothub/twin/res/...). Called on the hub's event loop.
class DeviceRequestHandler {
 public:
  virtual ~DeviceRequestHandler() = default;
  // $iothub/twin/GET: the device view {"desired":{..},"reported":{..}}.
  virtual domain::Result<nlohmann::json> OnTwinGet(std::string_view device_id) = 0;
  // $iothub/twin/PATCH/properties/reported: the new reported $version.
  virtual domain::Result<std::int64_t> OnReportedPatch(std::string_view device_id, const nlohmann::json& patch) = 0;
  // devices/{id}/messages/events/...: the topic as published (property bag included).
  virtual void OnTelemetry(std::string_view device_id, std::string_view topic, std::string_view payload) = 0;
};

class DeviceChannel {
 public:
  virtual ~DeviceChannel() = default;

  // The device's answer, whatever status it chose (payload null for an empty body).
  virtual bool SendMethod(const MethodCall& call, std::function<void(domain::MethodResult)> on_answer) = 0;
  virtual void ForgetMethod(std::uint64_t call_id) = 0;
  virtual void SendDesired(std::string_view device_id, const domain::DesiredNotification& notification) = 0;
  virtual void SetPresenceListener(PresenceListener* listener) = 0;
};

// What the control plane's connection faults need of a channel (the
// emulator's broker channel has it; a real hub's does not). By identity key;
// the hub's event loop.
class DeviceConnections {
 public:
  virtual ~DeviceConnections() = default;
  // While refused, the identity's CONNECT is refused as for a disabled
  // device, and its live connection is closed.
  virtual void SetConnectRefused(std::string_view key, bool refused) = 0;
  // Closes the identity's live connection, if any, once.
  virtual void Disconnect(std::string_view key) = 0;
};

}  // namespace offhub::ports
