#include "adapters/emulator/rest/router.hpp"

#include "adapters/emulator/dashboard/dashboard_files.hpp"

#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/url/authority_view.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "domain/job_request.hpp"
#include "domain/json_text.hpp"
#include "domain/method_request.hpp"
#include "domain/method_result.hpp"

namespace offhub::emulator::rest {

namespace http = boost::beast::http;
using domain::Error;
using domain::ErrorCode;
using nlohmann::json;

namespace {

struct Target {
  std::vector<std::string> segments;  // percent-decoded, empty ones skipped
  std::map<std::string, std::string> query;
  // An origin-form target (RFC 9112 3.2.1) whose decoded segments, names and
  // values are all UTF-8.
  bool valid = true;
};

Target ParseTarget(std::string_view text) {
  Target out;
  const auto url = boost::urls::parse_origin_form(text);
  if (!url) {
    out.valid = false;
    return out;
  }
  for (const auto segment : url->encoded_segments()) {
    if (segment.empty()) continue;
    out.segments.push_back(segment.decode());
    out.valid = out.valid && domain::IsValidUtf8(out.segments.back());
  }
  for (const auto param : url->encoded_params()) {
    if (!param.has_value) continue;
    auto name = param.key.decode();
    auto value = param.value.decode();
    out.valid = out.valid && domain::IsValidUtf8(name) && domain::IsValidUtf8(value);
    out.query[std::move(name)] = std::move(value);
  }
  return out;
}

std::optional<std::string> Header(const Request& request, std::string_view name) {
  const auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return std::string(it->value());
}

// "00:00:20" for 20 s, as the hub writes the connect timeout in 404103 answers.
std::string TimeSpan(std::int64_t seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  return buf;
}

}  // namespace

// One request being answered: its parsed target, and how to answer it.
class RouteContext : public std::enable_shared_from_this<RouteContext> {
 public:
  RouteContext(Router& router, const Request& request, std::function<void(Response)> respond,
               std::shared_ptr<EventSubscriber> subscriber)
      : router_(router),
        request_(request),
        respond_(std::move(respond)),
        subscriber_(std::move(subscriber)),
        target_(ParseTarget(request.target())) {}

  void Route();
  // 500 ServerError, if nothing was answered yet.
  void FailUnexpected() { Fail(Error(ErrorCode::ServerError, "An unexpected error occurred")); }

 private:
  using Verb = http::verb;
  const std::vector<std::string>& seg() const { return target_.segments; }
  bool Is(std::initializer_list<std::string_view> pattern) const;

  void RouteDevices();
  void RouteIdentity(const std::string& device_id, const std::string& module_id);
  void RouteTwins();
  void RouteJobs();
  void RouteControl();
  void StreamEvents();
  void ServeDashboard();
  // 200 with that body, as a file (not an API answer): no-store, nosniff, a strict CSP.
  void ServeFile(std::string_view content_type, std::string body);
  // Whether the request's Host names this machine's loopback (or the hub's own page host).
  bool HostIsLocal() const;
  void Query();
  // A device's method when module_id is empty, else the module's.
  void InvokeMethod(const std::string& device_id, const std::string& module_id);

  // The request's method: a POST's X-HTTP-Method-Override when it names one
  // (the Java service SDK sends twin PATCHes so, as HttpURLConnection has no PATCH).
  http::verb EffectiveVerb() const;
  bool Authorize(std::uint8_t needed);
  // The request's resource for the token's `sr`: its path, with a twin's under its device ("twins/d" -> "devices/d").
  std::string ResourcePath() const;
  std::optional<json> Body(std::size_t max_bytes = kMaxBodyBytes);
  ports::IfMatch IfMatch() const { return if_match_ ? ports::IfMatch(*if_match_) : std::nullopt; }

