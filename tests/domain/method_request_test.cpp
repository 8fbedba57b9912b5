#include "domain/method_request.hpp"

#include <string>

#include <doctest/doctest.h>

#include "domain/json_text.hpp"
#include <nlohmann/json.hpp>

#include "domain/method_result.hpp"

using namespace offhub::domain;
using nlohmann::json;

namespace {

Error ParseError(const json& body) {
  const auto parsed = ParseMethodRequest(body);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error();
}

json Nested(std::size_t depth) {
  json value = 1;
  for (std::size_t i = 0; i < depth; ++i) value = json::array({std::move(value)});
  return value;
}

}  // namespace

TEST_CASE("the request Node's DeviceMethod sends is accepted as is") {
  // [CAP] POST /twins/dev1/methods
  const json body = json::parse(
      R"({"methodName":"reboot","payload":null,"responseTimeoutInSeconds":30,"connectTimeoutInSeconds":0})");
  const auto parsed = ParseMethodRequest(body);
  REQUIRE(parsed.ok());
  CHECK(parsed->method_name == "reboot");
  CHECK(parsed->payload.is_null());
  CHECK(parsed->response_timeout_seconds == 30);
  CHECK(parsed->connect_timeout_seconds == 0);
  CHECK(ToJson(*parsed) == body);
}

TEST_CASE("defaults: payload null, response timeout 30, connect timeout 0") {
  for (const json& body : {json{{"methodName", "lockDoor"}}, json{{"methodName", "lockDoor"},
                                                                  {"payload", nullptr},
                                                                  {"responseTimeoutInSeconds", nullptr},
                                                                  {"connectTimeoutInSeconds", nullptr}}}) {
    const auto parsed = ParseMethodRequest(body);
    REQUIRE(parsed.ok());
    CHECK(*parsed == MethodRequest{"lockDoor", nullptr, 30, 0});
  }
}

TEST_CASE("payload may be any JSON and round-trips") {
  for (const json& payload : {json(nullptr), json(""), json("foo"), json{{"k1", "v1"}}, json::object(), json(42),
                              json::array({1, "a", nullptr}), json(true), json(-1.5)}) {
    CAPTURE(payload.dump());
    const json body = {{"methodName", "m"}, {"payload", payload}, {"responseTimeoutInSeconds", 15}};
    const auto parsed = ParseMethodRequest(body);
    REQUIRE(parsed.ok());
    CHECK(parsed->payload == payload);
    CHECK(ParseMethodRequest(ToJson(*parsed)).value() == *parsed);
  }
}

TEST_CASE("responseTimeoutInSeconds must be within [5; 300]") {
  for (const json& bad : {json(0), json(4), json(301), json(-1), json(-30), json(9223372036854775807LL),
                          json(18446744073709551615ULL), json(static_cast<long long>(-9223372036854775807LL - 1))}) {
    CAPTURE(bad.dump());
    const Error e = ParseError({{"methodName", "m"}, {"responseTimeoutInSeconds", bad}});
    CHECK(e.code() == ErrorCode::ArgumentInvalid);
    CHECK(e.number() == 400004);
    CHECK(e.message() == "responseTimeoutInSeconds must be within [5; 300].");
  }
  for (int good : {5, 6, 299, 300}) {
    CHECK(ParseMethodRequest({{"methodName", "m"}, {"responseTimeoutInSeconds", good}})->response_timeout_seconds ==
          good);
  }
}

TEST_CASE("connectTimeoutInSeconds must be within [0; 300]") {
  for (const json& bad : {json(-1), json(301), json(18446744073709551615ULL)}) {
    CAPTURE(bad.dump());
    const Error e = ParseError({{"methodName", "m"}, {"connectTimeoutInSeconds", bad}});
    CHECK(e.code() == ErrorCode::ArgumentInvalid);
    CHECK(e.message() == "connectTimeoutInSeconds must be within [0; 300].");
  }
  CHECK(ParseMethodRequest({{"methodName", "m"}, {"connectTimeoutInSeconds", 300}})->connect_timeout_seconds == 300);
}

TEST_CASE("timeouts of the wrong type are rejected naming the field") {
  for (const char* field : {"responseTimeoutInSeconds", "connectTimeoutInSeconds"}) {
    for (const json& bad :
         {json("30"), json(30.0), json(30.5), json(true), json::array({30}), json{{"s", 30}}, json(1e300)}) {
      CAPTURE(field);
      CAPTURE(bad.dump());
      const Error e = ParseError({{"methodName", "m"}, {field, bad}});
      CHECK(e.code() == ErrorCode::ArgumentInvalid);
      CHECK(e.message().find(field) != std::string::npos);
    }
  }
}

TEST_CASE("methodName is required and must be a string") {
  CHECK(ParseError(json::object()).code() == ErrorCode::ArgumentNull);
  CHECK(ParseError({{"methodName", nullptr}}).code() == ErrorCode::ArgumentNull);
  for (const json& bad : {json(1), json(true), json::array({"m"}), json{{"n", "m"}}}) {
    const Error e = ParseError({{"methodName", bad}});
    CHECK(e.code() == ErrorCode::ArgumentInvalid);
    CHECK(e.message().find("methodName") != std::string::npos);
  }
}

