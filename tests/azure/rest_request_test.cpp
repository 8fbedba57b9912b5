// REST requests built as the Node service SDK sends them, without a socket.
#include <doctest/doctest.h>

#include <regex>

#include <boost/beast/http/field.hpp>

#include "adapters/azure/rest_request.hpp"
#include "domain/job_request.hpp"

using namespace offhub;
using namespace offhub::azure;
namespace http = boost::beast::http;
using nlohmann::json;

namespace {

const ConnectionHeaders kHeaders{"myhub.azure-devices.net", "SharedAccessSignature sr=x", "id-1", "offhub/0.1.0"};

std::string HeaderOf(const HttpRequest& request, std::string_view name) {
  const auto it = request.find(name);
  return it == request.end() ? "<absent>" : std::string(it->value());
}

domain::DeviceSpec Spec(const std::string& id) {
  auto spec = domain::ParseDeviceSpec(json::object(), id);
  REQUIRE(spec.ok());
  return *spec;
}

}  // namespace

TEST_CASE("targets carry the api-version and encodeURIComponent-ed ids") {
  CHECK(GetDeviceCall("d1").target == "/devices/d1?api-version=2021-04-12");
  CHECK(GetDeviceCall("a#b?c/d e%").target == "/devices/a%23b%3Fc%2Fd%20e%25?api-version=2021-04-12");
  CHECK(GetDeviceCall("x*(1)'!").target == "/devices/x*(1)'!?api-version=2021-04-12");  // plain, not strict
  CHECK(GetTwinCall("t 1").target == "/twins/t%201?api-version=2021-04-12");
  CHECK(GetTwinCall("d 1", "m#1").target == "/twins/d%201/modules/m%231?api-version=2021-04-12");
  CHECK(ListModulesCall("d").target == "/devices/d/modules?api-version=2021-04-12");
  CHECK(GetModuleCall("d", "m").target == "/devices/d/modules/m?api-version=2021-04-12");
  CHECK(DeleteModuleCall("d", "m", std::nullopt).if_match == "\"*\"");
  CHECK(GetJobCall("j#1").target == "/jobs/v2/j%231?api-version=2021-04-12");
  CHECK(CancelJobCall("j#1").target == "/jobs/v2/j%231/cancel?api-version=2021-04-12");
  CHECK(RegistryStatisticsCall().target == "/statistics/devices?api-version=2021-04-12");
  CHECK(ServiceStatisticsCall().target == "/statistics/service?api-version=2021-04-12");
}

TEST_CASE("list devices sends top only within 1..1000") {
  CHECK(ListDevicesCall(10).target == "/devices?api-version=2021-04-12&top=10");
  CHECK(ListDevicesCall(1000).target == "/devices?api-version=2021-04-12&top=1000");
  CHECK(ListDevicesCall(0).target == "/devices?api-version=2021-04-12");
  CHECK(ListDevicesCall(1001).target == "/devices?api-version=2021-04-12");
}

TEST_CASE("If-Match is always quoted; delete defaults to \"*\" like Node") {
  CHECK(QuoteIfMatch("*") == "\"*\"");
  CHECK(QuoteIfMatch("AAAAAAAAAAE=") == "\"AAAAAAAAAAE=\"");
  CHECK(QuoteIfMatch("\"AAAAAAAAAAE=\"") == "\"AAAAAAAAAAE=\"");
  CHECK(QuoteIfMatch("W/\"abc\"") == "W/\"abc\"");
  CHECK(QuoteIfMatch("\"") == "\"\"\"");
  CHECK(DeleteDeviceCall("d", std::nullopt).if_match == "\"*\"");
  CHECK(DeleteDeviceCall("d", "MzE4").if_match == "\"MzE4\"");
  CHECK_FALSE(PutDeviceCall(Spec("d"), std::nullopt).if_match);
  CHECK(PutDeviceCall(Spec("d"), "*").if_match == "\"*\"");
  CHECK_FALSE(PatchTwinCall("d", {}, json::object(), std::nullopt).if_match);
  CHECK(ReplaceTwinCall("d", {}, json::object(), "e").if_match == "\"e\"");
}

TEST_CASE("the device body reads back as the same spec") {
  auto spec = Spec("dev");
  spec.status = domain::DeviceStatus::kDisabled;
  spec.status_reason = "maintenance";
  spec.primary_key = "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDE=";
  spec.secondary_key = "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDI=";
  spec.iot_edge = true;
  const auto call = PutDeviceCall(spec, std::nullopt);
  CHECK(call.verb == http::verb::put);
  const json body = json::parse(*call.body);
  CHECK(body["authentication"]["type"] == "sas");
  const auto back = domain::ParseDeviceSpec(body, "dev");
  REQUIRE(back.ok());
  CHECK(back->status == spec.status);
  CHECK(back->status_reason == spec.status_reason);
  CHECK(back->primary_key == spec.primary_key);
  CHECK(back->secondary_key == spec.secondary_key);
  CHECK(back->iot_edge);
  // A new device with empty keys: the hub generates them (what Node sends).
  CHECK(json::parse(*PutDeviceCall(Spec("n"), std::nullopt).body) ==
        json::parse(R"({"deviceId":"n","status":"enabled","capabilities":{"iotEdge":false},
                        "authentication":{"type":"sas","symmetricKey":{"primaryKey":"","secondaryKey":""}}})"));
}

