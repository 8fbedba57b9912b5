// Twin writes: merge patch (RFC 7396 examples), versions/etag, If-Match,
// limits, and what the device is told. Cases follow IoT Hub's device-twin
// docs and the facts file §3.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "domain/base64.hpp"
#include "domain/twin.hpp"

using namespace offhub::domain;
using nlohmann::json;

namespace {
const UtcTime kCreated = *ParseUtc("2024-05-01T10:00:00.1234567Z");
const UtcTime kLater = kCreated.PlusSeconds(60);

Twin NewTwin() { return Twin::Create("myDeviceId", kCreated); }

json Patch(const json& tags, const json& desired) {
  json body = json::object();
  if (!tags.is_discarded()) body["tags"] = tags;
  if (!desired.is_discarded()) body["properties"]["desired"] = desired;
  return body;
}
const json kNone = json(json::value_t::discarded);
}  // namespace

TEST_CASE("a new twin looks like IoT Hub's") {
  const json doc = ToJson(NewTwin());
  CHECK(doc["deviceId"] == "myDeviceId");
  CHECK(doc["etag"] == "AAAAAAAAAAE=");
  CHECK(doc["version"] == 2);
  CHECK(doc["status"] == "enabled");
  CHECK(doc["connectionState"] == "Disconnected");
  CHECK(doc["statusUpdateTime"] == "0001-01-01T00:00:00Z");
  CHECK(doc["tags"] == json::object());
  CHECK(doc["properties"]["desired"]["$version"] == 1);
  CHECK(doc["properties"]["reported"]["$version"] == 1);
  CHECK(doc["properties"]["desired"]["$metadata"]["$lastUpdated"] == "2024-05-01T10:00:00.1234567Z");
  CHECK(doc["capabilities"]["iotEdge"] == false);
  CHECK(DeviceView(NewTwin()) == json::parse(R"({"desired":{"$version":1},"reported":{"$version":1}})"));
}

TEST_CASE("merge patch follows RFC 7396's examples on tags") {
  // RFC 7396 appendix A, restricted to what twins allow (objects at the top).
  struct Case { const char* before; const char* patch; const char* after; };
  const Case cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"({"e":null})", R"({"a":1})", R"({"a":1})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.patch);
    Twin twin = NewTwin();
    twin.tags = json::parse(c.before);
    twin.tags.erase("e");  // twins hold no nulls
    REQUIRE(ApplyServicePatch(twin, Patch(json::parse(c.patch), kNone), kLater));
    CHECK(twin.tags == json::parse(c.after));
  }
}

TEST_CASE("versions and etag follow the hub's rules") {
  Twin twin = NewTwin();
  SUBCASE("desired write bumps desired $version, etag and version") {
    const auto r = ApplyServicePatch(twin, Patch(kNone, {{"building", "43"}, {"floor", 3}}), kLater);
    REQUIRE(r);
    CHECK(twin.desired.version == 2);
    CHECK(twin.etag() == "AAAAAAAAAAI=");
    CHECK(twin.version == 3);
    CHECK(twin.desired.last_updated == kLater);
    REQUIRE(r->notification);
    CHECK(r->notification->version == 2);
    CHECK(r->notification->body == json::parse(R"({"building":"43","floor":3,"$version":2})"));
  }
  SUBCASE("the CLI's sequence: desired 2, tags keep it, tags+desired 3, removal 4") {
    REQUIRE(ApplyServicePatch(twin, Patch(kNone, {{"a", 1}, {"b", 2}}), kLater));
    CHECK(twin.desired.version == 2);
    const auto tags_only = ApplyServicePatch(twin, Patch({{"env", "test"}}, kNone), kLater);
    REQUIRE(tags_only);
    CHECK_FALSE(tags_only->notification);
    CHECK(twin.desired.version == 2);
    CHECK(twin.version == 4);  // tags-only writes still change the twin
    REQUIRE(ApplyServicePatch(twin, Patch({{"env", "prod"}}, {{"c", 3}}), kLater));
    CHECK(twin.desired.version == 3);
    const auto removal = ApplyServicePatch(twin, Patch(kNone, {{"a", nullptr}}), kLater);
    REQUIRE(removal);
    CHECK(twin.desired.version == 4);
    CHECK(twin.desired.properties == json::parse(R"({"b":2,"c":3})"));
    CHECK(removal->notification->body == json::parse(R"({"a":null,"$version":4})"));
  }
  SUBCASE("reported writes leave the etag and bump reported $version") {
    const auto etag = twin.etag();
    const auto v = ApplyReportedPatch(twin, {{"building", "43"}, {"floor", 3}}, kLater);
    REQUIRE(v);
    CHECK(*v == 2);
    CHECK(twin.etag() == etag);
    CHECK(twin.version == 3);
    CHECK(twin.reported.properties["floor"] == 3);
    REQUIRE(ApplyReportedPatch(twin, {{"floor", nullptr}}, kLater));
    CHECK(twin.reported.properties == json::parse(R"({"building":"43"})"));
  }
}

