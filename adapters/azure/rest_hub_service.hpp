#pragma once
// The five service ports over IoT Hub's REST API (api-version 2021-04-12): the service
// side of a real hub, or of the offhub emulator's REST front, chosen by
// configuration only. https://learn.microsoft.com/rest/api/iothub/service
//
// Threading: the adapter runs its own io_context internally and every call —
// InvokeMethod included — blocks the calling thread until the answer (or a
// failure) is in; InvokeMethod calls `done` exactly once, on the calling
// thread, before it returns. Calls from several threads are serialized over
// the one keep-alive connection. Never call it from the thread of an event
// loop that must serve the request (e.g. the emulator's io_context thread
// when talking to that emulator): the call would wait on itself.
//
// Failures are domain::Errors, never exceptions:
// - HTTP answers >= 300 are read back with domain::ErrorFromResponse (IoT
//   Hub's own codes: 404001, 412001, 404103, 504101, ...);
// - network failures: any timeout (resolve, connect, TLS handshake, write,
//   read) is 500008 GenericTimeout, anything else (refused, unresolvable,
//   TLS/certificate failure, reset) 503001 ServiceUnavailable, the message
//   naming the step, endpoint and cause;
// - an answer that is not the JSON expected is 500001 ServerError.
//
// Requests are shaped as the Node service SDK sends them (see
// rest_request.hpp); the SAS token comes from the connection string, cached
// for `token_ttl` and renewed `token_renew_before` ahead of its expiry.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/iothub/connection_string.hpp"
#include "ports/hub_services.hpp"

namespace offhub::azure {

struct RestHubOptions {
  iothub::ServiceConnectionString connection;
  // PEM file of CAs to trust (e.g. the emulator's ca.pem); nullopt: the system store.
  std::optional<std::string> ca_file;
  // "host[:port]" to connect to instead of HostName:443 (the emulator on an
  // unprivileged port; without a port, 443 or 80 by `tls`). HostName still names the hub in tokens, SNI, the
  // certificate check and the Host header.
  std::optional<std::string> endpoint_override;
  // Plain HTTP is only for the emulator's HTTP port: false requires an
  // endpoint_override.
  bool tls = true;
  std::chrono::milliseconds connect_timeout{10'000};  // resolve, connect, handshake: each
  std::chrono::milliseconds request_timeout{30'000};  // write, read: each
  // A direct method's read waits responseTimeout + connectTimeout + this.
  std::chrono::milliseconds method_timeout_margin{10'000};
  std::chrono::seconds token_ttl{3600};
  std::chrono::seconds token_renew_before{300};
  // The clock tokens are dated by; defaults to the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

// Throws std::invalid_argument for inconsistent options (a bad
// endpoint_override, tls=false without one) and std::runtime_error when the
// CA file cannot be loaded: start-up failures. Connects lazily.
std::unique_ptr<ports::Hub> MakeRestHubService(RestHubOptions options);

}  // namespace offhub::azure
