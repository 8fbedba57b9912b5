// A refused store write is refused to the caller, and the hub's memory stays
// as it was (ports/state_store.hpp): every write path of LocalHub, over a
// store that refuses while told to (tests/fakes/failing_store.hpp). After
// each refusal the hub is rebuilt on the same store, to show memory and
// store agree.
#include <doctest/doctest.h>

#include "tests/emulator/hub_fixture.hpp"
#include "tests/fakes/failing_store.hpp"

using namespace offhub;
using nlohmann::json;
using ports::Identity;

namespace {

struct RefusalFixture {
  fakes::ManualClock clock{testing::kT0};
  emulator::SimulatedDevices devices{clock};
  std::unique_ptr<ports::StateStore> memory = emulator::MakeMemoryStateStore();
  fakes::FailingStore store{*memory};
  std::unique_ptr<emulator::LocalHub> hub;

  RefusalFixture() {
    Rebuild();
    REQUIRE(hub->PutIdentity(*domain::ParseDeviceSpec(json::object(), "d"), std::nullopt).ok());
    REQUIRE(hub->PutIdentity(*domain::ParseModuleSpec(json::object(), "d", "m"), std::nullopt).ok());
  }
  void Rebuild() {
    hub.reset();
    auto made = emulator::MakeLocalHub(clock, devices, store);
    REQUIRE(made.ok());
    hub = std::move(*made);
  }
  // Everything a client can read of the hub.
  json Snapshot() {
    json out;
    for (const auto& id : {Identity::Device("d"), Identity::Module("d", "m"), Identity::Device("new")}) {
      const auto identity = hub->GetIdentity(id);
      const auto twin = hub->GetTwin(id);
      out[id.key()] = {{"identity", identity ? *identity : json(identity.error().name())},
                       {"twin", twin ? *twin : json(twin.error().name())}};
    }
    const auto jobs = hub->ListJobs({}, {});
    out["jobs"] = jobs ? jobs->items : json();
    const auto records = hub->Query("SELECT * FROM devices.jobs", {});
    out["records"] = records ? records->items : json();
    return out;
  }
  // Runs `write` with the store refusing: it must fail with 500, leave what a
  // client sees unchanged, and leave the store as memory says.
  template <class Write>
  void Refused(Write write) {
    const json before = Snapshot();
    store.failing = true;
    const auto result = write();
    store.failing = false;
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code() == domain::ErrorCode::ServerError);
    CHECK(store.refused > 0);
    CHECK(Snapshot() == before);
    Rebuild();
    CHECK(Snapshot() == before);
  }
};

domain::JobRequest Job(const std::string& id, const json& body) {
  auto request = domain::ParseJobRequest(id, body, testing::kT0);
  REQUIRE(request.ok());
  return *request;
}

}  // namespace

TEST_CASE("registry writes: create, update and delete of devices and modules") {
  RefusalFixture f;
  f.Refused([&] { return f.hub->PutIdentity(*domain::ParseDeviceSpec(json::object(), "new"), std::nullopt); });
  f.Refused([&] { return f.hub->PutIdentity(*domain::ParseModuleSpec(json::object(), "d", "m2"), std::nullopt); });
  auto disabled = *domain::ParseDeviceSpec(json::object(), "d");
  disabled.status = domain::DeviceStatus::kDisabled;
  f.Refused([&] { return f.hub->PutIdentity(disabled, "*"); });
  auto module_update = *domain::ParseModuleSpec(json::object(), "d", "m");
  module_update.managed_by = "someone";
  f.Refused([&] { return f.hub->PutIdentity(module_update, "*"); });
  f.Refused([&] { return f.hub->DeleteIdentity(Identity::Module("d", "m"), "*"); });
  f.Refused([&] { return f.hub->DeleteIdentity(Identity::Device("d"), "*"); });
}

TEST_CASE("twin writes: patch and replace of device and module twins, and a device's reported patch") {
  RefusalFixture f;
  const json patch = {{"tags", {{"floor", 3}}}, {"properties", {{"desired", {{"mode", "eco"}}}}}};
  for (const auto& id : {Identity::Device("d"), Identity::Module("d", "m")}) {
    CAPTURE(id.key());
    f.Refused([&] { return f.hub->PatchTwin(id, patch, "*"); });
    f.Refused([&] { return f.hub->ReplaceTwin(id, patch, "*"); });
    f.Refused([&] { return f.hub->OnReportedPatch(id.key(), {{"fw", "1.2"}}); });
  }
}

TEST_CASE("job writes: create, cancel, and a job's progress") {
  RefusalFixture f;
  f.Refused([&] { return f.hub->CreateJob(Job("j-new", testing::TwinJob("*"))); });
  // A job scheduled an hour ahead: cancelling it is a write.
  const auto later = testing::TwinJob("*", {{"startTime", domain::FormatUtc(testing::kT0.PlusSeconds(3600))}});
  REQUIRE(f.hub->CreateJob(Job("j-later", later)).ok());
  f.Refused([&] { return f.hub->CancelJob("j-later"); });
  CHECK((*f.hub->GetJob("j-later"))["status"] == "scheduled");
}

TEST_CASE("a job whose progress the store refuses: the job stays as stored, and finishes once the store recovers") {
  RefusalFixture f;
  REQUIRE(f.hub->CreateJob(Job("j", testing::TwinJob("deviceId = 'd'"))).ok());
  f.store.failing = true;
  f.clock.AdvanceSeconds(1);  // the start (one transaction) is refused: nothing moved
  CHECK((*f.hub->GetJob("j"))["status"] == "queued");
  CHECK(f.hub->Query("SELECT * FROM devices.jobs", {})->items.empty());
  f.store.failing = false;
  f.Rebuild();  // a restart starts it again
  f.clock.AdvanceSeconds(5);
  const json job = *f.hub->GetJob("j");
  CHECK(job["status"] == "completed");
  CHECK(job["deviceJobStatistics"]["deviceCount"] == 1);
  CHECK(job["deviceJobStatistics"]["succeededCount"] == 1);
}
