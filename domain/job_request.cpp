#include "domain/job_request.hpp"

#include "domain/query/query.hpp"

#include <algorithm>

#include "domain/job_fields.hpp"

namespace offhub::domain {
namespace {

constexpr std::string_view kScheduleDeviceMethod = "scheduleDeviceMethod";
constexpr std::string_view kScheduleUpdateTwin = "scheduleUpdateTwin";

bool IsJobIdChar(char c) {
  constexpr std::string_view kSpecial = "-.+%_#*?!(),:=@$'";
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || kSpecial.find(c) != std::string_view::npos;
}

Status CheckBodyJobId(std::string_view path_id, const nlohmann::json& body) {
  const auto body_id = ReadOptionalString(FindField(body, "jobId"), "jobId");
  if (!body_id) return body_id.error();
  if (body_id->has_value() && **body_id != path_id) {
    return Error::ArgumentInvalid("jobId in the body must match the jobId in the URL.");
  }
  return Success();
}

Result<JobType> ReadType(const nlohmann::json& body) {
  const nlohmann::json* type = FindField(body, "type");
  if (type == nullptr || !type->is_string()) return Error::BadRequest("BadRequest");
  const auto parsed = ParseJobType(type->get<std::string>());
  if (!parsed) return Error::BadRequest("BadRequest");
  return *parsed;
}

Result<std::string> ReadQueryCondition(const nlohmann::json& body) {
  auto condition = ReadRequiredString(FindField(body, "queryCondition"), "queryCondition");
  if (!condition) return condition.error();
  const bool blank = std::all_of(condition->begin(), condition->end(),
                                 [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
  if (blank) return Error::ArgumentInvalid("queryCondition must not be empty.");
  // Too long is refused now; any other fault fails the job when it starts.
  if (auto target = query::JobTargetQuery(*condition); !target && target.error().code() == ErrorCode::PreconditionFailed) {
    return target.error();
  }
  return condition;
}

Result<UtcTime> ReadStartTime(const nlohmann::json& body, UtcTime now) {
  const auto text = ReadOptionalString(FindField(body, "startTime"), "startTime");
  if (!text) return text.error();
  if (!text->has_value()) return now;
  const auto parsed = ParseUtc(**text);
  if (!parsed) return Error::ArgumentInvalid("startTime must be an ISO-8601 date and time.");
  return *parsed;
}

Result<std::int64_t> ReadMaxExecutionTime(const nlohmann::json& body) {
  constexpr std::string_view kField = "maxExecutionTimeInSeconds";
  const nlohmann::json* raw = FindField(body, kField);
  const auto out_of_range = [&] {
    return Error::ArgumentInvalid(std::string(kField) + " must be within [1; " +
                                  std::to_string(kMaxMaxExecutionTimeSeconds) + "].");
  };
  if (raw != nullptr && raw->is_number_unsigned() &&
      raw->get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxMaxExecutionTimeSeconds)) {
    return out_of_range();
  }
  const auto value = ReadOptionalInt(raw, kField);
  if (!value) return value.error();
  const std::int64_t seconds = value->value_or(0);
  if (seconds == 0) return kDefaultMaxExecutionTimeSeconds;
  if (seconds < 0 || seconds > kMaxMaxExecutionTimeSeconds) return out_of_range();
  return seconds;
}

// Fills the member that belongs to the job's type.
Status ReadTypeSpecific(const nlohmann::json& body, JobRequest& request) {
  if (request.type == JobType::kScheduleDeviceMethod) {
    const nlohmann::json* method = FindField(body, "cloudToDeviceMethod");
    if (method == nullptr) return Error(ErrorCode::ArgumentNull, "cloudToDeviceMethod is required.");
    if (!method->is_object()) return Error::ArgumentInvalid("cloudToDeviceMethod must be an object.");
    auto parsed = ParseMethodRequest(*method);
    if (!parsed) return parsed.error();
    request.method = std::move(*parsed);
    return Success();
  }
  const nlohmann::json* patch = FindField(body, "updateTwin");
  if (patch == nullptr) return Error(ErrorCode::ArgumentNull, "updateTwin is required.");
  auto parsed = ParseUpdateTwin(*patch);
  if (!parsed) return parsed.error();
  // A job's twin update is a forced update: once its shape is right, any etag
  // but "*" (absent or null too) is 412 (azure-iot-sdk-csharp issue 1680).
  if (const auto etag = parsed->find("etag"); etag == parsed->end() || *etag != "*") {
    return Error::PreconditionFailed("updateTwin.etag must be \"*\": a job updates every twin it targets.");
  }
  request.update_twin = std::move(*parsed);
  return Success();
}

Status CheckObjectMember(const nlohmann::json& object, std::string_view name, std::string_view field) {
  const nlohmann::json* member = FindField(object, name);
  if (member != nullptr && !member->is_object()) {
    return Error::ArgumentInvalid(std::string(field) + " must be an object.");
  }
  return Success();
}

}  // namespace

std::string_view ToString(JobType type) {
  return type == JobType::kScheduleDeviceMethod ? kScheduleDeviceMethod : kScheduleUpdateTwin;
}

std::optional<JobType> ParseJobType(std::string_view text) {
  if (text == kScheduleDeviceMethod) return JobType::kScheduleDeviceMethod;
  if (text == kScheduleUpdateTwin) return JobType::kScheduleUpdateTwin;
  return std::nullopt;
}

Status ValidateJobId(std::string_view job_id) {
  if (job_id.empty()) return Error::ArgumentInvalid("jobId must not be empty.");
  if (job_id.size() > kMaxJobIdLength) {
    return Error::ArgumentInvalid("jobId must be at most " + std::to_string(kMaxJobIdLength) + " characters.");
  }
  if (!std::all_of(job_id.begin(), job_id.end(), IsJobIdChar)) {
    return Error::ArgumentInvalid("jobId may contain only ASCII letters, digits and - . + % _ # * ? ! ( ) , : = @ $ '");
  }
  return Success();
}

Result<nlohmann::json> ParseUpdateTwin(const nlohmann::json& patch) {
  if (!patch.is_object()) return Error::ArgumentInvalid("updateTwin must be an object.");
  // Checked before anything is copied: copying a hostile, deeply nested value recurses.
  if (JsonDepth(patch, kMaxUpdateTwinDepth) > kMaxUpdateTwinDepth) {
    return Error::ArgumentInvalid("updateTwin is nested deeper than " + std::to_string(kMaxUpdateTwinDepth) +
                                  " levels.");
  }
  if (patch.contains("desired") || patch.contains("reported")) {
    return Error::ArgumentInvalid("updateTwin: desired properties belong under properties.desired.");
  }
  const auto etag = ReadOptionalString(FindField(patch, "etag"), "updateTwin.etag");
  if (!etag) return etag.error();
  if (auto ok = CheckObjectMember(patch, "tags", "updateTwin.tags"); !ok) return ok.error();
  if (auto ok = CheckObjectMember(patch, "properties", "updateTwin.properties"); !ok) return ok.error();

  nlohmann::json normalized = nlohmann::json::object();
  if (etag->has_value()) normalized["etag"] = **etag;
  if (const auto* tags = FindField(patch, "tags")) normalized["tags"] = *tags;
  const nlohmann::json* properties = FindField(patch, "properties");
  if (properties == nullptr) return normalized;
  // The Java service SDK always sends "reported": {}, which IoT Hub ignores; a
  // job cannot write reported properties, so anything more is refused.
  if (const auto* reported = FindField(*properties, "reported");
      reported != nullptr && !reported->is_null() && !(reported->is_object() && reported->empty())) {
    return Error::ArgumentInvalid("updateTwin: a job cannot write reported properties.");
  }
  if (auto ok = CheckObjectMember(*properties, "desired", "updateTwin.properties.desired"); !ok) return ok.error();
  if (const auto* desired = FindField(*properties, "desired")) normalized["properties"]["desired"] = *desired;
  return normalized;
}

Result<JobRequest> ParseJobRequest(std::string_view path_id, const nlohmann::json& body, UtcTime now) {
  if (auto ok = ValidateJobId(path_id); !ok) return ok.error();
  if (!body.is_object()) return Error::FormatError("The job request must be a JSON object.");
  if (auto ok = CheckBodyJobId(path_id, body); !ok) return ok.error();

  JobRequest request;
  request.job_id = std::string(path_id);
  auto type = ReadType(body);
  if (!type) return type.error();
  request.type = *type;
  if (auto ok = ReadTypeSpecific(body, request); !ok) return ok.error();

  auto condition = ReadQueryCondition(body);
  if (!condition) return condition.error();
  request.query_condition = std::move(*condition);
  auto start = ReadStartTime(body, now);
  if (!start) return start.error();
  request.start_time = *start;
  auto max_execution = ReadMaxExecutionTime(body);
  if (!max_execution) return max_execution.error();
  request.max_execution_time_seconds = *max_execution;
  return request;
}

nlohmann::json ToJson(const JobRequest& request) {
  nlohmann::json body = {{"jobId", request.job_id},
                         {"type", ToString(request.type)},
                         {"queryCondition", request.query_condition},
                         {"startTime", FormatUtc(request.start_time)},
                         {"maxExecutionTimeInSeconds", request.max_execution_time_seconds}};
  if (request.method) body["cloudToDeviceMethod"] = ToJson(*request.method);
  if (request.update_twin) body["updateTwin"] = *request.update_twin;
  return body;
}

}  // namespace offhub::domain
