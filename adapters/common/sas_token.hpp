#pragma once
// Shared access signature tokens as IoT Hub and its SDKs make them
// (https://learn.microsoft.com/azure/iot-hub/authenticate-authorize-sas).
// Byte-for-byte the Node SDK's format (azure-iot-common
// SharedAccessSignature.create/toString): fields in the order sr, sig, skn,
// se, so a policy token reads "..&sig=..&skn=<name>&se=<secs>".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace offhub::common {

// encodeURIComponent plus !'()* — everything but A-Z a-z 0-9 - _ . ~ is
// %XX-encoded, uppercase hex except for !'()* which Node writes in lowercase
// ("%2a"), exactly as azure-iot-common's encodeUriComponentStrict does.
std::string EncodeUriComponentStrict(std::string_view text);

// base64(HMAC-SHA256(base64decode(key), signed_resource + "\n" + expiry)): the
// one signing function of the tree. `signed_resource` is sr exactly as it
// appears in the token (IoT Hub checks the text, encoded). Fails with
// ArgumentInvalid when `base64_key` is not base64.
domain::Result<std::string> SasSignature(std::string_view signed_resource, std::string_view expiry,
                                         std::string_view base64_key);

// "SharedAccessSignature sr=<enc(resource)>&sig=<enc(b64 sig)>[&skn=<enc(name)>]&se=<secs>"
// where sig = base64(HMAC-SHA256(base64decode(key), enc(resource) + "\n" + secs)).
// `resource_uri` is unencoded, e.g. "myhub.azure-devices.net/devices/dev1".
// Fails with ArgumentInvalid when `base64_key` is not base64.
domain::Result<std::string> MakeSasToken(std::string_view resource_uri, std::string_view base64_key,
                                         std::int64_t expiry_seconds,
                                         std::optional<std::string_view> policy_name = std::nullopt);

}  // namespace offhub::common
