#pragma once
// The identity registry and twins of LocalHub: devices and their modules with
// etags and generated keys, twin reads and writes, and presence bookkeeping.
// Twins, reported patches, telemetry and presence take an identity key
// (domain::IdentityKey: "{deviceId}" or "{deviceId}/{moduleId}").
//
// IoT Hub's rules: a module needs its device (404 DeviceNotFound); deleting
// a device deletes its modules. At most 50 modules per device, else 413
// TooManyModulesOnDevice: the error is IoT Hub's, the figure offhub's reading
// of Azure's service limits (not confirmed against a real hub).
//
// Decisions where IoT Hub's docs are silent:
// - PUT with If-Match on a device that does not exist is 404 DeviceNotFound
//   (an update needs something to update).
// - An update that leaves the keys empty keeps the existing ones.
// - Every write goes to the store first; if the store fails, memory is left
//   as it was and the caller gets the store's error.

#include <random>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/emulator/hub/hub_state.hpp"
#include "adapters/emulator/hub/local_hub.hpp"
#include "domain/device.hpp"
#include "ports/device_channel.hpp"
#include "ports/hub_services.hpp"

namespace offhub::emulator {

class Registry {
 public:
  Registry(HubState& state, RegistryObserver* observer);

  // A device, or a module when spec.module_id is set.
  domain::Result<nlohmann::json> Put(const domain::DeviceSpec& spec, ports::IfMatch if_match);
  // By identity key.
  domain::Result<nlohmann::json> Get(std::string_view key);
  domain::Result<nlohmann::json> List(std::size_t top);
  domain::Result<nlohmann::json> ListModules(std::string_view device_id);
  domain::Status Delete(std::string_view key, ports::IfMatch if_match);
  domain::Result<nlohmann::json> Statistics();
  domain::Result<nlohmann::json> ServiceStatistics();

  domain::Result<nlohmann::json> GetTwin(std::string_view key);
  domain::Result<nlohmann::json> WriteTwin(std::string_view key, const nlohmann::json& body, ports::IfMatch if_match,
                                           bool replace);
  // The same write without rendering the twin (a twin job's per-device step).
  domain::Status ApplyTwinWrite(std::string_view key, const nlohmann::json& body, ports::IfMatch if_match,
                                bool replace);

  // A device's reported patch; returns the new reported $version.
  domain::Result<std::int64_t> WriteReported(std::string_view key, const nlohmann::json& patch);
  // The device or module did something (telemetry): lastActivityTime moves.
  void Touch(std::string_view key);

  void OnPresence(const std::string& key, ports::Presence presence);
  // Tells the observer of every device and module, as after a restart.
  void AnnounceAll();

 private:
  static constexpr std::size_t kMaxModulesPerDevice = 50;

  domain::Result<nlohmann::json> Create(const domain::DeviceSpec& spec);
  domain::Result<nlohmann::json> Update(DeviceEntry& entry, const domain::DeviceSpec& spec, ports::IfMatch if_match);
  std::size_t ModuleCount(std::string_view device_id);
  std::string NewGenerationId();

  HubState& state_;
  RegistryObserver* observer_;
  std::mt19937_64 random_;  // generation ids and first etags (not secrets; keys come from OpenSSL)
};

}  // namespace offhub::emulator
