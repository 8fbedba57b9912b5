#include "device_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace offhub::broker {
namespace {

constexpr std::string_view kSasPrefix = "SharedAccessSignature ";
constexpr std::size_t kMaxSeDigits = 18;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Stores `value` into `slot` unless it is empty or the slot is taken.
bool Assign(std::optional<std::string>& slot, std::string_view value) {
  if (slot || value.empty()) return false;
  slot = std::string(value);
  return true;
}

std::optional<std::int64_t> ParseSeconds(std::string_view text) {
  if (text.empty() || text.size() > kMaxSeDigits) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

bool SignatureMatches(std::string_view key, std::string_view signed_text, std::string_view expected) {
  if (key.empty()) return false;
  const std::string actual = HmacSha256(key, signed_text);
  return actual.size() == expected.size() && CRYPTO_memcmp(actual.data(), expected.data(), actual.size()) == 0;
}

}  // namespace

std::optional<DeviceUsername> ParseDeviceUsername(std::string_view username) {
  const auto query_start = username.find("/?");
  if (query_start == std::string_view::npos) return std::nullopt;
  // "{host}/{deviceId}" or "{host}/{deviceId}/{moduleId}" before "/?".
  const std::string_view path = username.substr(0, query_start);
  const auto host_end = path.find('/');
  if (host_end == std::string_view::npos || host_end == 0) return std::nullopt;
  const std::string_view ids = path.substr(host_end + 1);
  const auto id_end = ids.find('/');
  const std::string_view device_id = ids.substr(0, id_end);
  const std::string_view module_id = id_end == std::string_view::npos ? std::string_view{} : ids.substr(id_end + 1);
  if (device_id.empty() || (id_end != std::string_view::npos && module_id.empty())) return std::nullopt;
  if (module_id.find('/') != std::string_view::npos) return std::nullopt;
  std::string_view query = username.substr(query_start + 2);
  DeviceUsername out{std::string(path.substr(0, host_end)), std::string(device_id), std::string(module_id), {}};
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.starts_with("api-version=")) out.api_version = std::string(pair.substr(12));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  if (out.api_version.empty()) return std::nullopt;
  return out;
}

std::optional<SasFields> ParseSasToken(std::string_view password) {
  if (!password.starts_with(kSasPrefix)) return std::nullopt;
  std::string_view rest = password.substr(kSasPrefix.size());
  std::optional<std::string> sr, sig, se, skn;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view name = pair.substr(0, eq), value = pair.substr(eq + 1);
    bool ok = true;  // unknown fields are ignored, as IoT Hub's parsers do
    if (name == "sr") ok = Assign(sr, value);
    if (name == "sig") ok = Assign(sig, value);
    if (name == "se") ok = Assign(se, value);
    if (name == "skn") ok = Assign(skn, value);
    if (!ok) return std::nullopt;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  if (!sr || !sig || !se) return std::nullopt;
  return SasFields{std::move(*sr), std::move(*sig), std::move(*se), std::move(skn)};
}

std::optional<std::int64_t> TokenExpiry(const SasFields& token) { return ParseSeconds(token.se); }

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  const std::size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  for (std::size_t i = 0; i + pad < text.size(); ++i) {
    if (!IsBase64Char(text[i])) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string_view AuthResultName(AuthResult result) {
  switch (result) {
    case AuthResult::kAccepted: return "accepted";
    case AuthResult::kMalformed: return "malformed credentials";
    case AuthResult::kWrongClientId: return "client id is not the device id";
    case AuthResult::kUnknownDevice: return "unknown device";
    case AuthResult::kDisabled: return "device disabled";
    case AuthResult::kPolicyNotSupported: return "policy-signed device tokens are not supported";
    case AuthResult::kWrongResource: return "token is for another resource";
    case AuthResult::kExpired: return "token expired";
    case AuthResult::kBadSignature: return "bad signature";
  }
  return "unknown";
}

AuthResult VerifyDeviceToken(const SasFields& token, std::string_view host, std::string_view client_id,
                             const DeviceKeys& keys, std::int64_t now_seconds) {
  if (token.skn) return AuthResult::kPolicyNotSupported;
  const auto resource = PercentDecode(token.sr);
  if (!resource) return AuthResult::kMalformed;
  const auto slash = client_id.find('/');
  std::string expected_tail = "/devices/" + std::string(client_id.substr(0, slash));
  if (slash != std::string_view::npos) expected_tail += "/modules/" + std::string(client_id.substr(slash + 1));
  if (!resource->ends_with(expected_tail) ||
      !EqualsIgnoreCase(std::string_view(*resource).substr(0, resource->size() - expected_tail.size()), host)) {
    return AuthResult::kWrongResource;
  }
  const auto expiry = TokenExpiry(token);
  if (!expiry) return AuthResult::kMalformed;
  if (*expiry <= now_seconds) return AuthResult::kExpired;
  const auto sig_text = PercentDecode(token.sig);
  if (!sig_text) return AuthResult::kMalformed;
  const auto signature = DecodeBase64(*sig_text);
  if (!signature) return AuthResult::kMalformed;
  const std::string signed_text = token.sr + "\n" + token.se;
  if (SignatureMatches(keys.primary, signed_text, *signature)) return AuthResult::kAccepted;
  if (SignatureMatches(keys.secondary, signed_text, *signature)) return AuthResult::kAccepted;
  return AuthResult::kBadSignature;
}

}  // namespace offhub::broker
