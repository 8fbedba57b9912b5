#pragma once
// The HubService contract: one suite, run against every implementation
// (LocalHub in process, the Azure REST adapter against the emulator). Cases
// use the port as a client does and assert outcomes and IoT Hub's error
// codes, never messages (they differ between a hub and its REST front).
//
// Usage, in one test file per implementation:
//   #include "tests/contract/hub_service_contract.hpp"
//   OFFHUB_HUB_SERVICE_CONTRACT(MyHarness);   // MyHarness : contract::Harness, default-constructible

#include <doctest/doctest.h>

#include <set>

#include "domain/device.hpp"
#include "domain/job_request.hpp"
#include "tests/contract/harness.hpp"
#include "tests/emulator/hub_fixture.hpp"

namespace offhub::contract {

using domain::ErrorCode;
using nlohmann::json;

inline domain::DeviceSpec Spec(const std::string& id) {
  auto spec = domain::ParseDeviceSpec(json::object(), id);
  REQUIRE(spec.ok());
  return *spec;
}

inline json AddDevice(Harness& h, const std::string& id) {
  auto created = h.hub().PutDevice(Spec(id), std::nullopt);
  REQUIRE(created.ok());
  return *created;
}

inline domain::DeviceSpec ModuleSpec(const std::string& device_id, const std::string& module_id) {
  auto spec = domain::ParseModuleSpec(json::object(), device_id, module_id);
  REQUIRE(spec.ok());
  return *spec;
}

inline domain::Result<json> CreateJob(Harness& h, const std::string& id, const json& body) {
  auto request = domain::ParseJobRequest(id, body, h.Now());
  REQUIRE(request.ok());
  return h.hub().CreateJob(*request);
}

template <class T>
ErrorCode CodeOf(const domain::Result<T>& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().code();
}

inline domain::MethodRequest Method(std::int64_t response_timeout = 30) {
  domain::MethodRequest request;
  request.method_name = "lockDoor";
  request.payload = {{"door", "front"}};
  request.response_timeout_seconds = response_timeout;
  return request;
}

}  // namespace offhub::contract

TEST_CASE_TEMPLATE_DEFINE("registry: create, conflict, get, update and delete with etags", H, hub_contract_registry) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  const json created = AddDevice(h, "dev-1");
  CHECK(created["deviceId"] == "dev-1");
  CHECK(created["authentication"]["symmetricKey"]["primaryKey"].get<std::string>().size() == 44);
  const std::string etag = created["etag"];
  CHECK(CodeOf(h.hub().PutDevice(Spec("dev-1"), std::nullopt)) == ErrorCode::DeviceAlreadyExists);

  const auto got = h.hub().GetDevice("dev-1");
  REQUIRE(got.ok());
  CHECK((*got)["etag"] == etag);
  CHECK(CodeOf(h.hub().GetDevice("missing")) == ErrorCode::DeviceNotFound);

  auto disabled = Spec("dev-1");
  disabled.status = offhub::domain::DeviceStatus::kDisabled;
  disabled.primary_key = created["authentication"]["symmetricKey"]["primaryKey"];
  disabled.secondary_key = created["authentication"]["symmetricKey"]["secondaryKey"];
  CHECK(CodeOf(h.hub().PutDevice(disabled, "\"bm90LXRoZS1ldGFn\"")) == ErrorCode::PreconditionFailed);
  CHECK(CodeOf(h.hub().PutDevice(Spec("nobody"), "*")) == ErrorCode::DeviceNotFound);
  const auto updated = h.hub().PutDevice(disabled, etag);
  REQUIRE(updated.ok());
  CHECK((*updated)["status"] == "disabled");
  CHECK((*updated)["etag"] != etag);

  CHECK(CodeOf(h.hub().DeleteDevice("dev-1", etag)) == ErrorCode::PreconditionFailed);
  CHECK(h.hub().DeleteDevice("dev-1", std::nullopt).ok());
  CHECK(CodeOf(h.hub().DeleteDevice("dev-1", std::nullopt)) == ErrorCode::DeviceNotFound);
  CHECK(CodeOf(h.hub().GetDevice("dev-1")) == ErrorCode::DeviceNotFound);
}

