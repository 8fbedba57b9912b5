#include "domain/job_json.hpp"

namespace offhub::domain {
namespace {

nlohmann::json UpdateTwinEcho(const nlohmann::json& patch) {
  nlohmann::json echo = patch;
  echo["deviceId"] = nullptr;
  return echo;
}

nlohmann::json Outcome(const DeviceJob& record) {
  if (!record.method_response) return nlohmann::json::object();
  return {{"deviceMethodResponse", ToJson(*record.method_response)}};
}

}  // namespace

nlohmann::json ToJson(const DeviceJobStatistics& stats) {
  return {{"deviceCount", stats.device_count},
          {"failedCount", stats.failed_count},
          {"succeededCount", stats.succeeded_count},
          {"runningCount", stats.running_count},
          {"pendingCount", stats.pending_count}};
}

nlohmann::json ToJson(const Job& job, const DeviceJobStatistics& stats) {
  const JobRequest& request = job.request;
  nlohmann::json body = {{"jobId", request.job_id},
                         {"queryCondition", request.query_condition},
                         {"createdTime", FormatUtc(job.created_time)},
                         {"startTime", FormatUtc(request.start_time)},
                         {"maxExecutionTimeInSeconds", request.max_execution_time_seconds},
                         {"type", ToString(request.type)},
                         {"status", ToString(job.status)},
                         {"deviceJobStatistics", ToJson(stats)}};
  if (job.end_time) body["endTime"] = FormatUtc(*job.end_time);
  if (request.method) body["cloudToDeviceMethod"] = ToJson(*request.method);
  if (request.update_twin) body["updateTwin"] = UpdateTwinEcho(*request.update_twin);
  if (!job.failure_reason.empty()) body["failureReason"] = job.failure_reason;
  if (!job.status_message.empty()) body["statusMessage"] = job.status_message;
  return body;
}

nlohmann::json CreatedJobJson(const Job& job) {
  return {{"jobId", job.id()}, {"type", ToString(job.request.type)}, {"status", ToString(job.status)}};
}

nlohmann::json ToJson(const DeviceJob& record) {
  nlohmann::json body = {{"deviceId", record.device_id},
                         {"jobId", record.job_id},
                         {"jobType", ToString(record.job_type)},
                         {"status", ToString(record.status)},
                         {"startTimeUtc", FormatUtc(record.start_time)},
                         {"endTimeUtc", FormatUtc(record.end_time)},
                         {"createdDateTimeUtc", FormatUtc(record.created_time)},
                         {"lastUpdatedDateTimeUtc", FormatUtc(record.last_updated_time)},
                         {"outcome", Outcome(record)}};
  if (!record.module_id.empty()) body["moduleId"] = record.module_id;
  if (record.error) body["error"] = {{"code", record.error->code}, {"description", record.error->description}};
  return body;
}

}  // namespace offhub::domain
