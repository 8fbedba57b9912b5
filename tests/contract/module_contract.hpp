#pragma once
// Modules across the registry, twin, query and method ports:
// its contract, run against every implementation (see contract_support.hpp).

#include "tests/contract/contract_support.hpp"

TEST_CASE_TEMPLATE_DEFINE("modules: identities, twins, queries, methods; gone with their device", H,
                          hub_contract_modules) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  CHECK(CodeOf(h.services().registry.PutIdentity(ModuleSpec("gw", "camera"), std::nullopt)) == ErrorCode::DeviceNotFound);
  AddDevice(h, "gw");
  const auto camera = h.services().registry.PutIdentity(ModuleSpec("gw", "camera"), std::nullopt);
  REQUIRE(camera.ok());
  CHECK((*camera)["deviceId"] == "gw");
  CHECK((*camera)["moduleId"] == "camera");
  CHECK((*camera)["authentication"]["symmetricKey"]["primaryKey"].get<std::string>().size() == 44);
  CHECK_FALSE(camera->contains("status"));
  const std::string etag = (*camera)["etag"];
  CHECK(CodeOf(h.services().registry.PutIdentity(ModuleSpec("gw", "camera"), std::nullopt)) == ErrorCode::ModuleAlreadyExistsOnDevice);
  const auto odd = h.services().registry.PutIdentity(ModuleSpec("gw", "$odd#m?"), std::nullopt);
  REQUIRE(odd.ok());
  CHECK((*odd)["etag"] != etag);  // another identity's etag never matches

  CHECK(h.services().registry.GetIdentity(offhub::ports::Identity::Module("gw", "camera"))->at("etag") == etag);
  CHECK(CodeOf(h.services().registry.GetIdentity(offhub::ports::Identity::Module("gw", "nothing"))) == ErrorCode::ModuleNotFound);
  CHECK(CodeOf(h.services().registry.GetIdentity(offhub::ports::Identity::Module("nobody", "camera"))) == ErrorCode::DeviceNotFound);
  CHECK(CodeOf(h.services().registry.PutIdentity(ModuleSpec("gw", "camera"), "\"bm90LXRoZS1ldGFn\"")) ==
        ErrorCode::PreconditionFailed);
  CHECK(CodeOf(h.services().registry.PutIdentity(ModuleSpec("gw", "nothing"), "*")) == ErrorCode::ModuleNotFound);
  const auto updated = h.services().registry.PutIdentity(ModuleSpec("gw", "camera"), etag);
  REQUIRE(updated.ok());
  CHECK((*updated)["etag"] != etag);
  CHECK((*updated)["authentication"] == (*camera)["authentication"]);  // empty keys keep the old ones

  const auto modules = h.services().registry.ListModules("gw");
  REQUIRE(modules.ok());
  REQUIRE(modules->size() == 2);
  CHECK((*modules)[0]["moduleId"] == "$odd#m?");
  CHECK((*modules)[1]["moduleId"] == "camera");
  CHECK(CodeOf(h.services().registry.ListModules("nobody")) == ErrorCode::DeviceNotFound);
  CHECK(h.services().registry.ListDevices(0)->size() == 1);  // modules are not devices
  CHECK(h.services().registry.GetRegistryStatistics()->at("totalDeviceCount") == 1);

  const auto twin = h.services().twins.GetTwin(offhub::ports::Identity::Module("gw", "camera"));
  REQUIRE(twin.ok());
  CHECK((*twin)["moduleId"] == "camera");
  CHECK(CodeOf(h.services().twins.GetTwin(offhub::ports::Identity::Module("gw", "nothing"))) == ErrorCode::ModuleNotFound);
  const json desired = {{"properties", {{"desired", {{"fps", 30}}}}}};
  CHECK(CodeOf(h.services().twins.PatchTwin(offhub::ports::Identity::Module("gw", "camera"), desired, "\"AAAAAAAAAAk=\"")) == ErrorCode::PreconditionFailed);
  const auto patched = h.services().twins.PatchTwin(offhub::ports::Identity::Module("gw", "camera"), desired, (*twin)["etag"].get<std::string>());
  REQUIRE(patched.ok());
  CHECK((*patched)["properties"]["desired"]["fps"] == 30);
  const auto replaced = h.services().twins.ReplaceTwin(offhub::ports::Identity::Module("gw", "camera"), {{"tags", {{"lens", "wide"}}}}, std::nullopt);
  REQUIRE(replaced.ok());
  CHECK((*replaced)["tags"]["lens"] == "wide");
  CHECK_FALSE(h.services().twins.GetTwin(offhub::ports::Identity::Device("gw"))->at("properties")["desired"].contains("fps"));  // the device's twin is its own

  const auto found = h.services().queries.Query("SELECT * FROM devices.modules WHERE tags.lens = 'wide'", {});
  REQUIRE(found.ok());
  REQUIRE(found->items.size() == 1);
  CHECK(found->items[0]["deviceId"] == "gw");
  CHECK(found->items[0]["moduleId"] == "camera");
  CHECK(h.services().queries.Query("SELECT * FROM devices", {})->items.size() == 1);

  h.ConnectFakeDevice("gw/camera", {200, {{"frame", 7}}, 10, false});
  const auto answered = h.Invoke("gw/camera", Method());
  REQUIRE(answered.ok());
  CHECK(answered->payload == json{{"frame", 7}});
  CHECK(h.CallsReceived("gw/camera") == 1);
  CHECK(CodeOf(h.Invoke("gw", Method())) == ErrorCode::DeviceNotOnline);  // the module's connection is not the device's
  CHECK(CodeOf(h.Invoke("gw/nothing", Method())) == ErrorCode::ModuleNotFound);

  CHECK(CodeOf(h.services().registry.DeleteIdentity(offhub::ports::Identity::Module("gw", "$odd#m?"), "\"bm90LXRoZS1ldGFn\"")) == ErrorCode::PreconditionFailed);
  CHECK(h.services().registry.DeleteIdentity(offhub::ports::Identity::Module("gw", "$odd#m?"), std::nullopt).ok());
  CHECK(CodeOf(h.services().registry.DeleteIdentity(offhub::ports::Identity::Module("gw", "$odd#m?"), std::nullopt)) == ErrorCode::ModuleNotFound);
  REQUIRE(h.services().registry.DeleteIdentity(offhub::ports::Identity::Device("gw"), std::nullopt).ok());
  CHECK(CodeOf(h.services().registry.GetIdentity(offhub::ports::Identity::Module("gw", "camera"))) == ErrorCode::DeviceNotFound);
  AddDevice(h, "gw");
  CHECK(h.services().registry.ListModules("gw")->empty());
  CHECK(h.services().queries.Query("SELECT * FROM devices.modules", {})->items.empty());
}
