#pragma once
// MQTT over WebSockets, as IoT Hub serves it on 443 at /$iothub/websocket
// (subprotocol "mqtt"): for devices behind firewalls that block 8883. Each
// accepted WebSocket is bridged byte for byte to the broker's plain MQTT
// listener on loopback, so authentication, per-device isolation and presence
// are the broker plugin's, exactly as on 8883.

#include <cstdint>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "adapters/emulator/rest/connection_limit.hpp"
#include "adapters/emulator/rest/router.hpp"

namespace offhub::emulator::rest {

inline constexpr std::string_view kMqttWebSocketPath = "/$iothub/websocket";

// True when `request` asks for the MQTT WebSocket.
bool IsMqttWebSocketUpgrade(const Request& request);

// Takes over `stream` (the session ends), completes the WebSocket handshake
// and pumps MQTT bytes to and from 127.0.0.1:`broker_port` until either side
// closes. `slot` (the connection's count) is held until then.
void StartMqttBridge(boost::beast::tcp_stream stream, Request request, std::uint16_t broker_port,
                     ConnectionLimit::Slot slot = {});
void StartMqttBridge(boost::beast::ssl_stream<boost::beast::tcp_stream> stream, Request request,
                     std::uint16_t broker_port, ConnectionLimit::Slot slot = {});

}  // namespace offhub::emulator::rest
