#include "adapters/azure/rest_request.hpp"

#include "adapters/iothub/percent_encoding.hpp"

#include <cstdio>
#include <random>

#include <boost/beast/http/field.hpp>

#include "adapters/iothub/sas_token.hpp"
#include "domain/method_request.hpp"

namespace offhub::azure {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

constexpr std::size_t kMaxListTop = 1000;

std::string DevicePath(std::string_view prefix, std::string_view id, std::string_view suffix = "") {
  return std::string(prefix) + iothub::EncodeUriComponent(id) + std::string(suffix);
}

// "{prefix}{d}" or "{prefix}{d}/modules/{m}", then `suffix`.
std::string IdentityPath(std::string_view prefix, std::string_view device_id, std::string_view module_id,
                         std::string_view suffix = "") {
  if (module_id.empty()) return DevicePath(prefix, device_id, suffix);
  return DevicePath(prefix, device_id, "/modules/" + iothub::EncodeUriComponent(module_id) + std::string(suffix));
}

RestCall Call(http::verb verb, std::string target, std::optional<std::string> body = std::nullopt) {
  RestCall call;
  call.verb = verb;
  call.target = std::move(target);
  call.body = std::move(body);
  return call;
}

RestCall WithIfMatch(RestCall call, ports::IfMatch if_match) {
  if (if_match) call.if_match = QuoteIfMatch(*if_match);
  return call;
}

void AddPaging(RestCall& call, const ports::QueryPageRequest& page) {
  if (page.max_item_count > 0) call.headers.emplace_back("x-ms-max-item-count", std::to_string(page.max_item_count));
  if (page.continuation) call.headers.emplace_back("x-ms-continuation", *page.continuation);
}

}  // namespace

std::string Target(std::string_view path, const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string target = std::string(path) + "?api-version=" + std::string(kApiVersion);
  for (const auto& [name, value] : extra) target += "&" + name + "=" + iothub::EncodeUriComponent(value);
  return target;
}

std::string QuoteIfMatch(std::string_view value) {
  const bool quoted = value.size() >= 2 && value.back() == '"' && (value.front() == '"' || value.starts_with("W/\""));
  return quoted ? std::string(value) : "\"" + std::string(value) + "\"";
}

json DeviceJson(const domain::DeviceSpec& spec) {
  const json authentication = {
      {"type", spec.authentication_type},
      {"symmetricKey", {{"primaryKey", spec.primary_key}, {"secondaryKey", spec.secondary_key}}}};
  if (!spec.module_id.empty()) {
    json module = {{"deviceId", spec.device_id}, {"moduleId", spec.module_id}, {"authentication", authentication}};
    if (spec.managed_by) module["managedBy"] = *spec.managed_by;
    return module;
  }
  json device = {{"deviceId", spec.device_id}, {"status", domain::ToString(spec.status)}};
  if (spec.status_reason) device["statusReason"] = *spec.status_reason;
  device["authentication"] = authentication;
  device["capabilities"] = {{"iotEdge", spec.iot_edge}};
  return device;
}

RestCall PutDeviceCall(const domain::DeviceSpec& spec, ports::IfMatch if_match) {
  const auto path = IdentityPath("/devices/", spec.device_id, spec.module_id);
  return WithIfMatch(Call(http::verb::put, Target(path), DeviceJson(spec).dump()), if_match);
}

RestCall GetModuleCall(std::string_view device_id, std::string_view module_id) {
  return Call(http::verb::get, Target(IdentityPath("/devices/", device_id, module_id)));
}

RestCall ListModulesCall(std::string_view device_id) {
  return Call(http::verb::get, Target(DevicePath("/devices/", device_id, "/modules")));
}

RestCall DeleteModuleCall(std::string_view device_id, std::string_view module_id, ports::IfMatch if_match) {
  return WithIfMatch(Call(http::verb::delete_, Target(IdentityPath("/devices/", device_id, module_id))),
                     if_match.value_or("*"));
}

RestCall GetDeviceCall(std::string_view device_id) {
  return Call(http::verb::get, Target(DevicePath("/devices/", device_id)));
}

