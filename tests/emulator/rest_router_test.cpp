// The REST front's router driven directly (no sockets): IoT Hub's paths,
// envelopes, headers, paging and SAS authorization, against a LocalHub.
#include <boost/beast/http/field.hpp>

#include "adapters/emulator/rest/router.hpp"
#include "adapters/iothub/sas_token.hpp"
#include "tests/emulator/hub_fixture.hpp"

using namespace offhub;
using namespace offhub::emulator::rest;
namespace http = boost::beast::http;
using nlohmann::json;

namespace {

constexpr std::string_view kHost = "offhub.azure-devices.net";

std::string Token(std::string_view policy, std::string_view key, std::int64_t expiry,
                  std::string_view resource = kHost) {
  const std::string se = std::to_string(expiry);
  std::string sig = offhub::iothub::SasSignature(resource, se, key).value();
  std::string encoded;
  for (char c : sig) encoded += c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
  return "SharedAccessSignature sr=" + std::string(resource) + "&sig=" + encoded + "&skn=" + std::string(policy) +
         "&se=" + se;
}

AccessPolicy Policy(std::string_view name) {
  for (auto& p : WellKnownPolicies()) {
    if (p.name == name) return p;
  }
  FAIL("no policy " << name);
  return {};
}

struct RestFixture : testing::HubFixture {
  RestFixture() : router(hub->services(), clock, SasAuthorizer(std::string(kHost), WellKnownPolicies())) {}

  std::string OwnerToken() const { return Token("iothubowner", Policy("iothubowner").primary_key, clock.Now().seconds() + 3600); }

  // Sends a request; returns the response if it came before the clock ran `seconds` more.
  std::optional<Response> Send(http::verb verb, std::string target, std::optional<std::string> body = std::nullopt,
                               std::vector<std::pair<std::string, std::string>> headers = {},
                               std::optional<std::string> authorization = {}, std::int64_t seconds = 0) {
    Request request{verb, target, 11};
    request.set(http::field::authorization, authorization.value_or(OwnerToken()));
    for (const auto& [name, value] : headers) request.set(name, value);
    if (body) {
      request.set(http::field::content_type, "application/json; charset=utf-8");
      request.body() = *body;
    }
    request.prepare_payload();
    // Shared: an answer still pending may come after we return.
    auto response = std::make_shared<std::optional<Response>>();
    router.Handle(request, [response](Response r) {
      REQUIRE_FALSE(response->has_value());
      response->emplace(std::move(r));
    });
    if (seconds > 0) clock.AdvanceSeconds(seconds);
    return *response;
  }

  Response Must(http::verb verb, std::string target, std::optional<std::string> body = std::nullopt,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto r = Send(verb, std::move(target), std::move(body), std::move(headers));
    REQUIRE(r.has_value());
    return std::move(*r);
  }

  Router router;
};

json Body(const Response& r) { return json::parse(r.body()); }

// "ErrorCode:<Name>;..." of a registry-style envelope.
std::string RegistryCode(const Response& r) {
  const std::string message = Body(r)["Message"];
  return message.substr(10, message.find(';') - 10);
}

// errorCode of a direct-method-style envelope.
int MethodCode(const Response& r) { return json::parse(Body(r)["Message"].get<std::string>())["errorCode"]; }

}  // namespace

TEST_CASE("health needs no credentials") {
  RestFixture f;
  const auto r = f.Send(http::verb::get, "/health", std::nullopt, {}, "");
  REQUIRE(r);
  CHECK(r->result() == http::status::ok);
}

TEST_CASE("health reports the hook's state: 200 with its details, 503 ServiceUnavailable with its reason") {
  RestFixture f;
  HealthReport report;
  RouterOptions options;
  options.health = [&report] { return report; };
  Router router(f.hub->services(), f.clock, SasAuthorizer(std::string(kHost), WellKnownPolicies()), options);
  auto get = [&] {
    std::optional<Response> response;
    router.Handle(Request{http::verb::get, "/health", 11}, [&](Response r) { response.emplace(std::move(r)); });
    REQUIRE(response);
    return *response;
  };
  report.details = {{"broker", "running"}};
  const auto up = get();
  CHECK(up.result() == http::status::ok);
  CHECK(Body(up) == json{{"status", "ok"}, {"broker", "running"}});
  report = {.ok = false, .reason = "the MQTT broker is restarting"};
  const auto down = get();
  CHECK(down.result() == http::status::service_unavailable);
  CHECK(RegistryCode(down) == "ServiceUnavailable");
  CHECK(Body(down)["Message"].get<std::string>().find("the MQTT broker is restarting") != std::string::npos);
  CHECK(down["iothub-errorcode"] == "ServiceUnavailable");
}

