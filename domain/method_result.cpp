#include "domain/method_result.hpp"

#include <charconv>
#include <limits>

#include "domain/job_fields.hpp"

namespace offhub::domain {

nlohmann::json ToJson(const MethodResult& result) { return {{"status", result.status}, {"payload", result.payload}}; }

Result<MethodResult> ParseMethodResult(const nlohmann::json& body) {
  if (!body.is_object()) return Error::ArgumentInvalid("The method result must be a JSON object.");
  const auto status = ReadOptionalInt(FindField(body, "status"), "status");
  if (!status) return status.error();
  if (!status->has_value()) return Error(ErrorCode::ArgumentNull, "status is required.");
  const std::int64_t value = **status;
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    return Error::ArgumentInvalid("status is out of range.");
  }
  MethodResult result{static_cast<int>(value), nullptr};
  if (const auto* payload = FindField(body, "payload")) result.payload = *payload;
  return result;
}

Result<MethodResult> MethodResultFromDevice(std::string_view status_text, std::string_view body) {
  int status = 0;
  const auto* end = status_text.data() + status_text.size();
  const auto [ptr, ec] = std::from_chars(status_text.data(), end, status);
  if (status_text.empty() || ec != std::errc{} || ptr != end) {
    return Error::ArgumentInvalid("The device's method status is not an integer.");
  }
  if (body.empty()) return MethodResult{status, nullptr};
  auto payload = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded()) return Error::ArgumentInvalid("The device's method response is not JSON.");
  return MethodResult{status, std::move(payload)};
}

}  // namespace offhub::domain
