#include "adapters/azure/rest_hub_service.hpp"

#include <stdexcept>

#include "adapters/azure/https_client.hpp"
#include "adapters/azure/rest_request.hpp"
#include "adapters/azure/rest_response.hpp"
#include "adapters/azure/service_token.hpp"

#ifndef OFFHUB_VERSION
#define OFFHUB_VERSION "0.0.0"
#endif

namespace offhub::azure {
namespace {

using nlohmann::json;
constexpr std::string_view kUserAgent = "offhub/" OFFHUB_VERSION;

HttpsClientOptions ClientOptions(const RestHubOptions& options) {
  HttpsClientOptions out;
  out.host_name = options.connection.host_name;
  out.connect_host = options.connection.host_name;
  out.tls = options.tls;
  out.ca_file = options.ca_file;
  out.connect_timeout = options.connect_timeout;
  out.io_timeout = options.request_timeout;
  if (options.endpoint_override) {
    auto endpoint = iothub::ParseHostPort(*options.endpoint_override, "endpoint_override");
    if (!endpoint) throw std::invalid_argument(endpoint.error().message());
    out.connect_host = endpoint->host;
    out.connect_port = endpoint->port ? std::to_string(*endpoint->port) : options.tls ? "443" : "80";
  } else if (!options.tls) {
    throw std::invalid_argument("Plain HTTP needs an endpoint_override (the emulator's HTTP port)");
  }
  return out;
}

class RestHubService final : public ports::Hub {
 public:
  explicit RestHubService(const RestHubOptions& options)
      : host_name_(options.connection.host_name),
        method_margin_(options.method_timeout_margin),
        tokens_(options.connection, options.token_ttl, options.token_renew_before,
                options.now ? options.now : ServiceTokenSource::Now(&std::chrono::system_clock::now)),
        client_(ClientOptions(options)) {}

  // Registry.
  domain::Result<json> PutIdentity(const domain::DeviceSpec& spec, ports::IfMatch if_match) override {
    return Json(PutDeviceCall(spec, if_match));
  }
  domain::Result<json> GetIdentity(const ports::Identity& identity) override {
    return Json(identity.is_module() ? GetModuleCall(identity.device_id, identity.module_id)
                                     : GetDeviceCall(identity.device_id));
  }
  domain::Status DeleteIdentity(const ports::Identity& identity, ports::IfMatch if_match) override {
    auto response = Call(identity.is_module() ? DeleteModuleCall(identity.device_id, identity.module_id, if_match)
                                              : DeleteDeviceCall(identity.device_id, if_match));
    if (!response) return response.error();
    return EmptyResult(*response);
  }
  domain::Result<json> ListDevices(std::size_t top) override { return Json(ListDevicesCall(top)); }
  domain::Result<json> ListModules(std::string_view device_id) override { return Json(ListModulesCall(device_id)); }
  domain::Result<json> GetRegistryStatistics() override { return Json(RegistryStatisticsCall()); }
  domain::Result<json> GetServiceStatistics() override { return Json(ServiceStatisticsCall()); }

  // Twins.
  domain::Result<json> GetTwin(const ports::Identity& identity) override {
    return Json(GetTwinCall(identity.device_id, identity.module_id));
  }
  domain::Result<json> PatchTwin(const ports::Identity& identity, const json& patch, ports::IfMatch if_match) override {
    return Json(PatchTwinCall(identity.device_id, identity.module_id, patch, if_match));
  }
  domain::Result<json> ReplaceTwin(const ports::Identity& identity, const json& twin,
                                   ports::IfMatch if_match) override {
    return Json(ReplaceTwinCall(identity.device_id, identity.module_id, twin, if_match));
  }
  domain::Status ApplyTwinPatch(const ports::Identity& identity, const json& patch, ports::IfMatch if_match) override {
    auto patched = PatchTwin(identity, patch, if_match);  // IoT Hub always answers with the twin
    if (!patched) return patched.error();
    return domain::Success();
  }

  domain::Result<ports::QueryPage> Query(std::string_view sql, const ports::QueryPageRequest& page) override {
    return Page(QueryCall(sql, page));
  }

  void InvokeMethod(const ports::Identity& identity, const domain::MethodRequest& request,
                    MethodCallback done) override {
    auto response = Call(InvokeMethodCall(identity.device_id, identity.module_id, request, method_margin_));
    if (!response) return done(response.error());
    done(MethodResultOf(*response));
  }

  // Jobs.
  domain::Result<json> CreateJob(const domain::JobRequest& request) override { return Json(CreateJobCall(request)); }
  domain::Result<json> GetJob(std::string_view job_id) override { return Json(GetJobCall(job_id)); }
  domain::Result<json> CancelJob(std::string_view job_id) override { return Json(CancelJobCall(job_id)); }
  domain::Result<ports::QueryPage> ListJobs(const ports::JobListFilter& filter,
                                            const ports::QueryPageRequest& page) override {
    return Page(ListJobsCall(filter, page));
  }

 private:
  domain::Result<HttpResponse> Call(const RestCall& call) {
    auto token = tokens_.Token();
    if (!token) return token.error();
    const ConnectionHeaders headers{host_name_, std::move(*token), NewRequestId(), std::string(kUserAgent)};
    return client_.Send(ToHttpRequest(call, headers), call.read_timeout);
  }
  domain::Result<json> Json(const RestCall& call) {
    auto response = Call(call);
    if (!response) return response.error();
    return JsonResult(*response);
  }
  domain::Result<ports::QueryPage> Page(const RestCall& call) {
    auto response = Call(call);
    if (!response) return response.error();
    return PageResult(*response);
  }

  std::string host_name_;
  std::chrono::milliseconds method_margin_;
  ServiceTokenSource tokens_;
  HttpsClient client_;
};

}  // namespace

std::unique_ptr<ports::Hub> MakeRestHubService(RestHubOptions options) {
  return std::make_unique<RestHubService>(options);
}

}  // namespace offhub::azure
