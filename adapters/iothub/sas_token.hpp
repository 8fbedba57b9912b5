#pragma once
// Shared access signature tokens, made and checked as IoT Hub and its SDKs do
// (https://learn.microsoft.com/azure/iot-hub/authenticate-authorize-sas):
//   SharedAccessSignature sr=<resource>&sig=<signature>&se=<expiry>[&skn=<policy>]
// sig = base64(HMAC-SHA256(base64decode(key), sr + "\n" + se)), the HMAC taken
// over sr exactly as it appears in the token (still percent-encoded).
// Tokens made here are byte-for-byte the Node SDK's (azure-iot-common
// SharedAccessSignature.create / encodeUriComponentStrict; fields in the
// order sr, sig, skn, se). The tree's one signing and one parsing function:
// the REST front, the broker plugin and the Azure adapter all use them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/iothub/percent_encoding.hpp"
#include "domain/result.hpp"

namespace offhub::iothub {

// The fields of a token, values as they appear (still percent-encoded).
struct SasFields {
  std::string sr;
  std::string sig;
  std::string se;
  std::optional<std::string> skn;
};

// Parses "SharedAccessSignature sr=..&sig=..&se=..[&skn=..]", fields in any
// order, each split at its first '='; unknown fields are ignored. nullopt for
// a missing prefix, a field without '=', a missing or repeated sr/sig/se/skn,
// or an empty value.
std::optional<SasFields> ParseSasToken(std::string_view text);

// The token's se: the first second (Unix time) it is no longer valid.
// nullopt unless se is a non-negative decimal of at most 18 digits.
std::optional<std::int64_t> TokenExpiry(const SasFields& token);

// True when the token's sig (percent-decoded, base64) is the HMAC-SHA256 of
// sr + "\n" + se under the raw `key` bytes; false for an empty key. Compared
// in constant time.
bool SignatureMatches(const SasFields& token, std::string_view key);

// base64(HMAC-SHA256(base64decode(key), signed_resource + "\n" + expiry)), not
// yet URL-encoded. 400 ArgumentInvalid when `base64_key` is not base64 or empty.
domain::Result<std::string> SasSignature(std::string_view signed_resource, std::string_view expiry,
                                         std::string_view base64_key);

// "SharedAccessSignature sr=<strict(resource)>&sig=<strict(sig)>[&skn=<strict(name)>]&se=<secs>".
// `resource_uri` is unencoded, e.g. "myhub.azure-devices.net/devices/dev1".
// 400 ArgumentInvalid when `base64_key` is not base64.
domain::Result<std::string> MakeSasToken(std::string_view resource_uri, std::string_view base64_key,
                                         std::int64_t expiry_seconds,
                                         std::optional<std::string_view> policy_name = std::nullopt);

// The service API's token (azure-iothub): sr = the host name, skn = the policy.
domain::Result<std::string> MakeServiceSasToken(std::string_view host_name, std::string_view policy,
                                                std::string_view base64_key, std::int64_t expiry);

// A device's (or, with module_id, a module's) own token: sr =
// "{host}/devices/{id}[/modules/{module}]", no skn.
domain::Result<std::string> MakeDeviceSasToken(std::string_view host_name, std::string_view device_id,
                                               std::string_view base64_key, std::int64_t expiry,
                                               std::optional<std::string_view> module_id = std::nullopt);

// Expiry as the SDKs compute it from milliseconds since the epoch:
// service (azure-iothub anHourFromNow): ceil(ms / 1000 + ttl);
// device (azure-iot-device): floor(ms / 1000) + ttl.
std::int64_t ServiceTokenExpiry(std::chrono::system_clock::time_point now, std::chrono::seconds ttl);
std::int64_t DeviceTokenExpiry(std::chrono::system_clock::time_point now, std::chrono::seconds ttl);

}  // namespace offhub::iothub
