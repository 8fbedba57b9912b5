#pragma once
// The faults of control/device_faults.hpp, applied between the hub core and
// its device channel: the hub sees a DeviceChannel and the channel a
// DeviceRequestHandler, each forwarding to the real one except where an
// identity's faults say otherwise.
//
// - Method calls: "drop" takes the call and never answers (the hub's response
//   timeout ends it); "status" answers for the device after "latencyMs";
//   "latencyMs" alone delivers the call that much hub time later (if the
//   device is gone by then, the call waits for the hub's timeout). Faults
//   apply to calls the hub sends, i.e. to identities connected and
//   subscribed to methods; an offline device still gets DeviceNotOnline.
//   Answers go out from the clock's timers, never from inside SendMethod.
// - Desired notifications of an identity with "desired":"drop" are not sent.
// - Reported patches of an identity with a "reported" fault are answered with
//   its error and not stored; twin GETs and telemetry always pass.
// - "connect":"refuse" and "disconnect" go to the channel's DeviceConnections.
// Faults are kept by identity key until cleared, replaced, reset, or the
// identity is deleted (Forget); they survive the device's reconnects, not an
// emulator restart.
//
// Threading: the hub's event loop, as the ports it stands between.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "adapters/emulator/control/device_faults.hpp"
#include "ports/clock.hpp"
#include "ports/device_channel.hpp"

namespace offhub::emulator {

using FaultMap = std::map<std::string, DeviceFaults, std::less<>>;  // by identity key

class FaultInjector final : public ports::DeviceChannel, public ports::DeviceRequestHandler {
 public:
  FaultInjector(ports::DeviceChannel& channel, ports::DeviceConnections& connections, ports::Clock& clock)
      : channel_(channel), connections_(connections), clock_(clock) {}
  ~FaultInjector() override;
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Where device requests go on (the hub). Set before the channel delivers any.
  void SetRequestHandler(ports::DeviceRequestHandler* handler) { handler_ = handler; }

  // The identity's faults become `request.faults` (empty: none); a
  // disconnect closes its live connection once.
  void Set(std::string_view key, const FaultRequest& request);
  void Forget(std::string_view key);  // no faults (a cleared fault set, a deleted identity)
  const DeviceFaults* Find(std::string_view key) const;
  const FaultMap& all() const { return faults_; }
  // Every identity's faults become `faults` (import, reset).
  void ReplaceAll(const FaultMap& faults);

  // Calls taken and not handed to the device: dropped, or waiting out their
  // latency. They await no device, so a manual clock need not wait for them.
  std::size_t held_calls() const { return held_.size(); }

  // ports::DeviceChannel
  bool SendMethod(const ports::MethodCall& call, std::function<void(domain::MethodResult)> on_answer) override;
  void ForgetMethod(std::uint64_t call_id) override;
  void SendDesired(std::string_view device_id, const domain::DesiredNotification& notification) override;
  void SetPresenceListener(ports::PresenceListener* listener) override { channel_.SetPresenceListener(listener); }

  // ports::DeviceRequestHandler
  domain::Result<nlohmann::json> OnTwinGet(std::string_view device_id) override;
  domain::Result<std::int64_t> OnReportedPatch(std::string_view device_id, const nlohmann::json& patch) override;
  void OnTelemetry(std::string_view device_id, std::string_view topic, std::string_view payload) override;

 private:
  struct Held {
    std::optional<ports::Clock::TimerId> timer;  // none: dropped
  };

  ports::DeviceChannel& channel_;
  ports::DeviceConnections& connections_;
  ports::Clock& clock_;
  ports::DeviceRequestHandler* handler_ = nullptr;
  FaultMap faults_;
  std::map<std::uint64_t, Held> held_;  // by call id
};

}  // namespace offhub::emulator
