#pragma once
// Twins of devices and modules (/twins/{d}, /twins/{d}/modules/{m}): GET,
// PATCH (merge) and PUT (replace tags + desired); the full twin comes back.
// 404 DeviceNotFound, or ModuleNotFound for a missing module of an existing
// device; 412 PreconditionFailed on an etag mismatch. Contract and threading:
// ports/service_types.hpp.

#include <nlohmann/json.hpp>

#include "domain/result.hpp"
#include "ports/service_types.hpp"

namespace offhub::ports {

class TwinService {
 public:
  virtual ~TwinService() = default;
  virtual domain::Result<nlohmann::json> GetTwin(const Identity& identity) = 0;
  virtual domain::Result<nlohmann::json> PatchTwin(const Identity& identity, const nlohmann::json& patch,
                                                   IfMatch if_match) = 0;
  virtual domain::Result<nlohmann::json> ReplaceTwin(const Identity& identity, const nlohmann::json& twin,
                                                     IfMatch if_match) = 0;
  // PatchTwin's write and errors, without the twin in return: a job's step
  // per device, where rendering 100,000 twins that nobody reads costs seconds.
  virtual domain::Status ApplyTwinPatch(const Identity& identity, const nlohmann::json& patch, IfMatch if_match) = 0;
};

// Forwards every operation to `target` (see RegistryServiceWrapper).
class TwinServiceWrapper : public TwinService {
 public:
  explicit TwinServiceWrapper(TwinService& target) : target_(target) {}
  domain::Result<nlohmann::json> GetTwin(const Identity& identity) override { return target_.GetTwin(identity); }
  domain::Result<nlohmann::json> PatchTwin(const Identity& identity, const nlohmann::json& patch,
                                           IfMatch if_match) override {
    return target_.PatchTwin(identity, patch, if_match);
  }
  domain::Result<nlohmann::json> ReplaceTwin(const Identity& identity, const nlohmann::json& twin,
                                             IfMatch if_match) override {
    return target_.ReplaceTwin(identity, twin, if_match);
  }
  domain::Status ApplyTwinPatch(const Identity& identity, const nlohmann::json& patch, IfMatch if_match) override {
    return target_.ApplyTwinPatch(identity, patch, if_match);
  }

 protected:
  TwinService& target() { return target_; }

 private:
  TwinService& target_;
};

}  // namespace offhub::ports