TEST_CASE("SAS authorization: missing, expired, wrong key, other hub, weak policy") {
  RestFixture f;
  const auto now = f.clock.Now().seconds();
  const auto owner = Policy("iothubowner");
  const auto refused = [&](std::string token, http::verb verb = http::verb::get, std::string target = "/devices") {
    CAPTURE(token);
    const auto r = f.Send(verb, target, verb == http::verb::put ? std::optional<std::string>("{}") : std::nullopt, {}, token);
    REQUIRE(r);
    CHECK(r->result() == http::status::unauthorized);
    CHECK(r->at("iothub-errorcode") == "IotHubUnauthorizedAccess");
    CHECK(RegistryCode(*r) == "IotHubUnauthorizedAccess");
  };
  refused("");
  refused("Bearer abc");
  refused("SharedAccessSignature garbage");
  refused(Token("iothubowner", owner.primary_key, now - 1));
  refused(Token("iothubowner", Policy("service").primary_key, now + 60));
  refused(Token("nosuchpolicy", owner.primary_key, now + 60));
  refused(Token("iothubowner", owner.primary_key, now + 60, "otherhub.azure-devices.net"));
  refused(Token("iothubowner", owner.primary_key, now + 60, std::string(kHost) + "x"));
  refused(Token("registryRead", Policy("registryRead").primary_key, now + 60), http::verb::put, "/devices/d1");
  refused(Token("registryRead", Policy("registryRead").primary_key, now + 60), http::verb::get, "/twins/d1");
  refused(Token("service", Policy("service").primary_key, now + 60), http::verb::get, "/devices");

  const auto ok = f.Send(http::verb::get, "/devices", std::nullopt, {},
                         Token("registryRead", Policy("registryRead").secondary_key, now + 60));
  CHECK(ok->result() == http::status::ok);
  const auto device_scope = f.Send(http::verb::get, "/devices", std::nullopt, {},
                                   Token("iothubowner", owner.primary_key, now + 60, std::string(kHost) + "%2Fdevices"));
  CHECK(device_scope->result() == http::status::ok);
}

TEST_CASE("registry over REST: create, conflict, get, not found, delete") {
  RestFixture f;
  const auto created = f.Must(http::verb::put, "/devices/newdev?api-version=2021-04-12",
                              R"({"deviceId":"newdev","authentication":{"type":"sas","symmetricKey":{"primaryKey":"","secondaryKey":""}}})");
  CHECK(created.result() == http::status::ok);
  CHECK(created.at(http::field::content_type) == "application/json; charset=utf-8");
  CHECK(Body(created)["authentication"]["symmetricKey"]["primaryKey"].get<std::string>().size() == 44);

  const auto again = f.Must(http::verb::put, "/devices/newdev", R"({"deviceId":"newdev"})");
  CHECK(again.result() == http::status::conflict);
  CHECK(RegistryCode(again) == "DeviceAlreadyExists");
  CHECK(Body(again)["ExceptionMessage"].get<std::string>().starts_with("Tracking ID:"));

  const auto missing = f.Must(http::verb::get, "/devices/nope");
  CHECK(missing.result() == http::status::not_found);
  CHECK(missing.at("iothub-errorcode") == "DeviceNotFound");
  CHECK(Body(missing)["Message"] == "ErrorCode:DeviceNotFound;nope");

  CHECK(f.Must(http::verb::get, "/statistics/devices").body() ==
        R"({"disabledDeviceCount":0,"enabledDeviceCount":1,"totalDeviceCount":1})");
  const auto deleted = f.Must(http::verb::delete_, "/devices/newdev", std::nullopt, {{"If-Match", "\"*\""}});
  CHECK(deleted.result() == http::status::no_content);
  CHECK(deleted.body().empty());
}

