#pragma once
// Jobs and device-job records in IoT Hub's JSON shapes (jobs v2, api-version
// 2021-04-12). Times are UTC with 7 fractional digits ("...00.8884134Z").
// https://learn.microsoft.com/rest/api/iothub/service/jobs
//
// JobResponse members and when they appear:
//   jobId, type, status, queryCondition, createdTime, startTime,
//   maxExecutionTimeInSeconds, deviceJobStatistics   always;
//   endTime                                          once the job is final;
//   cloudToDeviceMethod                              method jobs;
//   updateTwin  (the normalized patch + "deviceId":null, as the hub echoes it)  twin jobs;
//   failureReason, statusMessage                     when non-empty.
// A device-job record carries deviceId, jobId, jobType, status, startTimeUtc,
// endTimeUtc, createdDateTimeUtc, lastUpdatedDateTimeUtc, outcome and, when
// failed, error{code,description}. outcome is
// {"deviceMethodResponse":{status,payload}} once a device answered, else {}.

#include <nlohmann/json.hpp>

#include "domain/device_job.hpp"
#include "domain/job.hpp"

namespace offhub::domain {

// {"deviceCount","failedCount","succeededCount","runningCount","pendingCount"}
nlohmann::json ToJson(const DeviceJobStatistics& stats);

// GET /jobs/v2/{id}, POST .../cancel and the items of GET /jobs/v2/query.
nlohmann::json ToJson(const Job& job, const DeviceJobStatistics& stats);

// The real hub's answer to PUT /jobs/v2/{id}: {"jobId","type","status"} with
// the job's current status ("queued" for a job just made).
nlohmann::json CreatedJobJson(const Job& job);

// An item of `SELECT * FROM devices.jobs`.
nlohmann::json ToJson(const DeviceJob& record);

// ---- Reading them back (the Azure adapter; a state store keeping JSON) ----
// Both are the inverse of ToJson above: Parse(ToJson(x)) == x. Malformed
// members are 400 ArgumentInvalid (ArgumentNull when a required one is
// missing), naming the member.

struct JobView {
  Job job;
  DeviceJobStatistics statistics;
  bool operator==(const JobView&) const = default;
};

// Requires jobId, type, status, queryCondition, createdTime, startTime and the
// member of its type; maxExecutionTimeInSeconds as in a request. "enqueued"
// (the v1 spelling) reads as queued; an endTime of 0001-01-01 as none;
// missing statistics as all zero. A status offhub does not model ("unknown")
// is 400 ArgumentInvalid: the caller decides what a non-v2 job means.
Result<JobView> ParseJobResponse(const nlohmann::json& body);

// Requires every member ToJson(DeviceJob) writes except error.
Result<DeviceJob> ParseDeviceJob(const nlohmann::json& body);

// A record as a document that is always JSON, for what keeps records (the
// SQLite store, state exports): a method answer that was not JSON (RawJson)
// is written as a string, "payloadText", beside its status, and read back raw.
nlohmann::json DeviceJobDocument(const DeviceJob& record);
Result<DeviceJob> DeviceJobFromDocument(nlohmann::json document);

}  // namespace offhub::domain
