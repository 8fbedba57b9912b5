#pragma once
// Checks the SAS token of a service request against the hub's shared access
// policies, as IoT Hub does: https://learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas
//
// - Token: `SharedAccessSignature sr=..&sig=..&se=..&skn=..`, parsed and its
//   signature checked by adapters/iothub/sas_token (fields in any order).
// - The HMAC-SHA256 is computed over `sr` exactly as it appears in the token
//   (still percent-encoded) + "\n" + se, with the policy's primary or
//   secondary key (base64-decoded).
// - `sr` is the resource the token grants, as IoT Hub documents: the host name
//   grants the whole hub; `{host}/devices/dev1` grants what lies under
//   `devices/dev1` (prefix match per path segment, case-insensitive, after
//   percent-decoding). The router names each request's resource path; a
//   device's twin and methods (`/twins/dev1...`) count as under `devices/dev1`
//   (offhub's choice: they are that device's endpoints).
// - Expired (se <= now) is refused; so is a policy without the permission.
// Every refusal is 401 IotHubUnauthorizedAccess.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"

namespace offhub::emulator::rest {

enum Permission : std::uint8_t {
  kRegistryRead = 1,
  kRegistryWrite = 2,
  kServiceConnect = 4,
  kDeviceConnect = 8,
};

struct AccessPolicy {
  std::string name;
  std::string primary_key;  // base64
  std::string secondary_key;
  std::uint8_t permissions = 0;
};

// The well-known local policies (fixed keys, documented in the README).
std::vector<AccessPolicy> WellKnownPolicies();

class SasAuthorizer {
 public:
  SasAuthorizer(std::string host_name, std::vector<AccessPolicy> policies)
      : host_name_(std::move(host_name)), policies_(std::move(policies)) {}

  // `now_seconds`: Unix time. `needed`: the permission bits the request needs
  // (any one suffices). `resource`: the request's path under the hub, without
  // a leading '/' ("devices/dev1/modules/m1", "jobs/v2/j1").
  domain::Status Check(std::string_view authorization, std::int64_t now_seconds, std::uint8_t needed,
                       std::string_view resource) const;

  const std::vector<AccessPolicy>& policies() const { return policies_; }

 private:
  std::string host_name_;
  std::vector<AccessPolicy> policies_;
};

}  // namespace offhub::emulator::rest
