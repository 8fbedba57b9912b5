#include "adapters/emulator/rest/sas_auth.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "adapters/common/sas_token.hpp"

namespace offhub::emulator::rest {
namespace {

domain::Error Unauthorized(std::string why) {
  return {domain::ErrorCode::IotHubUnauthorizedAccess, "Unauthorized: " + std::move(why)};
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Constant-time comparison: the signature is a secret until it matches.
bool SameSignature(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// True when `granted` is `prefix` itself or a path under it, per segment, ignoring case.
bool UnderPrefix(std::string_view path, std::string_view prefix) {
  if (path.size() < prefix.size() || !EqualsIgnoreCase(path.substr(0, prefix.size()), prefix)) return false;
  return path.size() == prefix.size() || prefix.empty() || path[prefix.size()] == '/';
}

}  // namespace

std::vector<AccessPolicy> WellKnownPolicies() {
  // Fixed, public keys for local use only (like Azurite's well-known account).
  return {
      {"iothubowner", "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDE=", "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDI=",
       kRegistryRead | kRegistryWrite | kServiceConnect | kDeviceConnect},
      {"service", "b2ZmaHViLWxvY2FsLXNlcnZpY2UtcG9saWN5LWtleTE=", "b2ZmaHViLWxvY2FsLXNlcnZpY2UtcG9saWN5LWtleTI=",
       kServiceConnect},
      {"device", "b2ZmaHViLWxvY2FsLWRldmljZS1wb2xpY3kta2V5LTE=", "b2ZmaHViLWxvY2FsLWRldmljZS1wb2xpY3kta2V5LTI=",
       kDeviceConnect},
      {"registryRead", "b2ZmaHViLWxvY2FsLXJlZ2lzdHJ5cmVhZC1rZXktMDE=", "b2ZmaHViLWxvY2FsLXJlZ2lzdHJ5cmVhZC1rZXktMDI=",
       kRegistryRead},
      {"registryReadWrite", "b2ZmaHViLWxvY2FsLXJlZ2lzdHJ5cnctcG9saWN5LTE=",
       "b2ZmaHViLWxvY2FsLXJlZ2lzdHJ5cnctcG9saWN5LTI=", kRegistryRead | kRegistryWrite},
  };
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    int value = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr == text.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

domain::Result<SasToken> ParseSasToken(std::string_view header) {
  constexpr std::string_view kPrefix = "SharedAccessSignature ";
  if (!header.starts_with(kPrefix)) return Unauthorized("the Authorization header is not a SharedAccessSignature");
  header.remove_prefix(kPrefix.size());
  SasToken token;
  while (!header.empty()) {
    const auto amp = header.find('&');
    const auto field = header.substr(0, amp);
    header = amp == std::string_view::npos ? std::string_view{} : header.substr(amp + 1);
    const auto eq = field.find('=');
    if (eq == std::string_view::npos) continue;
    const auto name = field.substr(0, eq);
    const auto value = field.substr(eq + 1);
    if (name == "sr") token.resource = std::string(value);
    if (name == "sig") token.signature = PercentDecode(value);
    if (name == "se") token.expiry = std::string(value);
    if (name == "skn") token.key_name = std::string(value);
  }
  if (token.resource.empty() || token.signature.empty() || token.expiry.empty()) {
    return Unauthorized("the token lacks sr, sig or se");
  }
  return token;
}

std::string SasSignature(std::string_view resource, std::string_view expiry, std::string_view base64_key) {
  auto signature = common::SasSignature(resource, expiry, base64_key);
  return signature ? *signature : std::string();
}

domain::Status SasAuthorizer::Check(std::string_view authorization, std::int64_t now_seconds, std::uint8_t needed,
                                    std::string_view resource_path) const {
  auto token = ParseSasToken(authorization);
  if (!token) return token.error();
  std::int64_t expiry = 0;
  const auto* end = token->expiry.data() + token->expiry.size();
  if (std::from_chars(token->expiry.data(), end, expiry).ptr != end) return Unauthorized("se is not a number");
  if (expiry <= now_seconds) return Unauthorized("the token has expired");
  const std::string decoded = PercentDecode(token->resource);
  const std::string_view resource = decoded;
  if (!UnderPrefix(resource, host_name_)) return Unauthorized("the token is for another hub");
  std::string_view granted = resource.substr(host_name_.size());
  while (granted.starts_with('/')) granted.remove_prefix(1);
  while (granted.ends_with('/')) granted.remove_suffix(1);
  if (!UnderPrefix(resource_path, granted)) return Unauthorized("the token's resource (sr) does not cover this request");
  const auto policy = std::find_if(policies_.begin(), policies_.end(),
                                   [&](const AccessPolicy& p) { return p.name == token->key_name; });
  if (policy == policies_.end()) return Unauthorized("unknown shared access policy '" + token->key_name + "'");
  const bool signed_ok = SameSignature(token->signature, SasSignature(token->resource, token->expiry, policy->primary_key)) ||
                         SameSignature(token->signature, SasSignature(token->resource, token->expiry, policy->secondary_key));
  if (!signed_ok) return Unauthorized("the signature does not match");
  if ((policy->permissions & needed) == 0) return Unauthorized("the policy lacks the permission for this operation");
  return domain::Success();
}

}  // namespace offhub::emulator::rest
