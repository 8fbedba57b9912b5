#include "adapters/azure/service_token.hpp"

#include "adapters/iothub/sas_token.hpp"

namespace offhub::azure {

ServiceTokenSource::ServiceTokenSource(iothub::ServiceConnectionString connection, std::chrono::seconds ttl,
                                       std::chrono::seconds renew_before, Now now)
    : connection_(std::move(connection)), ttl_(ttl), renew_before_(renew_before), now_(std::move(now)) {}

domain::Result<std::string> ServiceTokenSource::Token() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  const auto now_seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (token_ && now_seconds + renew_before_.count() < expiry_) return *token_;
  const auto expiry = iothub::ServiceTokenExpiry(now, ttl_);
  auto token = iothub::MakeServiceSasToken(connection_.host_name, connection_.key_name, connection_.key, expiry);
  if (!token) return token.error();
  token_ = *token;
  expiry_ = expiry;
  return token;
}

}  // namespace offhub::azure
