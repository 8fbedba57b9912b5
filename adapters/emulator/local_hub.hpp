#pragma once
// LocalHub: IoT Hub in process. Registry and twins, queries, direct methods
// and the job engine, on one event loop, driven by the Clock port (so tests
// run a job scheduled for tomorrow in microseconds) and reaching devices
// through the DeviceChannel port.
//
// Threading: every HubService call, and every clock/channel callback, on the
// event loop that drives `clock` and `channel`. The hub registers itself as
// the channel's presence listener; clock, channel and store must outlive it.

#include <cstddef>
#include <memory>

#include "ports/clock.hpp"
#include "ports/device_channel.hpp"
#include "ports/hub_service.hpp"
#include "ports/state_store.hpp"

namespace offhub::emulator {

struct LocalHubOptions {
  // Device operations of one job in flight at once (method calls awaiting answers).
  std::size_t max_in_flight_per_job = 256;
};

// Loads the store's state and resumes its jobs. Fails only if the store cannot load.
domain::Result<std::unique_ptr<ports::HubService>> MakeLocalHub(ports::Clock& clock, ports::DeviceChannel& channel,
                                                                ports::StateStore& store,
                                                                LocalHubOptions options = {});

}  // namespace offhub::emulator
