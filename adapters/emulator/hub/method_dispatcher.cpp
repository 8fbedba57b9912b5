#include "adapters/emulator/hub/method_dispatcher.hpp"

#include <vector>

namespace offhub::emulator {

using domain::DeviceNotOnlineError;
using domain::ResponseTimeoutError;

MethodDispatcher::~MethodDispatcher() {
  for (const auto& [id, call] : calls_) {
    if (call.timer) clock_.Cancel(*call.timer);
    if (call.sent) channel_.ForgetMethod(id);
  }
}

void MethodDispatcher::InvokeMethod(const ports::Identity& identity, const domain::MethodRequest& request, Done done) {
  Place(identity.key(), request, request.connect_timeout_seconds, nullptr, std::move(done));
}

MethodDispatcher::Placed MethodDispatcher::Place(std::string key, const domain::MethodRequest& request,
                                                 std::optional<std::int64_t> connect_timeout_seconds,
                                                 std::function<void()> on_sent, Done done) {
  if (!registry_.Exists(key)) {
    done(registry_.NotFound(key));
    return {};
  }
  const CallId id = ++next_id_;
  Call& call = calls_.emplace(id, Call{std::move(key), request, std::move(on_sent), std::move(done), {}, false})
                   .first->second;
  if (registry_.ReachableForMethods(call.key) && Send(id, call)) return {id, true};
  if (connect_timeout_seconds && *connect_timeout_seconds <= 0) {
    Done finish = std::move(call.done);
    calls_.erase(id);
    finish(DeviceNotOnlineError());
    return {};
  }
  waiting_.emplace(call.key, id);
  if (connect_timeout_seconds) {
    call.timer = clock_.CallAfterSeconds(*connect_timeout_seconds, [this, id] { Finish(id, DeviceNotOnlineError()); });
  }
  return {id, false};
}

bool MethodDispatcher::Send(CallId id, Call& call) {
  const ports::MethodCall message{id, call.key, call.request.method_name, call.request.payload};
  if (!channel_.SendMethod(message, [this, id](domain::MethodResult answer) { Finish(id, std::move(answer)); })) {
    return false;
  }
  call.sent = true;
  call.timer = clock_.CallAfterSeconds(call.request.response_timeout_seconds, [this, id] {
    channel_.ForgetMethod(id);
    Finish(id, ResponseTimeoutError());
  });
  return true;
}

void MethodDispatcher::Finish(CallId id, domain::Result<domain::MethodResult> result) {
  const auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Done done = std::move(it->second.done);
  Remove(it);
  done(std::move(result));
}

void MethodDispatcher::Cancel(CallId id) {
  const auto it = calls_.find(id);
  if (it == calls_.end()) return;
  if (it->second.sent) channel_.ForgetMethod(id);
  Remove(it);
}

void MethodDispatcher::Remove(std::map<CallId, Call>::iterator it) {
  Call& call = it->second;
  if (call.timer) clock_.Cancel(*call.timer);
  if (!call.sent) {
    auto [first, last] = waiting_.equal_range(call.key);
    for (; first != last; ++first) {
      if (first->second == it->first) {
        waiting_.erase(first);
        break;
      }
    }
  }
  calls_.erase(it);
}

void MethodDispatcher::EndCallsOfRemoved() {
  std::vector<CallId> gone;
  for (const auto& [id, call] : calls_) {
    if (!registry_.Exists(call.key)) gone.push_back(id);
  }
  for (const CallId id : gone) {
    const auto it = calls_.find(id);
    if (it == calls_.end()) continue;  // a `done` that ran ended it too
    if (it->second.sent) channel_.ForgetMethod(id);
    Finish(id, registry_.NotFound(it->second.key));
  }
}

void MethodDispatcher::OnDeviceReachable(std::string_view key) {
  auto [first, last] = waiting_.equal_range(key);
  std::vector<CallId> ready;
  for (auto it = first; it != last; ++it) ready.push_back(it->second);
  waiting_.erase(first, last);
  for (const CallId id : ready) {
    const auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    Call& call = it->second;
    const auto connect_timer = call.timer;
    if (!Send(id, call)) {
      waiting_.emplace(call.key, id);  // the channel cannot deliver yet: it waits on
      continue;
    }
    if (connect_timer) clock_.Cancel(*connect_timer);
    if (call.on_sent) call.on_sent();
  }
}

}  // namespace offhub::emulator
