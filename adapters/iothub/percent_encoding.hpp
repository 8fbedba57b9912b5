#pragma once
// Percent-encoding as IoT Hub's URLs, SAS tokens and MQTT topics use it
// (RFC 3986 section 2.1), on Boost.URL. Pure functions; never throw.

#include <optional>
#include <string>
#include <string_view>

namespace offhub::iothub {

// %XX decoding (either case of hex); '+' stays '+'. nullopt for a malformed
// escape ("%", "%4", "%g0"). The result may hold any byte, including NUL and
// bytes that are not UTF-8: callers that need text check it.
std::optional<std::string> PercentDecode(std::string_view text);

// JavaScript's encodeURIComponent over bytes: everything but
// A-Z a-z 0-9 - _ . ! ~ * ' ( ) becomes %XX (uppercase hex). Bytes that are
// not valid UTF-8 are escaped one by one (JavaScript would throw).
std::string EncodeUriComponent(std::string_view text);

// The Node SDK's encodeUriComponentStrict (azure-iot-common): as above, and
// ! ' ( ) * escaped too, in LOWERCASE hex ('%' + charCode.toString(16)), so
// "*" becomes "%2a". SAS tokens are signed over this exact text.
std::string EncodeUriComponentStrict(std::string_view text);

}  // namespace offhub::iothub