TEST_CASE("twins over REST: If-Match quoted, 412, desired reaches the device") {
  RestFixture f;
  auto& device = f.AddOnlineDevice("dev1");
  const auto mismatch = f.Must(http::verb::patch, "/twins/dev1", R"({"properties":{"desired":{"bar":2}}})",
                               {{"If-Match", "\"abc\""}});
  CHECK(mismatch.result() == http::status::precondition_failed);
  CHECK(RegistryCode(mismatch) == "PreconditionFailed");
  const auto patched = f.Must(http::verb::patch, "/twins/dev1", R"({"properties":{"desired":{"bar":2}}})",
                              {{"If-Match", "\"AAAAAAAAAAE=\""}});
  CHECK(patched.result() == http::status::ok);
  CHECK(Body(patched)["properties"]["desired"]["$version"] == 2);
  CHECK(device.desired_updates.size() == 1);
  CHECK(Body(f.Must(http::verb::get, "/twins/dev1"))["properties"]["desired"]["bar"] == 2);
}

// The Java service SDK (iot-service-client 2.x) sends a twin PATCH as a POST
// with X-HTTP-Method-Override: PATCH, its HttpURLConnection having no PATCH.
TEST_CASE("twins over REST: a POST with X-HTTP-Method-Override: PATCH is a PATCH") {
  RestFixture f;
  auto& device = f.AddOnlineDevice("dev1");
  const auto patched = f.Must(http::verb::post, "/twins/dev1?api-version=2021-04-12",
                              R"({"properties":{"desired":{"bar":2}}})",
                              {{"X-HTTP-Method-Override", "PATCH"}, {"If-Match", "AAAAAAAAAAE="}});
  CHECK(patched.result() == http::status::ok);
  CHECK(Body(patched)["properties"]["desired"]["bar"] == 2);
  CHECK(device.desired_updates.size() == 1);
  const auto stale = f.Must(http::verb::post, "/twins/dev1", R"({"properties":{"desired":{"bar":3}}})",
                            {{"X-HTTP-Method-Override", "PATCH"}, {"If-Match", "AAAAAAAAAAE="}});
  CHECK(stale.result() == http::status::precondition_failed);
  // Only a POST is overridden, and only by a method's name.
  CHECK(f.Must(http::verb::post, "/twins/dev1", R"({})").result() == http::status::method_not_allowed);
  CHECK(f.Must(http::verb::post, "/twins/dev1", R"({})", {{"X-HTTP-Method-Override", "BREW"}}).result() ==
        http::status::method_not_allowed);
  CHECK(f.Must(http::verb::get, "/twins/dev1", std::nullopt, {{"X-HTTP-Method-Override", "DELETE"}}).result() ==
        http::status::ok);
}

TEST_CASE("bad input gets clean 4xx answers") {
  RestFixture f;
  f.AddDevice("d");
  SUBCASE("unparsable JSON") {
    const auto r = f.Must(http::verb::patch, "/twins/d", "{\"tags\":");
    CHECK(r.result() == http::status::bad_request);
    CHECK(RegistryCode(r) == "IotHubFormatError");
  }
  SUBCASE("wrong types") { CHECK(f.Must(http::verb::patch, "/twins/d", R"({"tags":5})").result() == http::status::bad_request); }
  SUBCASE("a device body that is an array") { CHECK(f.Must(http::verb::put, "/devices/x", "[]").result() == http::status::bad_request); }
  SUBCASE("a bad device id") { CHECK(f.Must(http::verb::put, "/devices/a%20b", "{}").result() == http::status::bad_request); }
  SUBCASE("over-size body") {
    const auto r = f.Must(http::verb::patch, "/twins/d", std::string(kMaxBodyBytes + 1, ' '));
    CHECK(r.result() == http::status::payload_too_large);
  }
  SUBCASE("unknown route") { CHECK(f.Must(http::verb::get, "/nothing/here").result() == http::status::not_found); }
  SUBCASE("wrong verb") { CHECK(f.Must(http::verb::post, "/twins/d").result() == http::status::method_not_allowed); }
  SUBCASE("query without a query") { CHECK(f.Must(http::verb::post, "/devices/query", R"({"sql":1})").result() == http::status::bad_request); }
  SUBCASE("malformed query") {
    const auto r = f.Must(http::verb::post, "/devices/query", R"({"query":"SELECT * FROM devices WHERE"})");
    CHECK(r.result() == http::status::bad_request);
  }
  SUBCASE("a bad job") {
    const auto r = f.Must(http::verb::put, "/jobs/v2/j1", R"({"jobId":"j1","type":"scheduleDirectRequest","queryCondition":"*"})");
    CHECK(r.result() == http::status::bad_request);
    CHECK(Body(r)["Message"] == "ErrorCode:GenericBadRequest;BadRequest");
  }
  SUBCASE("garbage in the target") {
    CHECK(f.Must(http::verb::put, "/devices/a%00b", "{}").result() == http::status::bad_request);
    // A malformed %-escape is not a URL (RFC 3986 2.1): 400, like any request target that does not parse.
    for (const char* bad : {"/devices/%zz%", "/devices/%", "/devices/a%2", "/devices/a b", "/devices?top=%g0"}) {
      CAPTURE(bad);
      const auto r = f.Must(http::verb::get, bad);
      CHECK(r.result() == http::status::bad_request);
      CHECK(r["iothub-errorcode"] == "ArgumentInvalid");
    }
    CHECK(f.Must(http::verb::get, "//devices//?&&==&").result() == http::status::ok);
  }
}

