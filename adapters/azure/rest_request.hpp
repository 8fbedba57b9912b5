#pragma once
// IoT Hub REST requests as the Node service SDK sends them (api-version
// 2021-04-12), built without a socket so tests can read them. Internal to
// the Azure adapter. https://learn.microsoft.com/rest/api/iothub/service
//
// - Targets: path + "?api-version=2021-04-12" (+ "&name=value" extras); ids
//   percent-encoded with encodeURIComponent. offhub also encodes jobIds on
//   GET and cancel, where Node sends them raw: the hub decodes both, and a
//   raw '#' or '?' would cut the path short.
// - If-Match always quoted ("*", "<etag>"); a value already quoted (or W/"..")
//   is sent as given.
// - Headers: Host, Authorization, Request-Id, User-Agent, Connection:
//   keep-alive; JSON bodies with Content-Type: application/json;
//   charset=utf-8 and Content-Length; bodiless POSTs with Content-Length: 0;
//   GET/DELETE with neither.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "ports/hub_services.hpp"

namespace offhub::azure {

inline constexpr std::string_view kApiVersion = "2021-04-12";

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// One REST call, before the connection-level headers are added.
struct RestCall {
  boost::beast::http::verb verb = boost::beast::http::verb::get;
  std::string target;                                        // "/devices/d1?api-version=2021-04-12"
  std::optional<std::string> body;                           // JSON text; nullopt: no body
  std::optional<std::string> if_match;                       // already quoted
  std::vector<std::pair<std::string, std::string>> headers;  // x-ms-* paging headers
  std::chrono::milliseconds read_timeout{0};                 // 0: the client's default
};

// "/devices/" + EncodeUriComponent(id) style; `extra` appended as &k=v (values encoded).
std::string Target(std::string_view path, const std::vector<std::pair<std::string, std::string>>& extra = {});
// "\"" + value + "\"" unless already quoted.
std::string QuoteIfMatch(std::string_view value);

// {"deviceId","status","statusReason"?,"authentication":{type,symmetricKey},"capabilities":{iotEdge}}
nlohmann::json DeviceJson(const domain::DeviceSpec& spec);

// A device, or a module when spec.module_id is set (PUT /devices/{d}/modules/{m}).
RestCall PutDeviceCall(const domain::DeviceSpec& spec, ports::IfMatch if_match);
RestCall GetModuleCall(std::string_view device_id, std::string_view module_id);
RestCall ListModulesCall(std::string_view device_id);
RestCall DeleteModuleCall(std::string_view device_id, std::string_view module_id, ports::IfMatch if_match);
RestCall GetDeviceCall(std::string_view device_id);
RestCall ListDevicesCall(std::size_t top);                                       // top sent only when 1..1000
RestCall DeleteDeviceCall(std::string_view device_id, ports::IfMatch if_match);  // nullopt: "*" as Node sends
RestCall RegistryStatisticsCall();
RestCall ServiceStatisticsCall();
// Twins and methods: the device's when module_id is empty, else /twins/{d}/modules/{m}.
RestCall GetTwinCall(std::string_view device_id, std::string_view module_id = {});
RestCall PatchTwinCall(std::string_view device_id, std::string_view module_id, const nlohmann::json& patch,
                       ports::IfMatch if_match);
RestCall ReplaceTwinCall(std::string_view device_id, std::string_view module_id, const nlohmann::json& twin,
                         ports::IfMatch if_match);
RestCall QueryCall(std::string_view sql, const ports::QueryPageRequest& page);
// read_timeout = (responseTimeout + connectTimeout) seconds + margin.
RestCall InvokeMethodCall(std::string_view device_id, std::string_view module_id, const domain::MethodRequest& request,
                          std::chrono::milliseconds margin);
RestCall CreateJobCall(const domain::JobRequest& request);
RestCall GetJobCall(std::string_view job_id);
RestCall CancelJobCall(std::string_view job_id);
RestCall ListJobsCall(const ports::JobListFilter& filter, const ports::QueryPageRequest& page);

struct ConnectionHeaders {
  std::string host;           // Host header (the hub's name, even when connecting elsewhere)
  std::string authorization;  // the SAS token
  std::string request_id;     // uuid
  std::string user_agent;     // "offhub/<version>"
};

HttpRequest ToHttpRequest(const RestCall& call, const ConnectionHeaders& headers);

// A random (version 4) UUID, lowercase, as Request-Id.
std::string NewRequestId();

}  // namespace offhub::azure
