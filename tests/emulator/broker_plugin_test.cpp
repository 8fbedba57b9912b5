// The broker plugin's logic without a broker: SAS verification, usernames,
// ACLs, the key table, $offhub topic mapping and BrokerCore's decisions.
#include <doctest/doctest.h>

#include <tuple>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "adapters/iothub/sas_token.hpp"
#include "domain/base64.hpp"
#include "broker_core.hpp"
#include "device_acl.hpp"
#include "device_auth.hpp"
#include "device_key_table.hpp"
#include "offhub_topics.hpp"

using namespace offhub::broker;

namespace {

constexpr std::string_view kKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";  // "0123456789abcdef" x2
constexpr std::string_view kOtherKey = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
constexpr std::int64_t kNow = 1'690'000'000;
constexpr std::string_view kHost = "myhub.azure-devices.net";

std::string Token(std::string_view device_id, std::string_view key = kKey, std::int64_t se = kNow + 3600) {
  return offhub::iothub::MakeSasToken(std::string(kHost) + "/devices/" + std::string(device_id), key, se).value();
}

std::string Username(std::string_view device_id) {
  return std::string(kHost) + "/" + std::string(device_id) + "/?api-version=2021-04-12";
}

std::string KeysJson(std::string_view primary, std::string_view secondary = "", std::string_view status = "enabled") {
  return R"({"primaryKey":")" + std::string(primary) + R"(","secondaryKey":")" + std::string(secondary) +
         R"(","status":")" + std::string(status) + R"("})";
}

DeviceKeys Keys(std::string_view primary_b64, std::string_view secondary_b64 = "") {
  DeviceKeyTable table;
  REQUIRE(table.Apply("d", KeysJson(primary_b64, secondary_b64)) == DeviceKeyTable::Change::kSet);
  return *table.Find("d");
}

AuthResult Verify(std::string_view token, std::string_view device_id, const DeviceKeys& keys, std::int64_t now = kNow) {
  const auto parsed = offhub::iothub::ParseSasToken(token);
  if (!parsed) return AuthResult::kMalformed;
  return VerifyDeviceToken(*parsed, kHost, device_id, keys, now);
}

}  // namespace

TEST_CASE("MakeSasToken matches an independent implementation (Python hmac, quote)") {
  CHECK(offhub::iothub::MakeSasToken("myhub.azure-devices.net/devices/dev1", kKey, 1700000000).value() ==
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
        "&sig=wosmA3uJK9T0mdB5CIYn%2BsAVA2ODflnucuvNO5S6mbM%3D&se=1700000000");
  CHECK(offhub::iothub::MakeSasToken("myhub.azure-devices.net", kKey, 1700000000, "iothubowner").value() ==
        "SharedAccessSignature sr=myhub.azure-devices.net"
        "&sig=sJAIZTF5oG40VHrie96heZ865%2BnR4QavBvHnzxZm8rk%3D&skn=iothubowner&se=1700000000");
  CHECK_FALSE(offhub::iothub::MakeSasToken("h/devices/d", "not base64!", 1).ok());
  CHECK(offhub::iothub::EncodeUriComponentStrict("a b!'()*~-_.") == "a%20b%21%27%28%29%2a~-_.");  // Node writes %2a
}

TEST_CASE("SAS verification: good tokens, either key") {
  const DeviceKeys keys = Keys(kKey, kOtherKey);
  CHECK(Verify(Token("dev1"), "dev1", keys) == AuthResult::kAccepted);
  CHECK(Verify(Token("dev1", kOtherKey), "dev1", keys) == AuthResult::kAccepted);
  SUBCASE("device ids with characters that need encoding") {
    CHECK(Verify(Token("a+b#c%d$e"), "a+b#c%d$e", keys) == AuthResult::kAccepted);
  }
  SUBCASE("fields in another order") {
    const auto parsed = offhub::iothub::ParseSasToken(Token("dev1"));
    REQUIRE(parsed);
    const std::string reordered =
        "SharedAccessSignature se=" + parsed->se + "&sig=" + parsed->sig + "&sr=" + parsed->sr;
    CHECK(Verify(reordered, "dev1", keys) == AuthResult::kAccepted);
  }
  SUBCASE("host case does not matter") {
    const std::string token =
        offhub::iothub::MakeSasToken("MyHub.Azure-Devices.net/devices/dev1", kKey, kNow + 10).value();
    CHECK(Verify(token, "dev1", keys) == AuthResult::kAccepted);
  }
}