TEST_CASE("modules over REST: routes, permissions and malformed requests") {
  RestFixture f;
  f.AddDevice("d");
  const auto now = f.clock.Now().seconds();
  const auto created = f.Must(http::verb::put, "/devices/d/modules/m%231?api-version=2021-04-12",
                              R"({"deviceId":"d","moduleId":"m#1","authentication":{"type":"sas"}})");
  CHECK(created.result() == http::status::ok);
  CHECK(Body(created)["moduleId"] == "m#1");
  CHECK(Body(f.Must(http::verb::get, "/devices/d/modules"))[0]["moduleId"] == "m#1");
  CHECK(Body(f.Must(http::verb::get, "/twins/d/modules/m%231"))["moduleId"] == "m#1");

  const auto again = f.Must(http::verb::put, "/devices/d/modules/m%231", "{}");
  CHECK(again.result() == http::status::conflict);
  CHECK(RegistryCode(again) == "ModuleAlreadyExistsOnDevice");
  const auto missing = f.Must(http::verb::get, "/twins/d/modules/other");
  CHECK(missing.result() == http::status::not_found);
  CHECK(missing.at("iothub-errorcode") == "ModuleNotFound");
  const auto method = f.Must(http::verb::post, "/twins/d/modules/other/methods", R"({"methodName":"m","payload":null})");
  CHECK(method.result() == http::status::not_found);
  CHECK(RegistryCode(method) == "ModuleNotFound");

  CHECK(f.Must(http::verb::put, "/devices/d/modules/x", R"({"moduleId":"y"})").result() == http::status::bad_request);
  CHECK(f.Must(http::verb::put, "/devices/d/modules/x", R"({"deviceId":"e"})").result() == http::status::bad_request);
  CHECK(f.Must(http::verb::put, "/devices/d/modules/x", R"({"managedBy":5})").result() == http::status::bad_request);
  CHECK(f.Must(http::verb::put, "/devices/d/modules/x", "[1]").result() == http::status::bad_request);
  CHECK(f.Must(http::verb::put, "/devices/d/modules/a%20b", "{}").result() == http::status::bad_request);
  CHECK(f.Must(http::verb::patch, "/twins/d/modules/m%231", "{\"tags\":").result() == http::status::bad_request);
  CHECK(f.Must(http::verb::post, "/devices/d/modules").result() == http::status::method_not_allowed);
  CHECK(f.Must(http::verb::post, "/devices/d/modules/m%231").result() == http::status::method_not_allowed);
  CHECK(f.Must(http::verb::get, "/twins/d/modules/m%231/methods").result() == http::status::method_not_allowed);
  CHECK(f.Must(http::verb::get, "/devices/d/modules/m%231/extra").result() == http::status::not_found);
  CHECK(f.Must(http::verb::get, "/twins/d/modules").result() == http::status::not_found);
  CHECK(f.Must(http::verb::get, "/twins/d/other/m").result() == http::status::not_found);

  const auto read_only = Token("registryRead", Policy("registryRead").primary_key, now + 60);
  CHECK(f.Send(http::verb::get, "/devices/d/modules/m%231", std::nullopt, {}, read_only)->result() == http::status::ok);
  CHECK(f.Send(http::verb::delete_, "/devices/d/modules/m%231", std::nullopt, {}, read_only)->result() ==
        http::status::unauthorized);
  CHECK(f.Send(http::verb::get, "/twins/d/modules/m%231", std::nullopt, {}, read_only)->result() ==
        http::status::unauthorized);
  CHECK(f.Must(http::verb::delete_, "/devices/d/modules/m%231", std::nullopt, {{"If-Match", "\"*\""}}).result() ==
        http::status::no_content);
}

TEST_CASE("query paging: continuation header on every page but the last") {
  RestFixture f;
  for (int i = 0; i < 5; ++i) f.AddDevice("d" + std::to_string(i));
  const std::string body = R"({"query":"SELECT * FROM devices"})";
  std::vector<std::pair<std::string, std::string>> headers{{"x-ms-max-item-count", "2"}};
  int pages = 0, items = 0;
  while (true) {
    const auto r = f.Must(http::verb::post, "/devices/query", body, headers);
    REQUIRE(r.result() == http::status::ok);
    CHECK(r.at("x-ms-item-type") == "twin");
    items += static_cast<int>(Body(r).size());
    ++pages;
    const auto next = r.find("x-ms-continuation");
    if (next == r.end()) break;
    headers = {{"x-ms-max-item-count", "2"}, {"x-ms-continuation", std::string(next->value())}};
    REQUIRE(pages < 10);
  }
  CHECK(pages == 3);
  CHECK(items == 5);
}

// Issue 12: the hub's twin-query string functions (domain/query/functions.hpp).
TEST_CASE("query functions over REST: STARTSWITH and ENDSWITH, not STARTS_WITH") {
  RestFixture f;
  f.AddDevice("q1-abc-1");
  f.AddDevice("q1-xyz-2");
  auto ids = [&](std::string_view where) {
    const auto r = f.Must(http::verb::post, "/devices/query?api-version=2021-04-12",
                          json{{"query", "SELECT * FROM devices WHERE " + std::string(where)}}.dump());
    REQUIRE(r.result() == http::status::ok);
    std::vector<std::string> found;
    for (const auto& twin : Body(r)) found.push_back(twin["deviceId"]);
    return found;
  };
  CHECK(ids("STARTSWITH(deviceId, 'q1-abc')") == std::vector<std::string>{"q1-abc-1"});
  CHECK(ids("ENDSWITH(deviceId, 'z-2')") == std::vector<std::string>{"q1-xyz-2"});
  const auto routing = f.Must(http::verb::post, "/devices/query",
                              R"j({"query":"SELECT * FROM devices WHERE STARTS_WITH(deviceId, 'q1-abc')"})j");
  CHECK(routing.result() == http::status::bad_request);

  const auto job = f.Must(http::verb::put, "/jobs/v2/fn1",
                          R"j({"jobId":"fn1","type":"scheduleUpdateTwin","updateTwin":{"etag":"*","properties":{"desired":{"z":1}}},"startTime":null,"queryCondition":"STARTSWITH(deviceId, 'q1-abc')"})j");
  REQUIRE(job.result() == http::status::ok);
  f.clock.AdvanceSeconds(1);
  const auto done = Body(f.Must(http::verb::get, "/jobs/v2/fn1"));
  CHECK(done["status"] == "completed");
  CHECK(done["deviceJobStatistics"]["deviceCount"] == 1);
  CHECK(Body(f.Must(http::verb::get, "/twins/q1-abc-1"))["properties"]["desired"]["z"] == 1);
  CHECK_FALSE(Body(f.Must(http::verb::get, "/twins/q1-xyz-2"))["properties"]["desired"].contains("z"));
}

TEST_CASE("direct methods over REST: answer, offline, timeout, bad timeout") {
  RestFixture f;
  f.AddOnlineDevice("on", {.status = 201, .payload = {{"locked", true}}});
  f.AddOnlineDevice("slow", {.latency_ms = 60'000});
  f.AddDevice("off");
  const std::string call = R"({"methodName":"lockDoor","payload":null,"responseTimeoutInSeconds":5,"connectTimeoutInSeconds":0})";

  const auto answered = f.Send(http::verb::post, "/twins/on/methods", call, {}, std::nullopt, 1);
  REQUIRE(answered);
  CHECK(answered->result() == http::status::ok);
  CHECK(Body(*answered) == json::parse(R"({"status":201,"payload":{"locked":true}})"));

  const auto offline = f.Send(http::verb::post, "/twins/off/methods", call);
  REQUIRE(offline);
  CHECK(offline->result() == http::status::not_found);
  CHECK(MethodCode(*offline) == 404103);
  CHECK(Body(*offline)["ExceptionMessage"] == "");
  CHECK(json::parse(Body(*offline)["Message"].get<std::string>())["info"]["timeout"] == "00:00:00");

  const auto not_yet = f.Send(http::verb::post, "/twins/slow/methods", call, {}, std::nullopt, 4);
  CHECK_FALSE(not_yet);
  const auto timed_out = f.Send(http::verb::post, "/twins/slow/methods", call, {}, std::nullopt, 5);
  REQUIRE(timed_out);
  CHECK(timed_out->result() == http::status::gateway_timeout);
  CHECK(MethodCode(*timed_out) == 504101);

  const auto bad = f.Send(http::verb::post, "/twins/on/methods", R"({"methodName":"m","responseTimeoutInSeconds":0})");
  REQUIRE(bad);
  CHECK(bad->result() == http::status::bad_request);
  CHECK(json::parse(Body(*bad)["Message"].get<std::string>())["message"] == "responseTimeoutInSeconds must be within [5; 300].");
  CHECK(f.Send(http::verb::post, "/twins/ghost/methods", call)->at("iothub-errorcode") == "DeviceNotFound");
}

TEST_CASE("jobs over REST: the Node SDK's requests, listing and cancel") {
  RestFixture f;
  f.AddOnlineDevice("dev1");
  const auto created = f.Must(http::verb::put, "/jobs/v2/job%3A1?api-version=2021-04-12",
                              R"({"jobId":"job:1","type":"scheduleUpdateTwin","updateTwin":{"etag":"*","properties":{"desired":{"z":1}}},"startTime":null,"queryCondition":"deviceId = 'dev1'"})");
  CHECK(created.result() == http::status::ok);
  CHECK(Body(created) == json::parse(R"({"jobId":"job:1","type":"scheduleUpdateTwin","status":"queued"})"));
  f.clock.AdvanceSeconds(1);
  const auto job = Body(f.Must(http::verb::get, "/jobs/v2/job:1"));
  CHECK(job["status"] == "completed");
  CHECK(job["deviceJobStatistics"]["succeededCount"] == 1);

  const auto later = f.Must(http::verb::put, "/jobs/v2/job2",
                            R"({"jobId":"job2","type":"scheduleDeviceMethod","cloudToDeviceMethod":{"methodName":"reboot","payload":{"x":1},"responseTimeoutInSeconds":30},"startTime":"2030-01-01T00:00:00.000Z","maxExecutionTimeInSeconds":120,"queryCondition":"deviceId IN ['dev1']"})");
  CHECK(later.result() == http::status::ok);
  const auto cancelled = f.Must(http::verb::post, "/jobs/v2/job2/cancel");
  CHECK(Body(cancelled)["status"] == "cancelled");

  const auto listed = f.Must(http::verb::get, "/jobs/v2/query?api-version=2021-04-12&jobType=scheduleUpdateTwin&jobStatus=completed",
                             std::nullopt, {{"x-ms-max-item-count", "10"}});
  CHECK(listed.result() == http::status::ok);
  REQUIRE(Body(listed).size() == 1);
  CHECK(Body(listed)[0]["jobId"] == "job:1");
  CHECK(listed.find("x-ms-continuation") == listed.end());

  const auto records = f.Must(http::verb::post, "/devices/query", R"({"query":"SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'job:1'"})");
  CHECK(records.at("x-ms-item-type") == "deviceJob");
  CHECK(Body(records)[0]["status"] == "completed");
  CHECK(f.Must(http::verb::get, "/jobs/v2/nope").result() == http::status::not_found);
}

TEST_CASE("the dashboard: its files with no token, a strict CSP; the page's token only for a local Host") {
  RestFixture f;
  int issued = 0;
  RouterOptions options;
  options.page_token = [&issued] { return "SharedAccessSignature token-" + std::to_string(++issued); };
  options.page_host = "myhub.local";
  options.ca_certificate = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n";
  Router router(f.hub->services(), f.clock, SasAuthorizer(std::string(kHost), WellKnownPolicies()), options);
  const auto get = [&](std::string target, std::string host, http::verb verb = http::verb::get) {
    Request request{verb, target, 11};
    request.set(http::field::host, host);
    std::optional<Response> response;
    router.Handle(request, [&](Response r) { response.emplace(std::move(r)); });
    REQUIRE(response);
    return *response;
  };
  for (const std::string host : {"localhost:8080", "127.0.0.1:8443", "[::1]:8080", "LOCALHOST", "myhub.local:8443"}) {
    CAPTURE(host);
    const auto page = get("/", host);
    CHECK(page.result() == http::status::ok);
    CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
    CHECK(page[http::field::cache_control] == "no-store");
    CHECK(page["Content-Security-Policy"].starts_with("default-src 'self'"));
    CHECK(page.body().find(R"(<meta name="offhub-sas" content="SharedAccessSignature token-)") != std::string::npos);
  }
  // A name an attacker's DNS points at 127.0.0.1, a missing or odd Host: the page, without a token.
  for (const std::string host : {"evil.example", "127.0.0.1.evil.example:80", "user@localhost", "", "[::2]"}) {
    CAPTURE(host);
    const auto page = get("/", host);
    CHECK(page.result() == http::status::ok);
    CHECK(page.body().find(R"(<meta name="offhub-sas" content="">)") != std::string::npos);
    CHECK(page.body().find("token-") == std::string::npos);
  }
  // Without a page token (an emulator listening beyond loopback), never a token.
  const auto plain = f.Send(http::verb::get, "/", std::nullopt, {{"Host", "localhost"}}, "");
  REQUIRE(plain);
  CHECK(plain->body().find(R"(<meta name="offhub-sas" content="">)") != std::string::npos);

  CHECK(get("/dashboard/dashboard.js", "localhost")[http::field::content_type] == "text/javascript; charset=utf-8");
  CHECK(get("/dashboard/dashboard.css", "localhost")[http::field::content_type] == "text/css; charset=utf-8");
  CHECK(get("/dashboard/dashboard.js", "localhost").body().find("streamEvents") != std::string::npos);
  CHECK(get("/dashboard/nope.js", "localhost").result() == http::status::not_found);
  CHECK(get("/dashboard/index.html", "localhost").result() == http::status::not_found);  // the page only at /
  CHECK(get("/dashboard/%2e%2e%2fetc", "localhost").result() == http::status::not_found);
  CHECK(get("/", "localhost", http::verb::post).result() == http::status::method_not_allowed);
  // The CA, for anyone: it is public.
  const auto ca = get("/offhub/v1/ca.pem", "evil.example");
  CHECK(ca.result() == http::status::ok);
  CHECK(ca[http::field::content_type] == "application/x-pem-file");
  CHECK(ca.body().starts_with("-----BEGIN CERTIFICATE-----"));
  CHECK(get("/offhub/v1/ca.pem", "localhost", http::verb::put).result() == http::status::method_not_allowed);
  // Without one, the path is unknown.
  CHECK(f.Send(http::verb::get, "/offhub/v1/ca.pem", std::nullopt, {}, "")->result() == http::status::not_found);
}

TEST_CASE("an emulator on loopback refuses requests whose Host is not its own (DNS rebinding), even with a valid token") {
  RestFixture f;
  RouterOptions options;
  options.require_local_host = true;
  options.page_host = kHost;
  Router router(f.hub->services(), f.clock, SasAuthorizer(std::string(kHost), WellKnownPolicies()), options);
  const auto send = [&](std::string host) {
    Request request{http::verb::get, "/devices/x?api-version=2021-04-12", 11};
    if (!host.empty()) request.set(http::field::host, host);
    request.set(http::field::authorization, f.OwnerToken());
    std::optional<Response> response;
    router.Handle(request, [&](Response r) { response.emplace(std::move(r)); });
    REQUIRE(response);
    return *response;
  };
  for (const std::string host : {"localhost:443", "127.0.0.1", "[::1]:8443", "OFFHUB.azure-devices.net"}) {
    CAPTURE(host);
    CHECK(send(host).result() == http::status::not_found);  // through to the registry: DeviceNotFound
  }
  for (const std::string host : {"evil.example", "evil.example:8080", ""}) {
    CAPTURE(host);
    const auto refused = send(host);
    CHECK(refused.result() == http::status::bad_request);
    CHECK(RegistryCode(refused) == "ArgumentInvalid");
  }
}
