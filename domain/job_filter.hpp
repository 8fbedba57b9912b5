#pragma once
// The filters of GET /jobs/v2/query?jobType=..&jobStatus=..
// Values compare case-insensitively (C# sends .NET enum names such as
// "ScheduleDeviceMethod", "Completed"). An unknown value is not an error: it
// matches no job (Node's typings allow jobStatus=finished). An absent or
// empty value does not filter.

#include <optional>
#include <string>
#include <string_view>

#include "domain/job.hpp"

namespace offhub::domain {

class JobFilter {
 public:
  JobFilter() = default;
  JobFilter(std::optional<std::string_view> job_type, std::optional<std::string_view> job_status);

  bool Matches(const Job& job) const;

 private:
  std::optional<std::string> job_type_;    // lower-cased
  std::optional<std::string> job_status_;  // lower-cased
};

}  // namespace offhub::domain
