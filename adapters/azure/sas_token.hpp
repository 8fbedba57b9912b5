#pragma once
// SAS tokens byte-identical to the Node SDK's (azure-iot-common
// SharedAccessSignature.create / encodeUriComponentStrict):
//   service: SharedAccessSignature sr=<host>&sig=<sig>&skn=<policy>&se=<expiry>
//   device:  SharedAccessSignature sr=<strict(host/devices/id)>&sig=<sig>&se=<expiry>
//   module:  the same with sr=<strict(host/devices/id/modules/module)>
// sig = strict(base64(HMAC-SHA256(base64decode(key), sr + "\n" + se))), the
// HMAC taken over sr exactly as it appears in the token.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace offhub::azure {

// JavaScript's encodeURIComponent over UTF-8 bytes: everything but
// A-Z a-z 0-9 - _ . ! ~ * ' ( ) becomes %XX (uppercase hex). Bytes that are
// not valid UTF-8 are escaped one by one (JavaScript would throw).
std::string EncodeUriComponent(std::string_view text);

// Node's encodeUriComponentStrict: EncodeUriComponent, then ! ' ( ) * are
// escaped too, with LOWERCASE hex ('%' + charCode.toString(16)): "*" -> "%2a".
std::string EncodeUriComponentStrict(std::string_view text);

// base64(HMAC-SHA256(base64decode(key), resource + "\n" + expiry)), not yet
// URL-encoded. 400 ArgumentInvalid if the key is not base64.
domain::Result<std::string> SasSignature(std::string_view resource, std::int64_t expiry, std::string_view base64_key);

// A token for the service API: sr = host name (raw, as Node sends it),
// skn = strict(policy).
domain::Result<std::string> MakeServiceSasToken(std::string_view host_name, std::string_view policy,
                                                std::string_view base64_key, std::int64_t expiry);

// A token for a device (or a module when module_id is set), signed with the
// device's own key: no skn.
domain::Result<std::string> MakeDeviceSasToken(std::string_view host_name, std::string_view device_id,
                                               std::string_view base64_key, std::int64_t expiry,
                                               std::optional<std::string_view> module_id = std::nullopt);

// Expiry as the SDKs compute it from milliseconds since the epoch:
// service (azure-iothub anHourFromNow): ceil(ms / 1000 + ttl);
// device (azure-iot-device): floor(ms / 1000) + ttl.
std::int64_t ServiceTokenExpiry(std::chrono::system_clock::time_point now, std::chrono::seconds ttl);
std::int64_t DeviceTokenExpiry(std::chrono::system_clock::time_point now, std::chrono::seconds ttl);

}  // namespace offhub::azure
