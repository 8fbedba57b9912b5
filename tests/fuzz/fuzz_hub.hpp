#pragma once
// A real LocalHub for the harnesses that reach the hub (rest_router,
// device_messages): manual clock, in-memory store, simulated devices, and a
// small seeded fleet so that inputs find something to read, patch and call.
// One is built per input, so every input replays the same way on its own.
//
// The seeded hub (ids the seed corpora use):
// - device `dev1`: connected, answers methods (status 200, payload {"ok":true}),
//   tags {"building":"43","floor":3}, reported {"temp":21.5};
// - device `dev2`: registered, offline, tags {"building":"44"};
// - module `dev1/mod1`: connected, answers methods;
// - job `job1`: a method job over dev1 and dev2, run to its end (dev1 completed,
//   dev2 failed offline); job `job2`: a twin job scheduled for tomorrow.
// The hub logs at info level into a null sink: messages are formatted as in
// the emulator, and the fuzzer's output stays readable.

#include <memory>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "adapters/emulator/hub/local_hub.hpp"
#include "adapters/emulator/stores/memory_state_store.hpp"
#include "adapters/emulator/hub/simulated_devices.hpp"
#include "domain/device.hpp"
#include "domain/job_request.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace offhub::fuzz {

inline const domain::UtcTime kHubStart = *domain::ParseUtc("2026-01-01T12:00:00Z");

// Long enough for every pending answer: a method waits at most 300 s to
// connect plus 300 s to answer (method_request.hpp).
inline constexpr std::int64_t kSettleSeconds = 900;

inline void QuietLogs() {
  static const bool done = [] {
    auto logger = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
    return true;
  }();
  (void)done;
}

class FuzzHub {
 public:
  FuzzHub() {
    QuietLogs();
    auto made = emulator::MakeLocalHub(clock, devices, *store);
    FUZZ_CHECK(made.ok());
    hub = std::move(*made);
    Seed();
  }
  // Timers still queued refer to the hub: it goes first.
  ~FuzzHub() { hub.reset(); }

  // Runs every timer due in the next `seconds` (answers, timeouts, jobs).
  void Settle(std::int64_t seconds = kSettleSeconds) { clock.AdvanceSeconds(seconds); }

  fakes::ManualClock clock{kHubStart};
  emulator::SimulatedDevices devices{clock};
  std::unique_ptr<ports::StateStore> store = emulator::MakeMemoryStateStore();
  std::unique_ptr<emulator::LocalHub> hub;

 private:
  void Seed() {
    using nlohmann::json;
    const emulator::DeviceScript answers{200, json{{"ok", true}}, 10, false};
    AddDevice("dev1", {{"building", "43"}, {"floor", 3}});
    AddDevice("dev2", {{"building", "44"}});
    const auto module = domain::ParseModuleSpec(json::object(), "dev1", "mod1");
    FUZZ_CHECK(module.ok() && hub->PutIdentity(*module, std::nullopt).ok());
    devices.Script("dev1", answers);
    devices.Script("dev1/mod1", answers);
    devices.Connect("dev1");
    devices.Connect("dev1/mod1");
    FUZZ_CHECK(hub->OnReportedPatch("dev1", {{"temp", 21.5}}).ok());
    AddJob("job1", {{"type", "scheduleDeviceMethod"},
                    {"cloudToDeviceMethod", {{"methodName", "lockDoor"}, {"responseTimeoutInSeconds", 15}}},
                    {"queryCondition", "deviceId IN ['dev1', 'dev2']"},
                    {"maxExecutionTimeInSeconds", 60}});
    Settle(120);
    AddJob("job2", {{"type", "scheduleUpdateTwin"},
                    {"updateTwin", {{"etag", "*"}, {"properties", {{"desired", {{"floor", 4}}}}}}},
                    {"queryCondition", "tags.building = '43'"},
                    {"startTime", domain::FormatUtc(clock.Now().PlusSeconds(86400))}});
  }

  void AddDevice(const std::string& id, const nlohmann::json& tags) {
    const auto spec = domain::ParseDeviceSpec(nlohmann::json::object(), id);
    FUZZ_CHECK(spec.ok() && hub->PutIdentity(*spec, std::nullopt).ok());
    FUZZ_CHECK(hub->PatchTwin(offhub::ports::Identity::Device(id), {{"tags", tags}}, "*").ok());
  }

  void AddJob(const std::string& id, const nlohmann::json& body) {
    const auto request = domain::ParseJobRequest(id, body, clock.Now());
    FUZZ_CHECK(request.ok() && hub->CreateJob(*request).ok());
  }
};

}  // namespace offhub::fuzz
