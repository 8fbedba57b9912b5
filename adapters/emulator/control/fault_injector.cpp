#include "adapters/emulator/control/fault_injector.hpp"

#include <utility>

namespace offhub::emulator {

namespace {
domain::Error NoHandler() { return domain::Error(domain::ErrorCode::ServiceUnavailable, "The hub is not ready"); }
}  // namespace

FaultInjector::~FaultInjector() {
  for (const auto& [id, held] : held_) {
    if (held.timer) clock_.Cancel(*held.timer);
  }
}

void FaultInjector::Set(std::string_view key, const FaultRequest& request) {
  const auto it = faults_.find(key);
  const bool refused = it != faults_.end() && it->second.refuse_connect;
  if (request.faults.empty()) {
    if (it != faults_.end()) faults_.erase(it);
  } else {
    faults_.insert_or_assign(std::string(key), request.faults);
  }
  if (refused != request.faults.refuse_connect) connections_.SetConnectRefused(key, request.faults.refuse_connect);
  if (request.disconnect) connections_.Disconnect(key);
}

void FaultInjector::Forget(std::string_view key) { Set(key, FaultRequest{}); }

const DeviceFaults* FaultInjector::Find(std::string_view key) const {
  const auto it = faults_.find(key);
  return it == faults_.end() ? nullptr : &it->second;
}

void FaultInjector::ReplaceAll(const FaultMap& faults) {
  std::vector<std::string> gone;
  for (const auto& [key, f] : faults_) {
    if (!faults.contains(key)) gone.push_back(key);
  }
  for (const auto& key : gone) Forget(key);
  for (const auto& [key, f] : faults) Set(key, FaultRequest{f, false});
}

bool FaultInjector::SendMethod(const ports::MethodCall& call, std::function<void(domain::MethodResult)> on_answer) {
  const DeviceFaults* faults = Find(call.device_id);
  const MethodFault* fault = faults ? faults->ForMethod(call.method_name) : nullptr;
  if (!fault || (!fault->drop && !fault->status && fault->latency_ms == 0)) {
    return channel_.SendMethod(call, std::move(on_answer));
  }
  const std::uint64_t id = call.call_id;
  Held& held = held_[id];
  if (fault->drop) return true;  // held until the hub's timeout forgets it
  const auto when = clock_.Now().PlusMillis(fault->latency_ms);
  if (fault->status) {
    domain::MethodResult answer{*fault->status, fault->payload};
    held.timer = clock_.CallAt(when, [this, id, answer = std::move(answer), on_answer = std::move(on_answer)] {
      held_.erase(id);
      on_answer(answer);
    });
  } else {
    held.timer = clock_.CallAt(when, [this, id, call, on_answer = std::move(on_answer)]() mutable {
      held_.erase(id);
      // A device gone meanwhile: the call waits for the hub's response timeout.
      channel_.SendMethod(call, std::move(on_answer));
    });
  }
  return true;
}

void FaultInjector::ForgetMethod(std::uint64_t call_id) {
  if (const auto it = held_.find(call_id); it != held_.end()) {
    if (it->second.timer) clock_.Cancel(*it->second.timer);
    held_.erase(it);
    return;
  }
  channel_.ForgetMethod(call_id);
}

void FaultInjector::SendDesired(std::string_view device_id, const domain::DesiredNotification& notification) {
  if (const DeviceFaults* faults = Find(device_id); faults && faults->drop_desired) return;
  channel_.SendDesired(device_id, notification);
}

domain::Result<nlohmann::json> FaultInjector::OnTwinGet(std::string_view device_id) {
  if (!handler_) return NoHandler();
  return handler_->OnTwinGet(device_id);
}

domain::Result<std::int64_t> FaultInjector::OnReportedPatch(std::string_view device_id, const nlohmann::json& patch) {
  if (const DeviceFaults* faults = Find(device_id); faults && faults->reported_error) {
    return domain::Error(*faults->reported_error, "offhub fault: reported patches of this identity are refused");
  }
  if (!handler_) return NoHandler();
  return handler_->OnReportedPatch(device_id, patch);
}

void FaultInjector::OnTelemetry(std::string_view device_id, std::string_view topic, std::string_view payload) {
  if (handler_) handler_->OnTelemetry(device_id, topic, payload);
}

}  // namespace offhub::emulator
