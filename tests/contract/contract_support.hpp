#pragma once
// What the service ports' contract suites share (one file per port:
// registry_contract.hpp, twin_contract.hpp, ...). Every suite runs against
// every implementation (LocalHub in process, the Azure REST adapter against
// the emulator). Cases use a port as a client does and assert outcomes and
// IoT Hub's error codes, never messages (they differ between a hub and its
// REST front).
//
// Usage, in one test file per implementation:
//   #include "tests/contract/service_contracts.hpp"
//   OFFHUB_SERVICE_CONTRACTS(MyHarness);   // MyHarness : contract::Harness, default-constructible

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
  auto created = h.services().registry.PutIdentity(Spec(id), std::nullopt);
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
  return h.services().jobs.CreateJob(*request);
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
