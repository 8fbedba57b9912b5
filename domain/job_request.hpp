#pragma once
// The body of PUT /jobs/v2/{id}: a scheduleDeviceMethod or scheduleUpdateTwin
// job over the devices matched by a query condition.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-jobs
//
// Validation (conventions for nulls, types and integers in job_fields.hpp):
// - jobId: the path id must satisfy ValidateJobId; a body jobId, when present,
//   must be a string equal to it (400 ArgumentInvalid).
// - type: "scheduleDeviceMethod" | "scheduleUpdateTwin", case-sensitive.
//   Anything else, absent or not a string, is 400 GenericBadRequest with the
//   message "BadRequest": the real hub's `ErrorCode:GenericBadRequest;BadRequest`
//   for misspelled types (azure-docs issue #29484).
// - cloudToDeviceMethod (method jobs): required; ParseMethodRequest's rules.
// - updateTwin (twin jobs): required object shaped like a twin PATCH:
//   {etag?: string, tags?: object, properties?: {desired?: object}}. A
//   top-level "desired"/"reported" or a properties.reported is 400
//   ArgumentInvalid (Node SDK issue #44). Then etag must be "*": absent,
//   null or any other value is 412 PreconditionFailed (jobs apply their patch
//   as a forced update: azure-iot-sdk-csharp issue 1680, the az CLI's job
//   provider). Other members (deviceId, version,
//   ...) are dropped. Limits are checked by the twin module when applied;
//   only nesting deeper than kMaxUpdateTwinDepth is refused here, as a guard
//   (400 ArgumentInvalid; the twin's own limit is far lower).
// - The member for the other job type is ignored.
// - queryCondition: required string, not all blanks (400 ArgumentInvalid).
//   A condition whose query (domain::query::JobTargetQuery: the condition
//   with the hub's SELECT around it) is longer than 8192 characters, IoT
//   Hub's documented maximum query size, is 412 PreconditionFailed now, as
//   IoT Hub answers (azure-iot-sdk-csharp issue 1680). Otherwise it is stored
//   verbatim and judged when the job starts: a condition that does not parse
//   fails the job then, as on IoT Hub (azure-iot-sdk-csharp issue 40).
// - startTime: ISO-8601 string; absent or null means `now`. A time in the
//   past is accepted and means "start at once"; it is kept as sent (not
//   clamped to now), so the job window still counts from it, as the real
//   hub's device-job records show (startTimeUtc before createdDateTimeUtc).
// - maxExecutionTimeInSeconds: absent, null or 0 means
//   kDefaultMaxExecutionTimeSeconds (3600, what Node's callback API sends;
//   0 because C# sends it for "unset"). Valid 1..kMaxMaxExecutionTimeSeconds
//   (30 days, IoT Hub's job retention: offhub's choice, the hub documents no
//   maximum), else 400 ArgumentInvalid.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/method_request.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace offhub::domain {

inline constexpr std::size_t kMaxJobIdLength = 128;
inline constexpr std::int64_t kDefaultMaxExecutionTimeSeconds = 3600;
inline constexpr std::int64_t kMaxMaxExecutionTimeSeconds = 30 * 24 * 3600;
inline constexpr std::size_t kMaxUpdateTwinDepth = 64;

enum class JobType { kScheduleDeviceMethod, kScheduleUpdateTwin };

std::string_view ToString(JobType type);  // "scheduleDeviceMethod" | "scheduleUpdateTwin"
// Exact, case-sensitive (the PUT body); see job_filter.hpp for the lenient query filter.
std::optional<JobType> ParseJobType(std::string_view text);

struct JobRequest {
  std::string job_id;
  JobType type = JobType::kScheduleDeviceMethod;
  std::string query_condition;
  std::optional<MethodRequest> method;        // set iff type == kScheduleDeviceMethod
  std::optional<nlohmann::json> update_twin;  // set iff type == kScheduleUpdateTwin; normalized
  UtcTime start_time;
  std::int64_t max_execution_time_seconds = kDefaultMaxExecutionTimeSeconds;

  // The job window's end: start_time + max_execution_time_seconds.
  UtcTime Deadline() const { return start_time.PlusSeconds(max_execution_time_seconds); }
  bool operator==(const JobRequest&) const = default;
};

// Job ids follow IoT Hub's device-id rule (offhub's choice; the hub documents
// none for jobs): 1..128 characters of ASCII alphanumerics and
// `- . + % _ # * ? ! ( ) , : = @ $ '`. Else 400 ArgumentInvalid.
Status ValidateJobId(std::string_view job_id);

// `path_id` is the {id} of the URL (already percent-decoded); `now` fills a
// missing startTime. A body that is not a JSON object is 400 IotHubFormatError.
Result<JobRequest> ParseJobRequest(std::string_view path_id, const nlohmann::json& body, UtcTime now);

// The PUT body as the Azure adapter sends it (startTime always explicit).
// ParseJobRequest(r.job_id, ToJson(r), any) == r for every valid r.
nlohmann::json ToJson(const JobRequest& request);

// Checks and normalizes a twin job's patch to {etag?, tags?, properties:{desired?}}.
Result<nlohmann::json> ParseUpdateTwin(const nlohmann::json& patch);

}  // namespace offhub::domain