RestCall ListDevicesCall(std::size_t top) {
  if (top == 0 || top > kMaxListTop) return Call(http::verb::get, Target("/devices"));
  return Call(http::verb::get, Target("/devices", {{"top", std::to_string(top)}}));
}

RestCall DeleteDeviceCall(std::string_view device_id, ports::IfMatch if_match) {
  return WithIfMatch(Call(http::verb::delete_, Target(DevicePath("/devices/", device_id))), if_match.value_or("*"));
}

RestCall RegistryStatisticsCall() { return Call(http::verb::get, Target("/statistics/devices")); }
RestCall ServiceStatisticsCall() { return Call(http::verb::get, Target("/statistics/service")); }

RestCall GetTwinCall(std::string_view device_id, std::string_view module_id) {
  return Call(http::verb::get, Target(IdentityPath("/twins/", device_id, module_id)));
}

RestCall PatchTwinCall(std::string_view device_id, std::string_view module_id, const json& patch,
                       ports::IfMatch if_match) {
  const auto path = IdentityPath("/twins/", device_id, module_id);
  return WithIfMatch(Call(http::verb::patch, Target(path), patch.dump()), if_match);
}

RestCall ReplaceTwinCall(std::string_view device_id, std::string_view module_id, const json& twin,
                         ports::IfMatch if_match) {
  const auto path = IdentityPath("/twins/", device_id, module_id);
  return WithIfMatch(Call(http::verb::put, Target(path), twin.dump()), if_match);
}

RestCall QueryCall(std::string_view sql, const ports::QueryPageRequest& page) {
  auto call = Call(http::verb::post, Target("/devices/query"), json{{"query", sql}}.dump());
  AddPaging(call, page);
  return call;
}

RestCall InvokeMethodCall(std::string_view device_id, std::string_view module_id, const domain::MethodRequest& request,
                          std::chrono::milliseconds margin) {
  const auto path = IdentityPath("/twins/", device_id, module_id, "/methods");
  auto call = Call(http::verb::post, Target(path), domain::ToJson(request).dump());
  call.read_timeout = std::chrono::seconds(request.response_timeout_seconds + request.connect_timeout_seconds) + margin;
  return call;
}

RestCall CreateJobCall(const domain::JobRequest& request) {
  return Call(http::verb::put, Target(DevicePath("/jobs/v2/", request.job_id)), domain::ToJson(request).dump());
}

RestCall GetJobCall(std::string_view job_id) { return Call(http::verb::get, Target(DevicePath("/jobs/v2/", job_id))); }

RestCall CancelJobCall(std::string_view job_id) {
  return Call(http::verb::post, Target(DevicePath("/jobs/v2/", job_id, "/cancel")));
}

RestCall ListJobsCall(const ports::JobListFilter& filter, const ports::QueryPageRequest& page) {
  std::vector<std::pair<std::string, std::string>> extra;
  if (filter.job_type) extra.emplace_back("jobType", *filter.job_type);
  if (filter.job_status) extra.emplace_back("jobStatus", *filter.job_status);
  auto call = Call(http::verb::get, Target("/jobs/v2/query", extra));
  AddPaging(call, page);
  return call;
}

HttpRequest ToHttpRequest(const RestCall& call, const ConnectionHeaders& headers) {
  HttpRequest request{call.verb, call.target, 11};
  request.set(http::field::host, headers.host);
  request.set(http::field::authorization, headers.authorization);
  request.set("Request-Id", headers.request_id);
  request.set(http::field::user_agent, headers.user_agent);
  request.set(http::field::connection, "keep-alive");
  if (call.if_match) request.set(http::field::if_match, *call.if_match);
  for (const auto& [name, value] : call.headers) request.set(name, value);
  if (call.body) {
    request.set(http::field::content_type, "application/json; charset=utf-8");
    request.body() = *call.body;
    request.content_length(request.body().size());
  } else if (call.verb == http::verb::post || call.verb == http::verb::put || call.verb == http::verb::patch) {
    request.content_length(0);
  }
  return request;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const std::uint64_t hi = (random() & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  const std::uint64_t lo = (random() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xFFFF), static_cast<unsigned long long>(hi & 0xFFFF),
                static_cast<unsigned long long>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return text;
}

}  // namespace offhub::azure
