#include "adapters/emulator/rest/sas_auth.hpp"

#include <algorithm>
#include <cctype>

#include "adapters/iothub/percent_encoding.hpp"
#include "adapters/iothub/sas_token.hpp"
#include "domain/base64.hpp"

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

domain::Status SasAuthorizer::Check(std::string_view authorization, std::int64_t now_seconds, std::uint8_t needed,
                                    std::string_view resource_path) const {
  constexpr std::string_view kPrefix = "SharedAccessSignature ";
  if (!authorization.starts_with(kPrefix)) return Unauthorized("the Authorization header is not a SharedAccessSignature");
  const auto token = iothub::ParseSasToken(authorization);
  if (!token) return Unauthorized("the token needs sr, sig and se once each, as name=value pairs");
  const auto expiry = iothub::TokenExpiry(*token);
  if (!expiry) return Unauthorized("se is not a number of seconds");
  if (*expiry <= now_seconds) return Unauthorized("the token has expired");
  const auto decoded = iothub::PercentDecode(token->sr);
  if (!decoded) return Unauthorized("sr is not percent-encoded text");
  const std::string_view resource = *decoded;
  if (!UnderPrefix(resource, host_name_)) return Unauthorized("the token is for another hub");
  std::string_view granted = resource.substr(host_name_.size());
  while (granted.starts_with('/')) granted.remove_prefix(1);
  while (granted.ends_with('/')) granted.remove_suffix(1);
  if (!UnderPrefix(resource_path, granted)) return Unauthorized("the token's resource (sr) does not cover this request");
  const std::string key_name = token->skn.value_or("");
  const auto policy =
      std::find_if(policies_.begin(), policies_.end(), [&](const AccessPolicy& p) { return p.name == key_name; });
  if (policy == policies_.end()) return Unauthorized("unknown shared access policy '" + key_name + "'");
  const auto signed_with = [&](const std::string& base64_key) {
    const auto key = domain::Base64Decode(base64_key);
    return key && iothub::SignatureMatches(*token, *key);
  };
  const bool signed_ok = signed_with(policy->primary_key) || signed_with(policy->secondary_key);
  if (!signed_ok) return Unauthorized("the signature does not match");
  if ((policy->permissions & needed) == 0) return Unauthorized("the policy lacks the permission for this operation");
  return domain::Success();
}

}  // namespace offhub::emulator::rest
