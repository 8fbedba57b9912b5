#include "domain/errors.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace offhub::domain;
using nlohmann::json;

namespace {
const ErrorContext kContext{"0123456789abcdef0123456789abcdef", "2023-10-24T16:57:00.1234567Z"};
}

TEST_CASE("an error carries IoT Hub's name, number and HTTP status") {
  const Error e = Error::DeviceNotFound("sensor-thl-001");
  CHECK(e.name() == "DeviceNotFound");
  CHECK(e.number() == 404001);
  CHECK(e.http_status() == 404);
  CHECK(Error(ErrorCode::DeviceNotOnline, "x").http_status() == 404);
  CHECK(Error(ErrorCode::GatewayTimeout, "x").http_status() == 504);
  CHECK(Error(ErrorCode::PreconditionFailed, "x").http_status() == 412);
}

TEST_CASE("names and numbers round-trip for every known code") {
  for (auto number : {400000, 400004, 400006, 401002, 404001, 404103, 409001, 412001, 429001, 500001, 504101}) {
    const auto code = ErrorCodeFromNumber(number);
    REQUIRE(code);
    CHECK(ErrorCodeFromName(ErrorName(*code)) == code);
  }
  CHECK_FALSE(ErrorCodeFromName("NoSuchError"));
  CHECK_FALSE(ErrorCodeFromNumber(123));
}

TEST_CASE("registry envelope is the one Node's translateError parses") {
  const json body = RegistryEnvelope(Error::DeviceNotFound("sensor-thl-001"), kContext);
  CHECK(body["Message"] == "ErrorCode:DeviceNotFound;sensor-thl-001");
  CHECK(body["ExceptionMessage"] ==
        "Tracking ID:0123456789abcdef0123456789abcdef-G:0-TimeStamp:10/24/2023 16:57:00");
}

TEST_CASE("method envelope nests a JSON string") {
  const json body =
      MethodEnvelope(Error(ErrorCode::DeviceNotOnline, "Timed out waiting for device to connect."), kContext,
                     {{"timeout", "00:00:00"}});
  CHECK(body["ExceptionMessage"] == "");
  const json inner = json::parse(body["Message"].get<std::string>());
  CHECK(inner["errorCode"] == 404103);
  CHECK(inner["message"] == "Timed out waiting for device to connect.");
  CHECK(inner["info"]["timeout"] == "00:00:00");
  CHECK(inner["timestampUtc"] == kContext.timestamp_utc);
}

TEST_CASE("errors round-trip through both envelopes") {
  for (const Error& e : {Error::DeviceNotFound("d1"), Error(ErrorCode::DeviceNotOnline, "offline"),
                         Error(ErrorCode::GatewayTimeout, "slow"), Error::PreconditionFailed("etag")}) {
    CAPTURE(e.name());
    CHECK(ErrorFromResponse(e.http_status(), e.name(), RegistryEnvelope(e, kContext).dump()) == e);
    CHECK(ErrorFromResponse(e.http_status(), "", MethodEnvelope(e, kContext, nullptr).dump()) == e);
    CHECK(ErrorFromResponse(e.http_status(), "", DeviceErrorBody(e, kContext).dump()) == e);
  }
}

TEST_CASE("malformed error answers fall back to the header, then the status") {
  SUBCASE("garbage body, known header") {
    const Error e = ErrorFromResponse(404, "DeviceNotOnline", "<html>oops");
    CHECK(e.code() == ErrorCode::DeviceNotOnline);
    CHECK(e.message() == "<html>oops");
  }
  SUBCASE("truncated JSON, no header") { CHECK(ErrorFromResponse(412, "", "{\"Message\":\"Err").code() == ErrorCode::PreconditionFailed); }
  SUBCASE("wrong types") { CHECK(ErrorFromResponse(400, "", R"({"Message":42})").code() == ErrorCode::GenericBadRequest); }
  SUBCASE("unknown name in message") {
    CHECK(ErrorFromResponse(503, "", R"({"Message":"ErrorCode:Whatever;x"})").code() == ErrorCode::ServiceUnavailable);
  }
  SUBCASE("empty body") { CHECK(ErrorFromResponse(500, "", "").code() == ErrorCode::ServerError); }
}