TEST_CASE("queries and job lists carry the paging headers") {
  const auto first = QueryCall("SELECT * FROM devices", {});
  CHECK(first.verb == http::verb::post);
  CHECK(first.target == "/devices/query?api-version=2021-04-12");
  CHECK(json::parse(*first.body) == json{{"query", "SELECT * FROM devices"}});
  CHECK(first.headers.empty());
  const auto next = QueryCall("q", {50, std::string("token+/=")});
  CHECK(next.headers == std::vector<std::pair<std::string, std::string>>{{"x-ms-max-item-count", "50"},
                                                                         {"x-ms-continuation", "token+/="}});
  const auto jobs = ListJobsCall({"scheduleDeviceMethod", "completed"}, {10, std::nullopt});
  CHECK(jobs.verb == http::verb::get);
  CHECK(jobs.target == "/jobs/v2/query?api-version=2021-04-12&jobType=scheduleDeviceMethod&jobStatus=completed");
  CHECK(jobs.headers.size() == 1);
  CHECK(ListJobsCall({std::nullopt, "a b&c"}, {}).target ==
        "/jobs/v2/query?api-version=2021-04-12&jobStatus=a%20b%26c");
  CHECK(ListJobsCall({}, {}).target == "/jobs/v2/query?api-version=2021-04-12");
}

TEST_CASE("a direct method's read waits response + connect timeout + margin") {
  domain::MethodRequest request{"reboot", nullptr, 30, 10};
  const auto call = InvokeMethodCall("d1", {}, request, std::chrono::milliseconds(5000));
  CHECK(call.target == "/twins/d1/methods?api-version=2021-04-12");
  CHECK(call.read_timeout == std::chrono::milliseconds(45'000));
  CHECK(InvokeMethodCall("d1", "m1", request, {}).target == "/twins/d1/modules/m1/methods?api-version=2021-04-12");
  CHECK(json::parse(*call.body) == json::parse(R"({"methodName":"reboot","payload":null,
        "responseTimeoutInSeconds":30,"connectTimeoutInSeconds":10})"));
}

TEST_CASE("a job's PUT body reads back as the same request") {
  const auto request =
      domain::ParseJobRequest("job#1", json::parse(R"({"type":"scheduleUpdateTwin","queryCondition":"*",
        "updateTwin":{"etag":"*","properties":{"desired":{"a":1}}},"maxExecutionTimeInSeconds":120})"),
                              *domain::ParseUtc("2030-01-01T00:00:00Z"));
  REQUIRE(request.ok());
  const auto call = CreateJobCall(*request);
  CHECK(call.verb == http::verb::put);
  CHECK(call.target == "/jobs/v2/job%231?api-version=2021-04-12");
  const auto back = domain::ParseJobRequest("job#1", json::parse(*call.body), {});
  REQUIRE(back.ok());
  CHECK(*back == *request);
}

TEST_CASE("HTTP requests: connection headers, JSON bodies, Content-Length 0 for cancel") {
  const auto get = ToHttpRequest(GetDeviceCall("d"), kHeaders);
  CHECK(get.method() == http::verb::get);
  CHECK(get.version() == 11);
  CHECK(HeaderOf(get, "Host") == "myhub.azure-devices.net");
  CHECK(HeaderOf(get, "Authorization") == "SharedAccessSignature sr=x");
  CHECK(HeaderOf(get, "Request-Id") == "id-1");
  CHECK(HeaderOf(get, "User-Agent") == "offhub/0.1.0");
  CHECK(HeaderOf(get, "Connection") == "keep-alive");
  CHECK(HeaderOf(get, "Content-Type") == "<absent>");
  CHECK(HeaderOf(get, "Content-Length") == "<absent>");
  CHECK(HeaderOf(get, "If-Match") == "<absent>");

  const auto patch = ToHttpRequest(PatchTwinCall("d", {}, {{"tags", {{"a", 1}}}}, "AAAAAAAAAAE="), kHeaders);
  CHECK(HeaderOf(patch, "Content-Type") == "application/json; charset=utf-8");
  CHECK(HeaderOf(patch, "Content-Length") == std::to_string(patch.body().size()));
  CHECK(HeaderOf(patch, "If-Match") == "\"AAAAAAAAAAE=\"");

  const auto cancel = ToHttpRequest(CancelJobCall("j"), kHeaders);
  CHECK(cancel.method() == http::verb::post);
  CHECK(HeaderOf(cancel, "Content-Length") == "0");
  CHECK(HeaderOf(cancel, "Content-Type") == "<absent>");

  const auto del = ToHttpRequest(DeleteDeviceCall("d", std::nullopt), kHeaders);
  CHECK(HeaderOf(del, "If-Match") == "\"*\"");
  CHECK(HeaderOf(del, "Content-Length") == "<absent>");

  const auto query = ToHttpRequest(QueryCall("q", {5, std::string("c")}), kHeaders);
  CHECK(HeaderOf(query, "x-ms-max-item-count") == "5");
  CHECK(HeaderOf(query, "x-ms-continuation") == "c");
}

TEST_CASE("Request-Id is a version-4 UUID, new each time") {
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const auto a = NewRequestId();
  const auto b = NewRequestId();
  CHECK(std::regex_match(a, uuid));
  CHECK(std::regex_match(b, uuid));
  CHECK(a != b);
}
