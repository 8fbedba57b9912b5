#pragma once
// The registry port (ports/registry_service.hpp):
// its contract, run against every implementation (see contract_support.hpp).

#include "tests/contract/contract_support.hpp"

TEST_CASE_TEMPLATE_DEFINE("registry: create, conflict, get, update and delete with etags", H, hub_contract_registry) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  const json created = AddDevice(h, "dev-1");
  CHECK(created["deviceId"] == "dev-1");
  CHECK(created["authentication"]["symmetricKey"]["primaryKey"].get<std::string>().size() == 44);
  const std::string etag = created["etag"];
  CHECK(CodeOf(h.services().registry.PutIdentity(Spec("dev-1"), std::nullopt)) == ErrorCode::DeviceAlreadyExists);

  const auto got = h.services().registry.GetIdentity(offhub::ports::Identity::Device("dev-1"));
  REQUIRE(got.ok());
  CHECK((*got)["etag"] == etag);
  CHECK(CodeOf(h.services().registry.GetIdentity(offhub::ports::Identity::Device("missing"))) == ErrorCode::DeviceNotFound);

  auto disabled = Spec("dev-1");
  disabled.status = offhub::domain::DeviceStatus::kDisabled;
  disabled.primary_key = created["authentication"]["symmetricKey"]["primaryKey"];
  disabled.secondary_key = created["authentication"]["symmetricKey"]["secondaryKey"];
  CHECK(CodeOf(h.services().registry.PutIdentity(disabled, "\"bm90LXRoZS1ldGFn\"")) == ErrorCode::PreconditionFailed);
  CHECK(CodeOf(h.services().registry.PutIdentity(Spec("nobody"), "*")) == ErrorCode::DeviceNotFound);
  const auto updated = h.services().registry.PutIdentity(disabled, etag);
  REQUIRE(updated.ok());
  CHECK((*updated)["status"] == "disabled");
  CHECK((*updated)["etag"] != etag);

  CHECK(CodeOf(h.services().registry.DeleteIdentity(offhub::ports::Identity::Device("dev-1"), etag)) == ErrorCode::PreconditionFailed);
  CHECK(h.services().registry.DeleteIdentity(offhub::ports::Identity::Device("dev-1"), std::nullopt).ok());
  CHECK(CodeOf(h.services().registry.DeleteIdentity(offhub::ports::Identity::Device("dev-1"), std::nullopt)) == ErrorCode::DeviceNotFound);
  CHECK(CodeOf(h.services().registry.GetIdentity(offhub::ports::Identity::Device("dev-1"))) == ErrorCode::DeviceNotFound);
}

TEST_CASE_TEMPLATE_DEFINE("registry: list in id order with top, statistics, odd ids", H, hub_contract_list) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  for (const char* id : {"c", "a", "b", "odd#id?*(1)'!%"}) AddDevice(h, id);
  const auto odd = h.services().registry.GetIdentity(offhub::ports::Identity::Device("odd#id?*(1)'!%"));
  REQUIRE(odd.ok());
  CHECK((*odd)["deviceId"] == "odd#id?*(1)'!%");
  const auto two = h.services().registry.ListDevices(2);
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  CHECK((*two)[0]["deviceId"] == "a");
  CHECK((*two)[1]["deviceId"] == "b");
  CHECK(h.services().registry.ListDevices(0)->size() == 4);
  const auto stats = h.services().registry.GetRegistryStatistics();
  REQUIRE(stats.ok());
  CHECK(*stats == json{{"totalDeviceCount", 4}, {"enabledDeviceCount", 4}, {"disabledDeviceCount", 0}});
  h.ConnectFakeDevice("a");
  const auto service = h.services().registry.GetServiceStatistics();
  REQUIRE(service.ok());
  CHECK((*service)["connectedDeviceCount"] == 1);
}
