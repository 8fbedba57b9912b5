// LocalHub's registry, twins and direct methods through the service ports, on the
// manual clock and fake devices.
#include "tests/emulator/hub_fixture.hpp"
#include "tests/fakes/failing_store.hpp"

using namespace offhub;
using offhub::testing::HubFixture;
using nlohmann::json;

namespace {
domain::MethodRequest Method(std::int64_t response_timeout = 30, std::int64_t connect_timeout = 0,
                             json payload = nullptr) {
  return {"lockDoor", std::move(payload), response_timeout, connect_timeout};
}

// Calls the method and returns its result once the clock has run `seconds`.
// The result slot is shared: a call still pending may finish after we return.
std::optional<domain::Result<domain::MethodResult>> Invoke(HubFixture& f, const std::string& id,
                                                           const domain::MethodRequest& request,
                                                           std::int64_t seconds) {
  auto result = std::make_shared<std::optional<domain::Result<domain::MethodResult>>>();
  f.hub->InvokeMethod(offhub::ports::Identity::Device(id), request, [result](domain::Result<domain::MethodResult> r) {
    REQUIRE_FALSE(result->has_value());  // exactly once
    result->emplace(std::move(r));
  });
  f.clock.AdvanceSeconds(seconds);
  return *result;
}
}  // namespace

TEST_CASE("registry: create with generated keys, get, list, update with If-Match, delete") {
  HubFixture f;
  const json created = f.AddDevice("myDeviceId");
  CHECK(created["deviceId"] == "myDeviceId");
  CHECK(created["authentication"]["symmetricKey"]["primaryKey"].get<std::string>().size() == 44);
  CHECK(created["authentication"]["symmetricKey"]["secondaryKey"].get<std::string>().size() == 44);
  CHECK(created["authentication"]["symmetricKey"]["primaryKey"] != created["authentication"]["symmetricKey"]["secondaryKey"]);
  CHECK(created["generationId"].get<std::string>().size() == 18);
  CHECK(created["status"] == "enabled");

  auto spec = *domain::ParseDeviceSpec(json::object(), "myDeviceId");
  const auto dup = f.hub->PutIdentity(spec, std::nullopt);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code() == domain::ErrorCode::DeviceAlreadyExists);

  CHECK(f.hub->GetIdentity(offhub::ports::Identity::Device("nope")).error().code() == domain::ErrorCode::DeviceNotFound);
  CHECK(f.hub->GetTwin(offhub::ports::Identity::Device("nope")).error().code() == domain::ErrorCode::DeviceNotFound);

  spec.status = domain::DeviceStatus::kDisabled;
  CHECK(f.hub->PutIdentity(spec, "\"wrong\"").error().code() == domain::ErrorCode::PreconditionFailed);
  const auto updated = f.hub->PutIdentity(spec, "\"" + created["etag"].get<std::string>() + "\"");
  REQUIRE(updated.ok());
  CHECK((*updated)["status"] == "disabled");
  CHECK((*updated)["etag"] != created["etag"]);
  CHECK((*updated)["authentication"]["symmetricKey"] == created["authentication"]["symmetricKey"]);
  CHECK((*f.hub->GetTwin(offhub::ports::Identity::Device("myDeviceId")))["status"] == "disabled");
  CHECK(f.hub->PutIdentity(*domain::ParseDeviceSpec(json::object(), "ghost"), "*").error().code() ==
        domain::ErrorCode::DeviceNotFound);

  f.AddDevice("second");
  CHECK(f.hub->ListDevices(0)->size() == 2);
  CHECK(f.hub->ListDevices(1)->size() == 1);
  CHECK(*f.hub->GetRegistryStatistics() ==
        json{{"totalDeviceCount", 2}, {"enabledDeviceCount", 1}, {"disabledDeviceCount", 1}});

  CHECK(f.hub->DeleteIdentity(offhub::ports::Identity::Device("second"), "\"nope\"").error().code() == domain::ErrorCode::PreconditionFailed);
  CHECK(f.hub->DeleteIdentity(offhub::ports::Identity::Device("second"), "*").ok());
  CHECK(f.hub->DeleteIdentity(offhub::ports::Identity::Device("second"), "*").error().code() == domain::ErrorCode::DeviceNotFound);
  CHECK(f.hub->ListDevices(0)->size() == 1);
}