  // `body`: JSON text (or what IoT Hub sends in its place: a device's raw answer spliced in).
  void Send(http::status status, std::optional<std::string> body,
            const std::vector<std::pair<std::string, std::string>>& headers = {});
  void Json(const json& body, http::status status = http::status::ok) { Send(status, domain::DumpJson(body)); }
  void Fail(const Error& error, bool method_style = false, const json& info = nullptr);
  void MethodNotAllowed() { Fail(Error(ErrorCode::GenericMethodNotAllowed, "The HTTP method is not allowed on this resource")); }
  template <class T>
  void Answer(const domain::Result<T>& result) {
    if (!result) return Fail(result.error());
    Json(*result);
  }
  void AnswerPage(const domain::Result<ports::QueryPage>& page);
  // x-ms-max-item-count and x-ms-continuation (an empty one means none).
  ports::QueryPageRequest PageRequest() const;

  Router& router_;
  const Request& request_;
  std::function<void(Response)> respond_;
  std::shared_ptr<EventSubscriber> subscriber_;
  Target target_;
  http::verb verb_ = http::verb::unknown;
  std::optional<std::string> if_match_;
  bool answered_ = false;
};

bool RouteContext::Is(std::initializer_list<std::string_view> pattern) const {
  if (pattern.size() != seg().size()) return false;
  std::size_t i = 0;
  for (const auto p : pattern) {
    if (p != "*" && p != seg()[i]) return false;
    ++i;
  }
  return true;
}

std::string RouteContext::ResourcePath() const {
  std::string path;
  for (std::size_t i = 0; i < seg().size(); ++i) {
    if (i > 0) path += '/';
    path += i == 0 && seg()[0] == "twins" ? std::string("devices") : seg()[i];
  }
  return path;
}

http::verb RouteContext::EffectiveVerb() const {
  if (request_.method() != Verb::post) return request_.method();
  const auto override_header = Header(request_, "X-HTTP-Method-Override");
  if (!override_header) return Verb::post;
  const auto named = http::string_to_verb(*override_header);
  return named == Verb::unknown ? Verb::post : named;
}

bool RouteContext::Authorize(std::uint8_t needed) {
  const auto header = Header(request_, "Authorization");
  const auto status =
      router_.authorizer_.Check(header.value_or(""), router_.TokenSeconds(), needed, ResourcePath());
  if (status) return true;
  Fail(status.error());
  return false;
}

std::optional<json> RouteContext::Body(std::size_t max_bytes) {
  if (request_.body().size() > max_bytes) {
    Fail(Error::MessageTooLarge("The request body is larger than " + std::to_string(max_bytes) + " bytes"));
    return std::nullopt;
  }
  auto body = domain::ParseJsonText(request_.body(), "The request body");
  if (!body) {
    Fail(body.error());
    return std::nullopt;
  }
  return std::move(*body);
}

void RouteContext::Send(http::status status, std::optional<std::string> body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  if (answered_) return;
  answered_ = true;
  Response response{status, request_.version()};
  response.keep_alive(request_.keep_alive());
  response.set(http::field::server, "offhub");
  for (const auto& [name, value] : headers) response.set(name, value);
  if (body) {
    response.set(http::field::content_type, "application/json; charset=utf-8");
    response.body() = std::move(*body);
  }
  response.prepare_payload();
  respond_(std::move(response));
}

void RouteContext::Fail(const Error& error, bool method_style, const json& info) {
  char tracking[33];
  std::snprintf(tracking, sizeof tracking, "%016llx%016llx", 0x0ff1ab5eULL,
                static_cast<unsigned long long>(++router_.tracking_counter_));
  const domain::ErrorContext context{tracking, domain::FormatUtc(router_.clock_.Now())};
  const json body = method_style ? domain::MethodEnvelope(error, context, info) : domain::RegistryEnvelope(error, context);
  Send(static_cast<http::status>(error.http_status()), domain::DumpJson(body),
       {{"iothub-errorcode", std::string(error.name())}});
}

ports::QueryPageRequest RouteContext::PageRequest() const {
  ports::QueryPageRequest page;
  if (const auto count = Header(request_, "x-ms-max-item-count")) {
    std::from_chars(count->data(), count->data() + count->size(), page.max_item_count);
  }
  page.continuation = Header(request_, "x-ms-continuation");
  if (page.continuation && page.continuation->empty()) page.continuation.reset();
  return page;
}

void RouteContext::AnswerPage(const domain::Result<ports::QueryPage>& page) {
  if (!page) return Fail(page.error());
  std::vector<std::pair<std::string, std::string>> headers{{"x-ms-item-type", page->item_type}};
  if (page->continuation) headers.emplace_back("x-ms-continuation", *page->continuation);
  Send(http::status::ok, domain::DumpJson(page->items), headers);
}

void RouteContext::Route() {
  verb_ = EffectiveVerb();
  if_match_ = Header(request_, "If-Match");
  // Ids, etags and query values are UTF-8 text on IoT Hub; other bytes are refused before they reach the hub.
  if (!target_.valid || (if_match_ && !domain::IsValidUtf8(*if_match_))) {
    return Fail(Error::ArgumentInvalid(
        "The request's path or query is not a valid URL of UTF-8 text, or its If-Match header is not UTF-8"));
  }
  if (router_.options_.require_local_host && !HostIsLocal()) {
    return Fail(Error::ArgumentInvalid("The Host header must name this hub (localhost, 127.0.0.1, [::1] or " +
                                       (router_.options_.page_host.empty() ? std::string("its host name")
                                                                           : router_.options_.page_host) +
                                       "): this emulator listens on loopback only"));
  }
  if (Is({"health"})) {
    if (verb_ != Verb::get) return MethodNotAllowed();
    const HealthReport health = router_.options_.health ? router_.options_.health() : HealthReport{};
    if (!health.ok) return Fail(Error(ErrorCode::ServiceUnavailable, health.reason));
    json body = health.details;
    body["status"] = "ok";
    return Json(body);
  }
  if (seg().empty() || (seg().size() == 2 && seg()[0] == "dashboard")) return ServeDashboard();
  if (!seg().empty() && seg()[0] == "devices") return RouteDevices();
  if (!seg().empty() && seg()[0] == "twins") return RouteTwins();
  if (seg().size() >= 2 && seg()[0] == "jobs" && seg()[1] == "v2") return RouteJobs();
  if (Is({"offhub", "v1", "events"})) return StreamEvents();
  if (Is({"offhub", "v1", "ca.pem"}) && !router_.options_.ca_certificate.empty()) {
    if (verb_ != Verb::get) return MethodNotAllowed();
    return ServeFile("application/x-pem-file", router_.options_.ca_certificate);
  }
  if (seg().size() >= 2 && seg()[0] == "offhub" && seg()[1] == "v1" && router_.options_.control) return RouteControl();
  if (Is({"statistics", "devices"}) || Is({"statistics", "service"})) {
    if (verb_ != Verb::get) return MethodNotAllowed();
    const bool devices = seg()[1] == "devices";
    if (!Authorize(devices ? kRegistryRead : kServiceConnect)) return;
    return Answer(devices ? router_.hub_.registry.GetRegistryStatistics() : router_.hub_.registry.GetServiceStatistics());
  }
  Fail(Error(ErrorCode::GenericNotFound, "No such resource: " + std::string(request_.target())));
}

bool RouteContext::HostIsLocal() const {
  const auto host = Header(request_, "Host");
  if (!host) return false;
  const auto url = boost::urls::parse_authority(*host);
  if (!url || url->has_userinfo()) return false;
  if (url->host_type() == boost::urls::host_type::ipv6) return url->host_address() == "::1";
  using boost::urls::grammar::ci_is_equal;  // host names are case-insensitive
  const std::string name = url->encoded_host().decode();
  const auto& page_host = router_.options_.page_host;
  return ci_is_equal(name, std::string_view("localhost")) || name == "127.0.0.1" ||
         (!page_host.empty() && ci_is_equal(name, page_host));
}

void RouteContext::ServeDashboard() {
  if (verb_ != Verb::get) return MethodNotAllowed();
  const std::string name = seg().empty() ? "index.html" : seg()[1];
  const auto file = dashboard::Find(name);
  if (!file || (!seg().empty() && name == "index.html")) {
    return Fail(Error(ErrorCode::GenericNotFound, "No such resource: " + std::string(request_.target())));
  }
  std::string body(file->body);
  if (seg().empty()) {
    const auto at = body.find(dashboard::kTokenPlaceholder);
    const std::string token = router_.options_.page_token && HostIsLocal() ? router_.options_.page_token() : "";
    if (at != std::string::npos) body.replace(at, dashboard::kTokenPlaceholder.size(), token);
  }
  ServeFile(file->content_type, std::move(body));
}

void RouteContext::ServeFile(std::string_view content_type, std::string body) {
  if (answered_) return;
  answered_ = true;
  Response response{http::status::ok, request_.version()};
  response.keep_alive(request_.keep_alive());
  response.set(http::field::server, "offhub");
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");  // the page may carry a token
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Content-Security-Policy",
               "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");
  response.body() = std::move(body);
  response.prepare_payload();
  respond_(std::move(response));
}

