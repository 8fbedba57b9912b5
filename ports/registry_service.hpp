#pragma once
// The identity registry: devices and their modules (PUT/GET/DELETE
// /devices/{d}[/modules/{m}], listings, statistics). Contract and threading:
// ports/service_types.hpp.

#include <cstddef>

#include <nlohmann/json.hpp>

#include "domain/device.hpp"
#include "domain/result.hpp"
#include "ports/service_types.hpp"

namespace offhub::ports {

class RegistryService {
 public:
  virtual ~RegistryService() = default;

  // A device, or a module when spec.module_id is set. Without If-Match,
  // creates it (409 DeviceAlreadyExists / ModuleAlreadyExistsOnDevice; a
  // module needs its device, 404 DeviceNotFound; empty keys are generated).
  // With If-Match, updates it (404 if missing, 412 on etag mismatch).
  virtual domain::Result<nlohmann::json> PutIdentity(const domain::DeviceSpec& spec, IfMatch if_match) = 0;
  // 404 DeviceNotFound, or ModuleNotFound for a missing module of an existing device.
  virtual domain::Result<nlohmann::json> GetIdentity(const Identity& identity) = 0;
  // Deleting a device deletes its modules.
  virtual domain::Status DeleteIdentity(const Identity& identity, IfMatch if_match) = 0;
  // Up to `top` devices (1..1000, other values mean 1000), in device-id order.
  virtual domain::Result<nlohmann::json> ListDevices(std::size_t top) = 0;
  virtual domain::Result<nlohmann::json> ListModules(std::string_view device_id) = 0;
  // {"totalDeviceCount","enabledDeviceCount","disabledDeviceCount"}
  virtual domain::Result<nlohmann::json> GetRegistryStatistics() = 0;
  // {"connectedDeviceCount"}
  virtual domain::Result<nlohmann::json> GetServiceStatistics() = 0;
};

// Forwards every operation to `target`: a wrapper (faults, throttling,
// metrics) derives from it and overrides only what it changes.
class RegistryServiceWrapper : public RegistryService {
 public:
  explicit RegistryServiceWrapper(RegistryService& target) : target_(target) {}
  domain::Result<nlohmann::json> PutIdentity(const domain::DeviceSpec& spec, IfMatch if_match) override {
    return target_.PutIdentity(spec, if_match);
  }
  domain::Result<nlohmann::json> GetIdentity(const Identity& identity) override { return target_.GetIdentity(identity); }
  domain::Status DeleteIdentity(const Identity& identity, IfMatch if_match) override {
    return target_.DeleteIdentity(identity, if_match);
  }
  domain::Result<nlohmann::json> ListDevices(std::size_t top) override { return target_.ListDevices(top); }
  domain::Result<nlohmann::json> ListModules(std::string_view device_id) override {
    return target_.ListModules(device_id);
  }
  domain::Result<nlohmann::json> GetRegistryStatistics() override { return target_.GetRegistryStatistics(); }
  domain::Result<nlohmann::json> GetServiceStatistics() override { return target_.GetServiceStatistics(); }

 protected:
  RegistryService& target() { return target_; }

 private:
  RegistryService& target_;
};

}  // namespace offhub::ports
