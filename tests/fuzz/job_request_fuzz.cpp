// Fuzz target `job_request`: the body of PUT /jobs/v2/{id}.
//
// Input: "<id>\n<body>": the job id as the router hands it over (already
// percent-decoded, so any bytes) and the JSON body, read as the REST front
// reads it. ParseJobRequest, then what the hub serves of the job: the request
// echoed (ToJson(request)), the created job and the job as GET /jobs/v2/{id}
// returns it, all dumped; errors in the REST front's envelope, dumped. The
// job's queryCondition is parsed as the job engine parses it at start.
//
// Checks (job_request.hpp, job_json.hpp): ParseJobRequest(r.job_id,
// ToJson(r), any) == r, and ParseJobResponse(ToJson(job, stats)) gives the
// job back.

#include <cstdint>
#include <string_view>

#include "domain/job.hpp"
#include "domain/job_json.hpp"
#include "domain/job_request.hpp"
#include "domain/query/query.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace domain = offhub::domain;

const domain::UtcTime kNow = *domain::ParseUtc("2026-01-01T12:00:00Z");

void ServeJob(const domain::JobRequest& request) {
  const auto echoed = domain::ToJson(request);
  (void)echoed.dump();
  const auto again = domain::ParseJobRequest(request.job_id, echoed, kNow.PlusSeconds(3600));
  FUZZ_CHECK(again.ok() && *again == request);

  const domain::Job job = domain::MakeJob(request, kNow);
  (void)domain::CreatedJobJson(job).dump();
  const domain::DeviceJobStatistics stats{3, 1, 1, 1, 0};
  const auto served = domain::ToJson(job, stats);
  (void)served.dump();
  const auto view = domain::ParseJobResponse(served);
  FUZZ_CHECK(view.ok() && view->job == job && view->statistics == stats);

  const auto condition = domain::query::ParseCondition(request.query_condition);
  if (!condition) (void)offhub::fuzz::DumpRegistryError(condition.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [id, text] = offhub::fuzz::SplitLine(offhub::fuzz::AsText(data, size));
  const auto body = offhub::fuzz::ParseJsonAsTheEdge(text);
  if (!body) return 0;
  const auto request = domain::ParseJobRequest(id, *body, kNow);
  if (!request) {
    (void)offhub::fuzz::DumpRegistryError(request.error());
    return 0;
  }
  ServeJob(*request);
  return 0;
}
