#include "domain/job_filter.hpp"

namespace offhub::domain {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> Normalize(std::optional<std::string_view> value) {
  if (!value || value->empty()) return std::nullopt;
  return Lower(*value);
}

}  // namespace

JobFilter::JobFilter(std::optional<std::string_view> job_type, std::optional<std::string_view> job_status)
    : job_type_(Normalize(job_type)), job_status_(Normalize(job_status)) {}

bool JobFilter::Matches(const Job& job) const {
  if (job_type_ && *job_type_ != Lower(ToString(job.request.type))) return false;
  if (job_status_ && *job_status_ != Lower(ToString(job.status))) return false;
  return true;
}

}  // namespace offhub::domain