TEST_CASE("SAS verification refuses bad tokens") {
  const DeviceKeys keys = Keys(kKey);
  CHECK(Verify(Token("dev1", kOtherKey), "dev1", keys) == AuthResult::kBadSignature);
  CHECK(Verify(Token("dev1", kKey, kNow), "dev1", keys) == AuthResult::kExpired);
  CHECK(Verify(Token("dev2"), "dev1", keys) == AuthResult::kWrongResource);
  CHECK(Verify(offhub::iothub::MakeSasToken(kHost, kKey, kNow + 10, "device").value(), "dev1", keys) ==
        AuthResult::kPolicyNotSupported);
  CHECK(Verify(offhub::iothub::MakeSasToken("otherhub/devices/dev1", kKey, kNow + 10).value(), "dev1", keys) ==
        AuthResult::kWrongResource);
  SUBCASE("garbage") {
    for (const std::string_view garbage : {"", "SharedAccessSignature", "SharedAccessSignature ", "sr=a&sig=b&se=1",
                                           "SharedAccessSignature sr=&sig=x&se=1", "SharedAccessSignature sr=a&sig=b",
                                           "SharedAccessSignature sr=a&sr=a&sig=b&se=1",
                                           "SharedAccessSignature noequals&sr=a&sig=b&se=1", "\xff\xfe\x00garbage"}) {
      CHECK(Verify(garbage, "dev1", keys) == AuthResult::kMalformed);
    }
  }
  SUBCASE("bad expiry, bad percent escapes, bad base64 signature") {
    const std::string sr = "myhub.azure-devices.net%2Fdevices%2Fdev1";
    CHECK(Verify("SharedAccessSignature sr=" + sr + "&sig=abcd&se=12x", "dev1", keys) == AuthResult::kMalformed);
    CHECK(Verify("SharedAccessSignature sr=" + sr + "&sig=abcd&se=-5", "dev1", keys) == AuthResult::kMalformed);
    CHECK(Verify("SharedAccessSignature sr=" + sr + "&sig=abcd&se=99999999999999999999", "dev1", keys) ==
          AuthResult::kMalformed);
    CHECK(Verify("SharedAccessSignature sr=" + sr + "&sig=%zz&se=1999999999", "dev1", keys) == AuthResult::kMalformed);
    CHECK(Verify("SharedAccessSignature sr=" + sr + "&sig=a%2&se=1999999999", "dev1", keys) == AuthResult::kMalformed);
    CHECK(Verify("SharedAccessSignature sr=" + sr + "&sig=!!!!&se=1999999999", "dev1", keys) == AuthResult::kMalformed);
    CHECK(Verify("SharedAccessSignature sr=" + sr + "&sig=abc&se=1999999999", "dev1", keys) == AuthResult::kMalformed);
    CHECK(Verify("SharedAccessSignature sr=my%2&sig=abcd&se=1999999999", "dev1", keys) == AuthResult::kMalformed);
    CHECK(Verify("SharedAccessSignature sr=" + sr + "&sig=AAAA&se=1999999999", "dev1", keys) ==
          AuthResult::kBadSignature);
  }
  SUBCASE("the signature covers sr exactly as it appears") {
    std::string token = Token("dev1");
    token.replace(token.find("%2Fdevices"), 3, "%2f");  // same resource, different text
    CHECK(Verify(token, "dev1", keys) == AuthResult::kBadSignature);
  }
  SUBCASE("a device without keys accepts nothing") {
    CHECK(Verify(Token("dev1"), "dev1", DeviceKeys{}) == AuthResult::kBadSignature);
  }
}

TEST_CASE("base64 and percent decoding are strict") {
  CHECK(offhub::domain::Base64Decode("YWJj") == std::optional<std::string>("abc"));
  CHECK(offhub::domain::Base64Decode("YWI=") == std::optional<std::string>("ab"));
  CHECK(offhub::domain::Base64Decode("YQ==") == std::optional<std::string>("a"));
  CHECK(offhub::domain::Base64Decode("") == std::optional<std::string>(""));  // no key
  CHECK_FALSE(offhub::domain::Base64Decode("YWJ"));
  CHECK_FALSE(offhub::domain::Base64Decode("Y=Jj"));
  CHECK_FALSE(offhub::domain::Base64Decode(" YWJj"));
  CHECK_FALSE(offhub::domain::Base64Decode("YW-j"));
  CHECK(offhub::iothub::PercentDecode("a%2Fb+c") == std::optional<std::string>("a/b+c"));
  CHECK_FALSE(offhub::iothub::PercentDecode("%"));
  CHECK_FALSE(offhub::iothub::PercentDecode("%4"));
  CHECK_FALSE(offhub::iothub::PercentDecode("%g0"));
}

TEST_CASE("IoT Hub usernames") {
  const auto plain = ParseDeviceUsername("h.net/dev1/?api-version=2021-04-12");
  REQUIRE(plain);
  CHECK(plain->host == "h.net");
  CHECK(plain->device_id == "dev1");
  CHECK(plain->api_version == "2021-04-12");
  const auto node = ParseDeviceUsername(
      "h.net/dev?1/?api-version=2021-04-12&model-id=dtmi:x;1&DeviceClientType=azure-iot-device%2F1.18.4");
  REQUIRE(node);
  CHECK(node->device_id == "dev?1");
  CHECK(node->api_version == "2021-04-12");
  for (const std::string_view bad :
       {"", "h.net", "h.net/dev1", "h.net/dev1/", "h.net/dev1/?", "/dev1/?api-version=1", "h.net//?api-version=1",
        "h.net/dev1/?api-version=", "h.net/dev1/?x=1", "h.net/dev1/api-version=1"}) {
    CHECK_FALSE(ParseDeviceUsername(bad));
  }
}

TEST_CASE("device ACLs") {
  SUBCASE("only the documented subscriptions") {
    CHECK(DeviceMaySubscribe("d1", "$iothub/methods/POST/#"));
    CHECK(DeviceMaySubscribe("d1", "$iothub/twin/res/#"));
    CHECK(DeviceMaySubscribe("d1", "$iothub/twin/PATCH/properties/desired/#"));
    CHECK(DeviceMaySubscribe("d1", "devices/d1/messages/devicebound/#"));
    CHECK_FALSE(DeviceMaySubscribe("d1", "devices/d2/messages/devicebound/#"));
    CHECK_FALSE(DeviceMaySubscribe("d1", "$offhub/#"));
    CHECK_FALSE(DeviceMaySubscribe("d1", "#"));
    CHECK_FALSE(DeviceMaySubscribe("d1", "$iothub/#"));
    CHECK_FALSE(DeviceMaySubscribe("d1", "devices/+/messages/devicebound/#"));
    CHECK_FALSE(DeviceMaySubscribe("d1", "$iothub/methods/res/#"));
  }
  SUBCASE("publishing only to its own topics") {
    CHECK(DeviceMayPublish("d1", "$iothub/methods/res/200/?$rid=1"));
    CHECK(DeviceMayPublish("d1", "$iothub/twin/GET/?$rid=x"));
    CHECK(DeviceMayPublish("d1", "$iothub/twin/PATCH/properties/reported/?$rid=x"));
    CHECK(DeviceMayPublish("d1", "devices/d1/messages/events/"));
    CHECK(DeviceMayPublish("d1", "devices/d1/messages/events/a=b&%24.ct=json"));
    CHECK_FALSE(DeviceMayPublish("d1", "devices/d2/messages/events/"));
    CHECK_FALSE(DeviceMayPublish("d1", "$iothub/methods/POST/lockDoor/?$rid=1"));
    CHECK_FALSE(DeviceMayPublish("d1", "$iothub/methods/res/abc/?$rid=1"));
    CHECK_FALSE(DeviceMayPublish("d1", "$iothub/methods/res//?$rid=1"));
    CHECK_FALSE(DeviceMayPublish("d1", "$iothub/methods/res/2000/?$rid=1"));
    CHECK_FALSE(DeviceMayPublish("d1", "$iothub/twin/res/200/?$rid=1"));
    CHECK_FALSE(DeviceMayPublish("d1", "$iothub/twin/PATCH/properties/desired/?$version=1"));
    CHECK_FALSE(DeviceMayPublish("d1", "$offhub/to/d2/$iothub/methods/POST/x/?$rid=1"));
    CHECK_FALSE(DeviceMayPublish("d1", "$offhub/keys/d1"));
    CHECK_FALSE(DeviceMayPublish("d1", "devices/d1/messages/events/" + std::string(kMaxTopicBytes, 'x')));
  }
  SUBCASE("reading") {
    CHECK(DeviceMayRead("d1", "$iothub/methods/POST/x/?$rid=1"));
    CHECK(DeviceMayRead("d1", "devices/d1/messages/devicebound/x"));
    CHECK_FALSE(DeviceMayRead("d1", "devices/d2/messages/devicebound/x"));
    CHECK_FALSE(DeviceMayRead("d1", "$offhub/from/d2/x"));
  }
}