TEST_CASE_TEMPLATE_DEFINE("registry: list in id order with top, statistics, odd ids", H, hub_contract_list) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  for (const char* id : {"c", "a", "b", "odd#id?*(1)'!%"}) AddDevice(h, id);
  const auto odd = h.hub().GetDevice("odd#id?*(1)'!%");
  REQUIRE(odd.ok());
  CHECK((*odd)["deviceId"] == "odd#id?*(1)'!%");
  const auto two = h.hub().ListDevices(2);
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  CHECK((*two)[0]["deviceId"] == "a");
  CHECK((*two)[1]["deviceId"] == "b");
  CHECK(h.hub().ListDevices(0)->size() == 4);
  const auto stats = h.hub().GetRegistryStatistics();
  REQUIRE(stats.ok());
  CHECK(*stats == json{{"totalDeviceCount", 4}, {"enabledDeviceCount", 4}, {"disabledDeviceCount", 0}});
  h.ConnectFakeDevice("a");
  const auto service = h.hub().GetServiceStatistics();
  REQUIRE(service.ok());
  CHECK((*service)["connectedDeviceCount"] == 1);
}

TEST_CASE_TEMPLATE_DEFINE("twins: get, patch with If-Match, replace; desired $version", H, hub_contract_twins) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  AddDevice(h, "t1");
  const auto twin = h.hub().GetTwin("t1");
  REQUIRE(twin.ok());
  const std::string etag = (*twin)["etag"];
  const int version = (*twin)["properties"]["desired"]["$version"];
  CHECK(CodeOf(h.hub().GetTwin("nope")) == ErrorCode::DeviceNotFound);

  const json desired = {{"properties", {{"desired", {{"floor", 3}}}}}};
  CHECK(CodeOf(h.hub().PatchTwin("t1", desired, "\"AAAAAAAAAAk=\"")) == ErrorCode::PreconditionFailed);
  const auto patched = h.hub().PatchTwin("t1", desired, etag);
  REQUIRE(patched.ok());
  CHECK((*patched)["properties"]["desired"]["floor"] == 3);
  CHECK((*patched)["properties"]["desired"]["$version"] == version + 1);
  CHECK((*patched)["etag"] != etag);
  CHECK(CodeOf(h.hub().PatchTwin("t1", desired, etag)) == ErrorCode::PreconditionFailed);  // stale now

  const auto tagged = h.hub().PatchTwin("t1", {{"tags", {{"building", "43"}}}}, "*");
  REQUIRE(tagged.ok());
  CHECK((*tagged)["tags"]["building"] == "43");
  CHECK((*tagged)["properties"]["desired"]["$version"] == version + 1);  // tags only: unchanged

  const json replacement = {{"tags", {{"room", 1}}}, {"properties", {{"desired", {{"mode", "eco"}}}}}};
  const auto replaced = h.hub().ReplaceTwin("t1", replacement, std::nullopt);
  REQUIRE(replaced.ok());
  CHECK((*replaced)["tags"] == json{{"room", 1}});
  CHECK((*replaced)["properties"]["desired"]["mode"] == "eco");
  CHECK_FALSE((*replaced)["properties"]["desired"].contains("floor"));
  CHECK(CodeOf(h.hub().ReplaceTwin("t1", replacement, etag)) == ErrorCode::PreconditionFailed);
  CHECK(h.hub().GetTwin("t1")->at("etag") == (*replaced)["etag"]);
}