void RouteContext::StreamEvents() {
  if (!router_.options_.events || !subscriber_) return Fail(Error(ErrorCode::GenericNotFound, "No such resource"));
  if (verb_ != Verb::get) return MethodNotAllowed();
  if (!Authorize(kServiceConnect)) return;
  if (router_.options_.events->subscribers() >= EventFeed::kMaxSubscribers) {
    return Fail(Error(ErrorCode::ThrottlingException,
                      "At most " + std::to_string(EventFeed::kMaxSubscribers) + " event streams at once"));
  }
  std::optional<std::uint64_t> since;
  std::optional<std::string> given;
  if (const auto it = target_.query.find("since"); it != target_.query.end()) given = it->second;
  if (!given) given = Header(request_, "Last-Event-ID");
  if (given) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(given->data(), given->data() + given->size(), value);
    if (ec != std::errc() || end != given->data() + given->size()) {
      return Fail(Error::ArgumentInvalid("'since' (or Last-Event-ID) must be an event's sequence number"));
    }
    since = value;
  }
  answered_ = true;
  Response head{http::status::ok, request_.version()};
  head.set(http::field::server, "offhub");
  head.set(http::field::content_type, kEventStreamType);
  head.set(http::field::cache_control, "no-cache");
  head.keep_alive(false);
  respond_(std::move(head));
  router_.options_.events->Subscribe(subscriber_, since);
}

