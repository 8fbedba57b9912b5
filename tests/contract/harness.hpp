#pragma once
// What the service ports' contract suites need from a hub under test, so the same
// cases run against LocalHub in process and against the Azure REST adapter
// talking to the emulator's REST front. Every harness runs the hub on a
// manual clock (tests/fakes) with fake devices; only the harness touches
// them, on whatever thread the hub lives on.

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/method_result.hpp"
#include "ports/hub_services.hpp"
#include "adapters/emulator/hub/simulated_devices.hpp"

namespace offhub::contract {

class Harness {
 public:
  virtual ~Harness() = default;

  // The service ports under test, called from the test thread.
  virtual ports::HubServices services() = 0;
  // Fake devices are named by identity key: "dev" or "dev/module".
  // Scripts the fake device `id` (already registered) and connects it.
  virtual void ConnectFakeDevice(const std::string& id, emulator::DeviceScript script = {}) = 0;
  // Method calls the fake device `id` has received.
  virtual std::size_t CallsReceived(const std::string& id) = 0;
  // Moves the hub's clock on, running whatever falls due.
  virtual void Advance(std::int64_t seconds) = 0;
  virtual domain::UtcTime Now() = 0;
  // InvokeMethod as a client calls it, for a device or "dev/module";
  // returns what `done` received. The
  // hub's clock moves on while the call waits, so scripted latencies and
  // timeouts elapse (in-process: by steps of 100 ms; REST: see the harness).
  virtual domain::Result<domain::MethodResult> Invoke(std::string_view device_id,
                                                      const domain::MethodRequest& request) = 0;
};

// The identity a fake device's key names: "dev" or "dev/module".
inline offhub::ports::Identity IdentityOf(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return offhub::ports::Identity::Device(key);
  return offhub::ports::Identity::Module(key.substr(0, slash), key.substr(slash + 1));
}

}  // namespace offhub::contract
