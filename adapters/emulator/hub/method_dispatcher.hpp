#pragma once
// Sends direct-method calls to devices and owns their timeouts: the response
// timeout of every call, and for direct calls the connect timeout (how long an
// offline device may take to connect and subscribe). Used by LocalHub's
// InvokeMethod and by the job engine.

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <string>

#include "adapters/emulator/hub/hub_state.hpp"
#include "domain/method_request.hpp"
#include "domain/method_result.hpp"
#include "domain/result.hpp"

namespace offhub::emulator {

class MethodDispatcher {
 public:
  using Done = std::function<void(domain::Result<domain::MethodResult>)>;

  explicit MethodDispatcher(HubState& state) : state_(state) {}
  // Stops every timer and tells the channel to forget calls in flight.
  ~MethodDispatcher();
  MethodDispatcher(const MethodDispatcher&) = delete;
  MethodDispatcher& operator=(const MethodDispatcher&) = delete;

  // `device_id` is an identity key (a device, or "{deviceId}/{moduleId}").
  // Sends now if the device is reachable; else waits up to the request's
  // connect timeout for it to subscribe (404103 DeviceNotOnline after that,
  // at once when the timeout is 0). Then 504101 GatewayTimeout if no answer
  // comes within the response timeout.
  void Invoke(const std::string& device_id, const domain::MethodRequest& request, Done done);

  // Sends to a reachable device (precondition) with the response timeout.
  // `done` runs once. Returns false, without calling `done`, if the channel
  // could not deliver after all.
  bool Send(const std::string& device_id, const domain::MethodRequest& request, Done done);

  // Presence: a device subscribed to methods; waiting direct calls go out.
  void OnDeviceReachable(const std::string& device_id);

 private:
  struct Waiter {
    std::string device_id;
    domain::MethodRequest request;
    Done done;
    ports::Clock::TimerId timer = 0;
  };

  struct InFlight {
    Done done;
    ports::Clock::TimerId timer = 0;
  };
  void Finish(std::uint64_t call_id, domain::Result<domain::MethodResult> result);

  HubState& state_;
  std::uint64_t next_call_id_ = 0;
  std::map<std::uint64_t, InFlight> in_flight_;
  std::list<Waiter> waiters_;
};


}  // namespace offhub::emulator
