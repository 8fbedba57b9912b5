#pragma once
// One keep-alive HTTP/1.1 connection to the hub, over TLS (or plain TCP for
// the emulator's HTTP port), driven by its own io_context: Send blocks the
// calling thread until the answer or a failure. Internal to the Azure adapter.
//
// - TLS: SNI and certificate host-name verification against `host_name`
//   (even when connecting to another address); trust = the CA file, or the
//   system store when none is given.
// - A timeout before every I/O step: resolve, connect and handshake
//   (connect_timeout each), write (io_timeout), read (the call's own read
//   timeout, else io_timeout).
// - The connection is reused. When the server has closed it in between (an
//   EOF/reset before any byte of the answer, on a reused connection), the
//   client reconnects and sends the request once more: the server never saw
//   it. Any other failure drops the connection; the next call reconnects.
// - Network failures come back as domain errors, never exceptions:
//   a timeout at any step is 500008 GenericTimeout; anything else (refused,
//   unresolvable, TLS or certificate failure, reset) is 503001
//   ServiceUnavailable. The message names the step, the endpoint and the cause.
// - Thread-safe: concurrent Sends are serialized on the one connection.

#include <chrono>
#include <functional>
#include <string_view>
#include <memory>
#include <optional>
#include <string>

#include "adapters/azure/rest_request.hpp"
#include "domain/result.hpp"

namespace offhub::azure {

struct HttpsClientOptions {
  std::string host_name;     // SNI and certificate name
  std::string connect_host;  // where to connect (host_name unless overridden)
  std::string connect_port = "443";
  bool tls = true;
  std::optional<std::string> ca_file;  // PEM; nullopt: the system's CA store
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{30'000};
  std::size_t max_response_bytes = 32 * 1024 * 1024;
};

class HttpsClient {
 public:
  // Throws std::runtime_error when the CA file cannot be loaded (a start-up failure).
  explicit HttpsClient(HttpsClientOptions options);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // `read_timeout` 0 means io_timeout.
  domain::Result<HttpResponse> Send(HttpRequest request, std::chrono::milliseconds read_timeout);

  // A response whose body streams (Server-Sent Events), on a connection of
  // its own: a 200 answer's head comes back once its body has ended — the
  // server closed it, `on_data` returned false, or `duration` (0: none)
  // passed — each body chunk having gone to `on_data` as it arrived. Any
  // other status comes back whole, as Send returns it. No byte for
  // `idle_timeout` is 500008 GenericTimeout; network failures as Send's.
  domain::Result<HttpResponse> Stream(HttpRequest request, std::chrono::milliseconds idle_timeout,
                                      std::chrono::milliseconds duration,
                                      const std::function<bool(std::string_view)>& on_data);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace offhub::azure
