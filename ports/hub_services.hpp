#pragma once
// The service side of an IoT hub as five narrow ports, handed around as one
// plain bundle of references. Implemented in-process by the emulator's hub
// and over IoT Hub's REST API by the Azure adapter, so apps and tests run
// unchanged against either. A wrapper (faults, throttling, metrics) replaces
// one reference with its own forwarding object and leaves the rest.

#include "ports/job_service.hpp"
#include "ports/method_service.hpp"
#include "ports/query_service.hpp"
#include "ports/registry_service.hpp"
#include "ports/twin_service.hpp"

namespace offhub::ports {

struct HubServices {
  RegistryService& registry;
  TwinService& twins;
  QueryService& queries;
  MethodService& methods;
  JobService& jobs;
};

// One object serving all five ports, as the in-process hub and the REST
// adapter do. Code that uses a hub takes the bundle or the one port it needs,
// not this.
class Hub : public RegistryService,
            public TwinService,
            public QueryService,
            public MethodService,
            public JobService {
 public:
  HubServices services() { return {*this, *this, *this, *this, *this}; }
};

}  // namespace offhub::ports
