// The MQTT password: a SAS token made from the device's (or module's) key for
// each connection, byte-identical to the Node SDK's, or a fixed token.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>

#include "adapters/azure/mqtt/device_credentials.hpp"
#include "adapters/iothub/device_topics.hpp"

using namespace offhub::azure::mqtt;
using offhub::iothub::DeviceResource;
using namespace std::chrono;

namespace {

constexpr const char* kKey = "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDE=";
constexpr std::int64_t kExpiry = 1767268800;

// A wall clock standing at one hour before kExpiry.
DeviceCredentials::WallClock HourBeforeExpiry() {
  return [] { return system_clock::time_point(seconds(kExpiry - 3600)); };
}

}  // namespace

TEST_CASE("a device's token from its key expires now + TTL; renewal at 3/4 of its sure lifetime") {
  const auto credentials = DeviceCredentials::FromKey(DeviceResource("myhub.azure-devices.net", "myDeviceId"), kKey,
                                                      hours(1), HourBeforeExpiry());
  CHECK(credentials.Password() ==
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2FmyDeviceId"
        "&sig=Dsl1BBDd85reYaEF8SJQH6Pj9brQzAdz9%2FvuOx6nknY%3D&se=1767268800");
  CHECK(credentials.RenewAfter() == milliseconds(3599 * 1000 * 3 / 4));  // se is whole seconds: 1 s less is sure
}

TEST_CASE("a module's token from its key signs the module's resource, as the Node SDK's ModuleClient") {
  const auto credentials = DeviceCredentials::FromKey(
      DeviceResource("myhub.azure-devices.net", "myDeviceId", "myModule"), kKey, hours(1), HourBeforeExpiry());
  CHECK(credentials.Password() ==
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2FmyDeviceId%2Fmodules%2FmyModule"
        "&sig=8G9lyfZniyZ6f3V%2FBESA3jqaHr2y7IRloB1Et9YUVss%3D&se=1767268800");
}

TEST_CASE("a fixed token is used as given and never renewed") {
  const auto credentials = DeviceCredentials::FromToken("SharedAccessSignature sr=h%2Fdevices%2Fd&sig=x&se=1");
  CHECK(credentials.Password() == "SharedAccessSignature sr=h%2Fdevices%2Fd&sig=x&se=1");
  CHECK_FALSE(credentials.RenewAfter());
}

TEST_CASE("unusable keys and TTLs are refused when the credentials are made") {
  CHECK_THROWS_AS(DeviceCredentials::FromKey("h/devices/d", "not base64!", hours(1)), std::invalid_argument);
  CHECK_THROWS_AS(DeviceCredentials::FromKey("h/devices/d", kKey, seconds(0)), std::invalid_argument);
}
