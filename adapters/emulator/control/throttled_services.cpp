#include "adapters/emulator/control/throttled_services.hpp"

#include <cmath>

#include "domain/json_text.hpp"

namespace offhub::emulator {
namespace {

using domain::Error;
using domain::ErrorCode;
using nlohmann::json;

// One throttle: a bucket on the hub's clock, and the error beyond it.
class Meter {
 public:
  Meter(domain::Throttle throttle, ports::Clock& clock, const char* what)
      : bucket_(throttle), clock_(clock), what_(what) {}
  domain::Status Take(double cost = 1) {
    if (bucket_.Take(clock_.Now(), cost)) return domain::Success();
    return Error(ErrorCode::ThrottlingException, std::string("The IoT hub's ") + what_ +
                                                     " throttle is exceeded for its tier (offhub-emulator --tier)");
  }

 private:
  domain::TokenBucket bucket_;
  ports::Clock& clock_;
  const char* what_;
};

class Registry final : public ports::RegistryServiceWrapper {
 public:
  Registry(ports::RegistryService& target, Meter& meter) : RegistryServiceWrapper(target), meter_(meter) {}
  domain::Result<json> PutIdentity(const domain::DeviceSpec& spec, ports::IfMatch if_match) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return RegistryServiceWrapper::PutIdentity(spec, if_match);
  }
  domain::Result<json> GetIdentity(const ports::Identity& identity) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return RegistryServiceWrapper::GetIdentity(identity);
  }
  domain::Status DeleteIdentity(const ports::Identity& identity, ports::IfMatch if_match) override {
    if (auto s = meter_.Take(); !s) return s;
    return RegistryServiceWrapper::DeleteIdentity(identity, if_match);
  }
  domain::Result<json> ListDevices(std::size_t top) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return RegistryServiceWrapper::ListDevices(top);
  }
  domain::Result<json> ListModules(std::string_view device_id) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return RegistryServiceWrapper::ListModules(device_id);
  }

 private:
  Meter& meter_;
};

class Twins final : public ports::TwinServiceWrapper {
 public:
  Twins(ports::TwinService& target, Meter& reads, Meter& updates)
      : TwinServiceWrapper(target), reads_(reads), updates_(updates) {}
  domain::Result<json> GetTwin(const ports::Identity& identity) override {
    if (auto s = reads_.Take(); !s) return s.error();
    return TwinServiceWrapper::GetTwin(identity);
  }
  domain::Result<json> PatchTwin(const ports::Identity& identity, const json& patch, ports::IfMatch if_match) override {
    if (auto s = updates_.Take(); !s) return s.error();
    return TwinServiceWrapper::PatchTwin(identity, patch, if_match);
  }
  domain::Result<json> ReplaceTwin(const ports::Identity& identity, const json& twin, ports::IfMatch if_match) override {
    if (auto s = updates_.Take(); !s) return s.error();
    return TwinServiceWrapper::ReplaceTwin(identity, twin, if_match);
  }
  domain::Status ApplyTwinPatch(const ports::Identity& identity, const json& patch, ports::IfMatch if_match) override {
    if (auto s = updates_.Take(); !s) return s;
    return TwinServiceWrapper::ApplyTwinPatch(identity, patch, if_match);
  }

 private:
  Meter& reads_;
  Meter& updates_;
};

class Queries final : public ports::QueryServiceWrapper {
 public:
  Queries(ports::QueryService& target, Meter& meter) : QueryServiceWrapper(target), meter_(meter) {}
  domain::Result<ports::QueryPage> Query(std::string_view sql, const ports::QueryPageRequest& page) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return QueryServiceWrapper::Query(sql, page);
  }

 private:
  Meter& meter_;
};

class Methods final : public ports::MethodServiceWrapper {
 public:
  Methods(ports::MethodService& target, Meter& meter) : MethodServiceWrapper(target), meter_(meter) {}
  void InvokeMethod(const ports::Identity& identity, const domain::MethodRequest& request, MethodCallback done) override {
    // Metered in 4 KB blocks of request payload; 0 to 4 KB counts one block.
    const std::size_t bytes = request.payload.is_null() ? 0 : domain::DumpJson(request.payload).size();
    const double blocks = std::max<double>(1, std::ceil(static_cast<double>(bytes) / domain::kDirectMethodMeterBytes));
    if (auto s = meter_.Take(blocks * domain::kDirectMethodMeterBytes / 1024.0); !s) return done(s.error());
    MethodServiceWrapper::InvokeMethod(identity, request, std::move(done));
  }

 private:
  Meter& meter_;
};

class Jobs final : public ports::JobServiceWrapper {
 public:
  Jobs(ports::JobService& target, Meter& meter) : JobServiceWrapper(target), meter_(meter) {}
  domain::Result<json> CreateJob(const domain::JobRequest& request) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return JobServiceWrapper::CreateJob(request);
  }
  domain::Result<json> GetJob(std::string_view job_id) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return JobServiceWrapper::GetJob(job_id);
  }
  domain::Result<json> CancelJob(std::string_view job_id) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return JobServiceWrapper::CancelJob(job_id);
  }
  domain::Result<ports::QueryPage> ListJobs(const ports::JobListFilter& filter,
                                            const ports::QueryPageRequest& page) override {
    if (auto s = meter_.Take(); !s) return s.error();
    return JobServiceWrapper::ListJobs(filter, page);
  }

 private:
  Meter& meter_;
};

class Throttled final : public ThrottledServices {
 public:
  Throttled(ports::HubServices inner, const domain::TierLimits& limits, ports::Clock& clock)
      : registry_meter_(limits.registry_operations, clock, "identity registry operations"),
        reads_meter_(limits.twin_reads, clock, "twin reads"),
        updates_meter_(limits.twin_updates, clock, "twin updates"),
        queries_meter_(limits.queries, clock, "queries"),
        methods_meter_(limits.direct_method_kb, clock, "direct methods"),
        jobs_meter_(limits.job_operations, clock, "jobs operations"),
        registry_(inner.registry, registry_meter_),
        twins_(inner.twins, reads_meter_, updates_meter_),
        queries_(inner.queries, queries_meter_),
        methods_(inner.methods, methods_meter_),
        jobs_(inner.jobs, jobs_meter_) {}

  ports::HubServices services() override { return {registry_, twins_, queries_, methods_, jobs_}; }

 private:
  Meter registry_meter_, reads_meter_, updates_meter_, queries_meter_, methods_meter_, jobs_meter_;
  Registry registry_;
  Twins twins_;
  Queries queries_;
  Methods methods_;
  Jobs jobs_;
};

}  // namespace

std::unique_ptr<ThrottledServices> MakeThrottledServices(ports::HubServices inner, const domain::TierLimits& limits,
                                                         ports::Clock& clock) {
  return std::make_unique<Throttled>(inner, limits, clock);
}

}  // namespace offhub::emulator
