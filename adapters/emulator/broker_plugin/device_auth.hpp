#pragma once
// Device authentication as IoT Hub does it over MQTT
// (https://learn.microsoft.com/azure/iot-hub/iot-mqtt-connect-to-iot-hub):
// username "{host}/{deviceId}/?api-version=.." (a module:
// "{host}/{deviceId}/{moduleId}/?api-version=.."), password a device SAS token
// (https://learn.microsoft.com/azure/iot-hub/authenticate-authorize-sas).
// Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/iothub/sas_token.hpp"

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

// Tokens are parsed and their signatures checked by adapters/iothub/sas_token.
using iothub::SasFields;

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