void RouteContext::RouteControl() {
  auto& control = *router_.options_.control;
  const auto verb = verb_;
  const bool device_faults = Is({"offhub", "v1", "devices", "*", "faults"});
  if (device_faults || Is({"offhub", "v1", "devices", "*", "modules", "*", "faults"})) {
    const ports::Identity identity{seg()[3], device_faults ? std::string() : seg()[5]};
    if (verb != Verb::get && verb != Verb::put && verb != Verb::delete_) return MethodNotAllowed();
    if (!Authorize(kRegistryWrite) || !Authorize(kServiceConnect)) return;
    if (verb == Verb::get) return Answer(control.GetFaults(identity));
    if (verb == Verb::delete_) {
      const auto cleared = control.DeleteFaults(identity);
      if (!cleared) return Fail(cleared.error());
      return Send(http::status::no_content, std::nullopt);
    }
    const auto body = Body();
    if (!body) return;
    return Answer(control.PutFaults(identity, *body));
  }
  const bool state = Is({"offhub", "v1", "state"});
  const bool reset = Is({"offhub", "v1", "reset"});
  const bool clock = Is({"offhub", "v1", "clock"});
  const bool advance = Is({"offhub", "v1", "clock", "advance"});
  if (!state && !reset && !clock && !advance) return Fail(Error(ErrorCode::GenericNotFound, "No such resource"));
  const bool allowed = state || clock ? verb == Verb::get || verb == Verb::put : verb == Verb::post;
  if (!allowed) return MethodNotAllowed();
  if (!Authorize(kRegistryWrite) || !Authorize(kServiceConnect)) return;
  if (verb == Verb::get) return Json(state ? control.ExportState() : control.GetClock());
  if (reset) {
    if (!request_.body().empty()) return Fail(Error::ArgumentInvalid("POST /offhub/v1/reset takes no body"));
    return Answer(control.Reset());
  }
  const auto body = Body(state ? kMaxStateBytes : kMaxBodyBytes);
  if (!body) return;
  if (state) return Answer(control.ImportState(*body));
  if (clock) return Answer(control.PutClock(*body));
  control.AdvanceClock(*body, [self = shared_from_this()](domain::Result<json> result) { self->Answer(result); });
}

