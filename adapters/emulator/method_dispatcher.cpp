#include "adapters/emulator/method_dispatcher.hpp"

#include <memory>

namespace offhub::emulator {

domain::Error DeviceNotOnlineError() {
  return {domain::ErrorCode::DeviceNotOnline, "Timed out waiting for device to connect."};
}

domain::Error ResponseTimeoutError() {
  return {domain::ErrorCode::GatewayTimeout, "Timed out waiting for the response from device."};
}

bool MethodDispatcher::Send(const std::string& device_id, const domain::MethodRequest& request, Done done) {
  const ports::MethodCall call{++next_call_id_, device_id, request.method_name, request.payload};
  // Shared between the answer and the timeout: whichever comes first wins.
  auto pending = std::make_shared<Done>(std::move(done));
  auto timer = std::make_shared<ports::Clock::TimerId>(0);
  const bool sent = state_.channel.SendMethod(call, [this, pending, timer](ports::MethodAnswer answer) {
    if (!*pending) return;
    state_.clock.Cancel(*timer);
    auto finish = std::move(*pending);
    *pending = nullptr;
    finish(domain::MethodResult{answer.status, std::move(answer.payload)});
  });
  if (!sent) return false;
  *timer = state_.clock.CallAfterSeconds(request.response_timeout_seconds, [this, pending, id = call.call_id] {
    if (!*pending) return;
    state_.channel.ForgetMethod(id);
    auto finish = std::move(*pending);
    *pending = nullptr;
    finish(ResponseTimeoutError());
  });
  return true;
}

void MethodDispatcher::Invoke(const std::string& device_id, const domain::MethodRequest& request, Done done) {
  const DeviceEntry* entry = state_.FindDevice(device_id);
  if (!entry) return done(domain::Error::DeviceNotFound(device_id));
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
