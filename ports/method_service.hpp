#pragma once
// Direct methods (POST /twins/{d}/methods, /twins/{d}/modules/{m}/methods).
// Contract and threading: ports/service_types.hpp.

#include <functional>

#include "domain/method_request.hpp"
#include "domain/method_result.hpp"
#include "domain/result.hpp"
#include "ports/service_types.hpp"

namespace offhub::ports {

class MethodService {
 public:
  using MethodCallback = std::function<void(domain::Result<domain::MethodResult>)>;

  virtual ~MethodService() = default;
  // `done` runs exactly once: with the device's answer (whatever status it
  // chose), or 404001 DeviceNotFound / 404010 ModuleNotFound, 404103
  // DeviceNotOnline (not connected and subscribed within the connect
  // timeout), 504101 GatewayTimeout (no answer within the response timeout).
  virtual void InvokeMethod(const Identity& identity, const domain::MethodRequest& request, MethodCallback done) = 0;
};

// Forwards every operation to `target` (see RegistryServiceWrapper).
class MethodServiceWrapper : public MethodService {
 public:
  explicit MethodServiceWrapper(MethodService& target) : target_(target) {}
  void InvokeMethod(const Identity& identity, const domain::MethodRequest& request, MethodCallback done) override {
    target_.InvokeMethod(identity, request, std::move(done));
  }

 protected:
  MethodService& target() { return target_; }

 private:
  MethodService& target_;
};

}  // namespace offhub::ports