TEST_CASE("desired null clears all desired properties and tells the device each key") {
  Twin twin = NewTwin();
  REQUIRE(ApplyServicePatch(twin, Patch(kNone, {{"a", 1}, {"b", {{"c", 2}}}}), kLater));
  const auto r = ApplyServicePatch(twin, json::parse(R"({"properties":{"desired":null}})"), kLater);
  REQUIRE(r);
  CHECK(twin.desired.properties == json::object());
  CHECK(r->notification->body == json::parse(R"({"a":null,"b":null,"$version":3})"));
}

TEST_CASE("PUT replaces tags and desired wholesale and notifies the difference") {
  Twin twin = NewTwin();
  REQUIRE(ApplyServicePatch(twin, Patch({{"old", 1}}, {{"keep", 1}, {"drop", 2}, {"deep", {{"x", 1}, {"y", 2}}}}),
                            kLater));
  const json body = json::parse(R"({"deviceId":"myDeviceId","etag":"AAAAAAAAAAI=","tags":{"new":2},
      "properties":{"desired":{"keep":1,"deep":{"x":1},"add":3,"$version":2,"$metadata":{}},"reported":{"$version":1}}})");
  // A replace may carry a GET's reported section; what the service may not do is change it.
  json without_reported = body;
  without_reported["properties"].erase("reported");
  const auto r = ApplyServiceReplace(twin, without_reported, kLater);
  REQUIRE(r);
  CHECK(twin.tags == json::parse(R"({"new":2})"));
  CHECK(twin.desired.properties == json::parse(R"({"keep":1,"deep":{"x":1},"add":3})"));
  CHECK(r->notification->body == json::parse(R"({"drop":null,"deep":{"y":null},"add":3,"$version":3})"));
  SUBCASE("a replace without tags empties them") {
    REQUIRE(ApplyServiceReplace(twin, json::parse(R"({"properties":{"desired":{}}})"), kLater));
    CHECK(twin.tags == json::object());
    CHECK(twin.desired.properties == json::object());
  }
}

TEST_CASE("If-Match: star, quoted, weak and mismatching") {
  const std::string etag = NewTwin().etag();
  CHECK(CheckIfMatch(etag, std::nullopt));
  CHECK(CheckIfMatch(etag, "*"));
  CHECK(CheckIfMatch(etag, "\"*\""));
  CHECK(CheckIfMatch(etag, "\"AAAAAAAAAAE=\""));
  CHECK(CheckIfMatch(etag, "W/\"AAAAAAAAAAE=\""));
  CHECK(CheckIfMatch(etag, "AAAAAAAAAAE="));
  const auto mismatch = CheckIfMatch(etag, "\"abc\"");
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code() == ErrorCode::PreconditionFailed);
  CHECK(mismatch.error().http_status() == 412);
}

TEST_CASE("limits: a violation is a typed error and changes nothing") {
  Twin twin = NewTwin();
  REQUIRE(ApplyServicePatch(twin, Patch({{"keep", "me"}}, {{"keep", "me"}}), kLater));
  const Twin before = twin;
  const auto rejected = [&](const json& body) {
    const auto r = ApplyServicePatch(twin, body, kLater);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::ArgumentInvalid);
    CHECK(r.error().http_status() == 400);
    CHECK(ToJson(twin) == ToJson(before));
  };
  json deep = 1;
  for (int i = 0; i < 11; ++i) deep = json{{"k", deep}};
  json ten_deep = 1;
  for (int i = 0; i < 10; ++i) ten_deep = json{{"k", ten_deep}};
  json big_tags = json::object();
  for (int i = 0; i < 10; ++i) big_tags["t" + std::to_string(i)] = std::string(1000, 'x');
  json big_desired = json::object();
  for (int i = 0; i < 40; ++i) big_desired["d" + std::to_string(i)] = std::string(1000, 'x');

  SUBCASE("key with a dot") { rejected(Patch({{"a.b", 1}}, kNone)); }
  SUBCASE("key with a dollar") { rejected(Patch(kNone, {{"$a", 1}, {"ok", 1}})); }
  SUBCASE("nested key with a dollar") { rejected(Patch(kNone, {{"x", {{"$y", 1}}}})); }
  SUBCASE("key with a space") { rejected(Patch({{"a b", 1}}, kNone)); }
  SUBCASE("key with a control character") { rejected(Patch({{std::string("a\x01"), 1}}, kNone)); }
  SUBCASE("C1 control character") { rejected(Patch({{std::string("a\xc2\x85"), 1}}, kNone)); }
  SUBCASE("empty key") { rejected(Patch({{"", 1}}, kNone)); }
  SUBCASE("over-long key") { rejected(Patch({{std::string(1025, 'k'), 1}}, kNone)); }
  SUBCASE("depth 11") { rejected(Patch(kNone, deep)); }
  SUBCASE("integer above range") { rejected(Patch({{"n", 4503599627370496LL}}, kNone)); }
  SUBCASE("integer below range") { rejected(Patch({{"n", -4503599627370497LL}}, kNone)); }
  SUBCASE("huge unsigned") { rejected(Patch({{"n", 18446744073709551615ULL}}, kNone)); }
  SUBCASE("string over 4 KB") { rejected(Patch({{"s", std::string(4097, 's')}}, kNone)); }
  SUBCASE("tags over 8 KB") { rejected(Patch(big_tags, kNone)); }
  SUBCASE("desired over 32 KB") { rejected(Patch(kNone, big_desired)); }
  SUBCASE("tags and desired valid, desired too big: tags unchanged too") { rejected(Patch({{"t", 1}}, big_desired)); }
  SUBCASE("body not an object") { rejected(json::array({1, 2})); }
  SUBCASE("tags not an object") { rejected(json{{"tags", "x"}}); }
  SUBCASE("properties not an object") { rejected(json{{"properties", 5}}); }
  SUBCASE("desired not an object") { rejected(json::parse(R"({"properties":{"desired":[1]}})")); }
  SUBCASE("desired at top level (Node issue #44)") { rejected(json::parse(R"({"desired":{"a":1}})")); }
  SUBCASE("reported written by the service") { rejected(json::parse(R"({"properties":{"reported":{"a":1}}})")); }
  SUBCASE("ten levels are fine") { CHECK(ApplyServicePatch(twin, Patch(kNone, ten_deep), kLater)); }
  SUBCASE("limits at the boundary are fine") {
    CHECK(ApplyServicePatch(twin, Patch({{"n", 4503599627370495LL}, {"m", -4503599627370496LL}}, kNone), kLater));
    CHECK(ApplyServicePatch(twin, Patch({{"s", std::string(4096, 's')}, {"f", 1.5}, {"arr", {1, "x", true}}}, kNone),
                            kLater));
  }
}

