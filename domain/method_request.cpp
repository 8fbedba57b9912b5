#include "domain/method_request.hpp"

#include "domain/job_fields.hpp"

namespace offhub::domain {
namespace {

// Printable US-ASCII minus the separators the docs exclude.
bool IsAllowedNameChar(char c) {
  constexpr std::string_view kExcluded = "$()<>@,;:\\\"/[]?={}";
  if (c <= 0x20 || c >= 0x7f) return false;  // control, space, DEL, non-ASCII
  return kExcluded.find(c) == std::string_view::npos;
}

Result<std::int64_t> ReadTimeout(const nlohmann::json& body, std::string_view field, std::int64_t fallback,
                                 std::int64_t min, std::int64_t max) {
  const auto out_of_range = [&] {
    return Error::ArgumentInvalid(std::string(field) + " must be within [" + std::to_string(min) + "; " +
                                  std::to_string(max) + "].");
  };
  const nlohmann::json* raw = FindField(body, field);
  if (raw != nullptr && raw->is_number_unsigned()) {  // beyond int64 is still just "too big"
    if (raw->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) return out_of_range();
  }
  const auto read = ReadOptionalInt(raw, field);
  if (!read) return read.error();
  const std::int64_t value = read->value_or(fallback);
  if (value < min || value > max) return out_of_range();
  return value;
}

Status ValidatePayload(const nlohmann::json& payload) {
  if (JsonDepth(payload, kMaxPayloadDepth) > kMaxPayloadDepth) {
    return Error::ArgumentInvalid("payload is nested deeper than " + std::to_string(kMaxPayloadDepth) + " levels.");
  }
  const std::size_t size = payload.dump().size();
  if (size > kMaxPayloadBytes) {
    return Error::MessageTooLarge("payload is " + std::to_string(size) + " bytes; the limit is " +
                                  std::to_string(kMaxPayloadBytes) + " bytes.");
  }
  return Success();
}

}  // namespace

Status ValidateMethodName(std::string_view name) {
  if (name.empty()) return Error::ArgumentInvalid("methodName must not be empty.");
  if (name.size() > kMaxMethodNameLength) {
    return Error::ArgumentInvalid("methodName must be at most " + std::to_string(kMaxMethodNameLength) +
                                  " characters.");
  }
  for (const char c : name) {
    if (!IsAllowedNameChar(c)) {
      return Error::ArgumentInvalid(
          "methodName may contain only printable US-ASCII characters except $ ( ) < > @ , ; : \\ \" / [ ] ? = { } "
          "space and tab.");
    }
  }
  return Success();
}

Result<MethodRequest> ParseMethodRequest(const nlohmann::json& body) {
  if (!body.is_object()) return Error::FormatError("The method request must be a JSON object.");
  MethodRequest request;

  auto name = ReadRequiredString(FindField(body, "methodName"), "methodName");
  if (!name) return name.error();
  if (auto valid = ValidateMethodName(*name); !valid) return valid.error();
  request.method_name = std::move(*name);

  // Validate before copying: copying a hostile, deeply nested value recurses.
  if (const auto* payload = FindField(body, "payload")) {
    if (auto valid = ValidatePayload(*payload); !valid) return valid.error();
    request.payload = *payload;
  }

  auto response = ReadTimeout(body, "responseTimeoutInSeconds", kDefaultResponseTimeoutSeconds,
                              kMinResponseTimeoutSeconds, kMaxResponseTimeoutSeconds);
  if (!response) return response.error();
  request.response_timeout_seconds = *response;

  auto connect =
      ReadTimeout(body, "connectTimeoutInSeconds", kDefaultConnectTimeoutSeconds, 0, kMaxConnectTimeoutSeconds);
  if (!connect) return connect.error();
  request.connect_timeout_seconds = *connect;
  return request;
}

nlohmann::json ToJson(const MethodRequest& request) {
  return {{"methodName", request.method_name},
          {"payload", request.payload},
          {"responseTimeoutInSeconds", request.response_timeout_seconds},
          {"connectTimeoutInSeconds", request.connect_timeout_seconds}};
}

}  // namespace offhub::domain
