// The reading half of job_json.hpp.
#include <utility>

#include "domain/job_fields.hpp"
#include "domain/job_json.hpp"
#include "domain/json_text.hpp"

namespace offhub::domain {
namespace {

Result<UtcTime> ReadTime(const nlohmann::json& body, std::string_view field) {
  auto text = ReadRequiredString(FindField(body, field), field);
  if (!text) return text.error();
  const auto parsed = ParseUtc(*text);
  if (!parsed) return Error::ArgumentInvalid(std::string(field) + " must be an ISO-8601 date and time.");
  return *parsed;
}

Result<std::optional<UtcTime>> ReadEndTime(const nlohmann::json& body) {
  const auto text = ReadOptionalString(FindField(body, "endTime"), "endTime");
  if (!text) return text.error();
  if (!text->has_value() || **text == kNeverUtc) return std::optional<UtcTime>{};
  const auto parsed = ParseUtc(**text);
  if (!parsed) return Error::ArgumentInvalid("endTime must be an ISO-8601 date and time.");
  return std::optional<UtcTime>{*parsed};
}

Result<JobStatus> ReadJobStatus(const nlohmann::json& body) {
  auto text = ReadRequiredString(FindField(body, "status"), "status");
  if (!text) return text.error();
  if (*text == "enqueued") return JobStatus::kQueued;
  const auto status = ParseJobStatus(*text);
  if (!status) return Error::ArgumentInvalid("status '" + *text + "' is not a jobs-v2 status offhub knows.");
  return *status;
}

Result<std::int64_t> ReadCount(const nlohmann::json& stats, std::string_view field) {
  const auto value = ReadOptionalInt(FindField(stats, field), field);
  if (!value) return value.error();
  if (value->value_or(0) < 0) return Error::ArgumentInvalid(std::string(field) + " must not be negative.");
  return value->value_or(0);
}

Result<DeviceJobStatistics> ReadStatistics(const nlohmann::json& body) {
  const nlohmann::json* stats = FindField(body, "deviceJobStatistics");
  if (stats == nullptr) return DeviceJobStatistics{};
  if (!stats->is_object()) return Error::ArgumentInvalid("deviceJobStatistics must be an object.");
  DeviceJobStatistics out;
  const std::pair<std::string_view, std::int64_t*> fields[] = {{"deviceCount", &out.device_count},
                                                               {"failedCount", &out.failed_count},
                                                               {"succeededCount", &out.succeeded_count},
                                                               {"runningCount", &out.running_count},
                                                               {"pendingCount", &out.pending_count}};
  for (const auto& [name, target] : fields) {
    auto count = ReadCount(*stats, name);
    if (!count) return count.error();
    *target = *count;
  }
  return out;
}

// failureReason and statusMessage: optional strings.
Status ReadMessages(const nlohmann::json& body, Job& job) {
  auto reason = ReadOptionalString(FindField(body, "failureReason"), "failureReason");
  if (!reason) return reason.error();
  auto message = ReadOptionalString(FindField(body, "statusMessage"), "statusMessage");
  if (!message) return message.error();
  job.failure_reason = reason->value_or("");
  job.status_message = message->value_or("");
  return Success();
}

Result<std::optional<MethodResult>> ReadOutcome(const nlohmann::json& body) {
  const nlohmann::json* outcome = FindField(body, "outcome");
  if (outcome == nullptr) return std::optional<MethodResult>{};
  if (!outcome->is_object()) return Error::ArgumentInvalid("outcome must be an object.");
  const nlohmann::json* response = FindField(*outcome, "deviceMethodResponse");
  if (response == nullptr) return std::optional<MethodResult>{};
  auto parsed = ParseMethodResult(*response);
  if (!parsed) return parsed.error();
  return std::optional<MethodResult>{std::move(*parsed)};
}

Result<std::optional<DeviceJobError>> ReadDeviceError(const nlohmann::json& body) {
  const nlohmann::json* error = FindField(body, "error");
  if (error == nullptr) return std::optional<DeviceJobError>{};
  if (!error->is_object()) return Error::ArgumentInvalid("error must be an object.");
  auto code = ReadOptionalString(FindField(*error, "code"), "error.code");
  if (!code) return code.error();
  auto description = ReadOptionalString(FindField(*error, "description"), "error.description");
  if (!description) return description.error();
  return std::optional<DeviceJobError>{DeviceJobError{code->value_or(""), description->value_or("")}};
}

Status ReadDeviceJobIdentity(const nlohmann::json& body, DeviceJob& record) {
  auto device_id = ReadRequiredString(FindField(body, "deviceId"), "deviceId");
  if (!device_id) return device_id.error();
  auto job_id = ReadRequiredString(FindField(body, "jobId"), "jobId");
  if (!job_id) return job_id.error();
  auto type_text = ReadRequiredString(FindField(body, "jobType"), "jobType");
  if (!type_text) return type_text.error();
  const auto type = ParseJobType(*type_text);
  if (!type) return Error::ArgumentInvalid("jobType '" + *type_text + "' is not a jobs-v2 type.");
  auto status_text = ReadRequiredString(FindField(body, "status"), "status");
  if (!status_text) return status_text.error();
  const auto status = ParseDeviceJobStatus(*status_text);
  if (!status) return Error::ArgumentInvalid("status '" + *status_text + "' is not a device job status.");
  auto module_id = ReadOptionalString(FindField(body, "moduleId"), "moduleId");
  if (!module_id) return module_id.error();
  record.device_id = std::move(*device_id);
  record.module_id = module_id->value_or("");
  record.job_id = std::move(*job_id);
  record.job_type = *type;
  record.status = *status;
  return Success();
}

Status ReadDeviceJobTimes(const nlohmann::json& body, DeviceJob& record) {
  const std::pair<std::string_view, UtcTime*> fields[] = {{"startTimeUtc", &record.start_time},
                                                          {"endTimeUtc", &record.end_time},
                                                          {"createdDateTimeUtc", &record.created_time},
                                                          {"lastUpdatedDateTimeUtc", &record.last_updated_time}};
  for (const auto& [name, target] : fields) {
    auto time = ReadTime(body, name);
    if (!time) return time.error();
    *target = *time;
  }
  return Success();
}

}  // namespace

Result<JobView> ParseJobResponse(const nlohmann::json& body) {
  if (!body.is_object()) return Error::ArgumentInvalid("A job must be a JSON object.");
  auto job_id = ReadRequiredString(FindField(body, "jobId"), "jobId");
  if (!job_id) return job_id.error();
  auto start = ReadTime(body, "startTime");  // required here, unlike in a request
  if (!start) return start.error();
  auto request = ParseJobRequest(*job_id, body, *start);
  if (!request) return request.error();
  auto created = ReadTime(body, "createdTime");
  if (!created) return created.error();

  JobView view{MakeJob(std::move(*request), *created), {}};
  auto status = ReadJobStatus(body);
  if (!status) return status.error();
  view.job.status = *status;
  auto end = ReadEndTime(body);
  if (!end) return end.error();
  view.job.end_time = *end;
  if (auto ok = ReadMessages(body, view.job); !ok) return ok.error();
  auto stats = ReadStatistics(body);
  if (!stats) return stats.error();
  view.statistics = *stats;
  return view;
}

Result<DeviceJob> ParseDeviceJob(const nlohmann::json& body) {
  if (!body.is_object()) return Error::ArgumentInvalid("A device job must be a JSON object.");
  DeviceJob record;
  if (auto ok = ReadDeviceJobIdentity(body, record); !ok) return ok.error();
  if (auto ok = ReadDeviceJobTimes(body, record); !ok) return ok.error();
  auto outcome = ReadOutcome(body);
  if (!outcome) return outcome.error();
  record.method_response = std::move(*outcome);
  auto error = ReadDeviceError(body);
  if (!error) return error.error();
  record.error = std::move(*error);
  return record;
}


namespace {

// The deviceMethodResponse object of a record document, if any.
nlohmann::json* MethodResponseOf(nlohmann::json& record) {
  auto outcome = record.find("outcome");
  if (outcome == record.end() || !outcome->is_object()) return nullptr;
  auto response = outcome->find("deviceMethodResponse");
  return response == outcome->end() || !response->is_object() ? nullptr : &*response;
}

}  // namespace

nlohmann::json DeviceJobDocument(const DeviceJob& record) {
  nlohmann::json document = ToJson(record);
  if (auto* response = MethodResponseOf(document)) {
    const auto payload = response->find("payload");
    if (payload != response->end()) {
      if (const auto raw = RawJsonText(*payload)) {
        (*response)["payloadText"] = std::string(*raw);
        response->erase("payload");
      }
    }
  }
  return document;
}

Result<DeviceJob> DeviceJobFromDocument(nlohmann::json document) {
  if (auto* response = MethodResponseOf(document)) {
    const auto text = response->find("payloadText");
    if (text != response->end() && text->is_string()) {
      (*response)["payload"] = RawJson(text->get<std::string>());
      response->erase("payloadText");
    }
  }
  return ParseDeviceJob(document);
}

}  // namespace offhub::domain
