#include "domain/method_result.hpp"

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

Error DeviceNotOnlineError() { return {ErrorCode::DeviceNotOnline, "Timed out waiting for device to connect."}; }

Error ResponseTimeoutError() {
  return {ErrorCode::GatewayTimeout, "Timed out waiting for the response from device."};
}

}  // namespace offhub::domain
