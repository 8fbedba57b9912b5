#pragma once
// IoT Hub's per-hub throttles and quotas for a pricing tier and unit count,
// as offhub-emulator --tier applies them, and the token bucket that meters
// one throttle on the hub's clock.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling
//
// The numbers (TierLimitsFor), from that page's tables (2023 revision), per
// hub; u = units:
//
//   throttle / quota                 F1, S1             S2                  S3
//   active jobs at once              1                  5                   10
//   job device operations            10/s               max(10/s, 1/s*u)    50/s*u
//   identity registry operations     100/min*u          100/min*u           5000/min*u
//   twin reads (service side)        100/s              max(100/s, 10/s*u)  500/s*u
//   twin updates (service side)      50/s               max(50/s, 5/s*u)    250/s*u
//   queries                          20/min*u           20/min*u            1000/min*u
//   jobs operations                  100/min*u          100/min*u           5000/min*u
//   direct methods (4 KB meter)      160 KB/s*u         480 KB/s*u          24 MB/s*u
//   units                            F1: 1; S1: 1-200   1-200               1-10
//
// Bursts: IoT Hub first accepts bursts above a throttle and shapes them; the
// emulator lets each throttle's bucket hold one period of its rate (a second
// for per-second throttles, a minute for per-minute ones) and answers beyond
// it 429 ThrottlingException (429001). The size of IoT Hub's own allowance is
// not published: this one is offhub's.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/time.hpp"

namespace offhub::domain {

struct Throttle {
  double per_second = 0;  // refill rate
  double burst = 0;       // what the bucket holds when full
};

struct TierLimits {
  std::string tier;  // F1 | S1 | S2 | S3
  int units = 1;
  std::size_t max_active_jobs = 1;         // queued, scheduled or running jobs at once
  double job_device_operations_per_second = 10;// devices a job reaches (method call or twin update), hub-wide
  Throttle registry_operations;            // identity create, get, list, update, delete
  Throttle twin_reads;                     // GET /twins (service side)
  Throttle twin_updates;                   // PATCH / PUT /twins (service side)
  Throttle queries;                        // POST /devices/query
  Throttle job_operations;                 // jobs create, get, cancel, list
  Throttle direct_method_kb;               // direct calls, metered in 4 KB blocks of request payload
};

inline constexpr std::size_t kDirectMethodMeterBytes = 4 * 1024;

// F1 (one unit only), S1 and S2 (1 to 200 units), S3 (1 to 10 units); nullopt otherwise.
std::optional<TierLimits> TierLimitsFor(std::string_view tier, int units);

// A token bucket on the hub's clock; starts full.
class TokenBucket {
 public:
  explicit TokenBucket(Throttle throttle) : throttle_(throttle), tokens_(throttle.burst) {}
  // Takes `cost` tokens if the bucket holds them at `now`.
  bool Take(UtcTime now, double cost = 1);
  // When `cost` tokens will be there (now, if they are).
  UtcTime ReadyAt(UtcTime now, double cost = 1);

 private:
  void Refill(UtcTime now);
  Throttle throttle_;
  double tokens_;
  std::optional<UtcTime> refilled_;
};

}  // namespace offhub::domain
