#pragma once
// The REST front's listener and sessions: HTTP/1.1 over TCP, or over TLS when
// given a context. Each request goes to the Router; the session writes the
// answer when the router responds (direct methods answer later).
//
// - Keep-alive; one request at a time per connection, as HTTP/1.1 clients do.
// - A request that does not parse (garbage bytes, over-long headers, a body
//   over the limit) gets 400/413 and the connection closes; the server goes
//   on serving others. Idle connections close after 120 s, TLS handshakes
//   must finish within 10 s.
// - Runs on the io_context's thread, the same as the hub it serves.

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "adapters/emulator/rest/router.hpp"

namespace offhub::emulator::rest {

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  virtual std::uint16_t port() const = 0;  // the bound port (useful when asked for 0)
  virtual void Stop() = 0;                 // stops accepting; open sessions end on their own
};

// Binds `address:port` (port 0 picks a free one) and starts accepting.
// `tls` null means plain HTTP. Throws std::system_error if it cannot bind:
// a start-up failure the app reports and exits on.
std::unique_ptr<HttpServer> StartHttpServer(boost::asio::io_context& io, Router& router, const std::string& address,
                                            std::uint16_t port, boost::asio::ssl::context* tls);

}  // namespace offhub::emulator::rest
