#pragma once
// Registering the fleet's devices on the hub, service side, before they
// connect: each device is read (GET /devices/{id}) and created when it is
// missing (404001 DeviceNotFound -> PUT /devices/{id}; a 409001 from a
// racing creator is read again), so its SAS key is known.
// https://learn.microsoft.com/rest/api/iothub/service/devices

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "apps/lib/hub_switch.hpp"
#include "apps/offhub_fleet/fleet_device.hpp"
#include "domain/result.hpp"

namespace offhub::fleet {

struct Registration {
  std::vector<DeviceIdentity> devices;  // in the order of the ids asked for
  std::size_t existing = 0;
  std::size_t created = 0;
  std::chrono::duration<double> took{};
};

struct RegistrationProgress {
  std::size_t done = 0;
  std::size_t created = 0;
  std::size_t total = 0;
};

// `concurrency` threads, each with its own connection to the hub (a
// blocking REST client per thread, hub_switch's ConnectServiceHub).
// `progress` runs on the calling thread about every second and once at the
// end. Fails with the first error (e.g. 401 IotHubUnauthorizedAccess, a
// device using X.509 rather than SAS keys); the other threads then stop.
domain::Result<Registration> RegisterDevices(const apps::ServiceSettings& hub, const std::vector<std::string>& ids,
                                             int concurrency,
                                             const std::function<void(const RegistrationProgress&)>& progress);

}  // namespace offhub::fleet
