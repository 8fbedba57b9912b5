#pragma once
// The method port (ports/method_service.hpp):
// its contract, run against every implementation (see contract_support.hpp).

#include "tests/contract/contract_support.hpp"

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
