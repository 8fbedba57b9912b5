#pragma once
// HubService: the service side of an IoT hub — registry (devices and their
// modules), twins, queries, direct methods and jobs v2. Implemented in-process by the emulator's
// LocalHub and over IoT Hub's REST API by the Azure adapter, so apps and
// tests run unchanged against either.
//
// Contract
// - Requests come in as validated domain values (DeviceSpec, MethodRequest,
//   JobRequest); documents come back in IoT Hub's wire shape (the JSON of
//   GET /devices/{id}, GET /twins/{id}, GET /jobs/v2/{id}, query items), so
//   the same code reads them from the emulator, the embedded hub and the cloud.
// - Every failure is a domain::Error carrying IoT Hub's code (404001
//   DeviceNotFound, 409001 DeviceAlreadyExists, 412001 PreconditionFailed, ...);
//   nothing throws for bad input.
// - If-Match: nullopt means "no header"; "*" and quoted etags as on the wire.
// - Threading: LocalHub must be called on its event-loop thread and calls
//   back on it; the Azure adapter documents its own rule.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/device.hpp"
#include "domain/job_request.hpp"
#include "domain/method_request.hpp"
#include "domain/method_result.hpp"
#include "domain/result.hpp"

namespace offhub::ports {

using IfMatch = std::optional<std::string_view>;

struct QueryPageRequest {
  std::size_t max_item_count = 0;  // 0: the hub's default page size
  std::optional<std::string> continuation;
};

struct QueryPage {
  nlohmann::json items = nlohmann::json::array();
  std::optional<std::string> continuation;  // absent on the last page
  std::string item_type;                    // "twin" | "deviceJob" | "jobResponse" | "raw"
};

struct JobListFilter {
  std::optional<std::string> job_type;    // case-insensitive; unknown values match nothing
  std::optional<std::string> job_status;
};

class HubService {
 public:
  virtual ~HubService() = default;

  // Registry. Without If-Match, creates the device (409 DeviceAlreadyExists if
  // it exists; empty keys are generated). With If-Match, updates it (404 if
  // missing, 412 on etag mismatch).
  virtual domain::Result<nlohmann::json> PutDevice(const domain::DeviceSpec& spec, IfMatch if_match) = 0;
  virtual domain::Result<nlohmann::json> GetDevice(std::string_view device_id) = 0;
  // Up to `top` devices (1..1000, other values mean 1000), in device-id order.
  virtual domain::Result<nlohmann::json> ListDevices(std::size_t top) = 0;
  virtual domain::Status DeleteDevice(std::string_view device_id, IfMatch if_match) = 0;
  // {"totalDeviceCount","enabledDeviceCount","disabledDeviceCount"}
  virtual domain::Result<nlohmann::json> GetRegistryStatistics() = 0;
  // {"connectedDeviceCount"}
  virtual domain::Result<nlohmann::json> GetServiceStatistics() = 0;

  // Module identities (PUT/GET/DELETE /devices/{d}/modules/{m}, GET
  // /devices/{d}/modules). PutModule creates without If-Match (404
  // DeviceNotFound without the device, 409 ModuleAlreadyExistsOnDevice) and
  // updates with it (404 ModuleNotFound, 412). Deleting a device deletes its modules.
  virtual domain::Result<nlohmann::json> PutModule(const domain::DeviceSpec& spec, IfMatch if_match) = 0;
  virtual domain::Result<nlohmann::json> GetModule(std::string_view device_id, std::string_view module_id) = 0;
  virtual domain::Result<nlohmann::json> ListModules(std::string_view device_id) = 0;
  virtual domain::Status DeleteModule(std::string_view device_id, std::string_view module_id, IfMatch if_match) = 0;

  // Twins: GET, PATCH (merge) and PUT (replace tags + desired); the full twin
  // comes back. The Module* forms address /twins/{d}/modules/{m} (404
  // ModuleNotFound when the device has no such module).
  virtual domain::Result<nlohmann::json> GetTwin(std::string_view device_id) = 0;
  virtual domain::Result<nlohmann::json> PatchTwin(std::string_view device_id, const nlohmann::json& patch,
                                                   IfMatch if_match) = 0;
  virtual domain::Result<nlohmann::json> ReplaceTwin(std::string_view device_id, const nlohmann::json& twin,
                                                     IfMatch if_match) = 0;
  virtual domain::Result<nlohmann::json> GetModuleTwin(std::string_view device_id, std::string_view module_id) = 0;
  virtual domain::Result<nlohmann::json> PatchModuleTwin(std::string_view device_id, std::string_view module_id,
                                                         const nlohmann::json& patch, IfMatch if_match) = 0;
  virtual domain::Result<nlohmann::json> ReplaceModuleTwin(std::string_view device_id, std::string_view module_id,
                                                           const nlohmann::json& twin, IfMatch if_match) = 0;

  // POST /devices/query: twin queries and `devices.jobs` queries, paged.
  virtual domain::Result<QueryPage> Query(std::string_view sql, const QueryPageRequest& page) = 0;

  // A direct-method call. `done` runs exactly once: with the device's answer
  // (whatever status it chose), or 404001 DeviceNotFound, 404103
  // DeviceNotOnline (not connected and subscribed within the connect
  // timeout), 504101 GatewayTimeout (no answer within the response timeout).
  using MethodCallback = std::function<void(domain::Result<domain::MethodResult>)>;
  virtual void InvokeMethod(std::string_view device_id, const domain::MethodRequest& request,
                            MethodCallback done) = 0;
  // The same for a module (POST /twins/{d}/modules/{m}/methods); 404010
  // ModuleNotFound when the device has no such module.
  virtual void InvokeModuleMethod(std::string_view device_id, std::string_view module_id,
                                  const domain::MethodRequest& request, MethodCallback done) = 0;

  // Jobs v2. CreateJob answers the job as created ({"jobId","type","status":"queued"}).
  virtual domain::Result<nlohmann::json> CreateJob(const domain::JobRequest& request) = 0;
  virtual domain::Result<nlohmann::json> GetJob(std::string_view job_id) = 0;
  virtual domain::Result<nlohmann::json> CancelJob(std::string_view job_id) = 0;
  virtual domain::Result<QueryPage> ListJobs(const JobListFilter& filter, const QueryPageRequest& page) = 0;
};

}  // namespace offhub::ports