TEST_CASE("twins: etag 412, desired reaches a connected device, reported changes nothing for the etag") {
  HubFixture f;
  auto& device = f.AddOnlineDevice("d");
  const json twin = *f.hub->GetTwin(offhub::ports::Identity::Device("d"));
  CHECK(twin["etag"] == "AAAAAAAAAAE=");
  CHECK(twin["connectionState"] == "Connected");
  CHECK(f.hub->PatchTwin(offhub::ports::Identity::Device("d"), {{"properties", {{"desired", {{"x", 1}}}}}}, "\"abc\"").error().http_status() == 412);
  const auto patched = f.hub->PatchTwin(offhub::ports::Identity::Device("d"), {{"properties", {{"desired", {{"x", 1}}}}}}, "\"AAAAAAAAAAE=\"");
  REQUIRE(patched.ok());
  CHECK((*patched)["properties"]["desired"]["$version"] == 2);
  REQUIRE(device.desired_updates.size() == 1);
  CHECK(device.desired_updates[0].version == 2);
  const auto replaced = f.hub->ReplaceTwin(offhub::ports::Identity::Device("d"), {{"tags", {{"t", 1}}}, {"properties", {{"desired", {{"y", 2}}}}}}, std::nullopt);
  REQUIRE(replaced.ok());
  CHECK_FALSE((*replaced)["properties"]["desired"].contains("x"));
  CHECK(device.desired_updates.back().body == json::parse(R"({"x":null,"y":2,"$version":3})"));
  CHECK(f.hub->PatchTwin(offhub::ports::Identity::Device("d"), {{"properties", {{"reported", {{"x", 1}}}}}}, "*").error().http_status() == 400);
}

TEST_CASE("presence: connection state and service statistics follow the device") {
  HubFixture f;
  f.AddDevice("d");
  f.devices.Script("d");
  CHECK((*f.hub->GetIdentity(offhub::ports::Identity::Device("d")))["connectionState"] == "Disconnected");
  f.devices.Connect("d");
  CHECK((*f.hub->GetIdentity(offhub::ports::Identity::Device("d")))["connectionState"] == "Connected");
  CHECK(*f.hub->GetServiceStatistics() == json{{"connectedDeviceCount", 1}});
  f.devices.Disconnect("d");
  CHECK((*f.hub->GetTwin(offhub::ports::Identity::Device("d")))["connectionState"] == "Disconnected");
  CHECK(*f.hub->GetServiceStatistics() == json{{"connectedDeviceCount", 0}});
}

TEST_CASE("direct methods: the device's answer, whatever its status") {
  HubFixture f;
  auto& device = f.AddOnlineDevice("d", {.status = 404, .payload = "executed reboot"});
  const auto r = Invoke(f, "d", Method(), 1);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK((*r)->status == 404);
  CHECK((*r)->payload == "executed reboot");
  REQUIRE(device.calls.size() == 1);
  CHECK(device.calls[0].payload.is_null());  // never an empty payload: null is null
}

TEST_CASE("direct methods: offline is 404103 at once with connect timeout 0") {
  HubFixture f;
  f.AddDevice("d");
  const auto r = Invoke(f, "d", Method(), 0);
  REQUIRE(r);
  CHECK(r->error().code() == domain::ErrorCode::DeviceNotOnline);
  CHECK(Invoke(f, "ghost", Method(), 0)->error().code() == domain::ErrorCode::DeviceNotFound);
}

