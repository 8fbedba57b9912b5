#pragma once
// The hub core's DeviceChannel over the managed Mosquitto broker and the
// offhub broker plugin (adapters/emulator/broker_plugin). Two MQTT
// connections with the per-run hub login: one (broker::kHubClientId) carries
// method calls, desired notifications and everything devices send; the other
// (broker::kKeysClientId) only device keys, so a device created while another
// floods the hub can connect at once (a key change never queues behind
// device traffic in either direction).
//
// Contract, beyond ports::DeviceChannel
// - Runs on the given io_context; every call and callback on its thread.
// - Connects at construction and reconnects on its own if the broker goes
//   away; while disconnected SendMethod returns false and SendDesired drops.
//   connected() is true when both connections are up.
//   When the broker connection drops every device known to be connected is
//   reported kDisconnected; on reconnect the plugin reports who is online
//   and the channel re-pushes every credential it was given.
// - Method calls go out at QoS 0 as "$iothub/methods/POST/{name}/?$rid={call_id}"
//   with the payload's JSON text ("null" for null, never empty). An answer
//   counts only from the device that was called. A non-JSON answer body
//   becomes a JSON string holding the raw text; an empty body becomes null.
// - Twin GET / reported PATCH from devices are answered by the channel with
//   what the DeviceRequestHandler returns (200 + device view; 204 +
//   $version; errors as "$iothub/twin/res/{http}/?$rid=" with a JSON body
//   carrying errorCode). Requests without $rid are ignored.
// - What the hub has published to devices and libmosquitto has not yet
//   written to the broker is counted, per device and in all (a message id
//   libmosquitto reuses forgets the entry it replaces). A twin GET or reported
//   patch from a device with more than kMaxUnsentPerDevice bytes of answers
//   still unsent, or while the total is above kMaxUnsentTotal, is answered 429
//   ThrottlingException without rendering the twin (and dropped outright
//   beyond twice those figures); requests of a device that has disconnected
//   are dropped, as their answers could not reach it. So a device flooding
//   twin GETs on a large twin cannot grow the hub's memory without bound.
// - The broker plugin limits each device's twin requests before they reach
//   this connection (broker::kTwinRequestsPerSecond); with the broker's
//   per-client queue limit (RenderBrokerConfig) this bounds what a device
//   that floods GETs and never reads can make the broker hold.
//   The unsent figures are offhub's.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "domain/result.hpp"
#include "ports/clock.hpp"
#include "ports/device_channel.hpp"

namespace offhub::emulator {

// What the hub core supplies for device-initiated traffic (LocalHub).
using DeviceRequestHandler = ports::DeviceRequestHandler;

struct MqttChannelOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string hub_username;
  std::string hub_password;
  std::chrono::milliseconds reconnect_delay{50};
  std::chrono::milliseconds max_reconnect_delay{1000};
};

class MqttDeviceChannel : public ports::DeviceChannel, public ports::DeviceConnections {
 public:
  // nullptr (the default) answers twin requests with 503 ServiceUnavailable.
  virtual void SetRequestHandler(DeviceRequestHandler* handler) = 0;

  // Hands a device's keys (base64, as in the registry; "" = none) and status
  // to the plugin, which refuses devices it has no enabled keys for. Later
  // calls replace earlier ones. `on_applied`, if given, runs once the plugin
  // has them (the broker's PUBACK), also when that happens after a reconnect;
  // only then is a device connect guaranteed to see them. Disabling a device
  // disconnects it.
  virtual void SetDeviceCredentials(std::string_view device_id, std::string_view primary_key,
                                    std::string_view secondary_key, bool enabled,
                                    std::function<void()> on_applied = {}) = 0;
  // ports::DeviceConnections: a refused identity's keys reach the plugin with
  // status "disabled" (CONNACK 5, its connection closed) while the channel
  // keeps the real status; Disconnect publishes "$offhub/kick/{id}".
  // Forgets the device's keys and disconnects it.
  virtual void RemoveDevice(std::string_view device_id, std::function<void()> on_applied = {}) = 0;

  // Every device's current credentials as a JSON object
  // {"<id>":{"primaryKey":..,"secondaryKey":..,"status":..}}: what
  // BrokerProcess::SetKeysSnapshot wants, so a restarted broker knows them.
  virtual std::string CredentialsSnapshot() const = 0;

  // True while the channel's own broker connection is up.
  virtual bool connected() const = 0;

  // How long since the broker last answered the channel: a CONNACK, a
  // message, or the PUBACK of the probe the channel publishes (QoS 1, one at
  // a time) every kProbeInterval while connected. About a second at most
  // while the broker is well; it grows while the broker is hung (e.g.
  // SIGSTOP), although the TCP connection stays up, and while disconnected.
  static constexpr auto kProbeInterval = std::chrono::seconds(1);
  virtual std::chrono::milliseconds BrokerSilence() const = 0;
};

// One identity's entry in CredentialsSnapshot() and in the plugin's keys
// message: {"primaryKey":..,"secondaryKey":..,"status":"enabled"|"disabled"}.
nlohmann::json BrokerKeysJson(std::string_view primary_key, std::string_view secondary_key, bool enabled);

std::unique_ptr<MqttDeviceChannel> MakeMqttDeviceChannel(boost::asio::io_context& io, ports::Clock& clock,
                                                         MqttChannelOptions options);

}  // namespace offhub::emulator
