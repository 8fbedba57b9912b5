#pragma once
// The REST front's router: one HTTP request in, one IoT Hub answer out, by
// way of the service ports (ports/hub_services.hpp). It never sees a socket, so doctest drives it directly.
// https://learn.microsoft.com/rest/api/iothub/service
//
// - Any api-version is accepted. Paths are percent-decoded per segment (the
//   Node SDK encodes jobIds on PUT but not on GET/cancel).
// - GET / and GET /dashboard/<file> serve the dashboard (dashboard/), with no
//   token needed (see RouterOptions::page_token for what the page gets).
// - GET /offhub/v1/ca.pem serves the emulator's CA, with no token needed.
// - Every other request but GET /health needs a SAS token with the endpoint's
//   permission: RegistryRead (GET devices, device statistics), RegistryWrite
//   (PUT/DELETE devices), ServiceConnect (twins, queries, methods, service
//   statistics, jobs v2 — offhub's choice: IoT Hub documents no finer rule).
// - Errors use IoT Hub's envelopes and the `iothub-errorcode` header: the
//   direct-method style for failed method calls (404103, 504101, 400004), the
//   registry style everywhere else. Unparsable JSON is 400 IotHubFormatError;
//   an unknown route is 404 GenericNotFound, a known path with the wrong verb
//   405 GenericMethodNotAllowed.
// - /offhub/v1/ (the control plane) needs a policy with both RegistryWrite
//   and ServiceConnect (iothubowner); else 401 as any other request.
// - Query paging: x-ms-max-item-count and x-ms-continuation in;
//   x-ms-continuation (only when more pages follow) and x-ms-item-type out.
// Threading: Handle runs on the hub's event loop; `respond` is called once,
// possibly later (direct methods wait for the device).

#include <functional>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "adapters/emulator/control/control_service.hpp"
#include "adapters/emulator/events/event_feed.hpp"
#include "adapters/emulator/rest/sas_auth.hpp"
#include "ports/clock.hpp"
#include "ports/hub_services.hpp"

namespace offhub::emulator::rest {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

inline constexpr std::size_t kMaxBodyBytes = 256 * 1024;
// PUT /offhub/v1/state carries a whole hub (about 300 bytes per device, more
// with jobs: a 50,000-device hub with 4 finished jobs exports about 70 MB).
inline constexpr std::size_t kMaxStateBytes = 256 * 1024 * 1024;
inline constexpr std::string_view kStatePath = "/offhub/v1/state";
// The head of GET /offhub/v1/events: the session writes what follows as the feed delivers it.
inline constexpr std::string_view kEventStreamType = "text/event-stream";

// What GET /health (no token needed) reports: 200 {"status":"ok", <details>}
// when ok, else 503 ServiceUnavailable in IoT Hub's error envelope, its
// message the reason (e.g. the broker is restarting). No check: always ok.
struct HealthReport {
  bool ok = true;
  std::string reason;
  nlohmann::json details = nlohmann::json::object();
};
using HealthCheck = std::function<HealthReport()>;

// What a Router may serve besides IoT Hub's own API; each part is optional.
struct RouterOptions {
  HealthCheck health;  // GET /health; without it, always ok
  // Serves /offhub/v1/ (control/control_service.hpp); without it those paths
  // are 404 like any unknown resource.
  ControlService* control = nullptr;
  // The time SAS tokens expire against, in Unix seconds; without it, the
  // hub's clock. The emulator passes the wall clock, so a frozen or advanced
  // hub clock never expires a token a client signed with real time.
  std::function<std::int64_t()> token_seconds;
  // Serves GET /offhub/v1/events (events/event_feed.hpp).
  EventFeed* events = nullptr;
  // A SAS token (iothubowner's) the dashboard page (GET /) carries, so it
  // works without a login. The emulator gives one only when it listens on
  // loopback, and the router hands it only to requests whose Host is
  // localhost, 127.0.0.1, [::1] or `page_host` (not to a name an attacker's
  // DNS points at 127.0.0.1). Without it, the page asks for a connection string.
  std::function<std::string()> page_token;
  std::string page_host;
  // Refuse (400 ArgumentInvalid) every request whose Host is not local in the
  // sense above: an emulator on loopback with well-known keys must not be
  // reachable from a web page that re-points its own name at 127.0.0.1 (DNS
  // rebinding). The emulator sets it when it listens on loopback.
  bool require_local_host = false;
  // PEM text served at GET /offhub/v1/ca.pem with no token (a CA certificate
  // is public): the CA a client must trust for the HTTPS and MQTTS ports.
  std::string ca_certificate;
};

class Router {
 public:
  Router(ports::HubServices hub, ports::Clock& clock, SasAuthorizer authorizer, RouterOptions options = {})
      : hub_(hub), clock_(clock), authorizer_(std::move(authorizer)), options_(std::move(options)) {}

  // `subscriber`: the connection, should the request open the event stream
  // (GET /offhub/v1/events, ServiceConnect): the router then responds with
  // the stream's head only (200, Content-Type text/event-stream, no body)
  // and subscribes it to the feed, from the sequence after the query's
  // `since` (or the Last-Event-ID header) when given. Without a subscriber
  // that path is 404.
  void Handle(const Request& request, std::function<void(Response)> respond,
              std::shared_ptr<EventSubscriber> subscriber = nullptr);
  // Whether a request, by its headers, may carry up to kMaxStateBytes: a PUT
  // of /offhub/v1/state whose token already passes (so nobody unauthorised
  // makes the server hold more than kMaxBodyBytes).
  bool AllowsLargeBody(const Request& headers) const;

 private:
  ports::HubServices hub_;
  ports::Clock& clock_;
  SasAuthorizer authorizer_;
  RouterOptions options_;
  std::int64_t TokenSeconds() const {
    return options_.token_seconds ? options_.token_seconds() : clock_.Now().seconds();
  }
  std::uint64_t tracking_counter_ = 0;

  friend class RouteContext;
};

}  // namespace offhub::emulator::rest
