#pragma once
// The Azure adapter's DeviceTransport: IoT Hub's device MQTT protocol
// (MQTT 3.1.1 over TLS, libmosquitto driven by the caller's io_context, no
// threads) exactly as the Node SDK speaks it; the same code reaches a real
// hub and the emulator (https://learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub).
//
// Behaviour beyond ports/device_transport.hpp
// - CONNECT: client id = device id, clean session off, username
//   "{host_name}/{device_id}/?api-version=2021-04-12", password = SAS token.
//   With a module_id the transport is that module of the device: client id
//   "{device_id}/{module_id}", username
//   "{host_name}/{device_id}/{module_id}/?api-version=2021-04-12", token
//   resource "{host_name}/devices/{device_id}/modules/{module_id}"; methods
//   and the twin use the same $iothub topics and reach the module's own.
//   TLS verifies the certificate chain (ca_file, or the system's CA store)
//   and the host name of the host it connects to (the gateway's host when
//   one is set, else host_name), like the SDK's mqtt.js.
// - Credentials: with `device_key` a fresh token (resource
//   "{host_name}/devices/{device_id}[/modules/{module_id}]", expiry now +
//   sas_ttl) is made for every connection attempt, and at 3/4 of its sure
//   lifetime (about 2700 s of 3600, as Node) the transport reconnects with a
//   new one; the session and its subscriptions stay with the hub. This planned reconnect
//   is not reported as a disconnection, but twin requests in flight fail
//   with 503. With `sas_token` the fixed token is used until the hub
//   refuses it.
// - Subscriptions after each CONNACK: twin responses always; methods once any
//   OnMethod handler exists; desired updates once OnDesiredChange is set.
//   When the hub says the session is not present they are all made again.
// - While the hub is unreachable (stopped, killed, its broker restarting;
//   TLS or plain) the transport waits between attempts (min_backoff
//   doubling to max_backoff, jittered) and uses next to no CPU; an attempt
//   whose socket dies or that gets no CONNACK within 10 s is abandoned
//   (emulator/mqtt/mqtt_connection.hpp).
// - A refused CONNACK (bad key, disabled device, expired token) is reported
//   as kDisconnected with the reason, and the transport keeps retrying with
//   the capped backoff (the Node SDK gives up instead; a device app that
//   wants that can Stop() from its connection handler).
// - Method requests: an empty body gives the handler a null payload; a body
//   that is not JSON is answered 400 "Invalid request format: ..." without
//   calling the handler (as Node does); no handler => 501 {"message":..}.
//   Respond() after a disconnect is dropped (the caller sees its timeout).
// - Operations while disconnected fail at once with 503 ServiceUnavailable.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "ports/device_transport.hpp"

namespace offhub::azure {

struct MqttDeviceOptions {
  std::string host_name;  // the hub's HostName
  std::string device_id;
  std::string module_id;   // empty: the device itself; else this module of it
  std::string device_key;  // base64 SharedAccessKey (a module's own key for a module); or...
  std::string sas_token;   // ...a fixed "SharedAccessSignature sr=..." token
  std::string gateway;     // "host[:port]" to connect to instead (GatewayHostName)
  bool tls = true;         // false: plain MQTT (the emulator's plain port only)
  std::string ca_file;     // PEM CAs to trust; empty: the system's CA store
  std::chrono::seconds keepalive{180};
  std::chrono::seconds sas_ttl{3600};
  // Reconnect waits: doubling from min_backoff to max_backoff, each drawn
  // from [wait/2, wait]; the cap keeps a device back within seconds of the
  // hub's return.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds operation_timeout{30000};  // twin GET / reported PATCH
};

// Throws std::invalid_argument for unusable options (no host name or device
// id, a module id with '/', neither or both of key and token, a key that is
// not base64, a bad gateway) and std::runtime_error when TLS cannot be set
// up (e.g. an unreadable CA file). Nothing connects before Start().
std::unique_ptr<ports::DeviceTransport> MakeMqttDeviceTransport(boost::asio::io_context& io, MqttDeviceOptions options);

}  // namespace offhub::azure
