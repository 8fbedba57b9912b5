#pragma once
// Standard base64 (RFC 4648 §4, with padding), as IoT Hub uses for etags and
// keys: OpenSSL's encoder, with the strict shape checked before decoding. The
// tree's one base64.

#include <optional>
#include <string>
#include <string_view>

namespace offhub::domain {

std::string Base64Encode(std::string_view bytes);
// nullopt for characters outside the alphabet or a bad length/padding.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace offhub::domain
