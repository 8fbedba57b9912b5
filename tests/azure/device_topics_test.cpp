// IoT Hub's device topics and bodies: building what the device sends and
// parsing what the hub sends, malformed input included.
#include <doctest/doctest.h>

#include "adapters/iothub/connection_string.hpp"
#include "adapters/iothub/device_topics.hpp"

using namespace offhub;
using namespace offhub::iothub;
using nlohmann::json;

TEST_CASE("topics the device publishes, as the Node SDK spells them") {
  CHECK(DeviceUsername("hub.azure-devices.net", "dev1") == "hub.azure-devices.net/dev1/?api-version=2021-04-12");
  CHECK(DeviceResource("hub.azure-devices.net", "dev1") == "hub.azure-devices.net/devices/dev1");
  CHECK(MethodResponseTopic(200, "7") == "$iothub/methods/res/200/?$rid=7");
  CHECK(TwinGetTopic("3") == "$iothub/twin/GET/?$rid=3");
  CHECK(ReportedPatchTopic("4") == "$iothub/twin/PATCH/properties/reported/?$rid=4");
}

TEST_CASE("a module's username and SAS resource name the device and the module") {
  CHECK(DeviceUsername("hub.azure-devices.net", "dev1", "mod1") ==
        "hub.azure-devices.net/dev1/mod1/?api-version=2021-04-12");
  CHECK(DeviceResource("hub.azure-devices.net", "dev1", "mod1") == "hub.azure-devices.net/devices/dev1/modules/mod1");
  // An empty module id is the device itself.
  CHECK(DeviceUsername("h", "dev1", "") == DeviceUsername("h", "dev1"));
  CHECK(DeviceResource("h", "dev1", "") == DeviceResource("h", "dev1"));
}

TEST_CASE("query values") {
  CHECK(QueryValue("$rid=1&$version=5", "$version") == "5");
  CHECK(QueryValue("$rid=1", "$rid") == "1");
  CHECK(QueryValue("$rid=", "$rid") == "");
  CHECK_FALSE(QueryValue("", "$rid"));
  CHECK_FALSE(QueryValue("$ridx=1&rid=2", "$rid"));
  CHECK_FALSE(QueryValue("&&&", "$rid"));
}

TEST_CASE("method request topics") {
  SUBCASE("well formed") {
    const auto t = ParseMethodRequestTopic("$iothub/methods/POST/lockDoor/?$rid=a1");
    REQUIRE(t);
    CHECK(t->name == "lockDoor");
    CHECK(t->rid == "a1");
  }
  SUBCASE("malformed") {
    for (const char* topic : {"$iothub/methods/POST/lockDoor", "$iothub/methods/POST//?$rid=1",
                              "$iothub/methods/POST/lockDoor/?$rid=", "$iothub/methods/POST/lockDoor/?x=1",
                              "$iothub/methods/POST/a/b/?$rid=1", "$iothub/methods/res/200/?$rid=1", "", "$iothub/"}) {
      CAPTURE(topic);
      CHECK_FALSE(ParseMethodRequestTopic(topic));
    }
  }
}

TEST_CASE("twin response topics") {
  SUBCASE("GET answer") {
    const auto t = ParseTwinResponseTopic("$iothub/twin/res/200/?$rid=12");
    REQUIRE(t);
    CHECK(t->status == 200);
    CHECK(t->rid == "12");
    CHECK_FALSE(t->version);
  }
  SUBCASE("PATCH answer with its version") {
    const auto t = ParseTwinResponseTopic("$iothub/twin/res/204/?$rid=3&$version=42");
    REQUIRE(t);
    CHECK(t->status == 204);
    CHECK(t->version == 42);
  }
  SUBCASE("malformed") {
    for (const char* topic :
         {"$iothub/twin/res/abc/?$rid=1", "$iothub/twin/res/99/?$rid=1", "$iothub/twin/res/600/?$rid=1",
          "$iothub/twin/res/200/?$rid=", "$iothub/twin/res/200", "$iothub/twin/res/200/?$rid=1&$version=x",
          "$iothub/twin/res/2000000000000/?$rid=1", "$iothub/twin/res//?$rid=1", "$iothub/twin/GET/?$rid=1"}) {
      CAPTURE(topic);
      CHECK_FALSE(ParseTwinResponseTopic(topic));
    }
  }
}

