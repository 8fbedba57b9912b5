#include "domain/method_result.hpp"

#include <charconv>
#include <limits>

#include "domain/job_fields.hpp"
#include "domain/json_text.hpp"

namespace offhub::domain {

nlohmann::json ToJson(const MethodResult& result) { return {{"status", result.status}, {"payload", result.payload}}; }

std::string MethodResultText(const MethodResult& result) {
  return "{\"status\":" + std::to_string(result.status) + ",\"payload\":" + DumpJson(result.payload) + "}";
}

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

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void SkipSpace(std::string_view& text) {
  while (!text.empty() && IsJsonSpace(text.front())) text.remove_prefix(1);
}

void TrimSpace(std::string_view& text) {
  SkipSpace(text);
  while (!text.empty() && IsJsonSpace(text.back())) text.remove_suffix(1);
}

bool Take(std::string_view& text, std::string_view token) {
  SkipSpace(text);
  if (!text.starts_with(token)) return false;
  text.remove_prefix(token.size());
  return true;
}

}  // namespace

Result<MethodResult> ParseMethodResultText(std::string_view body) {
  if (auto value = ParseJsonText(body, "The method result")) return ParseMethodResult(*value);
  std::string_view rest = body;
  if (!Take(rest, "{") || !Take(rest, "\"status\"") || !Take(rest, ":")) {
    return Error::FormatError("The method result is not JSON.");
  }
  SkipSpace(rest);
  std::int64_t status = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), status);
  if (ec != std::errc() || status < std::numeric_limits<int>::min() || status > std::numeric_limits<int>::max()) {
    return Error::FormatError("The method result is not JSON.");
  }
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  if (!Take(rest, ",") || !Take(rest, "\"payload\"") || !Take(rest, ":")) {
    return Error::FormatError("The method result is not JSON.");
  }
  TrimSpace(rest);
  if (!rest.ends_with('}')) return Error::FormatError("The method result is not JSON.");
  rest.remove_suffix(1);
  TrimSpace(rest);
  return MethodResult{static_cast<int>(status), RawJson(rest)};
}

Error DeviceNotOnlineError() { return {ErrorCode::DeviceNotOnline, "Timed out waiting for device to connect."}; }

Error ResponseTimeoutError() {
  return {ErrorCode::GatewayTimeout, "Timed out waiting for the response from device."};
}

}  // namespace offhub::domain