void RouteContext::RouteDevices() {
  auto& registry = router_.hub_.registry;
  const auto verb = verb_;
  if (Is({"devices"})) {
    if (verb != Verb::get) return MethodNotAllowed();
    if (!Authorize(kRegistryRead)) return;
    std::size_t top = 0;
    if (const auto it = target_.query.find("top"); it != target_.query.end()) {
      std::from_chars(it->second.data(), it->second.data() + it->second.size(), top);
    }
    return Answer(registry.ListDevices(top));
  }
  if (Is({"devices", "query"}) && verb == Verb::post) return Query();
  if (Is({"devices", "*"})) return RouteIdentity(seg()[1], {});
  if (Is({"devices", "*", "modules"})) {
    if (verb != Verb::get) return MethodNotAllowed();
    if (!Authorize(kRegistryRead)) return;
    return Answer(registry.ListModules(seg()[1]));
  }
  if (Is({"devices", "*", "modules", "*"})) return RouteIdentity(seg()[1], seg()[3]);
  Fail(Error(ErrorCode::GenericNotFound, "No such resource"));
}

// GET, PUT and DELETE of /devices/{d}, or of /devices/{d}/modules/{m} when module_id is set.
void RouteContext::RouteIdentity(const std::string& device_id, const std::string& module_id) {
  auto& registry = router_.hub_.registry;
  const auto verb = verb_;
  const bool is_module = !module_id.empty();
  const ports::Identity identity{device_id, module_id};
  if (verb == Verb::get) {
    if (!Authorize(kRegistryRead)) return;
    return Answer(registry.GetIdentity(identity));
  }
  if (verb == Verb::delete_) {
    if (!Authorize(kRegistryWrite)) return;
    const auto deleted = registry.DeleteIdentity(identity, IfMatch());
    if (!deleted) return Fail(deleted.error());
    return Send(http::status::no_content, std::nullopt);
  }
  if (verb != Verb::put) return MethodNotAllowed();
  if (!Authorize(kRegistryWrite)) return;
  const auto body = Body();
  if (!body) return;
  const auto spec =
      is_module ? domain::ParseModuleSpec(*body, device_id, module_id) : domain::ParseDeviceSpec(*body, device_id);
  if (!spec) return Fail(spec.error());
  Answer(registry.PutIdentity(*spec, IfMatch()));
}

// /twins/{d}[/modules/{m}] and their /methods.
void RouteContext::RouteTwins() {
  auto& twins = router_.hub_.twins;
  const auto verb = verb_;
  const bool is_module = seg().size() >= 4 && seg()[2] == "modules";
  const std::size_t twin_segments = is_module ? 4 : 2;
  const bool methods = seg().size() == twin_segments + 1 && seg().back() == "methods";
  if (seg().size() != twin_segments && !methods) return Fail(Error(ErrorCode::GenericNotFound, "No such resource"));
  const std::string& id = seg()[1];
  const std::string module_id = is_module ? seg()[3] : std::string();
  if (methods) {
    if (verb != Verb::post) return MethodNotAllowed();
    if (!Authorize(kServiceConnect)) return;
    return InvokeMethod(id, module_id);
  }
  if (verb != Verb::get && verb != Verb::patch && verb != Verb::put) return MethodNotAllowed();
  if (!Authorize(kServiceConnect)) return;
  const ports::Identity identity{id, module_id};
  if (verb == Verb::get) return Answer(twins.GetTwin(identity));
  const auto body = Body();
  if (!body) return;
  if (verb == Verb::patch) return Answer(twins.PatchTwin(identity, *body, IfMatch()));
  Answer(twins.ReplaceTwin(identity, *body, IfMatch()));
}

