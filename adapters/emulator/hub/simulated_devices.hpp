#pragma once
// Simulated devices behind the DeviceChannel port, in process: each answers
// methods with a scripted status, payload and latency, or never answers;
// devices can be offline, connect later, and record what the hub sent them.
// The embedded hub's device fleet (`--hub embedded`) and the tests' fakes.
// Answers come through the Clock, never from inside SendMethod.

#include <map>
#include <string>
#include <vector>

#include "ports/clock.hpp"
#include "ports/device_channel.hpp"

namespace offhub::emulator {

struct DeviceScript {
  int status = 200;
  nlohmann::json payload = nullptr;
  std::int64_t latency_ms = 10;
  bool never_answers = false;
};

struct SimulatedDevice {
  DeviceScript script;
  bool connected = false;
  bool methods_subscribed = false;
  std::vector<ports::MethodCall> calls;                       // method calls received
  std::vector<domain::DesiredNotification> desired_updates;  // notifications received
};

class SimulatedDevices final : public ports::DeviceChannel {
 public:
  explicit SimulatedDevices(ports::Clock& clock) : clock_(clock) {}

  // Registers a device's behaviour; it starts offline.
  SimulatedDevice& Script(const std::string& id, DeviceScript script = {}) {
    auto& d = devices_[id];
    d.script = std::move(script);
    return d;
  }
  // Connects and subscribes to methods, telling the hub both.
  void Connect(const std::string& id) {
    auto& d = devices_[id];
    d.connected = true;
    d.methods_subscribed = true;
    if (listener_) listener_->OnPresence(id, ports::Presence::kConnected);
    if (listener_) listener_->OnPresence(id, ports::Presence::kMethodsSubscribed);
  }
  void Disconnect(const std::string& id) {
    auto& d = devices_[id];
    d.connected = false;
    d.methods_subscribed = false;
    if (listener_) listener_->OnPresence(id, ports::Presence::kDisconnected);
  }
  void ConnectAt(const std::string& id, domain::UtcTime when) {
    clock_.CallAt(when, [this, id] { Connect(id); });
  }
  SimulatedDevice& device(const std::string& id) { return devices_[id]; }
  std::size_t pending_answers() const { return pending_.size(); }

  bool SendMethod(const ports::MethodCall& call, std::function<void(domain::MethodResult)> on_answer) override {
    const auto it = devices_.find(call.device_id);
    if (it == devices_.end() || !it->second.connected || !it->second.methods_subscribed) return false;
    auto& d = it->second;
    d.calls.push_back(call);
    pending_[call.call_id] = std::move(on_answer);
    if (d.script.never_answers) return true;
    const domain::MethodResult answer{d.script.status, d.script.payload};
    clock_.CallAt(clock_.Now().PlusMillis(d.script.latency_ms), [this, id = call.call_id, answer] {
      const auto p = pending_.find(id);
      if (p == pending_.end()) return;  // the hub stopped waiting
      auto done = std::move(p->second);
      pending_.erase(p);
      done(answer);
    });
    return true;
  }

  void ForgetMethod(std::uint64_t call_id) override { pending_.erase(call_id); }

  void SendDesired(std::string_view device_id, const domain::DesiredNotification& n) override {
    const auto it = devices_.find(std::string(device_id));
    if (it != devices_.end() && it->second.connected) it->second.desired_updates.push_back(n);
  }

  void SetPresenceListener(ports::PresenceListener* listener) override { listener_ = listener; }

 private:
  ports::Clock& clock_;
  ports::PresenceListener* listener_ = nullptr;
  std::map<std::string, SimulatedDevice> devices_;
  std::map<std::uint64_t, std::function<void(domain::MethodResult)>> pending_;
};

}  // namespace offhub::emulator
