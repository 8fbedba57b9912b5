#pragma once
// DeviceTransport: the device side of an IoT hub, what a device app uses:
// connect, answer direct methods, read the twin, report properties, hear
// desired changes. Implemented over IoT Hub's MQTT protocol by the Azure
// adapter (the same code reaches the emulator and a real hub).
//
// Contract
// - Every callback runs on the io_context the transport was made with; all
//   calls come from that thread too. Callbacks never run inside a call into
//   the transport, so a callback may call Stop() or destroy the transport;
//   a Respond called after that is ignored.
// - Start() connects in the background and keeps the device connected:
//   after a drop it reconnects by itself (exponential backoff with jitter)
//   and restores its subscriptions; it renews its SAS token before expiry.
//   Stop() disconnects for good; callbacks may still run for operations that
//   were in flight, with an error.
// - Handlers may be registered before or after Start(). A call of a method
//   without a handler is answered 501 with a JSON message, so the caller
//   does not wait for its timeout.
// - GetTwin/PatchReported complete once each: with the result, or with a
//   domain::Error (the hub's error, or 503 ServiceUnavailable while
//   disconnected, or 504 GenericTimeout when no answer came in time).

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::ports {

enum class DeviceConnection { kConnected, kDisconnected };

class DeviceTransport {
 public:
  // Sends the method's answer; call it once (later is fine).
  using Respond = std::function<void(int status, const nlohmann::json& payload)>;
  using MethodHandler = std::function<void(const nlohmann::json& payload, Respond respond)>;
  // The desired-property patch as the hub sent it (nulls for removed keys) and its $version.
  using DesiredHandler = std::function<void(const nlohmann::json& patch, std::int64_t version)>;
  using ConnectionHandler = std::function<void(DeviceConnection state, const std::string& reason)>;

  virtual ~DeviceTransport() = default;

  virtual void Start() = 0;
  virtual void Stop() = 0;

  virtual void OnMethod(const std::string& method_name, MethodHandler handler) = 0;
  virtual void OnDesiredChange(DesiredHandler handler) = 0;
  virtual void OnConnectionChange(ConnectionHandler handler) = 0;

  // {"desired":{..,"$version"},"reported":{..,"$version"}}
  virtual void GetTwin(std::function<void(domain::Result<nlohmann::json>)> done) = 0;
  // A merge patch of reported properties; completes with the new reported $version.
  virtual void PatchReported(const nlohmann::json& patch, std::function<void(domain::Result<std::int64_t>)> done) = 0;
};

}  // namespace offhub::ports
