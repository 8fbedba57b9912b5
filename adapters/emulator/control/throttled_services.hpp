#pragma once
// The service ports as IoT Hub throttles them for a tier (offhub-emulator
// --tier, domain/tier_limits.hpp): each call first takes its throttle's
// token on the hub's clock, and past the burst allowance is answered 429
// ThrottlingException (429001) without reaching the hub. Twin reads and
// updates, direct methods, queries, identity registry operations and job
// operations are metered; statistics are not. A job's own device operations
// and active-job count are the job engine's (LocalHubOptions).
//
// Threading: the hub's event loop, as the ports it wraps.

#include <memory>

#include "domain/tier_limits.hpp"
#include "ports/clock.hpp"
#include "ports/hub_services.hpp"

namespace offhub::emulator {

class ThrottledServices {
 public:
  virtual ~ThrottledServices() = default;
  // The throttled bundle; valid while this object lives.
  virtual ports::HubServices services() = 0;
};

std::unique_ptr<ThrottledServices> MakeThrottledServices(ports::HubServices inner, const domain::TierLimits& limits,
                                                         ports::Clock& clock);

}  // namespace offhub::emulator
