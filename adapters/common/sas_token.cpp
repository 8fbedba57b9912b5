#include "adapters/common/sas_token.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "domain/base64.hpp"

namespace offhub::common {
namespace {

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace

std::string EncodeUriComponentStrict(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (const char ch : text) {
    if (IsUnreserved(ch)) {
      out += ch;
      continue;
    }
    const auto c = static_cast<unsigned char>(ch);
    // Node escapes ! ' ( ) * itself with charCode.toString(16): lowercase hex
    // ("%2a"); encodeURIComponent writes uppercase for everything else.
    const bool node_extra = ch == '!' || ch == '\'' || ch == '(' || ch == ')' || ch == '*';
    const char* hex = node_extra ? "0123456789abcdef" : kHex;
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

domain::Result<std::string> SasSignature(std::string_view signed_resource, std::string_view expiry,
                                         std::string_view base64_key) {
  const auto key = domain::Base64Decode(base64_key);
  if (!key || key->empty()) return domain::Error::ArgumentInvalid("The shared access key is not base64");
  return domain::Base64Encode(HmacSha256(*key, std::string(signed_resource) + "\n" + std::string(expiry)));
}

domain::Result<std::string> MakeSasToken(std::string_view resource_uri, std::string_view base64_key,
                                         std::int64_t expiry_seconds, std::optional<std::string_view> policy_name) {
  const std::string sr = EncodeUriComponentStrict(resource_uri);
  const std::string se = std::to_string(expiry_seconds);
  const auto sig = SasSignature(sr, se, base64_key);
  if (!sig) return sig.error();
  std::string token = "SharedAccessSignature sr=" + sr + "&sig=" + EncodeUriComponentStrict(*sig);
  if (policy_name) token += "&skn=" + EncodeUriComponentStrict(*policy_name);
  token += "&se=" + se;
  return token;
}

}  // namespace offhub::common
