#pragma once
// Jobs v2 (PUT/GET /jobs/v2/{id}, POST /jobs/v2/{id}/cancel, GET
// /jobs/v2/query): scheduled method and twin jobs over a query condition.
// Contract and threading: ports/service_types.hpp.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/job_request.hpp"
#include "domain/result.hpp"
#include "ports/service_types.hpp"

namespace offhub::ports {

struct JobListFilter {
  std::optional<std::string> job_type;  // case-insensitive; unknown values match nothing
  std::optional<std::string> job_status;
};

class JobService {
 public:
  virtual ~JobService() = default;
  // The job as created ({"jobId","type","status":"queued",...}).
  virtual domain::Result<nlohmann::json> CreateJob(const domain::JobRequest& request) = 0;
  virtual domain::Result<nlohmann::json> GetJob(std::string_view job_id) = 0;
  virtual domain::Result<nlohmann::json> CancelJob(std::string_view job_id) = 0;
  virtual domain::Result<QueryPage> ListJobs(const JobListFilter& filter, const QueryPageRequest& page) = 0;
};

// Forwards every operation to `target` (see RegistryServiceWrapper).
class JobServiceWrapper : public JobService {
 public:
  explicit JobServiceWrapper(JobService& target) : target_(target) {}
  domain::Result<nlohmann::json> CreateJob(const domain::JobRequest& request) override {
    return target_.CreateJob(request);
  }
  domain::Result<nlohmann::json> GetJob(std::string_view job_id) override { return target_.GetJob(job_id); }
  domain::Result<nlohmann::json> CancelJob(std::string_view job_id) override { return target_.CancelJob(job_id); }
  domain::Result<QueryPage> ListJobs(const JobListFilter& filter, const QueryPageRequest& page) override {
    return target_.ListJobs(filter, page);
  }

 protected:
  JobService& target() { return target_; }

 private:
  JobService& target_;
};

}  // namespace offhub::ports