TEST_CASE("reported patches are validated the same way") {
  Twin twin = NewTwin();
  CHECK_FALSE(ApplyReportedPatch(twin, json::array(), kLater));
  CHECK_FALSE(ApplyReportedPatch(twin, "text", kLater));
  const auto bad = ApplyReportedPatch(twin, {{"a.b", 1}}, kLater);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == ErrorCode::ArgumentInvalid);
  CHECK(twin.reported.version == 1);
  CHECK(twin.version == 2);
}

TEST_CASE("section size counts keys, strings, numbers as 8 and booleans as 4") {
  CHECK(SectionSize(json::parse(R"({"ab":"cde","n":1,"b":true,"z":null,"$version":5})")) == 2 + 3 + 1 + 8 + 1 + 4 + 1);
  CHECK(SectionSize(json::parse(R"({"o":{"x":[1,"yy"]}})")) == 1 + 1 + 8 + 2);
}

TEST_CASE("base64 round-trips and refuses garbage") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("318751955") == "MzE4NzUxOTU1");
  CHECK(Base64Decode("MzE4NzUxOTU1") == std::optional<std::string>("318751955"));
  CHECK(Base64Decode("Zg==") == std::optional<std::string>("f"));
  CHECK_FALSE(Base64Decode("Zg="));
  CHECK_FALSE(Base64Decode("Z=g="));
  CHECK_FALSE(Base64Decode("Zm9*"));
  CHECK_FALSE(Base64Decode("=Zm9"));
}

TEST_CASE("one rule for tag and property names: desired, tags, reported and nested keys alike") {
  const std::string too_long(1025, 'k');
  for (const std::string& bad : std::vector<std::string>{"mode#1", "a.b", "$x", "with space", "tab\there", "nul\x01", "c1\xc2\x85", "", too_long}) {
    CAPTURE(bad);
    const json value = {{bad, 1}};
    for (const json& body : {Patch(kNone, value), Patch(value, kNone), Patch(kNone, json{{"outer", value}})}) {
      Twin twin = NewTwin();
      const auto written = ApplyServicePatch(twin, body, kLater);
      REQUIRE_FALSE(written.ok());
      CHECK(written.error().code() == ErrorCode::ArgumentInvalid);
      CHECK(written.error().message().starts_with("Property or Tag name has invalid characters"));
      CHECK(ToJson(twin) == ToJson(NewTwin()));  // nothing stored
    }
    Twin twin = NewTwin();
    const auto reported = ApplyReportedPatch(twin, {{"fw", value}}, kLater);
    REQUIRE_FALSE(reported.ok());
    CHECK(reported.error().code() == ErrorCode::ArgumentInvalid);
    CHECK(ToJson(twin) == ToJson(NewTwin()));
  }
  Twin twin = NewTwin();
  CHECK(ApplyReportedPatch(twin, {{"fw-ver_2:x@y", 5}}, kLater).ok());  // other punctuation is fine
  CHECK(ApplyServicePatch(twin, Patch(json{{std::string(1024, 'k'), 1}}, kNone), kLater).ok());
}
