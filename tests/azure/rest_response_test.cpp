// HTTP answers translated back into domain results: the adapter's half of the
// error round trip (the REST front renders, ErrorFromResponse reads).
#include <doctest/doctest.h>

#include "domain/json_text.hpp"

#include <boost/beast/http/field.hpp>

#include "adapters/azure/rest_response.hpp"

using namespace offhub;
using namespace offhub::azure;
namespace http = boost::beast::http;
using domain::ErrorCode;
using nlohmann::json;

namespace {

HttpResponse Answer(http::status status, std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse response{status, 11};
  for (const auto& [name, value] : headers) response.set(name, value);
  response.body() = std::move(body);
  return response;
}

const domain::ErrorContext kContext{"0123456789abcdef0123456789abcdef", "2026-01-01T12:00:00.0000000Z"};

}  // namespace

TEST_CASE("round trip: every envelope the REST front renders reads back as the same error") {
  for (const auto& error :
       {domain::Error::DeviceNotFound("d1"), domain::Error::PreconditionFailed("etag"),
        domain::Error(ErrorCode::DeviceAlreadyExists, "d1"), domain::Error(ErrorCode::JobNotFound, "j"),
        domain::Error(ErrorCode::IotHubUnauthorizedAccess, "Unauthorized")}) {
    const auto response =
        Answer(static_cast<http::status>(error.http_status()), domain::RegistryEnvelope(error, kContext).dump(),
               {{"iothub-errorcode", std::string(error.name())}});
    const auto result = JsonResult(response);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code() == error.code());
  }
  for (const auto& error :
       {domain::Error(ErrorCode::DeviceNotOnline, "Timed out waiting for device to connect."),
        domain::Error(ErrorCode::GatewayTimeout, "Timed out waiting for the response from device.")}) {
    const auto response = Answer(static_cast<http::status>(error.http_status()),
                                 domain::MethodEnvelope(error, kContext, json::object()).dump());
    const auto result = MethodResultOf(response);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error() == error);
  }
}

TEST_CASE("an error body nobody can read falls back to the header, then the status") {
  CHECK(
      JsonResult(Answer(http::status::not_found, "<html/>", {{"iothub-errorcode", "DeviceNotFound"}})).error().code() ==
      ErrorCode::DeviceNotFound);
  CHECK(JsonResult(Answer(http::status::service_unavailable, "")).error().http_status() == 503);
  CHECK(EmptyResult(Answer(http::status::precondition_failed, "")).error().http_status() == 412);
  CHECK(EmptyResult(Answer(http::status::no_content, "")).ok());
}

TEST_CASE("a 200 that is not the JSON expected is a ServerError naming the problem") {
  const auto garbage = JsonResult(Answer(http::status::ok, "not json"));
  CHECK(garbage.error().code() == ErrorCode::ServerError);
  CHECK(garbage.error().message().find("not valid JSON") != std::string::npos);
  CHECK(JsonResult(Answer(http::status::ok, std::string(100, '[') + std::string(100, ']'))).error().message().find(
            "deeper") != std::string::npos);
  CHECK(PageResult(Answer(http::status::ok, "{}")).error().code() == ErrorCode::ServerError);
  CHECK(MethodResultOf(Answer(http::status::ok, R"({"status":"x"})")).error().code() == ErrorCode::ServerError);
}

TEST_CASE("a method answer the device sent as other than JSON arrives spliced in, and is passed on raw") {
  const auto raw = MethodResultOf(Answer(http::status::ok, R"({"status":200,"payload":{'file': 'logs.zip'}})"));
  REQUIRE(raw);
  CHECK(raw->status == 200);
  CHECK(offhub::domain::RawJsonText(raw->payload) == "{'file': 'logs.zip'}");
}

TEST_CASE("query pages: items, continuation only when non-empty, item type") {
  const auto more = PageResult(
      Answer(http::status::ok, R"([{"deviceId":"a"}])", {{"x-ms-continuation", "abc"}, {"x-ms-item-type", "twin"}}));
  REQUIRE(more.ok());
  CHECK(more->items.size() == 1);
  CHECK(more->continuation == "abc");
  CHECK(more->item_type == "twin");
  const auto last = PageResult(Answer(http::status::ok, "[]", {{"x-ms-continuation", ""}}));
  REQUIRE(last.ok());
  CHECK_FALSE(last->continuation);
  CHECK(last->item_type.empty());
}

TEST_CASE("a method answer: the device's status and payload") {
  const auto result = MethodResultOf(Answer(http::status::ok, R"({"status":404,"payload":{"why":"no door"}})"));
  REQUIRE(result.ok());
  CHECK(result->status == 404);
  CHECK(result->payload == json{{"why", "no door"}});
}
