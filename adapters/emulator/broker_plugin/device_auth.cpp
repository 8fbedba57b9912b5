#include "device_auth.hpp"

#include "adapters/iothub/percent_encoding.hpp"
#include "domain/base64.hpp"

namespace offhub::broker {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
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
  const auto resource = iothub::PercentDecode(token.sr);
  if (!resource) return AuthResult::kMalformed;
  const auto slash = client_id.find('/');
  std::string expected_tail = "/devices/" + std::string(client_id.substr(0, slash));
  if (slash != std::string_view::npos) expected_tail += "/modules/" + std::string(client_id.substr(slash + 1));
  if (!resource->ends_with(expected_tail) ||
      !EqualsIgnoreCase(std::string_view(*resource).substr(0, resource->size() - expected_tail.size()), host)) {
    return AuthResult::kWrongResource;
  }
  const auto expiry = iothub::TokenExpiry(token);
  if (!expiry) return AuthResult::kMalformed;
  if (*expiry <= now_seconds) return AuthResult::kExpired;
  const auto sig_text = iothub::PercentDecode(token.sig);
  if (!sig_text || !domain::Base64Decode(*sig_text)) return AuthResult::kMalformed;
  if (iothub::SignatureMatches(token, keys.primary)) return AuthResult::kAccepted;
  if (iothub::SignatureMatches(token, keys.secondary)) return AuthResult::kAccepted;
  return AuthResult::kBadSignature;
}

}  // namespace offhub::broker
