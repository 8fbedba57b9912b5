#pragma once
// The service SAS token the REST adapter sends, made from the service
// connection string and cached: a new one (se = ceil(now) + ttl, as Node
// computes it) once the cached one has less than `renew_before` left.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/iothub/connection_string.hpp"
#include "domain/result.hpp"

namespace offhub::azure {

class ServiceTokenSource {
 public:
  using Now = std::function<std::chrono::system_clock::time_point()>;

  ServiceTokenSource(iothub::ServiceConnectionString connection, std::chrono::seconds ttl, std::chrono::seconds renew_before,
                     Now now = &std::chrono::system_clock::now);

  // Thread-safe.
  domain::Result<std::string> Token();

 private:
  iothub::ServiceConnectionString connection_;
  std::chrono::seconds ttl_;
  std::chrono::seconds renew_before_;
  Now now_;
  std::mutex mutex_;
  std::optional<std::string> token_;
  std::int64_t expiry_ = 0;
};

}  // namespace offhub::azure
