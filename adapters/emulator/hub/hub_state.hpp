#pragma once
// The hub's working copy of its state, shared by the parts of LocalHub
// (registry and twins, method dispatch, the job engine). Single-threaded:
// only the hub's event loop touches it.

#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <map>
#include <string>
#include <string_view>

#include "domain/device.hpp"
#include "domain/device_job.hpp"
#include "domain/job.hpp"
#include "domain/twin.hpp"
#include "ports/clock.hpp"
#include "ports/device_channel.hpp"
#include "ports/state_store.hpp"

namespace offhub::emulator {

// A device or a module identity with its twin and its connection (modules
// connect, get method calls and keep twins like devices do).
struct DeviceEntry {
  DeviceEntry() = default;
  DeviceEntry(domain::Device identity_in, domain::Twin twin_in)
      : identity(std::move(identity_in)), twin(std::move(twin_in)) {}

  domain::Device identity;
  domain::Twin twin;
  bool connected = false;
  bool methods_subscribed = false;

  bool ReachableForMethods() const { return connected && methods_subscribed; }
};

// What the engine needs while a job runs; rebuilt, not stored.
struct JobRun {
  std::deque<std::string> ready;     // devices to call next
  std::set<std::string, std::less<>> waiting;  // offline devices, called when they subscribe
  std::size_t in_flight = 0;
  std::size_t unfinished = 0;  // records not final yet: the job ends at 0
  bool pump_posted = false;    // a Pump is posted to the event loop already
};

struct JobEntry {
  explicit JobEntry(domain::Job job_in) : job(std::move(job_in)) {}

  domain::Job job;
  JobRun run;
  std::map<std::string, domain::DeviceJob, std::less<>> records;  // by device id
  std::optional<ports::Clock::TimerId> start_timer;
  std::optional<ports::Clock::TimerId> deadline_timer;
};

using IdentityMap = std::map<std::string, DeviceEntry, std::less<>>;

struct HubState {
  ports::Clock& clock;
  ports::DeviceChannel& channel;
  ports::StateStore& store;
  IdentityMap devices;
  // By IdentityKey "{deviceId}/{moduleId}": a device's modules are adjacent.
  IdentityMap modules;
  std::map<std::string, JobEntry, std::less<>> jobs;

  DeviceEntry* FindDevice(std::string_view id) {
    const auto it = devices.find(id);
    return it == devices.end() ? nullptr : &it->second;
  }
  // A device by id or a module by "{deviceId}/{moduleId}": what devices and
  // modules share (MQTT client ids, twins, method calls, presence).
  DeviceEntry* FindIdentity(std::string_view key) {
    auto& map = key.find('/') == std::string_view::npos ? devices : modules;
    const auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  }
  // The modules of one device, as [first, last) of `modules`.
  std::pair<IdentityMap::iterator, IdentityMap::iterator> ModulesOf(std::string_view device_id) {
    // '0' follows '/' in ASCII: every "{deviceId}/..." key sorts below "{deviceId}0".
    return {modules.lower_bound(std::string(device_id) + '/'), modules.lower_bound(std::string(device_id) + '0')};
  }
  JobEntry* FindJob(std::string_view id) {
    const auto it = jobs.find(id);
    return it == jobs.end() ? nullptr : &it->second;
  }
  domain::Status Persist(const DeviceEntry& entry) { return store.SaveDevice({entry.identity, entry.twin}); }
  // 404 DeviceNotFound, or ModuleNotFound when the key names a module of an existing device.
  domain::Error IdentityNotFound(std::string_view key) {
    const auto slash = key.find('/');
    if (slash == std::string_view::npos || !FindDevice(key.substr(0, slash))) {
      return domain::Error::DeviceNotFound(key.substr(0, slash));
    }
    return {domain::ErrorCode::ModuleNotFound, "Module '" + std::string(key.substr(slash + 1)) +
                                                   "' not found on device '" + std::string(key.substr(0, slash)) + "'"};
  }
};

}  // namespace offhub::emulator