TEST_CASE("direct methods: the connect timeout waits for the device") {
  HubFixture f;
  f.AddDevice("d");
  auto& device = f.devices.Script("d");
  SUBCASE("it connects in time") {
    f.devices.ConnectAt("d", testing::kT0.PlusSeconds(10));
    const auto r = Invoke(f, "d", Method(30, 20), 11);
    REQUIRE(r);
    CHECK(r->ok());
    CHECK(device.calls.size() == 1);
  }
  SUBCASE("it does not") {
    f.devices.ConnectAt("d", testing::kT0.PlusSeconds(30));
    auto r = Invoke(f, "d", Method(30, 20), 19);
    CHECK_FALSE(r);
    f.clock.AdvanceSeconds(1);
  }
}

TEST_CASE("direct methods: no answer within the response timeout is 504101") {
  HubFixture f;
  f.AddOnlineDevice("d", {.latency_ms = 6000});
  CHECK_FALSE(Invoke(f, "d", Method(5), 4));
  std::optional<domain::Result<domain::MethodResult>> result;
  f.hub->InvokeMethod(offhub::ports::Identity::Device("d"), Method(5), [&](auto r) { result.emplace(std::move(r)); });
  f.clock.AdvanceSeconds(5);
  REQUIRE(result);
  CHECK(result->error().code() == domain::ErrorCode::GatewayTimeout);
  CHECK(result->error().http_status() == 504);
  f.clock.AdvanceSeconds(5);  // the late answer is dropped, not delivered twice
}

using fakes::FailingStore;

TEST_CASE("a failing store: the caller gets 500 and the hub's state is unchanged") {
  fakes::ManualClock clock{testing::kT0};
  emulator::SimulatedDevices devices{clock};
  auto memory = emulator::MakeMemoryStateStore();
  FailingStore store(*memory);
  auto made = emulator::MakeLocalHub(clock, devices, store);
  REQUIRE(made.ok());
  auto hub = std::move(*made);
  REQUIRE(hub->PutIdentity(*domain::ParseDeviceSpec(json::object(), "d"), std::nullopt).ok());
  const json before = *hub->GetTwin(offhub::ports::Identity::Device("d"));
  store.failing = true;
  CHECK(hub->PatchTwin(offhub::ports::Identity::Device("d"), {{"tags", {{"a", 1}}}}, "*").error().http_status() == 500);
  CHECK(hub->PutIdentity(*domain::ParseDeviceSpec(json::object(), "e"), std::nullopt).error().http_status() == 500);
  CHECK(hub->DeleteIdentity(offhub::ports::Identity::Device("d"), "*").error().http_status() == 500);
  CHECK(*hub->GetTwin(offhub::ports::Identity::Device("d")) == before);
  CHECK(hub->GetIdentity(offhub::ports::Identity::Device("e")).error().code() == domain::ErrorCode::DeviceNotFound);
}

TEST_CASE("device requests: twin GET, reported patch, telemetry") {
  HubFixture f;
  f.AddDevice("d");
  REQUIRE(f.hub->PatchTwin(offhub::ports::Identity::Device("d"), {{"properties", {{"desired", {{"x", 1}}}}}}, "*").ok());
  const auto view = f.hub->OnTwinGet("d");
  REQUIRE(view.ok());
  CHECK(*view == json::parse(R"({"desired":{"x":1,"$version":2},"reported":{"$version":1}})"));
  const std::string etag = (*f.hub->GetTwin(offhub::ports::Identity::Device("d")))["etag"];
  const auto version = f.hub->OnReportedPatch("d", {{"building", "43"}});
  REQUIRE(version.ok());
  CHECK(*version == 2);
  const json twin = *f.hub->GetTwin(offhub::ports::Identity::Device("d"));
  CHECK(twin["properties"]["reported"]["building"] == "43");
  CHECK(twin["etag"] == etag);  // reported writes leave the etag
  CHECK(f.hub->OnReportedPatch("d", json::array()).error().http_status() == 400);
  CHECK(f.hub->OnReportedPatch("ghost", json::object()).error().code() == domain::ErrorCode::DeviceNotFound);
  CHECK(f.hub->OnTwinGet("ghost").error().code() == domain::ErrorCode::DeviceNotFound);
  f.hub->OnTelemetry("d", "devices/d/messages/events/", "{}");
  CHECK(f.hub->telemetry_count() == 1);
}

