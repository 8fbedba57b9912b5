#pragma once
// LocalHub: IoT Hub in process. Registry and twins, queries, direct methods
// and the job engine, on one event loop, driven by the Clock port (so tests
// run a job scheduled for tomorrow in microseconds) and reaching devices
// through the DeviceChannel port.
//
// Threading: every service-port call, and every clock/channel callback, on the
// event loop that drives `clock` and `channel`. The hub registers itself as
// the channel's presence listener; clock, channel and store must outlive it.

#include <cstddef>
#include <memory>
#include <optional>

#include "adapters/emulator/hub/hub_events.hpp"
#include "domain/tier_limits.hpp"
#include "ports/clock.hpp"
#include "ports/device_channel.hpp"
#include "ports/hub_services.hpp"
#include "ports/state_store.hpp"

namespace offhub::emulator {

// Told of every registry change, e.g. to hand device keys to the broker.
// Called on the hub's event loop, after the change is stored.
class RegistryObserver {
 public:
  virtual ~RegistryObserver() = default;
  virtual void OnDeviceChanged(const domain::Device& device) = 0;
  virtual void OnDeviceRemoved(std::string_view device_id) = 0;
};

struct LocalHubOptions {
  // Device operations of one job in flight at once (method calls awaiting answers).
  std::size_t max_in_flight_per_job = 256;
  // Optional; hears every device loaded at start, then every change.
  RegistryObserver* observer = nullptr;
  // Optional (--tier): the job engine's share of the tier's limits (active
  // jobs, job device operations per second). The service-call throttles are
  // the REST front's (control/throttled_services.hpp).
  std::optional<domain::TierLimits> tier = std::nullopt;
  // Optional: hears what happens (jobs, records, connections, twins, telemetry).
  HubEvents* events = nullptr;
};

// The five service ports (services() hands them out), plus the answers to
// what devices ask (twin GET, reported patches, telemetry), which a device
// channel forwards.
class LocalHub : public ports::Hub, public ports::DeviceRequestHandler {
 public:
  // Telemetry messages accepted since start.
  virtual std::uint64_t telemetry_count() const = 0;
  // The control plane's import, reset and seed: the store first (all or
  // nothing: on its error nothing changed), then memory. Jobs restart from
  // their records as after a restart; direct calls to identities that are
  // gone end 404; devices whose identity is gone are disconnected (by the
  // observer's removal).
  virtual domain::Status ReplaceState(ports::StoredState state) = 0;
  virtual ports::StoredState ExportState() const = 0;

  // Method calls sent to devices and not answered yet (a manual clock waits
  // for them before it moves on: the answer belongs to the instant the call
  // went out).
  virtual std::size_t awaiting_answers() const = 0;
};

// Loads the store's state and resumes its jobs. Fails only if the store cannot load.
domain::Result<std::unique_ptr<LocalHub>> MakeLocalHub(ports::Clock& clock, ports::DeviceChannel& channel,
                                                       ports::StateStore& store, LocalHubOptions options = {});
// The same with the state already loaded from `store` (the emulator reads it
// before its broker starts, so the broker starts with every device's keys).
std::unique_ptr<LocalHub> MakeLocalHub(ports::Clock& clock, ports::DeviceChannel& channel, ports::StateStore& store,
                                       ports::StoredState loaded, LocalHubOptions options = {});

}  // namespace offhub::emulator
