// Connection strings as the SDKs read them, and the malformed ones we refuse
// with an error naming the field.
#include <doctest/doctest.h>

#include "adapters/iothub/connection_string.hpp"

using namespace offhub;
using iothub::ParseDeviceConnectionString;
using iothub::ParseServiceConnectionString;

namespace {

constexpr const char* kKey = "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDE=";

std::string Service(const std::string& rest = "") {
  return std::string("HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=") + kKey + rest;
}

template <class R>
std::string ErrorOf(const R& result) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code() == domain::ErrorCode::ArgumentInvalid);
  return result.error().message();
}

}  // namespace

TEST_CASE("service connection string: the three fields, base64 padding kept") {
  const auto cs = ParseServiceConnectionString(Service());
  REQUIRE(cs.ok());
  CHECK(cs->host_name == "myhub.azure-devices.net");
  CHECK(cs->key_name == "iothubowner");
  CHECK(cs->key == kKey);
  CHECK(iothub::ToString(*cs) == Service());
}

TEST_CASE("service connection string: order free, trailing ';' and unknown keys ignored") {
  const auto cs = ParseServiceConnectionString(std::string("SharedAccessKey=") + kKey +
                                               ";Other=x;SharedAccessKeyName=service;HostName=localhost;");
  REQUIRE(cs.ok());
  CHECK(cs->host_name == "localhost");
  CHECK(cs->key_name == "service");
}

TEST_CASE("service connection string: malformed input names the field") {
  CHECK(ErrorOf(ParseServiceConnectionString("")).find("HostName") != std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString("garbage")).find("malformed") != std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString(Service(";NoEquals"))).find("NoEquals") != std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString(Service(";=value"))).find("malformed") != std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString(Service(";HostName=other"))).find("HostName") != std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString("HostName=h;SharedAccessKey=" + std::string(kKey)))
            .find("SharedAccessKeyName") != std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString("HostName=h;SharedAccessKeyName=p")).find("SharedAccessKey") !=
        std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString("HostName=h;SharedAccessKeyName=p;SharedAccessKey=")).find("missing") !=
        std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString("HostName=h;SharedAccessKeyName=p;SharedAccessKey=not*base64"))
            .find("base64") != std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString("hostname=h;SharedAccessKeyName=p;SharedAccessKey=" + std::string(kKey)))
            .find("HostName") != std::string::npos);  // keys are case-sensitive
  CHECK(
      ErrorOf(ParseServiceConnectionString("HostName=h:443;SharedAccessKeyName=p;SharedAccessKey=" + std::string(kKey)))
          .find("HostName") != std::string::npos);
  CHECK(ErrorOf(ParseServiceConnectionString(std::string("\xff\xfe\x00;;==", 7))).size() > 0);
  CHECK(ErrorOf(ParseServiceConnectionString("HostName=\x01\x02;SharedAccessKeyName=p;SharedAccessKey=" +
                                             std::string(kKey)))
            .find("HostName") != std::string::npos);
}

TEST_CASE("device connection string: key, signature, module and gateway") {
  const auto cs =
      ParseDeviceConnectionString("HostName=h.net;DeviceId=myDeviceId;SharedAccessKey=" + std::string(kKey) +
                                  ";ModuleId=m1;GatewayHostName=127.0.0.1:18883");
  REQUIRE(cs.ok());
  CHECK(cs->host_name == "h.net");
  CHECK(cs->device_id == "myDeviceId");
  CHECK(cs->module_id == "m1");
  CHECK(cs->key == kKey);
  CHECK_FALSE(cs->signature);
  CHECK(cs->gateway_host == "127.0.0.1");
  CHECK(cs->gateway_port == 18883);

  const auto sas = ParseDeviceConnectionString(
      "HostName=h.net;DeviceId=d;SharedAccessSignature=SharedAccessSignature sr=h.net%2Fdevices%2Fd&sig=a%3D&se=1");
  REQUIRE(sas.ok());
  CHECK(sas->signature == "SharedAccessSignature sr=h.net%2Fdevices%2Fd&sig=a%3D&se=1");
  CHECK_FALSE(sas->gateway_host);

  const auto gateway = ParseDeviceConnectionString("HostName=h.net;DeviceId=d;SharedAccessKey=" + std::string(kKey) +
                                                   ";GatewayHostName=edge.local");
  REQUIRE(gateway.ok());
  CHECK(gateway->gateway_host == "edge.local");
  CHECK_FALSE(gateway->gateway_port);
}

TEST_CASE("device connection string: malformed input names the field") {
  const std::string key = ";SharedAccessKey=" + std::string(kKey);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h" + key)).find("DeviceId") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d")).find("SharedAccessKey") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=bad/id" + key)).find("DeviceId") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d;ModuleId=bad/id" + key)).find("ModuleId") !=
        std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d;ModuleId=" + std::string(129, 'm') + key))
            .find("ModuleId") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d;DeviceId=e" + key)).find("DeviceId") !=
        std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d" + key + ";SharedAccessSignature=x"))
            .find("not both") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d;SharedAccessSignature=sr=x&sig=y"))
            .find("SharedAccessSignature") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d;SharedAccessKey=%%%")).find("base64") !=
        std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d" + key + ";GatewayHostName=g:0"))
            .find("GatewayHostName") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d" + key + ";GatewayHostName=g:99999"))
            .find("GatewayHostName") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d" + key + ";GatewayHostName=:80"))
            .find("GatewayHostName") != std::string::npos);
  CHECK(ErrorOf(ParseDeviceConnectionString("HostName=h;DeviceId=d" + key + ";GatewayHostName=g:8x"))
            .find("GatewayHostName") != std::string::npos);
}
