#pragma once
// The test-control plane: what /offhub/v1/ serves beside IoT Hub's own API
// (the router authorises it: a policy with RegistryWrite and ServiceConnect).
// JSON in and out; bad input is 400 ArgumentInvalid naming the field.
//
//   GET  /offhub/v1/state          ExportState   the hub as a document (control/hub_state.hpp)
//   PUT  /offhub/v1/state          ImportState   replaces the hub's state, all or nothing
//   POST /offhub/v1/reset          Reset         back to the --seed state, or empty
//   GET  /offhub/v1/clock          GetClock      {"mode":"real"|"manual","now":"<ISO 8601 UTC>"}
//   PUT  /offhub/v1/clock          PutClock      {"mode":"manual","now"?} freezes; {"mode":"real"} resumes
//   POST /offhub/v1/clock/advance  AdvanceClock  {"seconds":N}: manual only (else 409 ClockNotManual)
//   GET|PUT|DELETE /offhub/v1/devices/{id}[/modules/{m}]/faults
//                                  GetFaults, PutFaults, DeleteFaults: one identity's faults
//                                  (control/device_faults.hpp); PUT replaces them and answers
//                                  what GET then reads; unknown identity 404 DeviceNotFound
//                                  (ModuleNotFound)
//
// Import and reset answer {"devices":N,"modules":M,"jobs":J}: what the hub holds now.
// Threading: the hub's event loop; AdvanceClock answers later (see
// SteerableClock::Advance), every other call at once.

#include <functional>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"
#include "ports/service_types.hpp"

namespace offhub::emulator {

class ControlService {
 public:
  using Done = std::function<void(domain::Result<nlohmann::json>)>;
  virtual ~ControlService() = default;

  virtual nlohmann::json ExportState() = 0;
  virtual domain::Result<nlohmann::json> ImportState(const nlohmann::json& document) = 0;
  virtual domain::Result<nlohmann::json> Reset() = 0;

  virtual nlohmann::json GetClock() = 0;
  virtual domain::Result<nlohmann::json> PutClock(const nlohmann::json& body) = 0;
  virtual void AdvanceClock(const nlohmann::json& body, Done done) = 0;

  virtual domain::Result<nlohmann::json> GetFaults(const ports::Identity& identity) = 0;
  virtual domain::Result<nlohmann::json> PutFaults(const ports::Identity& identity, const nlohmann::json& body) = 0;
  virtual domain::Status DeleteFaults(const ports::Identity& identity) = 0;
};

}  // namespace offhub::emulator