TEST_CASE("the key table") {
  DeviceKeyTable table;
  CHECK(table.Apply("d1", KeysJson(kKey, kOtherKey)) == DeviceKeyTable::Change::kSet);
  REQUIRE(table.Find("d1"));
  CHECK(table.Find("d1")->primary == "0123456789abcdef0123456789abcdef");
  CHECK(table.Find("d1")->enabled);
  CHECK(table.Apply("d1", KeysJson(kKey, "", "disabled")) == DeviceKeyTable::Change::kSet);
  CHECK_FALSE(table.Find("d1")->enabled);
  CHECK(table.Find("d1")->secondary.empty());
  CHECK(table.Apply("d2", R"({"primaryKey":null})") == DeviceKeyTable::Change::kSet);
  SUBCASE("malformed payloads change nothing") {
    for (const std::string_view bad :
         {"{", "[]", "42", "\"x\"", R"({"primaryKey":"not base64"})", R"({"primaryKey":7})", R"({"status":"sleeping"})",
          R"({"status":true})", "\xff\xfe"}) {
      CHECK(table.Apply("d1", bad) == DeviceKeyTable::Change::kRejected);
    }
    CHECK(table.Apply("", KeysJson(kKey)) == DeviceKeyTable::Change::kRejected);
    CHECK(table.Find("d1")->primary == "0123456789abcdef0123456789abcdef");
  }
  CHECK(table.Apply("d1", "") == DeviceKeyTable::Change::kRemoved);
  CHECK_FALSE(table.Find("d1"));
  CHECK(table.Apply("never-there", "") == DeviceKeyTable::Change::kRemoved);
}

TEST_CASE("$offhub topics") {
  CHECK(EncodeIdSegment("a+b#c%d/e") == "a%2Bb%23c%25d%2Fe");
  CHECK(DecodeIdSegment("a%2Bb%23c%25d%2Fe") == std::optional<std::string>("a+b#c%d/e"));
  CHECK_FALSE(DecodeIdSegment(""));
  CHECK_FALSE(DecodeIdSegment("a/b"));
  CHECK_FALSE(DecodeIdSegment("a%2"));
  CHECK_FALSE(DecodeIdSegment("a%x1"));
  const auto to = AddressedTopic(kToPrefix, "dev+1", "$iothub/methods/POST/m/?$rid=1");
  REQUIRE(to);
  CHECK(*to == "$offhub/to/dev%2B1/$iothub/methods/POST/m/?$rid=1");
  const auto split = SplitAddressed(*to, kToPrefix);
  REQUIRE(split);
  CHECK(split->device_id == "dev+1");
  CHECK(split->topic == "$iothub/methods/POST/m/?$rid=1");
  for (const std::string_view bad : {"$offhub/to/", "$offhub/to/dev", "$offhub/to/dev/", "$offhub/to//x",
                                     "$offhub/from/dev/x", "x/$offhub/to/dev/x", "$offhub/to/%zz/x"}) {
    CHECK_FALSE(SplitAddressed(bad, kToPrefix));
  }
  CHECK_FALSE(AddressedTopic(kFromPrefix, "d", std::string(kMaxTopicBytes, 'x')));
  CHECK(DeviceIdAfter("$offhub/keys/a%23b", kKeysPrefix) == std::optional<std::string>("a#b"));
  CHECK_FALSE(DeviceIdAfter("$offhub/keys/a/b", kKeysPrefix));
  CHECK_FALSE(DeviceIdAfter("$offhub/keys/", kKeysPrefix));
}

namespace {

struct CoreFixture {
  BrokerCore core{PluginOptions{"hubuser", "hubsecret", "", ""}};
  int handles[8] = {};