TEST_CASE("method payloads") {
  CHECK(ParseMethodPayload("")->is_null());
  CHECK(ParseMethodPayload("null")->is_null());
  CHECK(*ParseMethodPayload(R"({"k1":"v1"})") == json{{"k1", "v1"}});
  CHECK(*ParseMethodPayload(R"("foo")") == "foo");
  const auto bad = ParseMethodPayload("{not json");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == domain::ErrorCode::ArgumentInvalid);
  CHECK(bad.error().message().starts_with("Invalid request format"));
}

TEST_CASE("desired notifications") {
  SUBCASE("version from the topic, removed from the body") {
    const auto d = ParseDesiredPatch("$iothub/twin/PATCH/properties/desired/?$version=5",
                                     R"({"floor":3,"gone":null,"$version":5})");
    REQUIRE(d);
    CHECK(d->version == 5);
    CHECK(d->patch == json{{"floor", 3}, {"gone", nullptr}});
  }
  SUBCASE("version only in the body") {
    const auto d = ParseDesiredPatch("$iothub/twin/PATCH/properties/desired/?", R"({"a":1,"$version":9})");
    REQUIRE(d);
    CHECK(d->version == 9);
  }
  SUBCASE("malformed") {
    CHECK_FALSE(ParseDesiredPatch("$iothub/twin/PATCH/properties/desired/?$version=5", "not json"));
    CHECK_FALSE(ParseDesiredPatch("$iothub/twin/PATCH/properties/desired/?$version=5", "[1,2]"));
    CHECK_FALSE(ParseDesiredPatch("$iothub/twin/PATCH/properties/desired/?$version=5", ""));
    CHECK_FALSE(ParseDesiredPatch("$iothub/twin/PATCH/properties/desired/?", R"({"a":1})"));
    CHECK_FALSE(ParseDesiredPatch("$iothub/twin/PATCH/properties/desired/?", R"({"$version":"x"})"));
    CHECK_FALSE(ParseDesiredPatch("$iothub/twin/PATCH/properties/reported/?$version=5", "{}"));
    CHECK_FALSE(ParseDesiredPatch("$iothub/twin/PATCH/properties/desired/x", "{}"));
  }
}

TEST_CASE("twin answer bodies") {
  CHECK(*TwinAnswerBody(200, R"({"desired":{},"reported":{}})") ==
        json{{"desired", json::object()}, {"reported", json::object()}});
  CHECK(TwinAnswerBody(204, "")->is_null());
  SUBCASE("the hub's error body") {
    const auto e = TwinAnswerBody(400, R"({"errorCode":400004,"trackingId":"t","message":"bad","timestampUtc":"x"})");
    REQUIRE_FALSE(e);
    CHECK(e.error().code() == domain::ErrorCode::ArgumentInvalid);
  }
  SUBCASE("an error without a usable body falls back to the status") {
    const auto e = TwinAnswerBody(429, "garbage");
    REQUIRE_FALSE(e);
    CHECK(e.error().http_status() == 429);
  }
  SUBCASE("a success that is not JSON") {
    const auto e = TwinAnswerBody(200, "{");
    REQUIRE_FALSE(e);
    CHECK(e.error().code() == domain::ErrorCode::IotHubFormatError);
  }
}

TEST_CASE("host and port: one parser for connection strings and endpoints") {
  CHECK_FALSE(ParseHostPort("hub.azure-devices.net", "f")->port);
  const auto g = ParseHostPort("127.0.0.1:18883", "f");
  REQUIRE(g);
  CHECK(g->host == "127.0.0.1");
  CHECK(g->port == 18883);
  const auto v6 = ParseHostPort("[::1]:1883", "f");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 1883);
  for (const char* bad : {"", ":1", "host:", "host:0", "host:70000", "host:x", "[::1", "[::1]x", "[]:1", "[::1]:",
                          "user@host", "ho st", "host/path"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseHostPort(bad, "f"));
  }
}
