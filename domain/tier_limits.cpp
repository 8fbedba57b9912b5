#include "domain/tier_limits.hpp"

#include <algorithm>
#include <cmath>

namespace offhub::domain {
namespace {

Throttle PerSecond(double rate) { return {rate, std::max(rate, 1.0)}; }
Throttle PerMinute(double rate) { return {rate / 60.0, std::max(rate, 1.0)}; }

}  // namespace

std::optional<TierLimits> TierLimitsFor(std::string_view tier, int units) {
  const bool s3 = tier == "S3";
  const bool s2 = tier == "S2";
  const bool basic = tier == "F1" || tier == "S1";
  if (!basic && !s2 && !s3) return std::nullopt;
  const int max_units = tier == "F1" ? 1 : s3 ? 10 : 200;
  if (units < 1 || units > max_units) return std::nullopt;
  const double u = units;
  TierLimits limits;
  limits.tier = std::string(tier);
  limits.units = units;
  limits.max_active_jobs = s3 ? 10 : s2 ? 5 : 1;
  limits.job_device_operations_per_second = s3 ? 50 * u : s2 ? std::max(10.0, u) : 10;
  limits.registry_operations = PerMinute((s3 ? 5000 : 100) * u);
  limits.twin_reads = PerSecond(s3 ? 500 * u : s2 ? std::max(100.0, 10 * u) : 100);
  limits.twin_updates = PerSecond(s3 ? 250 * u : s2 ? std::max(50.0, 5 * u) : 50);
  limits.queries = PerMinute((s3 ? 1000 : 20) * u);
  limits.job_operations = PerMinute((s3 ? 5000 : 100) * u);
  limits.direct_method_kb = PerSecond((s3 ? 24 * 1024 : s2 ? 480 : 160) * u);
  return limits;
}

void TokenBucket::Refill(UtcTime now) {
  if (refilled_ && now > *refilled_) {
    const double seconds = static_cast<double>(now.ticks - refilled_->ticks) / 1e7;
    tokens_ = std::min(throttle_.burst, tokens_ + seconds * throttle_.per_second);
  }
  if (!refilled_ || now > *refilled_) refilled_ = now;
}

bool TokenBucket::Take(UtcTime now, double cost) {
  Refill(now);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  return true;
}

UtcTime TokenBucket::ReadyAt(UtcTime now, double cost) {
  Refill(now);
  if (tokens_ >= cost || throttle_.per_second <= 0) return now;
  const double seconds = (cost - tokens_) / throttle_.per_second;
  return now.PlusMillis(static_cast<std::int64_t>(std::ceil(seconds * 1000)));
}

}  // namespace offhub::domain
