#pragma once
// Device authentication as IoT Hub does it over MQTT
// (https://learn.microsoft.com/azure/iot-hub/iot-mqtt-connect-to-iot-hub):
// username "{host}/{deviceId}/?api-version=.." (a module:
// "{host}/{deviceId}/{moduleId}/?api-version=.."), password a device SAS token
// (https://learn.microsoft.com/azure/iot-hub/authenticate-authorize-sas).
// Pure functions; OpenSSL for HMAC-SHA256 and base64 only.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace offhub::broker {

struct DeviceUsername {
  std::string host;
  std::string device_id;
  std::string module_id;    // empty for a device
  std::string api_version;  // never empty

  // What the MQTT client id must be: "{deviceId}" or "{deviceId}/{moduleId}".
  std::string client_id() const { return module_id.empty() ? device_id : device_id + '/' + module_id; }
};
// Accepts "{host}/{deviceId}[/{moduleId}]/?api-version=V" plus any further
// "&k=v" pairs (DeviceClientType, model-id, ...). nullopt when a part is
// missing or empty.
std::optional<DeviceUsername> ParseDeviceUsername(std::string_view username);

// The fields of "SharedAccessSignature sr=..&sig=..&se=..[&skn=..]", in any
// order, values as they appear (still percent-encoded). nullopt for a missing
// prefix, a missing or repeated sr/sig/se/skn, or an empty value.
struct SasFields {
  std::string sr;
  std::string sig;
  std::string se;
  std::optional<std::string> skn;
};
std::optional<SasFields> ParseSasToken(std::string_view password);
// The token's se: the first second (Unix time) it is no longer valid.
// nullopt unless se is a non-negative decimal of at most 18 digits.
std::optional<std::int64_t> TokenExpiry(const SasFields& token);

// %XX decoding; '+' stays '+'. nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);
// Standard base64 with padding; nullopt for anything else.
std::optional<std::string> DecodeBase64(std::string_view text);
std::string HmacSha256(std::string_view key, std::string_view message);

struct DeviceKeys {
  std::string primary;    // raw key bytes (decoded); empty = no key
  std::string secondary;  // raw key bytes (decoded); empty = no key
  bool enabled = true;
};

enum class AuthResult {
  kAccepted,
  kMalformed,           // username or token unparsable
  kWrongClientId,       // client id != the username's device id (or deviceId/moduleId)
  kUnknownDevice,       // no keys for the device or module
  kDisabled,            // device status disabled
  kPolicyNotSupported,  // token signed with a shared access policy (skn)
  kWrongResource,       // sr is not {host}/devices/{deviceId}[/modules/{moduleId}]
  kExpired,             // se <= now
  kBadSignature,        // neither key signs it
};
std::string_view AuthResultName(AuthResult result);

// Checks a parsed token for `client_id` ("{deviceId}" or
// "{deviceId}/{moduleId}") on `host`: the decoded sr must equal
// "{host}/devices/{deviceId}" or "{host}/devices/{deviceId}/modules/{moduleId}"
// (host compared case-insensitively), se must be
// decimal seconds after `now_seconds`, and sig must be the base64
// HMAC-SHA256 of (sr as it appears + "\n" + se) under the primary or
// secondary key. Tokens carrying skn are refused: the plugin knows device
// keys only, not the hub's policies.
AuthResult VerifyDeviceToken(const SasFields& token, std::string_view host, std::string_view client_id,
                             const DeviceKeys& keys, std::int64_t now_seconds);

}  // namespace offhub::broker
