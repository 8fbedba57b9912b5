// JSON from untrusted text: nesting refused while parsing, UTF-8 checked
// (RFC 3629's own examples of what is not UTF-8), writing never throws.
#include <doctest/doctest.h>

#include <string>

#include "domain/json_text.hpp"

using namespace offhub::domain;

namespace {
std::string Nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
}  // namespace

TEST_CASE("nesting up to the limit parses; one level more is 400 ArgumentInvalid, however deep") {
  CHECK(ParseJsonText(Nested(kMaxJsonDepth), "body").ok());
  for (const std::size_t depth : {std::size_t(kMaxJsonDepth) + 1, std::size_t{100'000}, std::size_t{1'000'000}}) {
    CAPTURE(depth);
    const auto parsed = ParseJsonText(Nested(depth), "body");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code() == ErrorCode::ArgumentInvalid);
  }
  const auto objects = ParseJsonText(R"({"a":{"b":{"c":1}}})", "body", 2);
  REQUIRE_FALSE(objects.ok());
  CHECK(ParseJsonText(R"({"a":{"b":1}})", "body", 2).ok());
  CHECK(ParseJsonText("[[" + std::string(70, '[') + "]]", "body").error().message().find("64") != std::string::npos);
}

TEST_CASE("a long array of containers parses in linear time (a quadratic parser would not end within the test's timeout)") {
  // 4 MiB of empty objects, then of empty arrays, then of objects one level down: the kind of body
  // the REST front or a device may send. nlohmann's callback parser rescans the array each time.
  for (const std::string element : {"{}", "[]", R"({"a":{}})"}) {
    CAPTURE(element);
    std::string text = "[";
    while (text.size() < (4u << 20)) text += element + ",";
    text.back() = ']';
    const auto parsed = ParseJsonText(text, "body");
    REQUIRE(parsed.ok());
    CHECK(parsed->size() == (text.size() - 1) / (element.size() + 1));
    CHECK(parsed->back() == nlohmann::json::parse(element));
  }
  const auto deep_inside = ParseJsonText(std::string(1000, '[') + "}", "body");  // too deep and not JSON: too deep
  REQUIRE_FALSE(deep_inside.ok());
  CHECK(deep_inside.error().code() == ErrorCode::ArgumentInvalid);
}

TEST_CASE("text that is not JSON, or holds invalid UTF-8 in a string, is 400 IotHubFormatError") {
  for (const std::string bad : {"", "{", "{\"a\":}", "\"\xff\"", "\"\xed\xa0\x80\"", "[1] 2"}) {
    CAPTURE(bad);
    const auto parsed = ParseJsonText(bad, "The request body");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code() == ErrorCode::IotHubFormatError);
    CHECK(parsed.error().message() == "The request body is not valid JSON");
  }
}

TEST_CASE("UTF-8 per RFC 3629") {
  for (const std::string good : {"", "plain", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}) {
    CAPTURE(good);
    CHECK(IsValidUtf8(good));
  }
  for (const std::string bad : {"\xff", "\xfe\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
                                "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xc3", "\xe2\x82", "a\x80", "\xc3\x28"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsValidUtf8(bad));
  }
}

TEST_CASE("writing JSON never throws: invalid bytes become U+FFFD; Utf8Text leaves UTF-8 alone") {
  const nlohmann::json value = {{"id", std::string("a\xff")}};
  CHECK(DumpJson(value) == "{\"id\":\"a\xef\xbf\xbd\"}");
  CHECK(Utf8Text("\xff\xfe") == "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(Utf8Text("caf\xc3\xa9 \"quoted\"\n") == "caf\xc3\xa9 \"quoted\"\n");
}

TEST_CASE("a raw value is written as its text, wherever it sits; as a string where output must stay JSON") {
  const nlohmann::json doc = {{"outcome", {{"deviceMethodResponse", {{"status", 200}, {"payload", RawJson("{'file': 'logs.zip'}")}}}}},
                              {"list", {1, RawJson("not json"), "x"}}};
  CHECK(DumpJson(doc) ==
        R"({"list":[1,not json,"x"],"outcome":{"deviceMethodResponse":{"payload":{'file': 'logs.zip'},"status":200}}})");
  CHECK(RawJsonText(doc["list"][1]) == "not json");
  CHECK_FALSE(RawJsonText(doc["list"][2]));
  CHECK_FALSE(RawJsonText(nlohmann::json::binary({1, 2})));  // another binary is not raw
  CHECK(DumpJson(RawJson("\xff")) == "\xef\xbf\xbd");  // UTF-8 from the start
  CHECK(RawJsonAsStrings(doc)["list"] == nlohmann::json({1, "not json", "x"}));
  CHECK(DumpJson(nlohmann::json{{"a", {1, 2}}}) == R"({"a":[1,2]})");  // without raw values: nlohmann's own writer
}