namespace {
struct RecordingObserver final : emulator::RegistryObserver {
  std::map<std::string, bool> enabled;  // device id -> enabled, as last told
  void OnDeviceChanged(const domain::Device& d) override { enabled[d.device_id] = d.status == domain::DeviceStatus::kEnabled; }
  void OnDeviceRemoved(std::string_view id) override { enabled.erase(std::string(id)); }
};
}  // namespace

TEST_CASE("the registry observer hears every device at start and every change") {
  fakes::ManualClock clock{testing::kT0};
  emulator::SimulatedDevices devices{clock};
  auto store = emulator::MakeMemoryStateStore();
  RecordingObserver observer;
  auto made = emulator::MakeLocalHub(clock, devices, *store, {.observer = &observer});
  REQUIRE(made.ok());
  auto hub = std::move(*made);
  CHECK(observer.enabled.empty());
  auto spec = *domain::ParseDeviceSpec(json::object(), "d");
  REQUIRE(hub->PutIdentity(spec, std::nullopt).ok());
  CHECK(observer.enabled == std::map<std::string, bool>{{"d", true}});
  spec.status = domain::DeviceStatus::kDisabled;
  REQUIRE(hub->PutIdentity(spec, "*").ok());
  CHECK(observer.enabled["d"] == false);
  REQUIRE(hub->DeleteIdentity(offhub::ports::Identity::Device("d"), "*").ok());
  CHECK(observer.enabled.empty());
  REQUIRE(hub->PutIdentity(*domain::ParseDeviceSpec(json::object(), "e"), std::nullopt).ok());
  hub.reset();
  RecordingObserver after_restart;
  auto again = emulator::MakeLocalHub(clock, devices, *store, {.observer = &after_restart});
  REQUIRE(again.ok());
  CHECK(after_restart.enabled == std::map<std::string, bool>{{"e", true}});
}

TEST_CASE("modules are kept across a restart and go with their device") {
  testing::HubFixture f;
  f.AddDevice("gw");
  f.AddDevice("gw2");
  for (const char* device : {"gw", "gw2"}) {
    REQUIRE(f.hub->PutIdentity(*domain::ParseModuleSpec(json::object(), device, "cam"), std::nullopt).ok());
  }
  REQUIRE(f.hub->PatchTwin(offhub::ports::Identity::Module("gw", "cam"), {{"tags", {{"lens", "wide"}}}}, "*").ok());
  f.Rebuild();
  CHECK((*f.hub->GetTwin(offhub::ports::Identity::Module("gw", "cam")))["tags"]["lens"] == "wide");
  REQUIRE(f.hub->DeleteIdentity(offhub::ports::Identity::Device("gw"), std::nullopt).ok());
  f.Rebuild();
  CHECK(f.hub->GetIdentity(offhub::ports::Identity::Module("gw", "cam")).error().code() == domain::ErrorCode::DeviceNotFound);
  CHECK(f.hub->GetIdentity(offhub::ports::Identity::Module("gw2", "cam")).ok());
}

TEST_CASE("a device holds at most 50 modules (413 TooManyModulesOnDevice); ids that share a prefix stay apart") {
  testing::HubFixture f;
  f.AddDevice("gw");
  f.AddDevice("gw0");
  REQUIRE(f.hub->PutIdentity(*domain::ParseModuleSpec(json::object(), "gw0", "m"), std::nullopt).ok());
  for (int i = 0; i < 50; ++i) {
    REQUIRE(f.hub->PutIdentity(*domain::ParseModuleSpec(json::object(), "gw", "m" + std::to_string(i)), std::nullopt).ok());
  }
  const auto over = f.hub->PutIdentity(*domain::ParseModuleSpec(json::object(), "gw", "one-more"), std::nullopt);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code() == domain::ErrorCode::TooManyModulesOnDevice);
  CHECK(over.error().http_status() == 413);
  CHECK(f.hub->ListModules("gw")->size() == 50);
  CHECK(f.hub->ListModules("gw0")->size() == 1);
  REQUIRE(f.hub->DeleteIdentity(offhub::ports::Identity::Device("gw"), std::nullopt).ok());
  CHECK(f.hub->GetIdentity(offhub::ports::Identity::Module("gw0", "m")).ok());
}

