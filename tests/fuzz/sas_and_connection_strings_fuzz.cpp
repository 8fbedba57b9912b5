// Fuzz target `sas_and_connection_strings`: every reader of credentials.
//
// Input: text, fed to each reader in turn:
// - the token reader (adapters/iothub/sas_token.hpp) and SasAuthorizer::Check
//   with the well-known policies, for each permission; errors dumped in the
//   REST front's envelope, as the router answers 401;
// - the broker plugin (device_auth.hpp): the MQTT username and password
//   readers, TokenExpiry and VerifyDeviceToken;
// - connection strings (adapters/iothub/connection_string.hpp): service and device connection
//   strings and GatewayHostName's host:port.
//
// Checks: a service connection string reads back from its ToString.

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/emulator/rest/sas_auth.hpp"
#include "adapters/iothub/connection_string.hpp"
#include "adapters/iothub/sas_token.hpp"
#include "domain/base64.hpp"
#include "device_auth.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace rest = offhub::emulator::rest;
namespace broker = offhub::broker;
namespace iothub = offhub::iothub;

constexpr std::int64_t kNow = 1'767'268'800;  // 2026-01-01T12:00:00Z

void RestFront(std::string_view text) {
  static const rest::SasAuthorizer authorizer("localhost", rest::WellKnownPolicies());
  for (const std::uint8_t needed : {rest::kRegistryRead, rest::kRegistryWrite, rest::kServiceConnect}) {
    const auto checked = authorizer.Check(text, kNow, needed, "devices/dev1");
    if (!checked) (void)offhub::fuzz::DumpRegistryError(checked.error());
  }
}

void BrokerPlugin(std::string_view text) {
  const auto username = broker::ParseDeviceUsername(text);
  (void)iothub::PercentDecode(text);
  (void)offhub::domain::Base64Decode(text);
  const auto token = iothub::ParseSasToken(text);
  if (!token) return;
  (void)iothub::TokenExpiry(*token);
  const broker::DeviceKeys keys{std::string(32, 'k'), std::string(32, 's'), true};
  const std::string client_id = username ? username->client_id() : "dev1";
  (void)broker::AuthResultName(broker::VerifyDeviceToken(*token, "localhost", client_id, keys, kNow));
}

void AzureAdapter(std::string_view text) {
  const auto service = iothub::ParseServiceConnectionString(text);
  if (service) {
    const auto again = iothub::ParseServiceConnectionString(iothub::ToString(*service));
    FUZZ_CHECK(again.ok() && *again == *service);
  }
  (void)iothub::ParseDeviceConnectionString(text);
  (void)iothub::ParseHostPort(text, "GatewayHostName");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = offhub::fuzz::AsText(data, size);
  if (offhub::fuzz::SkippedAsNonAscii(text)) return 0;
  RestFront(text);
  BrokerPlugin(text);
  AzureAdapter(text);
  return 0;
}
