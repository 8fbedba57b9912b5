#pragma once
// A LocalHub on a manual clock with fake devices and an in-memory store:
// tests drive it through the service ports only, as a client would.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "adapters/emulator/hub/local_hub.hpp"
#include "adapters/emulator/stores/memory_state_store.hpp"
#include "domain/job_request.hpp"
#include "adapters/emulator/hub/simulated_devices.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace offhub::testing {

inline const domain::UtcTime kT0 = *domain::ParseUtc("2026-01-01T12:00:00Z");

struct HubFixture {
  explicit HubFixture(emulator::LocalHubOptions options = {}) : options_(options) { Rebuild(); }

  // A new hub on the same store, as after a restart.
  void Rebuild() {
    hub.reset();
    auto made = emulator::MakeLocalHub(clock, devices, *store, options_);
    REQUIRE(made.ok());
    hub = std::move(*made);
  }

  nlohmann::json AddDevice(const std::string& id, const nlohmann::json& tags = nullptr) {
    auto spec = domain::ParseDeviceSpec(nlohmann::json::object(), id);
    REQUIRE(spec.ok());
    auto created = hub->PutIdentity(*spec, std::nullopt);
    REQUIRE(created.ok());
    if (!tags.is_null()) REQUIRE(hub->PatchTwin(offhub::ports::Identity::Device(id), {{"tags", tags}}, "*").ok());
    return *created;
  }

  // A fake device that is registered and scripted, not connected yet.
  emulator::SimulatedDevice& AddOfflineDevice(const std::string& id, emulator::DeviceScript script = {}) {
    AddDevice(id);
    return devices.Script(id, std::move(script));
  }

  // A fake device that is registered, connected and answers methods.
  emulator::SimulatedDevice& AddOnlineDevice(const std::string& id, emulator::DeviceScript script = {}) {
    AddDevice(id);
    auto& device = devices.Script(id, std::move(script));
    devices.Connect(id);
    return device;
  }

  domain::Result<nlohmann::json> CreateJob(const std::string& id, const nlohmann::json& body) {
    auto request = domain::ParseJobRequest(id, body, clock.Now());
    if (!request) return request.error();
    return hub->CreateJob(*request);
  }

  nlohmann::json Job(const std::string& id) {
    auto job = hub->GetJob(id);
    REQUIRE(job.ok());
    return *job;
  }

  nlohmann::json DeviceJobs(const std::string& job_id) {
    auto page = hub->Query("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = '" + job_id + "'", {});
    REQUIRE(page.ok());
    return page->items;
  }

  fakes::ManualClock clock{kT0};
  emulator::SimulatedDevices devices{clock};
  std::unique_ptr<ports::StateStore> store = emulator::MakeMemoryStateStore();
  std::unique_ptr<emulator::LocalHub> hub;

 private:
  emulator::LocalHubOptions options_;
};

inline nlohmann::json MethodJob(const std::string& condition, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json body = {{"type", "scheduleDeviceMethod"},
                         {"cloudToDeviceMethod", {{"methodName", "lockDoor"}, {"payload", nullptr}, {"responseTimeoutInSeconds", 15}}},
                         {"queryCondition", condition},
                         {"startTime", nullptr},
                         {"maxExecutionTimeInSeconds", 300}};
  body.update(extra);
  return body;
}

inline nlohmann::json TwinJob(const std::string& condition, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json body = {{"type", "scheduleUpdateTwin"},
                         {"updateTwin", {{"etag", "*"}, {"properties", {{"desired", {{"building", "43"}, {"floor", 3}}}}}}},
                         {"queryCondition", condition},
                         {"startTime", nullptr},
                         {"maxExecutionTimeInSeconds", 300}};
  body.update(extra);
  return body;
}

}  // namespace offhub::testing
