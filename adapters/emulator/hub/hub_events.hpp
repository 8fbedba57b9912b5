#pragma once
// What the hub tells a watcher as it happens (the event feed behind
// GET /offhub/v1/events, events/event_feed.hpp): one call per event, on the
// hub's event loop, after the change is made. The watcher must not call back
// into the hub from Publish, and must be quick: it runs inside the hub's work.
//
// Events and their data (JSON objects; "moduleId" only for a module):
//   jobChanged        the job as GET /jobs/v2/{id} answers it: on every status
//                     change, and while it runs at most every kProgressEvery
//   deviceJobChanged  {"jobId","deviceId","moduleId"?,"status", "error"?|"outcome"?}
//                     a device record's every change (as a devices.jobs query shows it)
//   deviceConnected, deviceDisconnected  {"deviceId","moduleId"?}
//   twinChanged       {"deviceId","moduleId"?,"version","sections":["tags"|"desired"|"reported",...]}
//   telemetry         {"deviceId","moduleId"?,"properties":{...},"body"|"bodyBase64"}

#include <chrono>
#include <string_view>

#include <nlohmann/json.hpp>

namespace offhub::emulator {

namespace hub_event {
inline constexpr std::string_view kJobChanged = "jobChanged";
inline constexpr std::string_view kDeviceJobChanged = "deviceJobChanged";
inline constexpr std::string_view kDeviceConnected = "deviceConnected";
inline constexpr std::string_view kDeviceDisconnected = "deviceDisconnected";
inline constexpr std::string_view kTwinChanged = "twinChanged";
inline constexpr std::string_view kTelemetry = "telemetry";
// jobChanged while a job runs: at most this often (real time), besides every status change.
inline constexpr std::chrono::milliseconds kProgressEvery{100};
}  // namespace hub_event

class HubEvents {
 public:
  virtual ~HubEvents() = default;
  virtual void Publish(std::string_view name, nlohmann::json data) = 0;
  // False while no one watches: a producer then calls Skip() (which only
  // counts the event) instead of building and publishing it, so a job over
  // 100,000 twins pays for no events nobody reads.
  virtual bool watched() const { return true; }
  virtual void Skip() {}
};

// Whether to build the event now; counts it as skipped when not (see HubEvents::watched).
inline bool Wanted(HubEvents* events) {
  if (!events) return false;
  if (events->watched()) return true;
  events->Skip();
  return false;
}

// {"deviceId": d} or {"deviceId": d, "moduleId": m} for an identity key "d" or "d/m".
nlohmann::json IdentityFields(std::string_view key);

}  // namespace offhub::emulator