TEST_CASE_TEMPLATE_DEFINE("queries: pages follow x-ms-continuation until it is absent", H, hub_contract_query) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  for (int i = 0; i < 5; ++i) AddDevice(h, "q" + std::to_string(i));
  std::set<std::string> seen;
  offhub::ports::QueryPageRequest page{2, std::nullopt};
  int pages = 0;
  do {
    const auto result = h.hub().Query("SELECT * FROM devices", page);
    REQUIRE(result.ok());
    CHECK(result->item_type == "twin");
    CHECK(result->items.size() <= 2);
    for (const auto& item : result->items) seen.insert(item["deviceId"].get<std::string>());
    page.continuation = result->continuation;
    REQUIRE(++pages <= 5);
  } while (page.continuation);
  CHECK(pages == 3);
  CHECK(seen.size() == 5);

  const auto count = h.hub().Query("SELECT COUNT() AS n FROM devices WHERE deviceId IN ['q1','q2']", {});
  REQUIRE(count.ok());
  CHECK(count->items == json::array({{{"n", 2}}}));
  CHECK(count->item_type == "raw");
  CHECK_FALSE(count->continuation);
  const auto bad = h.hub().Query("SELECT FROM WHERE", {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().http_status() == 400);
}

TEST_CASE_TEMPLATE_DEFINE("direct methods: answered, offline, unknown, no answer", H, hub_contract_methods) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  AddDevice(h, "online");
  h.ConnectFakeDevice("online", {201, {{"locked", true}}, 10, false});
  const auto answered = h.Invoke("online", Method());
  REQUIRE(answered.ok());
  CHECK(answered->status == 201);
  CHECK(answered->payload == json{{"locked", true}});
  CHECK(h.CallsReceived("online") == 1);

  AddDevice(h, "offline");
  CHECK(CodeOf(h.Invoke("offline", Method())) == ErrorCode::DeviceNotOnline);
  CHECK(CodeOf(h.Invoke("nobody", Method())) == ErrorCode::DeviceNotFound);

  AddDevice(h, "mute");
  h.ConnectFakeDevice("mute", {200, nullptr, 10, /*never_answers=*/true});
  CHECK(CodeOf(h.Invoke("mute", Method(/*response_timeout=*/5))) == ErrorCode::GatewayTimeout);
}

TEST_CASE_TEMPLATE_DEFINE("jobs: queued, then completed; device-job records", H, hub_contract_jobs) {
  using namespace offhub::contract;
  using offhub::testing::MethodJob;
  using offhub::testing::TwinJob;
  H harness;
  Harness& h = harness;
  AddDevice(h, "myDeviceId");
  h.ConnectFakeDevice("myDeviceId");
  const std::string condition = "deviceId IN ['myDeviceId']";
  const auto created = CreateJob(h, "lockDoorJob", MethodJob(condition));
  REQUIRE(created.ok());
  CHECK(*created == json{{"jobId", "lockDoorJob"}, {"type", "scheduleDeviceMethod"}, {"status", "queued"}});
  REQUIRE(CreateJob(h, "updateTwinJob", TwinJob(condition)).ok());
  CHECK(CodeOf(CreateJob(h, "lockDoorJob", TwinJob(condition))) == ErrorCode::JobAlreadyExists);

  h.Advance(2);
  for (const char* id : {"lockDoorJob", "updateTwinJob"}) {
    const auto job = h.hub().GetJob(id);
    REQUIRE(job.ok());
    CHECK((*job)["status"] == "completed");
    CHECK((*job)["deviceJobStatistics"]["succeededCount"] == 1);
  }
  CHECK(h.CallsReceived("myDeviceId") == 1);
  CHECK(h.hub().GetTwin("myDeviceId")->at("properties")["desired"]["building"] == "43");

  const auto records = h.hub().Query("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'lockDoorJob'", {});
  REQUIRE(records.ok());
  CHECK(records->item_type == "deviceJob");
  REQUIRE(records->items.size() == 1);
  CHECK(records->items[0]["status"] == "completed");
  CHECK(records->items[0]["outcome"]["deviceMethodResponse"]["status"] == 200);
  CHECK(CodeOf(h.hub().GetJob("nope")) == ErrorCode::JobNotFound);
}

