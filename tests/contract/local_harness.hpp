#pragma once
// The contract harness for LocalHub in process: the test thread is the hub's
// event loop.

#include <optional>

#include "tests/contract/harness.hpp"
#include "tests/emulator/hub_fixture.hpp"

namespace offhub::contract {

class LocalHarness final : public Harness {
 public:
  ports::HubServices services() override { return fixture_.hub->services(); }

  void ConnectFakeDevice(const std::string& id, emulator::DeviceScript script) override {
    fixture_.devices.Script(id, std::move(script));
    fixture_.devices.Connect(id);
  }
  std::size_t CallsReceived(const std::string& id) override { return fixture_.devices.device(id).calls.size(); }
  void Advance(std::int64_t seconds) override { fixture_.clock.AdvanceSeconds(seconds); }
  domain::UtcTime Now() override { return fixture_.clock.Now(); }

  domain::Result<domain::MethodResult> Invoke(std::string_view device_id,
                                              const domain::MethodRequest& request) override {
    std::optional<domain::Result<domain::MethodResult>> out;
    int calls = 0;
    fixture_.hub->InvokeMethod(IdentityOf(device_id), request, [&](domain::Result<domain::MethodResult> r) {
      ++calls;
      out.emplace(std::move(r));
    });
    for (int step = 0; step < 7000 && !out; ++step) fixture_.clock.AdvanceMillis(100);
    REQUIRE(out.has_value());
    fixture_.clock.AdvanceSeconds(1);  // a second answer would show up here
    CHECK(calls == 1);
    return std::move(*out);
  }

 private:
  testing::HubFixture fixture_;
};

}  // namespace offhub::contract

DOCTEST_TYPE_TO_STRING_AS("LocalHub", offhub::contract::LocalHarness);
