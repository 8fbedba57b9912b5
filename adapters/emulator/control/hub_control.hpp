#pragma once
// The ControlService of a running emulator: the hub's state through
// LocalHub::ReplaceState/ExportState, its clock through SteerableClock, the
// identities' faults through the FaultInjector between hub and channel.
// `seed` is what Reset returns to (empty: an empty hub); it is kept as the
// state built at start, so keys the seed file left out are generated once
// and stay the same across resets. Threading: the hub's event loop.

#include <memory>
#include <random>

#include "adapters/asio/asio_clock.hpp"
#include "adapters/emulator/control/control_service.hpp"
#include "adapters/emulator/control/hub_state.hpp"
#include "adapters/emulator/hub/local_hub.hpp"

namespace offhub::emulator {

std::unique_ptr<ControlService> MakeHubControl(SteerableClock& clock, LocalHub& hub, FaultInjector& faults,
                                               HubDocument seed);

}  // namespace offhub::emulator