TEST_CASE_TEMPLATE_DEFINE("jobs: cancel a future job; list by type and status", H, hub_contract_job_list) {
  using namespace offhub::contract;
  using offhub::testing::MethodJob;
  using offhub::testing::TwinJob;
  H harness;
  Harness& h = harness;
  AddDevice(h, "d");
  h.ConnectFakeDevice("d");
  const auto later = offhub::domain::FormatUtc(h.Now().PlusSeconds(3600));
  REQUIRE(CreateJob(h, "future", MethodJob("*", {{"startTime", later}})).ok());
  REQUIRE(CreateJob(h, "twinNow", TwinJob("*")).ok());
  h.Advance(5);
  CHECK(h.hub().GetJob("future")->at("status") == "scheduled");
  const auto cancelled = h.hub().CancelJob("future");
  REQUIRE(cancelled.ok());
  CHECK((*cancelled)["status"] == "cancelled");
  CHECK(CodeOf(h.hub().CancelJob("nope")) == ErrorCode::JobNotFound);
  h.Advance(3600);
  CHECK(h.CallsReceived("d") == 0);

  const auto methods = h.hub().ListJobs({"scheduleDeviceMethod", "cancelled"}, {});
  REQUIRE(methods.ok());
  REQUIRE(methods->items.size() == 1);
  CHECK(methods->items[0]["jobId"] == "future");
  const auto twins = h.hub().ListJobs({"ScheduleUpdateTwin", std::nullopt}, {});
  REQUIRE(twins.ok());
  REQUIRE(twins->items.size() == 1);
  CHECK(twins->items[0]["jobId"] == "twinNow");
  CHECK(h.hub().ListJobs({std::nullopt, "finished"}, {})->items.empty());
  const auto first = h.hub().ListJobs({}, {1, std::nullopt});
  REQUIRE(first.ok());
  CHECK(first->items.size() == 1);
  REQUIRE(first->continuation);
  const auto second = h.hub().ListJobs({}, {1, first->continuation});
  REQUIRE(second.ok());
  CHECK(second->items.size() == 1);
  CHECK_FALSE(second->continuation);
}

