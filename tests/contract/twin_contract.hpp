#pragma once
// The twin port (ports/twin_service.hpp):
// its contract, run against every implementation (see contract_support.hpp).

#include "tests/contract/contract_support.hpp"

TEST_CASE_TEMPLATE_DEFINE("twins: get, patch with If-Match, replace; desired $version", H, hub_contract_twins) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  AddDevice(h, "t1");
  const auto twin = h.services().twins.GetTwin(offhub::ports::Identity::Device("t1"));
  REQUIRE(twin.ok());
  const std::string etag = (*twin)["etag"];
  const int version = (*twin)["properties"]["desired"]["$version"];
  CHECK(CodeOf(h.services().twins.GetTwin(offhub::ports::Identity::Device("nope"))) == ErrorCode::DeviceNotFound);

  const json desired = {{"properties", {{"desired", {{"floor", 3}}}}}};
  CHECK(CodeOf(h.services().twins.PatchTwin(offhub::ports::Identity::Device("t1"), desired, "\"AAAAAAAAAAk=\"")) == ErrorCode::PreconditionFailed);
  const auto patched = h.services().twins.PatchTwin(offhub::ports::Identity::Device("t1"), desired, etag);
  REQUIRE(patched.ok());
  CHECK((*patched)["properties"]["desired"]["floor"] == 3);
  CHECK((*patched)["properties"]["desired"]["$version"] == version + 1);
  CHECK((*patched)["etag"] != etag);
  CHECK(CodeOf(h.services().twins.PatchTwin(offhub::ports::Identity::Device("t1"), desired, etag)) == ErrorCode::PreconditionFailed);  // stale now

  const auto tagged = h.services().twins.PatchTwin(offhub::ports::Identity::Device("t1"), {{"tags", {{"building", "43"}}}}, "*");
  REQUIRE(tagged.ok());
  CHECK((*tagged)["tags"]["building"] == "43");
  CHECK((*tagged)["properties"]["desired"]["$version"] == version + 1);  // tags only: unchanged

  const json replacement = {{"tags", {{"room", 1}}}, {"properties", {{"desired", {{"mode", "eco"}}}}}};
  const auto replaced = h.services().twins.ReplaceTwin(offhub::ports::Identity::Device("t1"), replacement, std::nullopt);
  REQUIRE(replaced.ok());
  CHECK((*replaced)["tags"] == json{{"room", 1}});
  CHECK((*replaced)["properties"]["desired"]["mode"] == "eco");
  CHECK_FALSE((*replaced)["properties"]["desired"].contains("floor"));
  CHECK(CodeOf(h.services().twins.ReplaceTwin(offhub::ports::Identity::Device("t1"), replacement, etag)) == ErrorCode::PreconditionFailed);
  CHECK(h.services().twins.GetTwin(offhub::ports::Identity::Device("t1"))->at("etag") == (*replaced)["etag"]);

  // The same write without the twin in return (a job's step): its errors are PatchTwin's.
  const auto current = (*replaced)["etag"].get<std::string>();
  CHECK(h.services().twins.ApplyTwinPatch(offhub::ports::Identity::Device("t1"), desired, "*").ok());
  const auto applied = h.services().twins.GetTwin(offhub::ports::Identity::Device("t1"));
  CHECK((*applied)["properties"]["desired"]["floor"] == 3);
  CHECK((*applied)["etag"] != current);
  CHECK(CodeOf(h.services().twins.ApplyTwinPatch(offhub::ports::Identity::Device("t1"), desired, current)) ==
        ErrorCode::PreconditionFailed);
  CHECK(CodeOf(h.services().twins.ApplyTwinPatch(offhub::ports::Identity::Device("nope"), desired, "*")) ==
        ErrorCode::DeviceNotFound);
}