TEST_CASE("methodName follows the docs' character rule and offhub's length cap") {
  for (const std::string& good : {std::string("reboot"), std::string("lockDoor"), std::string("a"),
                                  std::string("method-1_x.y~z!*'&%#+|^`"), std::string(128, 'm')}) {
    CAPTURE(good);
    CHECK(ValidateMethodName(good).ok());
  }
  const std::string excluded = "$()<>@,;:\\\"/[]?={} \t";
  for (const char c : excluded) {
    CAPTURE(c);
    CHECK(ParseError({{"methodName", std::string("a") + c + "b"}}).code() == ErrorCode::ArgumentInvalid);
  }
  for (const std::string& bad : {std::string(""), std::string(129, 'm'), std::string("caf\xc3\xa9"),
                                 std::string("a\nb"), std::string("a\x7f"), std::string("a\0b", 3)}) {
    CAPTURE(bad);
    CHECK(ParseError({{"methodName", bad}}).code() == ErrorCode::ArgumentInvalid);
  }
}

TEST_CASE("payload over 128 KB is 413 MessageTooLarge") {
  // A JSON string of n chars serializes to n + 2 bytes.
  const json at_limit = std::string(kMaxPayloadBytes - 2, 'x');
  CHECK(ParseMethodRequest({{"methodName", "m"}, {"payload", at_limit}}).ok());
  const json over = std::string(kMaxPayloadBytes - 1, 'x');
  const Error e = ParseError({{"methodName", "m"}, {"payload", over}});
  CHECK(e.code() == ErrorCode::MessageTooLarge);
  CHECK(e.http_status() == 413);
}

TEST_CASE("deeply nested payloads are rejected without recursion") {
  CHECK(ParseMethodRequest({{"methodName", "m"}, {"payload", Nested(kMaxPayloadDepth)}}).ok());
  CHECK(ParseError({{"methodName", "m"}, {"payload", Nested(kMaxPayloadDepth + 1)}}).code() ==
        ErrorCode::ArgumentInvalid);
  json body = {{"methodName", "m"}};
  body["payload"] = Nested(100000);  // moved in: copying it would recurse 100000 deep
  CHECK(ParseError(body).code() == ErrorCode::ArgumentInvalid);
}

TEST_CASE("a body that is not an object is a format error") {
  for (const json& bad : {json(nullptr), json("reboot"), json::array(), json(1)}) {
    CHECK(ParseError(bad).code() == ErrorCode::IotHubFormatError);
  }
}

TEST_CASE("unknown members are ignored") {
  CHECK(ParseMethodRequest({{"methodName", "m"}, {"extra", {{"a", 1}}}}).ok());
}

TEST_CASE("method result JSON") {
  const MethodResult result{200, {{"locked", true}}};
  CHECK(ToJson(result) == json::parse(R"({"status":200,"payload":{"locked":true}})"));
  CHECK(ParseMethodResult(ToJson(result)).value() == result);
  CHECK(ParseMethodResult(json::parse(R"({"status":404})")).value() == MethodResult{404, nullptr});
  CHECK(ParseMethodResult(json::parse(R"({"payload":1})")).error().code() == ErrorCode::ArgumentNull);
  CHECK(ParseMethodResult(json::parse(R"({"status":"200"})")).error().code() == ErrorCode::ArgumentInvalid);
  CHECK(ParseMethodResult(json::parse(R"({"status":200.5})")).error().code() == ErrorCode::ArgumentInvalid);
  CHECK(ParseMethodResult(json::parse(R"({"status":4294967296})")).error().code() == ErrorCode::ArgumentInvalid);
  CHECK(ParseMethodResult(json::array()).error().code() == ErrorCode::ArgumentInvalid);
}

TEST_CASE("the hub's answer text: JSON, or the device's bytes spliced in as IoT Hub sends them") {
  CHECK(ParseMethodResultText(R"({"status":200,"payload":{"locked":true}})").value() ==
        MethodResult{200, {{"locked", true}}});
  const auto spliced = ParseMethodResultText(R"( { "status" : 201 , "payload" : {'file': 'logs.zip'} } )").value();
  CHECK(spliced.status == 201);
  CHECK(RawJsonText(spliced.payload) == "{'file': 'logs.zip'}");
  CHECK(RawJsonText(ParseMethodResultText(R"({"status":-1,"payload":})").value().payload) == "");
  for (const char* bad : {"", "not json", R"({"status":"x","payload":a})", R"({"payload":a,"status":200})",
                          R"({"status":200,"payload":a)", R"({"status":99999999999,"payload":a})"}) {
    CAPTURE(bad);
    CHECK(ParseMethodResultText(bad).error().code() == ErrorCode::IotHubFormatError);
  }
}