void RouteContext::Query() {
  if (!Authorize(kServiceConnect)) return;
  const auto body = Body();
  if (!body) return;
  const auto sql = body->find("query");
  if (!body->is_object() || sql == body->end() || !sql->is_string()) {
    return Fail(Error::ArgumentInvalid("The body must be {\"query\":\"<query text>\"}"));
  }
  AnswerPage(router_.hub_.queries.Query(sql->get<std::string>(), PageRequest()));
}

void RouteContext::InvokeMethod(const std::string& device_id, const std::string& module_id) {
  const auto body = Body();
  if (!body) return;
  const auto request = domain::ParseMethodRequest(*body);
  if (!request) return Fail(request.error(), /*method_style=*/true);
  const auto connect_timeout = request->connect_timeout_seconds;
  auto done = [self = shared_from_this(), connect_timeout](domain::Result<domain::MethodResult> result) {
    if (result) return self->Send(http::status::ok, domain::MethodResultText(*result));
    const auto& error = result.error();
    if (error.code() == ErrorCode::DeviceNotFound || error.code() == ErrorCode::ModuleNotFound) return self->Fail(error);
    const json info =
        error.code() == ErrorCode::DeviceNotOnline ? json{{"timeout", TimeSpan(connect_timeout)}} : json::object();
    self->Fail(error, /*method_style=*/true, info);
  };
  router_.hub_.methods.InvokeMethod({device_id, module_id}, *request, std::move(done));
}

void RouteContext::RouteJobs() {
  auto& jobs = router_.hub_.jobs;
  const auto verb = verb_;
  if (!Authorize(kServiceConnect)) return;
  if (Is({"jobs", "v2", "query"}) && verb == Verb::get) {
    ports::JobListFilter filter;
    if (const auto it = target_.query.find("jobType"); it != target_.query.end()) filter.job_type = it->second;
    if (const auto it = target_.query.find("jobStatus"); it != target_.query.end()) filter.job_status = it->second;
    return AnswerPage(jobs.ListJobs(filter, PageRequest()));
  }
  if (Is({"jobs", "v2", "*", "cancel"})) {
    if (verb != Verb::post) return MethodNotAllowed();
    return Answer(jobs.CancelJob(seg()[2]));
  }
  if (!Is({"jobs", "v2", "*"})) return Fail(Error(ErrorCode::GenericNotFound, "No such resource"));
  const std::string& id = seg()[2];
  if (verb == Verb::get) return Answer(jobs.GetJob(id));
  if (verb != Verb::put) return MethodNotAllowed();
  const auto body = Body();
  if (!body) return;
  const auto request = domain::ParseJobRequest(id, *body, router_.clock_.Now());
  if (!request) return Fail(request.error());
  Answer(jobs.CreateJob(*request));
}

bool Router::AllowsLargeBody(const Request& headers) const {
  if (!options_.control || headers.method() != http::verb::put) return false;
  const std::string_view target = headers.target();
  if (target != kStatePath && !target.starts_with(std::string(kStatePath) + "?")) return false;
  const std::string authorization(Header(headers, "Authorization").value_or(""));
  const auto now = TokenSeconds();
  const std::string resource(kStatePath.substr(1));
  return authorizer_.Check(authorization, now, kRegistryWrite, resource).ok() &&
         authorizer_.Check(authorization, now, kServiceConnect, resource).ok();
}

void Router::Handle(const Request& request, std::function<void(Response)> respond,
                    std::shared_ptr<EventSubscriber> subscriber) {
  // The context may outlive this call (direct methods): it keeps its own copy.
  auto copy = std::make_shared<Request>(request);
  auto context = std::make_shared<RouteContext>(
      *this, *copy, [copy, respond = std::move(respond)](Response r) { respond(std::move(r)); }, std::move(subscriber));
  // The last-resort guard: whatever a handler throws costs one 500 and a log line, never the process.
  try {
    context->Route();
  } catch (const std::exception& e) {
    spdlog::error("{} {}: unexpected error: {}", std::string(request.method_string()),
                  domain::DumpJson(std::string(request.target())), e.what());
    context->FailUnexpected();
  }
}

}  // namespace offhub::emulator::rest