  BrokerCore::Connect Hub(int h = 0) { return {&handles[h], kHubClientId, "hubuser", "hubsecret", true}; }
  BrokerCore::Connect Device(std::string_view id, const std::string& username, const std::string& token, int h,
                             bool clean = true) {
    return {&handles[h], id, username, token, clean};
  }
  void SetKeys(std::string_view id, std::string_view status = "enabled") {
    core.Consume(kHubClientId, DeviceTopic(kKeysPrefix, id), KeysJson(kKey, "", status), 1);
  }
  AuthResult Connect(std::string_view id, int h, bool clean = true) {
    const std::string user = Username(id), token = Token(id);
    return core.Authenticate(Device(id, user, token, h, clean), kNow);
  }
  // Connects at `now` with a token whose se is `expiry`.
  AuthResult ConnectUntil(std::string_view id, int h, std::int64_t expiry, std::int64_t now = kNow) {
    const std::string user = Username(id), token = Token(id, kKey, expiry);
    return core.Authenticate(Device(id, user, token, h), now);
  }
  std::vector<std::string> Presence() {
    std::vector<std::string> out;
    for (const auto& o : core.TakeOutbox()) {
      if (o.client_id == kHubClientId && o.topic.starts_with(kPresencePrefix)) {
        out.push_back(o.topic.substr(kPresencePrefix.size()) + ":" + o.payload);
      }
    }
    return out;
  }
};

using Strings = std::vector<std::string>;
using Kicks = std::vector<Kick>;

}  // namespace

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore authenticates the hub and devices") {
  CHECK(core.Authenticate(Hub(), kNow) == AuthResult::kAccepted);
  CHECK(core.Authenticate({&handles[0], kHubClientId, "hubuser", "wrong", true}, kNow) != AuthResult::kAccepted);
  CHECK(core.Authenticate({&handles[0], kHubClientId, "other", "hubsecret", true}, kNow) != AuthResult::kAccepted);
  CHECK(Connect("dev1", 1) == AuthResult::kUnknownDevice);
  SetKeys("dev1");
  CHECK(Connect("dev1", 1) == AuthResult::kAccepted);
  CHECK(Presence() == Strings{"dev1:connected"});
  SUBCASE("client id must be the device id") {
    const std::string user = Username("dev1"), token = Token("dev1");
    CHECK(core.Authenticate(Device("dev2", user, token, 2), kNow) == AuthResult::kWrongClientId);
  }
  SUBCASE("a device cannot pose as the hub, nor the hub log in with another id") {
    for (const std::string_view hub : {kHubClientId, kKeysClientId}) {
      const std::string user = Username(hub), token = Token(hub);
      CHECK(core.Authenticate(Device(hub, user, token, 2), kNow) != AuthResult::kAccepted);
    }
    CHECK(core.Authenticate({&handles[2], "dev1", "hubuser", "hubsecret", true}, kNow) != AuthResult::kAccepted);
  }
  SUBCASE("no identity key can be a hub client id: module 'hub' of device 'offhub' connects") {
    core.Consume(kKeysClientId, DeviceTopic(kKeysPrefix, "offhub/hub"), KeysJson(kKey), 1);
    const std::string user = Username("offhub/hub"),
                      token = offhub::iothub::MakeSasToken(std::string(kHost) + "/devices/offhub/modules/hub", kKey,
                                                           kNow + 60).value();
    CHECK(core.Authenticate(Device("offhub/hub", user, token, 2), kNow) == AuthResult::kAccepted);
  }
  SUBCASE("the keys client logs in with the hub's login, applies keys and is told nothing") {
    CHECK(core.Authenticate({&handles[2], kKeysClientId, "hubuser", "hubsecret", true}, kNow) == AuthResult::kAccepted);
    CHECK(core.TakeOutbox().empty());
    core.Consume(kKeysClientId, DeviceTopic(kKeysPrefix, "dev9"), KeysJson(kKey), 1);
    const std::string user = Username("dev9"), token = Token("dev9");
    CHECK(core.Authenticate(Device("dev9", user, token, 3), kNow) == AuthResult::kAccepted);
  }
  SUBCASE("disabled devices are refused and kicked") {
    SetKeys("dev1", "disabled");
    CHECK(core.TakeKicks() == Kicks{{"dev1", KickReason::kDisabled}});
    CHECK(Connect("dev1", 2) == AuthResult::kDisabled);
  }
  SUBCASE("removed devices are kicked and refused") {
    core.Consume(kHubClientId, DeviceTopic(kKeysPrefix, "dev1"), "", 1);
    CHECK(core.TakeKicks() == Kicks{{"dev1", KickReason::kRemoved}});
    CHECK(Connect("dev1", 2) == AuthResult::kUnknownDevice);
  }
  SUBCASE("a hostname option pins {host}") {
    BrokerCore pinned(PluginOptions{"u", "p", "otherhub", ""});
    pinned.Consume(kHubClientId, DeviceTopic(kKeysPrefix, "dev1"), KeysJson(kKey), 1);
    const std::string user = Username("dev1"), token = Token("dev1");
    CHECK(pinned.Authenticate(Device("dev1", user, token, 2), kNow) == AuthResult::kWrongResource);
  }
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore presence follows connections, subscriptions and sessions") {
  SetKeys("dev1");
  REQUIRE(Connect("dev1", 1, /*clean=*/false) == AuthResult::kAccepted);
  CHECK(core.Allow("dev1", "$iothub/methods/POST/#", BrokerCore::Access::kSubscribe));
  CHECK(core.Allow("dev1", "$iothub/twin/PATCH/properties/desired/#", BrokerCore::Access::kSubscribe));
  CHECK_FALSE(core.Allow("dev1", "$offhub/#", BrokerCore::Access::kSubscribe));
  CHECK(Presence() == Strings{"dev1:connected", "dev1:methods", "dev1:desired"});

  SUBCASE("a takeover: the old connection's disconnect is not reported") {
    REQUIRE(Connect("dev1", 2, false) == AuthResult::kAccepted);
    core.Disconnected(&handles[1], "dev1");
    CHECK(Presence() == Strings{"dev1:connected", "dev1:methods", "dev1:desired"});
  }
  SUBCASE("clean=false reconnect keeps the subscriptions") {
    core.Disconnected(&handles[1], "dev1");
    REQUIRE(Connect("dev1", 2, false) == AuthResult::kAccepted);
    CHECK(Presence() == Strings{"dev1:disconnected", "dev1:connected", "dev1:methods", "dev1:desired"});
  }
  SUBCASE("clean=true reconnect drops them") {
    core.Disconnected(&handles[1], "dev1");
    REQUIRE(Connect("dev1", 2, true) == AuthResult::kAccepted);
    CHECK(Presence() == Strings{"dev1:disconnected", "dev1:connected"});
  }
  SUBCASE("a refused client with the same id changes nothing") {
    const std::string user = Username("dev1"), token = Token("dev1", kOtherKey);
    CHECK(core.Authenticate(Device("dev1", user, token, 3), kNow) == AuthResult::kBadSignature);
    core.Disconnected(&handles[3], "dev1");
    CHECK(Presence().empty());
    CHECK(core.Allow("dev1", "$iothub/twin/GET/?$rid=1", BrokerCore::Access::kWrite));
  }
  SUBCASE("a reconnecting hub gets a snapshot") {
    REQUIRE(core.Authenticate(Hub(), kNow) == AuthResult::kAccepted);
    CHECK(Presence() == Strings{"dev1:connected", "dev1:methods", "dev1:desired"});
  }
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore routes messages") {
  SetKeys("dev1");
  SetKeys("dev 2");
  REQUIRE(Connect("dev1", 1) == AuthResult::kAccepted);
  core.TakeOutbox();
  SUBCASE("hub to one device") {
    core.Consume(kHubClientId, "$offhub/to/dev1/$iothub/methods/POST/m/?$rid=7", "null", 0);
    const auto out = core.TakeOutbox();
    REQUIRE(out.size() == 1);
    CHECK(out[0].client_id == "dev1");
    CHECK(out[0].topic == "$iothub/methods/POST/m/?$rid=7");
    CHECK(out[0].payload == "null");
  }
  SUBCASE("device to hub, re-addressed") {
    CHECK(core.Allow("dev1", "devices/dev1/messages/events/", BrokerCore::Access::kWrite));
    core.Consume("dev1", "devices/dev1/messages/events/", "hello", 1);
    const auto out = core.TakeOutbox();
    REQUIRE(out.size() == 1);
    CHECK(out[0].client_id == kHubClientId);
    CHECK(out[0].topic == "$offhub/from/dev1/devices/dev1/messages/events/");
    CHECK(out[0].qos == 0);  // the broker acknowledged the device; the hub takes it at QoS 0
  }
  SUBCASE("nothing is routed for garbage, foreign topics or unknown clients") {
    core.Consume(kHubClientId, "$offhub/to/dev1", "x", 0);
    core.Consume(kHubClientId, "$offhub/to//x", "x", 0);
    core.Consume(kHubClientId, "$offhub/keys/", "x", 0);
    core.Consume(kHubClientId, "random/topic", "x", 0);
    core.Consume("dev1", "devices/dev 2/messages/events/", "x", 0);
    core.Consume("dev1", "$offhub/to/dev 2/$iothub/methods/POST/m/?$rid=1", "x", 0);
    core.Consume("dev 2", "devices/dev 2/messages/events/", "x", 0);  // not connected
    core.Consume("dev1", "devices/dev1/messages/events/" + std::string(kMaxTopicBytes, 'x'), "x", 0);
    CHECK(core.TakeOutbox().empty());
    CHECK_FALSE(core.Allow("stranger", "$iothub/twin/GET/?$rid=1", BrokerCore::Access::kWrite));
    CHECK_FALSE(core.Allow("dev1", "$offhub/from/dev1/x", BrokerCore::Access::kRead));
  }
}

