// SAS tokens byte-identical to the Node SDK's. The vectors were computed with
// Node's own algorithm (crypto.createHmac + encodeUriComponentStrict) and
// cross-checked with `openssl dgst -sha256 -mac HMAC`.
#include <doctest/doctest.h>

#include "adapters/iothub/sas_token.hpp"

using namespace offhub;
using namespace std::chrono;

namespace {
constexpr const char* kKey = "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDE=";
constexpr std::int64_t kExpiry = 1767268800;
}  // namespace

TEST_CASE("encodeURIComponent and Node's strict variant") {
  CHECK(iothub::EncodeUriComponent("aZ09-_.!~*'()") == "aZ09-_.!~*'()");
  CHECK(iothub::EncodeUriComponent("a/b c+d=e&f?g#h%") == "a%2Fb%20c%2Bd%3De%26f%3Fg%23h%25");
  CHECK(iothub::EncodeUriComponent("\xC3\xA9") == "%C3%A9");
  CHECK(iothub::EncodeUriComponent(std::string("\x00\xff", 2)) == "%00%FF");
  // ! ' ( ) * become lowercase escapes ('%' + charCode.toString(16)); the rest stay uppercase.
  CHECK(iothub::EncodeUriComponentStrict("!'()*") == "%21%27%28%29%2a");
  CHECK(iothub::EncodeUriComponentStrict("a/b=") == "a%2Fb%3D");
  CHECK(iothub::EncodeUriComponentStrict("~-_.") == "~-_.");
}

TEST_CASE("service token: field order sr, sig, skn, se; sr is the host name") {
  const auto token = iothub::MakeServiceSasToken("myhub.azure-devices.net", "iothubowner", kKey, kExpiry);
  REQUIRE(token.ok());
  CHECK(*token ==
        "SharedAccessSignature sr=myhub.azure-devices.net&sig=vFVVEQmmHbxQ4NziKV8Df3CPPW%2BsGOMNX17gQ66ZDoo%3D"
        "&skn=iothubowner&se=1767268800");
}

TEST_CASE("device token: sr is the strictly encoded device path, no skn") {
  const auto plain = iothub::MakeDeviceSasToken("myhub.azure-devices.net", "myDeviceId", kKey, kExpiry);
  REQUIRE(plain.ok());
  CHECK(*plain ==
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2FmyDeviceId"
        "&sig=Dsl1BBDd85reYaEF8SJQH6Pj9brQzAdz9%2FvuOx6nknY%3D&se=1767268800");
  // The HMAC is taken over sr as it appears in the token, lowercase %2a included.
  const auto odd = iothub::MakeDeviceSasToken("myhub.azure-devices.net", "lock*(1)!'\xC3\xA9", kKey, kExpiry);
  REQUIRE(odd.ok());
  CHECK(*odd ==
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Flock%2a%281%29%21%27%C3%A9"
        "&sig=t0f4lZAJlH9BRmQ5qeD02k6JCwnfaoVsMVkVOpcf72g%3D&se=1767268800");
}

TEST_CASE("module token: sr is the strictly encoded module path, as the Node SDK's ModuleClient signs it") {
  const auto plain = iothub::MakeDeviceSasToken("myhub.azure-devices.net", "myDeviceId", kKey, kExpiry, "myModule");
  REQUIRE(plain.ok());
  CHECK(*plain ==
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2FmyDeviceId%2Fmodules%2FmyModule"
        "&sig=8G9lyfZniyZ6f3V%2FBESA3jqaHr2y7IRloB1Et9YUVss%3D&se=1767268800");
  const auto odd = iothub::MakeDeviceSasToken("myhub.azure-devices.net", "lock*(1)", kKey, kExpiry, "edge(m)!");
  REQUIRE(odd.ok());
  CHECK(*odd ==
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Flock%2a%281%29%2Fmodules%2Fedge%28m%29%21"
        "&sig=CuTxBDFfM6UESdhN27sX6ETY%2BYN67OjwaXgxuT%2BXjTA%3D&se=1767268800");
  // The same key signs a different resource for the device: a module token is no device token.
  const auto device = iothub::MakeDeviceSasToken("myhub.azure-devices.net", "myDeviceId", kKey, kExpiry);
  REQUIRE(device.ok());
  CHECK(*device != *plain);
}

TEST_CASE("a key that is not base64 is refused, not signed") {
  CHECK(iothub::SasSignature("h", "1", "***").error().code() == domain::ErrorCode::ArgumentInvalid);
  CHECK_FALSE(iothub::MakeServiceSasToken("h", "p", "", 1).ok());
  CHECK_FALSE(iothub::MakeDeviceSasToken("h", "d", "abc", 1).ok());
}

TEST_CASE("expiry: ceil for service tokens, floor for device tokens, from milliseconds") {
  const system_clock::time_point whole{seconds(1000)};
  CHECK(iothub::ServiceTokenExpiry(whole, hours(1)) == 4600);
  CHECK(iothub::DeviceTokenExpiry(whole, hours(1)) == 4600);
  const auto later = whole + milliseconds(1);
  CHECK(iothub::ServiceTokenExpiry(later, hours(1)) == 4601);
  CHECK(iothub::DeviceTokenExpiry(later, hours(1)) == 4600);
  // Below Date.now()'s millisecond resolution nothing changes, as in Node.
  CHECK(iothub::ServiceTokenExpiry(whole + microseconds(400), hours(1)) == 4600);
}
