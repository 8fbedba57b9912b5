#include "domain/device.hpp"

#include <doctest/doctest.h>

using namespace offhub::domain;
using nlohmann::json;

TEST_CASE("the Node SDK's create body parses, with keys left to the hub") {
  const auto spec = ParseDeviceSpec(
      json::parse(R"({"deviceId":"newdev","authentication":{"type":"sas","symmetricKey":{"primaryKey":"","secondaryKey":""}}})"),
      "newdev");
  REQUIRE(spec);
  CHECK(spec->device_id == "newdev");
  CHECK(spec->status == DeviceStatus::kEnabled);
  CHECK(spec->primary_key.empty());
  CHECK(spec->authentication_type == "sas");
}

TEST_CASE("a device serialises like az iot hub device-identity show") {
  Device d;
  d.device_id = "dev1";
  d.generation_id = "637546501104263193";
  d.etag_counter = 318751955;
  d.primary_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  const json doc = ToJson(d);
  CHECK(doc["etag"] == "MzE4NzUxOTU1");
  CHECK(doc["connectionState"] == "Disconnected");
  CHECK(doc["statusUpdatedTime"] == "0001-01-01T00:00:00");
  CHECK(doc["authentication"]["type"] == "sas");
  CHECK(doc["authentication"]["symmetricKey"]["primaryKey"] == d.primary_key);
  CHECK(doc["capabilities"]["iotEdge"] == false);
}

TEST_CASE("device ids follow IoT Hub's rule") {
  CHECK(ValidateDeviceId("myDeviceId"));
  CHECK(ValidateDeviceId("a-b:c.d+e%f_g#h*i?j!k(l)m,n=o@p;q$r's"));
  CHECK(ValidateDeviceId(std::string(128, 'x')));
  CHECK_FALSE(ValidateDeviceId(""));
  CHECK_FALSE(ValidateDeviceId(std::string(129, 'x')));
  CHECK_FALSE(ValidateDeviceId("has space"));
  CHECK_FALSE(ValidateDeviceId("slash/no"));
  CHECK_FALSE(ValidateDeviceId("ünicode"));
  CHECK(ValidateDeviceId("bad id").error().code() == ErrorCode::ArgumentInvalid);
}

TEST_CASE("malformed device bodies get 400s naming the field") {
  const auto rejected = [](const char* body, const char* id, const char* mentions) {
    CAPTURE(body);
    const auto spec = ParseDeviceSpec(json::parse(body), id);
    REQUIRE_FALSE(spec);
    CHECK(spec.error().http_status() == 400);
    CHECK(spec.error().message().find(mentions) != std::string::npos);
  };
  rejected(R"([1])", "d", "JSON object");
  rejected(R"({"deviceId":"other"})", "d", "differs");
  rejected(R"({"deviceId":5})", "d", "deviceId");
  rejected(R"({"status":"sleeping"})", "d", "status");
  rejected(R"({"status":true})", "d", "status");
  rejected(R"({"authentication":"sas"})", "d", "authentication");
  rejected(R"({"authentication":{"type":"magic"}})", "d", "authentication type");
  rejected(R"({"authentication":{"symmetricKey":{"primaryKey":"not base64!"}}})", "d", "primary key");
  rejected(R"({"authentication":{"symmetricKey":{"primaryKey":"QUJD"}}})", "d", "primary key");
  rejected(R"({"authentication":{"symmetricKey":{"secondaryKey":7}}})", "d", "secondaryKey");
  rejected(R"({"capabilities":{"iotEdge":"yes"}})", "d", "iotEdge");
  rejected(R"({})", "bad/id", "device id");
  rejected(R"({"status":"enabledx"})", "d", "status");
}

TEST_CASE("status in any letter case, as the Java service SDK sends it (\"Enabled\")") {
  for (const char* status : {"Enabled", "ENABLED", "enabled"}) {
    CHECK(ParseDeviceSpec(json{{"status", status}}, "d")->status == DeviceStatus::kEnabled);
  }
  CHECK(ParseDeviceSpec(json{{"status", "Disabled"}}, "d")->status == DeviceStatus::kDisabled);
}

TEST_CASE("modules: the Node SDK's addModule body, the module document, and its read-back") {
  const auto spec = ParseModuleSpec(json::parse(R"({"deviceId":"gw","moduleId":"cam","managedBy":"me",
      "authentication":{"type":"sas","symmetricKey":{"primaryKey":"","secondaryKey":""}}})"),
                                    "gw", "cam");
  REQUIRE(spec);
  CHECK(spec->module_id == "cam");
  CHECK(spec->managed_by == std::optional<std::string>("me"));
  CHECK(ParseModuleSpec(json::object(), "gw", "cam")->managed_by == std::nullopt);
  CHECK(ParseModuleSpec(json::parse(R"({"moduleId":"other"})"), "gw", "cam").error().code() ==
        ErrorCode::ArgumentInvalid);
  CHECK(ParseModuleSpec(json::parse(R"({"deviceId":"other"})"), "gw", "cam").error().code() ==
        ErrorCode::ArgumentInvalid);
  CHECK_FALSE(ParseModuleSpec(json::object(), "gw", "c/m"));
  CHECK_FALSE(ParseModuleSpec(json::object(), "gw", ""));
  CHECK_FALSE(ParseModuleSpec(json::object(), "g w", "cam"));
  CHECK_FALSE(ParseModuleSpec(json::array(), "gw", "cam"));

  Device m;
  m.device_id = "gw";
  m.module_id = "cam";
  m.managed_by = "me";
  m.generation_id = "637546501104263193";
  CHECK(m.key() == "gw/cam");
  CHECK(IdentityKey("gw", "") == "gw");
  const json doc = ToJson(m);
  CHECK(doc["moduleId"] == "cam");
  CHECK(doc["deviceId"] == "gw");
  CHECK(doc["managedBy"] == "me");
  CHECK_FALSE(doc.contains("status"));
  CHECK_FALSE(doc.contains("capabilities"));
  const auto back = DeviceFromJson(doc);
  REQUIRE(back);
  CHECK(back->key() == "gw/cam");
  CHECK(ToJson(*back) == doc);

  auto twin = Twin::Create("gw", UtcTime::FromMillis(0));
  twin.module_id = "cam";
  const json twin_doc = ToJson(twin);
  CHECK(twin_doc["moduleId"] == "cam");
  CHECK(TwinFromJson(twin_doc)->key() == "gw/cam");
}