TEST_CASE("a failing store at a job's start: the job fails with the store's reason and keeps no records") {
  HubFixture f;
  FailingStore failing(*f.store);
  auto made = emulator::MakeLocalHub(f.clock, f.devices, failing);
  REQUIRE(made.ok());
  auto hub = std::move(*made);
  REQUIRE(hub->PutIdentity(*domain::ParseDeviceSpec(json::object(), "d"), std::nullopt).ok());
  auto request = domain::ParseJobRequest("j", testing::TwinJob("*"), f.clock.Now());
  REQUIRE(request.ok());
  REQUIRE(hub->CreateJob(*request).ok());
  failing.failing = true;
  f.clock.AdvanceSeconds(1);  // the start's one transaction is refused; so is the failure's record
  CHECK((*hub->GetJob("j"))["status"] == "queued");  // memory stays as the store has it
  failing.failing = false;
  hub.reset();
  auto restarted = emulator::MakeLocalHub(f.clock, f.devices, failing);  // a restart starts it again
  REQUIRE(restarted.ok());
  f.clock.AdvanceSeconds(1);
  const json job = *(*restarted)->GetJob("j");
  CHECK(job["status"] == "completed");
  CHECK(job["deviceJobStatistics"]["succeededCount"] == 1);
}

TEST_CASE("ReplaceState: calls waiting for an identity that is gone end 404; those of identities that stay wait on") {
  HubFixture f;
  f.AddOfflineDevice("gone");
  f.AddOfflineDevice("stays");
  std::optional<domain::Result<domain::MethodResult>> gone, stays;
  f.hub->InvokeMethod(ports::Identity::Device("gone"), Method(30, 60), [&](auto r) { gone.emplace(std::move(r)); });
  f.hub->InvokeMethod(ports::Identity::Device("stays"), Method(30, 60), [&](auto r) { stays.emplace(std::move(r)); });
  auto state = f.hub->ExportState();
  std::erase_if(state.devices, [](const ports::StoredDevice& d) { return d.identity.device_id == "gone"; });
  REQUIRE(f.hub->ReplaceState(state).ok());
  REQUIRE(gone.has_value());
  CHECK(gone->error().code() == domain::ErrorCode::DeviceNotFound);
  CHECK_FALSE(stays.has_value());
  f.devices.Connect("stays");
  f.clock.AdvanceSeconds(1);
  REQUIRE(stays.has_value());
  CHECK(stays->ok());
}

TEST_CASE("ReplaceState: a running job comes back with its records and finishes") {
  HubFixture f;
  f.AddOnlineDevice("on");
  f.AddOfflineDevice("off");
  REQUIRE(f.CreateJob("j", offhub::testing::MethodJob("*", {{"maxExecutionTimeInSeconds", 100}})).ok());
  f.clock.AdvanceSeconds(1);
  REQUIRE(f.Job("j")["deviceJobStatistics"]["succeededCount"] == 1);
  const auto exported = f.hub->ExportState();
  CHECK(exported.jobs.size() == 1);
  CHECK(exported.device_jobs.size() == 2);
  REQUIRE(f.hub->ReplaceState({}).ok());
  CHECK(f.hub->GetJob("j").error().code() == domain::ErrorCode::JobNotFound);
  REQUIRE(f.hub->ReplaceState(exported).ok());
  CHECK(f.Job("j")["status"] == "running");
  f.devices.Connect("off");
  f.clock.AdvanceSeconds(1);
  CHECK(f.Job("j")["status"] == "completed");
  CHECK(f.Job("j")["deviceJobStatistics"]["succeededCount"] == 2);
}