TEST_CASE_TEMPLATE_DEFINE("modules: identities, twins, queries, methods; gone with their device", H,
                          hub_contract_modules) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  CHECK(CodeOf(h.hub().PutModule(ModuleSpec("gw", "camera"), std::nullopt)) == ErrorCode::DeviceNotFound);
  AddDevice(h, "gw");
  const auto camera = h.hub().PutModule(ModuleSpec("gw", "camera"), std::nullopt);
  REQUIRE(camera.ok());
  CHECK((*camera)["deviceId"] == "gw");
  CHECK((*camera)["moduleId"] == "camera");
  CHECK((*camera)["authentication"]["symmetricKey"]["primaryKey"].get<std::string>().size() == 44);
  CHECK_FALSE(camera->contains("status"));
  const std::string etag = (*camera)["etag"];
  CHECK(CodeOf(h.hub().PutModule(ModuleSpec("gw", "camera"), std::nullopt)) == ErrorCode::ModuleAlreadyExistsOnDevice);
  const auto odd = h.hub().PutModule(ModuleSpec("gw", "$odd#m?"), std::nullopt);
  REQUIRE(odd.ok());
  CHECK((*odd)["etag"] != etag);  // another identity's etag never matches

  CHECK(h.hub().GetModule("gw", "camera")->at("etag") == etag);
  CHECK(CodeOf(h.hub().GetModule("gw", "nothing")) == ErrorCode::ModuleNotFound);
  CHECK(CodeOf(h.hub().GetModule("nobody", "camera")) == ErrorCode::DeviceNotFound);
  CHECK(CodeOf(h.hub().PutModule(ModuleSpec("gw", "camera"), "\"bm90LXRoZS1ldGFn\"")) ==
        ErrorCode::PreconditionFailed);
  CHECK(CodeOf(h.hub().PutModule(ModuleSpec("gw", "nothing"), "*")) == ErrorCode::ModuleNotFound);
  const auto updated = h.hub().PutModule(ModuleSpec("gw", "camera"), etag);
  REQUIRE(updated.ok());
  CHECK((*updated)["etag"] != etag);
  CHECK((*updated)["authentication"] == (*camera)["authentication"]);  // empty keys keep the old ones

  const auto modules = h.hub().ListModules("gw");
  REQUIRE(modules.ok());
  REQUIRE(modules->size() == 2);
  CHECK((*modules)[0]["moduleId"] == "$odd#m?");
  CHECK((*modules)[1]["moduleId"] == "camera");
  CHECK(CodeOf(h.hub().ListModules("nobody")) == ErrorCode::DeviceNotFound);
  CHECK(h.hub().ListDevices(0)->size() == 1);  // modules are not devices
  CHECK(h.hub().GetRegistryStatistics()->at("totalDeviceCount") == 1);

  const auto twin = h.hub().GetModuleTwin("gw", "camera");
  REQUIRE(twin.ok());
  CHECK((*twin)["moduleId"] == "camera");
  CHECK(CodeOf(h.hub().GetModuleTwin("gw", "nothing")) == ErrorCode::ModuleNotFound);
  const json desired = {{"properties", {{"desired", {{"fps", 30}}}}}};
  CHECK(CodeOf(h.hub().PatchModuleTwin("gw", "camera", desired, "\"AAAAAAAAAAk=\"")) == ErrorCode::PreconditionFailed);
  const auto patched = h.hub().PatchModuleTwin("gw", "camera", desired, (*twin)["etag"].get<std::string>());
  REQUIRE(patched.ok());
  CHECK((*patched)["properties"]["desired"]["fps"] == 30);
  const auto replaced = h.hub().ReplaceModuleTwin("gw", "camera", {{"tags", {{"lens", "wide"}}}}, std::nullopt);
  REQUIRE(replaced.ok());
  CHECK((*replaced)["tags"]["lens"] == "wide");
  CHECK_FALSE(h.hub().GetTwin("gw")->at("properties")["desired"].contains("fps"));  // the device's twin is its own

  const auto found = h.hub().Query("SELECT * FROM devices.modules WHERE tags.lens = 'wide'", {});
  REQUIRE(found.ok());
  REQUIRE(found->items.size() == 1);
  CHECK(found->items[0]["deviceId"] == "gw");
  CHECK(found->items[0]["moduleId"] == "camera");
  CHECK(h.hub().Query("SELECT * FROM devices", {})->items.size() == 1);

  h.ConnectFakeDevice("gw/camera", {200, {{"frame", 7}}, 10, false});
  const auto answered = h.Invoke("gw/camera", Method());
  REQUIRE(answered.ok());
  CHECK(answered->payload == json{{"frame", 7}});
  CHECK(h.CallsReceived("gw/camera") == 1);
  CHECK(CodeOf(h.Invoke("gw", Method())) == ErrorCode::DeviceNotOnline);  // the module's connection is not the device's
  CHECK(CodeOf(h.Invoke("gw/nothing", Method())) == ErrorCode::ModuleNotFound);

  CHECK(CodeOf(h.hub().DeleteModule("gw", "$odd#m?", "\"bm90LXRoZS1ldGFn\"")) == ErrorCode::PreconditionFailed);
  CHECK(h.hub().DeleteModule("gw", "$odd#m?", std::nullopt).ok());
  CHECK(CodeOf(h.hub().DeleteModule("gw", "$odd#m?", std::nullopt)) == ErrorCode::ModuleNotFound);
  REQUIRE(h.hub().DeleteDevice("gw", std::nullopt).ok());
  CHECK(CodeOf(h.hub().GetModule("gw", "camera")) == ErrorCode::DeviceNotFound);
  AddDevice(h, "gw");
  CHECK(h.hub().ListModules("gw")->empty());
  CHECK(h.hub().Query("SELECT * FROM devices.modules", {})->items.empty());
}

#define OFFHUB_HUB_SERVICE_CONTRACT(...)                                    \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_registry, std::tuple<__VA_ARGS__>); \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_list, std::tuple<__VA_ARGS__>);     \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_twins, std::tuple<__VA_ARGS__>);    \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_modules, std::tuple<__VA_ARGS__>);  \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_query, std::tuple<__VA_ARGS__>);    \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_methods, std::tuple<__VA_ARGS__>);  \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_jobs, std::tuple<__VA_ARGS__>);     \
  TEST_CASE_TEMPLATE_APPLY(hub_contract_job_list, std::tuple<__VA_ARGS__>)