TEST_CASE("plugin options") {
  CHECK(ParsePluginOptions({{"hub_username", "u"}, {"hub_password", "p"}}));
  CHECK_FALSE(ParsePluginOptions({{"hub_username", "u"}}));
  CHECK_FALSE(ParsePluginOptions({{"hub_username", ""}, {"hub_password", "p"}}));
  const auto with_host = ParsePluginOptions({{"hub_username", "u"}, {"hub_password", "p"}, {"hostname", "h"}});
  REQUIRE(with_host);
  CHECK(with_host->hostname == "h");
}

TEST_CASE("BrokerCore loads a start-up key table") {
  BrokerCore core(PluginOptions{"u", "p", "", ""});
  const std::string doc = R"({"dev1":)" + KeysJson(kKey) + R"(,"dev2":{"primaryKey":"bad!"},"dev3":7})";
  CHECK(core.LoadKeys(doc) == 1);
  CHECK(core.keys().Find("dev1"));
  CHECK_FALSE(core.keys().Find("dev2"));
  CHECK(core.LoadKeys("not json") == 0);
  CHECK(core.LoadKeys("[1,2]") == 0);
  CHECK(core.LoadKeys("") == 0);
  const std::string user = Username("dev1"), token = Token("dev1");
  int handle = 0;
  CHECK(core.Authenticate({&handle, "dev1", user, token, true}, kNow) == AuthResult::kAccepted);
  CHECK(ParsePluginOptions({{"hub_username", "u"}, {"hub_password", "p"}, {"keys_file", "/k.json"}})->keys_file ==
        "/k.json");
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore keeps persistent sessions' subscriptions across a broker restart") {
  SetKeys("dev1");
  SetKeys("dev2");
  CHECK_FALSE(core.TakeSessionsSnapshot());  // nothing to keep yet
  REQUIRE(Connect("dev1", 1, /*clean=*/false) == AuthResult::kAccepted);
  REQUIRE(Connect("dev2", 2, /*clean=*/true) == AuthResult::kAccepted);
  CHECK(core.Allow("dev1", "$iothub/methods/POST/#", BrokerCore::Access::kSubscribe));
  CHECK(core.Allow("dev1", "$iothub/twin/PATCH/properties/desired/#", BrokerCore::Access::kSubscribe));
  CHECK(core.Allow("dev2", "$iothub/methods/POST/#", BrokerCore::Access::kSubscribe));  // clean: not kept
  const auto snapshot = core.TakeSessionsSnapshot();
  REQUIRE(snapshot);
  CHECK(nlohmann::json::parse(*snapshot) == nlohmann::json::parse(R"({"dev1":{"methods":true,"desired":true}})"));
  CHECK_FALSE(core.TakeSessionsSnapshot());  // unchanged since
  CHECK(core.Allow("dev1", "$iothub/methods/POST/#", BrokerCore::Access::kSubscribe));  // again: no change
  CHECK_FALSE(core.TakeSessionsSnapshot());

  // A new broker (the keys come from its start-up table) learns the session
  // from the document: the device resumes it without subscribing again.
  BrokerCore restarted(PluginOptions{"hubuser", "hubsecret", "", ""});
  restarted.Consume(kHubClientId, DeviceTopic(kKeysPrefix, "dev1"), KeysJson(kKey), 1);
  CHECK(restarted.LoadSessions(*snapshot) == 1);
  const std::string user = Username("dev1"), token = Token("dev1");
  REQUIRE(restarted.Authenticate({&handles[3], "dev1", user, token, false}, kNow) == AuthResult::kAccepted);
  Strings presence;
  for (const auto& o : restarted.TakeOutbox()) presence.push_back(o.payload);
  CHECK(presence == Strings{"connected", "methods", "desired"});
  CHECK_FALSE(restarted.TakeSessionsSnapshot());

  SUBCASE("a clean reconnect ends the kept session") {
    REQUIRE(restarted.Authenticate({&handles[4], "dev1", user, token, true}, kNow) == AuthResult::kAccepted);
    const auto after = restarted.TakeSessionsSnapshot();
    REQUIRE(after);
    CHECK(*after == "{}");
  }
  SUBCASE("malformed documents load nothing") {
    BrokerCore other(PluginOptions{"u", "p", "", ""});
    CHECK(other.LoadSessions("not json") == 0);
    CHECK(other.LoadSessions("[1]") == 0);
    CHECK(other.LoadSessions(R"({"a":7,"b":{"methods":"yes"},"c":{"methods":false,"desired":false}})") == 0);
    CHECK(other.LoadSessions(R"({"d":{"desired":true}})") == 1);
  }
  CHECK(ParsePluginOptions({{"hub_username", "u"}, {"hub_password", "p"}, {"sessions_file", "/s.json"}})
            ->sessions_file == "/s.json");
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore: persistent session changes are saved once settled, at most 1 s late") {
  SetKeys("dev1");
  SetKeys("dev2");
  constexpr std::int64_t t = 5'000'000;
  CHECK_FALSE(core.SaveDue(t));  // nothing changed
  REQUIRE(Connect("dev2", 2, /*clean=*/true) == AuthResult::kAccepted);
  CHECK(core.Allow("dev2", "$iothub/methods/POST/#", BrokerCore::Access::kSubscribe));
  CHECK_FALSE(core.SaveDue(t));
  CHECK_FALSE(core.SaveDue(t + 5000));  // clean sessions are not saved

  // A CONNECT and its SUBSCRIBEs: one save, once they have settled.
  REQUIRE(Connect("dev1", 1, /*clean=*/false) == AuthResult::kAccepted);
  CHECK_FALSE(core.SaveDue(t + 10'000));
  CHECK(core.Allow("dev1", "$iothub/methods/POST/#", BrokerCore::Access::kSubscribe));
  CHECK_FALSE(core.SaveDue(t + 10'100));
  CHECK_FALSE(core.SaveDue(t + 10'299));
  CHECK(core.SaveDue(t + 10'300));
  CHECK_FALSE(core.SaveDue(t + 10'400));

  SUBCASE("changes that go on are saved a second after the first") {
    for (std::int64_t ms = 20'000; ms < 21'000; ms += 100) {
      CHECK(core.Allow("dev1", "$iothub/twin/res/#", BrokerCore::Access::kSubscribe));
      CHECK_FALSE(core.SaveDue(t + ms));
    }
    CHECK(core.Allow("dev1", "$iothub/twin/res/#", BrokerCore::Access::kSubscribe));
    CHECK(core.SaveDue(t + 21'000));
  }
  SUBCASE("a resumed session is on disk already; unsubscribing and a clean connect change it") {
    core.Disconnected(&handles[1], "dev1");
    REQUIRE(Connect("dev1", 3, /*clean=*/false) == AuthResult::kAccepted);
    CHECK_FALSE(core.SaveDue(t + 20'000));
    CHECK_FALSE(core.SaveDue(t + 30'000));
    CHECK(core.Allow("dev1", "$iothub/methods/POST/#", BrokerCore::Access::kUnsubscribe));
    CHECK_FALSE(core.SaveDue(t + 30'000));
    CHECK(core.SaveDue(t + 30'200));
    REQUIRE(Connect("dev1", 4, /*clean=*/true) == AuthResult::kAccepted);
    CHECK_FALSE(core.SaveDue(t + 40'000));
    CHECK(core.SaveDue(t + 40'200));
  }
}

TEST_CASE("modules: username, token resource, ACLs") {
  const auto module = ParseDeviceUsername("h.net/dev1/cam%1/?api-version=2021-04-12&DeviceClientType=x");
  REQUIRE(module);
  CHECK(module->device_id == "dev1");
  CHECK(module->module_id == "cam%1");
  CHECK(module->client_id() == "dev1/cam%1");
  CHECK(ParseDeviceUsername("h.net/dev1/?api-version=1")->client_id() == "dev1");
  for (const std::string_view bad : {"h.net/dev1//?api-version=1", "h.net/dev1/m/x/?api-version=1", "h.net//m/?api-version=1"}) {
    CHECK_FALSE(ParseDeviceUsername(bad));
  }

  const auto keys = Keys(kKey);
  const std::string module_token =
      offhub::iothub::MakeSasToken(std::string(kHost) + "/devices/dev1/modules/cam", kKey, kNow + 60).value();
  CHECK(Verify(module_token, "dev1/cam", keys) == AuthResult::kAccepted);
  CHECK(Verify(module_token, "dev1", keys) == AuthResult::kWrongResource);      // a module token is not the device's
  CHECK(Verify(Token("dev1"), "dev1/cam", keys) == AuthResult::kWrongResource);  // nor the device's the module's
  CHECK(Verify(module_token, "dev1/other", keys) == AuthResult::kWrongResource);

  CHECK(DeviceMayPublish("dev1/cam", "devices/dev1/modules/cam/messages/events/"));
  CHECK_FALSE(DeviceMayPublish("dev1/cam", "devices/dev1/messages/events/"));
  CHECK_FALSE(DeviceMayPublish("dev1", "devices/dev1/modules/cam/messages/events/"));
  CHECK_FALSE(DeviceMayPublish("dev1/cam", "devices/dev1/modules/other/messages/events/"));
  CHECK(DeviceMaySubscribe("dev1/cam", "devices/dev1/modules/cam/inputs/#"));
  CHECK(DeviceMaySubscribe("dev1/cam", "$iothub/methods/POST/#"));
  CHECK_FALSE(DeviceMaySubscribe("dev1", "devices/dev1/inputs/#"));
  CHECK_FALSE(DeviceMaySubscribe("dev1/cam", "devices/dev1/modules/other/inputs/#"));
  CHECK(DeviceMayRead("dev1/cam", "devices/dev1/modules/cam/inputs/in1"));
  CHECK_FALSE(DeviceMayRead("dev1/cam", "devices/dev1/messages/devicebound/x"));
  CHECK(IdentityTopicRoot("dev1") == "devices/dev1/");
  CHECK(IdentityTopicRoot("dev1/cam") == "devices/dev1/modules/cam/");
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore: a module connects with its own keys and is routed by deviceId/moduleId") {
  const std::string user = std::string(kHost) + "/dev1/cam/?api-version=2021-04-12";
  const std::string token =
      offhub::iothub::MakeSasToken(std::string(kHost) + "/devices/dev1/modules/cam", kKey, kNow + 60).value();
  SetKeys("dev1");
  CHECK(core.Authenticate(Device("dev1/cam", user, token, 1), kNow) == AuthResult::kUnknownDevice);
  SetKeys("dev1/cam");
  CHECK(core.Authenticate(Device("dev1", user, token, 1), kNow) == AuthResult::kWrongClientId);
  CHECK(core.Authenticate(Device("dev1/cam", user, token, 1), kNow) == AuthResult::kAccepted);
  CHECK(Presence() == Strings{"dev1%2Fcam:connected"});
  core.Consume(kHubClientId, "$offhub/to/dev1%2Fcam/$iothub/methods/POST/m/?$rid=7", "{}", 0);
  auto out = core.TakeOutbox();
  REQUIRE(out.size() == 1);
  CHECK(out[0].client_id == "dev1/cam");
  core.Consume("dev1/cam", "devices/dev1/modules/cam/messages/events/", "t", 1);
  out = core.TakeOutbox();
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "$offhub/from/dev1%2Fcam/devices/dev1/modules/cam/messages/events/");
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore: a device's QoS 2 publish is dropped and the device kicked") {
  SetKeys("dev1");
  REQUIRE(Connect("dev1", 1) == AuthResult::kAccepted);
  REQUIRE(core.Authenticate(Hub(), kNow) == AuthResult::kAccepted);
  core.TakeOutbox();
  core.Consume("dev1", "devices/dev1/messages/events/", "exactly once?", 2);
  CHECK(core.TakeOutbox().empty());
  CHECK(core.TakeKicks() == Kicks{{"dev1", KickReason::kQos2Publish}});

  SUBCASE("until the disconnect lands, nothing more from or to the device") {
    core.Consume("dev1", "devices/dev1/messages/events/", "late", 1);
    core.Consume("dev1", "devices/dev1/messages/events/", "again", 2);
    CHECK(core.TakeOutbox().empty());
    CHECK(core.TakeKicks().empty());  // one kick
    CHECK_FALSE(core.Allow("dev1", "$iothub/methods/POST/#", BrokerCore::Access::kSubscribe));
    CHECK_FALSE(core.Allow("dev1", "$iothub/methods/POST/m/?$rid=1", BrokerCore::Access::kRead));
  }
  SUBCASE("the disconnect is reported and the device may come back") {
    core.Disconnected(&handles[1], "dev1");
    CHECK(Presence() == Strings{"dev1:disconnected"});
    REQUIRE(Connect("dev1", 2) == AuthResult::kAccepted);
    core.TakeOutbox();
    core.Consume("dev1", "devices/dev1/messages/events/", "hello", 1);
    CHECK(core.TakeOutbox().size() == 1);
  }
  SUBCASE("a reconnect before the kick is carried out cancels it") {
    REQUIRE(Connect("dev1", 2) == AuthResult::kAccepted);
    CHECK(core.TakeKicks().empty());
  }
  SUBCASE("the hub's QoS 2 publishes are not refused") {
    core.Consume(kHubClientId, "$offhub/to/dev1/$iothub/methods/POST/m/?$rid=7", "null", 2);
    const auto out = core.TakeOutbox();
    REQUIRE(out.size() == 1);
    CHECK(out[0].qos == 1);
    CHECK(core.TakeKicks().empty());
  }
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore kicks devices whose SAS token expires while connected") {
  SetKeys("short");
  SetKeys("long");
  REQUIRE(core.Authenticate(Hub(), kNow) == AuthResult::kAccepted);
  REQUIRE(ConnectUntil("short", 1, kNow + 10) == AuthResult::kAccepted);
  REQUIRE(ConnectUntil("long", 2, kNow + 3600) == AuthResult::kAccepted);
  core.TakeOutbox();

  core.ExpireTokens(kNow + 9);
  CHECK(core.TakeKicks().empty());
  core.ExpireTokens(kNow + 10);  // se itself is already expired, as at connect
  CHECK(core.TakeKicks() == Kicks{{"short", KickReason::kTokenExpired}});
  core.Consume("short", "devices/short/messages/events/", "late", 1);
  CHECK(core.TakeOutbox().empty());
  core.ExpireTokens(kNow + 11);
  CHECK(core.TakeKicks().empty());  // kicked once
  core.Disconnected(&handles[1], "short");
  CHECK(Presence() == Strings{"short:disconnected"});
  core.ExpireTokens(kNow + 3599);
  CHECK(core.TakeKicks().empty());
  core.ExpireTokens(kNow + 1'000'000);
  CHECK(core.TakeKicks() == Kicks{{"long", KickReason::kTokenExpired}});  // never the hub

  SUBCASE("a device that left before expiry is not kicked") {
    REQUIRE(ConnectUntil("short", 3, kNow + 20) == AuthResult::kAccepted);
    core.Disconnected(&handles[3], "short");
    core.ExpireTokens(kNow + 1'000'000);
    CHECK(core.TakeKicks().empty());
  }
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore: a reconnect with a fresh token replaces the expiry") {
  SetKeys("dev1");
  REQUIRE(ConnectUntil("dev1", 1, kNow + 10) == AuthResult::kAccepted);
  SUBCASE("renewed while connected (a takeover)") {
    REQUIRE(ConnectUntil("dev1", 2, kNow + 100, kNow + 5) == AuthResult::kAccepted);
    core.Disconnected(&handles[1], "dev1");  // the old connection ends
  }
  SUBCASE("renewed by DISCONNECT and CONNECT, as the Node SDK does") {
    core.Disconnected(&handles[1], "dev1");
    REQUIRE(ConnectUntil("dev1", 2, kNow + 100, kNow + 5) == AuthResult::kAccepted);
  }
  core.ExpireTokens(kNow + 99);
  CHECK(core.TakeKicks().empty());
  core.ExpireTokens(kNow + 100);
  CHECK(core.TakeKicks() == Kicks{{"dev1", KickReason::kTokenExpired}});

  // A shorter fresh token replaces a longer one too.
  REQUIRE(ConnectUntil("dev1", 3, kNow + 200, kNow + 5) == AuthResult::kAccepted);
  REQUIRE(ConnectUntil("dev1", 4, kNow + 150, kNow + 6) == AuthResult::kAccepted);
  core.ExpireTokens(kNow + 149);
  CHECK(core.TakeKicks().empty());
  core.ExpireTokens(kNow + 150);
  CHECK(core.TakeKicks() == Kicks{{"dev1", KickReason::kTokenExpired}});
}

TEST_CASE_FIXTURE(CoreFixture, "BrokerCore: messages over IoT Hub's size limits are dropped and the device kicked") {
  SetKeys("dev1");
  REQUIRE(Connect("dev1", 1) == AuthResult::kAccepted);
  REQUIRE(core.Authenticate(Hub(), kNow) == AuthResult::kAccepted);
  core.TakeOutbox();
  core.Consume("dev1", "devices/dev1/messages/events/", std::string(kMaxDeviceMessageBytes, 'x'), 1);
  core.Consume("dev1", "$iothub/methods/res/200/?$rid=1", std::string(kMaxMethodAnswerBytes, 'x'), 0);
  CHECK(core.TakeOutbox().size() == 2);  // at the limits: forwarded
  CHECK(core.TakeKicks().empty());
  SUBCASE("telemetry one byte over 256 KB") {
    core.Consume("dev1", "devices/dev1/messages/events/", std::string(kMaxDeviceMessageBytes + 1, 'x'), 1);
  }
  SUBCASE("a method answer one byte over 128 KB") {
    core.Consume("dev1", "$iothub/methods/res/200/?$rid=2", std::string(kMaxMethodAnswerBytes + 1, 'x'), 0);
  }
  CHECK(core.TakeOutbox().empty());
  CHECK(core.TakeKicks() == Kicks{{"dev1", KickReason::kTooLarge}});
}

TEST_CASE("kick reasons have names") {
  for (const auto reason :
       {KickReason::kRemoved, KickReason::kDisabled, KickReason::kQos2Publish, KickReason::kTokenExpired,
        KickReason::kTooLarge}) {
    CHECK_FALSE(KickReasonName(reason).empty());
    CHECK(KickReasonName(reason) != "unknown");
  }
}

namespace {
std::int64_t fake_now_ms = 1'000;
std::int64_t FakeMillis() { return fake_now_ms; }
}  // namespace

TEST_CASE("BrokerCore limits each device's twin requests before they reach the hub: 429 with the $rid, then silence") {
  fake_now_ms = 1'000;
  BrokerCore core(PluginOptions{"hubuser", "hubsecret", "", ""}, FakeMillis);
  int handles[3] = {};
  core.Consume(kKeysClientId, DeviceTopic(kKeysPrefix, "dev1"), KeysJson(kKey), 1);
  core.Consume(kKeysClientId, DeviceTopic(kKeysPrefix, "dev2"), KeysJson(kKey), 1);
  for (int h : {0, 1}) {
    const std::string id = h == 0 ? "dev1" : "dev2";
    const std::string user = Username(id), token = Token(id);
    REQUIRE(core.Authenticate({&handles[h], id, user, token, true}, kNow) == AuthResult::kAccepted);
  }
  core.TakeOutbox();
  const auto send = [&](const std::string& id, const std::string& topic) {
    core.Consume(id, topic, "", 0);
    int to_hub = 0, throttled = 0;
    std::string last;
    for (const auto& o : core.TakeOutbox()) {
      to_hub += o.client_id == kHubClientId;
      if (o.client_id == id && o.topic.starts_with("$iothub/twin/res/429/")) {
        ++throttled;
        last = o.topic + " " + o.payload;
      }
    }
    return std::tuple(to_hub, throttled, last);
  };
  for (int i = 0; i < 100; ++i) REQUIRE(std::get<0>(send("dev1", "$iothub/twin/GET/?$rid=" + std::to_string(i))) == 1);
  const auto [to_hub, throttled, answer] = send("dev1", "$iothub/twin/GET/?$rid=x7");
  CHECK(to_hub == 0);
  CHECK(throttled == 1);
  CHECK(answer.starts_with("$iothub/twin/res/429/?$rid=x7 "));
  CHECK(answer.find(R"("errorCode":429001)") != std::string::npos);
  // Reported patches have their own allowance; another device is untouched.
  CHECK(std::get<0>(send("dev1", "$iothub/twin/PATCH/properties/reported/?$rid=p1")) == 1);
  CHECK(std::get<0>(send("dev2", "$iothub/twin/GET/?$rid=1")) == 1);
  // Throttled answers are limited too: a flood gets 100 a second, then nothing.
  int answered = 0;
  for (int i = 0; i < 500; ++i) answered += std::get<1>(send("dev1", "$iothub/twin/GET/?$rid=f" + std::to_string(i)));
  CHECK(answered == 99);  // one went to x7 above
  CHECK(std::get<1>(send("dev1", "$iothub/twin/GET/")) == 0);  // no $rid: nothing to answer
  // Refilled in time: 50 ms gives five more.
  fake_now_ms += 50;
  int passed = 0;
  for (int i = 0; i < 10; ++i) passed += std::get<0>(send("dev1", "$iothub/twin/GET/?$rid=r" + std::to_string(i)));
  CHECK(passed == 5);
}
