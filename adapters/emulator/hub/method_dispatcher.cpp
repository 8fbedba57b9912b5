#include "adapters/emulator/hub/method_dispatcher.hpp"


namespace offhub::emulator {

using domain::DeviceNotOnlineError;
using domain::ResponseTimeoutError;

MethodDispatcher::~MethodDispatcher() {
  for (const auto& [call_id, call] : in_flight_) {
    state_.clock.Cancel(call.timer);
    state_.channel.ForgetMethod(call_id);
  }
  for (const auto& waiter : waiters_) state_.clock.Cancel(waiter.timer);
}

bool MethodDispatcher::Send(const std::string& device_id, const domain::MethodRequest& request, Done done) {
  const ports::MethodCall call{++next_call_id_, device_id, request.method_name, request.payload};
  const bool sent = state_.channel.SendMethod(call, [this, id = call.call_id](domain::MethodResult answer) {
    Finish(id, std::move(answer));
  });
  if (!sent) return false;
  const auto timer = state_.clock.CallAfterSeconds(request.response_timeout_seconds, [this, id = call.call_id] {
    state_.channel.ForgetMethod(id);
    Finish(id, ResponseTimeoutError());
  });
  in_flight_.emplace(call.call_id, InFlight{std::move(done), timer});
  return true;
}

// Whichever comes first, the answer or the timeout, finishes the call.
void MethodDispatcher::Finish(std::uint64_t call_id, domain::Result<domain::MethodResult> result) {
  const auto it = in_flight_.find(call_id);
  if (it == in_flight_.end()) return;
  state_.clock.Cancel(it->second.timer);
  Done done = std::move(it->second.done);
  in_flight_.erase(it);
  done(std::move(result));
}

void MethodDispatcher::Invoke(const std::string& device_id, const domain::MethodRequest& request, Done done) {
  const DeviceEntry* entry = state_.FindIdentity(device_id);
  if (!entry) return done(state_.IdentityNotFound(device_id));
  if (entry->ReachableForMethods()) {
    if (Send(device_id, request, done)) return;
  }
  if (request.connect_timeout_seconds == 0) return done(DeviceNotOnlineError());
  auto it = waiters_.insert(waiters_.end(), Waiter{device_id, request, std::move(done), 0});
  it->timer = state_.clock.CallAfterSeconds(request.connect_timeout_seconds, [this, it] {
    auto finish = std::move(it->done);
    waiters_.erase(it);
    finish(DeviceNotOnlineError());
  });
}

void MethodDispatcher::OnDeviceReachable(const std::string& device_id) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->device_id != device_id) {
      ++it;
      continue;
    }
    state_.clock.Cancel(it->timer);
    Waiter waiter = std::move(*it);
    it = waiters_.erase(it);
    if (!Send(waiter.device_id, waiter.request, waiter.done)) waiter.done(DeviceNotOnlineError());
  }
}

}  // namespace offhub::emulator
