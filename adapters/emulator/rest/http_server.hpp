#pragma once
// The REST front's listener and sessions: HTTP/1.1 over TCP, or over TLS when
// given a context. Each request goes to the Router; the session writes the
// answer when the router responds (direct methods answer later).
//
// - Keep-alive; one request at a time per connection, as HTTP/1.1 clients do.
// - A request that does not parse (garbage bytes, over-long headers, a body
//   over the limit) gets 400/413 and the connection closes; the server goes
//   on serving others.
// - Timeouts: a TLS handshake 10 s; a keep-alive connection may wait 120 s
//   for its next request; from a request's first byte its headers must be in
//   within 30 s, its body within 120 s more. IoT Hub documents no such
//   figures; 30 s is our choice, within what common servers allow for
//   headers (Apache's mod_reqtimeout 20-40 s, nginx's client_header_timeout
//   60 s), so a client trickling bytes cannot hold a connection for long.
// - Connections are counted against a ConnectionLimit (connection_limit.hpp),
//   by default one of the process's own derived from its open-file limit;
//   the listeners of one process should share one. Beyond it the connections
//   idle longest are closed, or the new one is refused when all are busy, so
//   GET /health keeps answering under a flood of idle connections.
// - A failed accept (EMFILE, ENFILE, ...) pauses accepting for 100 ms (and,
//   out of descriptors, closes the connection idle longest) instead of
//   retrying at once.
// - Runs on the io_context's thread, the same as the hub it serves.

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "adapters/emulator/rest/connection_limit.hpp"
#include "adapters/emulator/rest/router.hpp"

namespace offhub::emulator::rest {

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  virtual std::uint16_t port() const = 0;  // the bound port (useful when asked for 0)
  virtual void Stop() = 0;                 // stops accepting; open sessions end on their own
};

// Binds `address:port` (port 0 picks a free one) and starts accepting.
// `tls` null means plain HTTP. A non-zero `mqtt_bridge_port` serves MQTT over
// WebSockets at /$iothub/websocket, bridged to that loopback broker port.
// `limit` null: ConnectionLimit::ForOpenFiles(), this listener's own.
// Throws std::system_error if it cannot bind: a start-up failure the app
// reports and exits on.
std::unique_ptr<HttpServer> StartHttpServer(boost::asio::io_context& io, Router& router, const std::string& address,
                                            std::uint16_t port, boost::asio::ssl::context* tls,
                                            std::uint16_t mqtt_bridge_port = 0,
                                            std::shared_ptr<ConnectionLimit> limit = nullptr);

}  // namespace offhub::emulator::rest
