#include "domain/errors.hpp"

#include "domain/json_text.hpp"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

namespace offhub::domain {
namespace {

using Entry = std::pair<ErrorCode, std::string_view>;

constexpr std::array kNames{
    Entry{ErrorCode::GenericBadRequest, "GenericBadRequest"},
    Entry{ErrorCode::InvalidProtocolVersion, "InvalidProtocolVersion"},
    Entry{ErrorCode::InvalidOperation, "InvalidOperation"},
    Entry{ErrorCode::ArgumentInvalid, "ArgumentInvalid"},
    Entry{ErrorCode::ArgumentNull, "ArgumentNull"},
    Entry{ErrorCode::IotHubFormatError, "IotHubFormatError"},
    Entry{ErrorCode::DeviceDefinedMultipleTimes, "DeviceDefinedMultipleTimes"},
    Entry{ErrorCode::IotHubSuspended, "IotHubSuspended"},
    Entry{ErrorCode::ConnectionForcefullyClosedOnNewConnection, "ConnectionForcefullyClosedOnNewConnection"},
    Entry{ErrorCode::IotHubNotFound, "IotHubNotFound"},
    Entry{ErrorCode::IotHubUnauthorizedAccess, "IotHubUnauthorizedAccess"},
    Entry{ErrorCode::IotHubUnauthorized, "IotHubUnauthorized"},
    Entry{ErrorCode::JobQuotaExceeded, "JobQuotaExceeded"},
    Entry{ErrorCode::IotHubQuotaExceeded, "IotHubQuotaExceeded"},
    Entry{ErrorCode::DeviceMaximumQueueDepthExceeded, "DeviceMaximumQueueDepthExceeded"},
    Entry{ErrorCode::GenericNotFound, "GenericNotFound"},
    Entry{ErrorCode::DeviceNotFound, "DeviceNotFound"},
    Entry{ErrorCode::JobNotFound, "JobNotFound"},
    Entry{ErrorCode::ModuleNotFound, "ModuleNotFound"},
    Entry{ErrorCode::DeviceNotOnline, "DeviceNotOnline"},
    Entry{ErrorCode::DeviceConnectionClosedRemotely, "DeviceConnectionClosedRemotely"},
    Entry{ErrorCode::GenericMethodNotAllowed, "GenericMethodNotAllowed"},
    Entry{ErrorCode::DeviceAlreadyExists, "DeviceAlreadyExists"},
    Entry{ErrorCode::JobAlreadyExists, "JobAlreadyExists"},
    Entry{ErrorCode::ModuleAlreadyExistsOnDevice, "ModuleAlreadyExistsOnDevice"},
    Entry{ErrorCode::ClockNotManual, "ClockNotManual"},
    Entry{ErrorCode::PreconditionFailed, "PreconditionFailed"},
    Entry{ErrorCode::MessageTooLarge, "MessageTooLarge"},
    Entry{ErrorCode::TooManyDevices, "TooManyDevices"},
    Entry{ErrorCode::TooManyModulesOnDevice, "TooManyModulesOnDevice"},
    Entry{ErrorCode::ThrottlingException, "ThrottlingException"},
    Entry{ErrorCode::ThrottlingMaxActiveJobCountExceeded, "ThrottlingMaxActiveJobCountExceeded"},
    Entry{ErrorCode::ServerError, "ServerError"},
    Entry{ErrorCode::JobCancelled, "JobCancelled"},
    Entry{ErrorCode::GenericTimeout, "GenericTimeout"},
    Entry{ErrorCode::ServiceUnavailable, "ServiceUnavailable"},
    Entry{ErrorCode::GatewayTimeout, "GatewayTimeout"},
};

// The generic error of an HTTP status, for answers that carry no usable code.
ErrorCode GenericForStatus(int status) {
  switch (status) {
    case 400: return ErrorCode::GenericBadRequest;
    case 401: return ErrorCode::IotHubUnauthorizedAccess;
    case 403: return ErrorCode::IotHubQuotaExceeded;
    case 404: return ErrorCode::DeviceNotFound;
    case 409: return ErrorCode::DeviceAlreadyExists;
    case 412: return ErrorCode::PreconditionFailed;
    case 413: return ErrorCode::MessageTooLarge;
    case 429: return ErrorCode::ThrottlingException;
    case 503: return ErrorCode::ServiceUnavailable;
    case 504: return ErrorCode::GatewayTimeout;
    default: return ErrorCode::ServerError;
  }
}

// "2024-05-01T10:00:00.1234567Z" -> "05/01/2024 10:00:00", the envelope's format.
std::string EnvelopeTimestamp(std::string_view iso) {
  if (iso.size() < 19) return std::string(iso);
  std::string out;
  out.append(iso.substr(5, 2)).append("/").append(iso.substr(8, 2)).append("/").append(iso.substr(0, 4));
  out.append(" ").append(iso.substr(11, 8));
  return out;
}

}  // namespace

std::string_view ErrorName(ErrorCode code) {
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return "ServerError";
}

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const auto& [c, n] : kNames) {
    if (n == name) return c;
  }
  return std::nullopt;
}

std::optional<ErrorCode> ErrorCodeFromNumber(std::int64_t number) {
  for (const auto& [c, n] : kNames) {
    if (static_cast<std::int64_t>(c) == number) return c;
  }
  return std::nullopt;
}

nlohmann::json RegistryEnvelope(const Error& error, const ErrorContext& context) {
  return {
      {"Message", "ErrorCode:" + std::string(error.name()) + ";" + error.message()},
      {"ExceptionMessage",
       "Tracking ID:" + context.tracking_id + "-G:0-TimeStamp:" + EnvelopeTimestamp(context.timestamp_utc)},
  };
}

nlohmann::json MethodEnvelope(const Error& error, const ErrorContext& context, const nlohmann::json& info) {
  const nlohmann::json inner = {
      {"errorCode", error.number()},
      {"trackingId", context.tracking_id},
      {"message", error.message()},
      {"info", info.is_null() ? nlohmann::json::object() : info},
      {"timestampUtc", context.timestamp_utc},
  };
  return {{"Message", DumpJson(inner)}, {"ExceptionMessage", ""}};
}

nlohmann::json DeviceErrorBody(const Error& error, const ErrorContext& context) {
  return {
      {"errorCode", error.number()},
      {"trackingId", context.tracking_id},
      {"message", error.message()},
      {"timestampUtc", context.timestamp_utc},
  };
}

namespace {

// Registry style: "ErrorCode:<Name>;<message>".
std::optional<Error> FromRegistryMessage(std::string_view message) {
  constexpr std::string_view kPrefix = "ErrorCode:";
  if (!message.starts_with(kPrefix)) return std::nullopt;
  message.remove_prefix(kPrefix.size());
  const auto semicolon = message.find(';');
  const auto name = message.substr(0, semicolon);
  const auto code = ErrorCodeFromName(name);
  if (!code) return std::nullopt;
  const auto text = semicolon == std::string_view::npos ? std::string_view{} : message.substr(semicolon + 1);
  return Error(*code, std::string(text));
}

// Method style: Message is a JSON string with errorCode and message.
std::optional<Error> FromMethodMessage(std::string_view message) {
  const auto parsed = ParseJsonText(message, "the message");
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  const auto& inner = *parsed;
  const auto number = inner.find("errorCode");
  if (number == inner.end() || !number->is_number_integer()) return std::nullopt;
  const auto code = ErrorCodeFromNumber(number->get<std::int64_t>());
  if (!code) return std::nullopt;
  const auto text = inner.find("message");
  return Error(*code, text != inner.end() && text->is_string() ? text->get<std::string>() : std::string{});
}

}  // namespace

Error ErrorFromResponse(int http_status, std::string_view header_name, std::string_view body) {
  const auto document = ParseJsonText(body, "the body");
  const auto parsed = document.ok() ? *document : nlohmann::json();
  if (parsed.is_object()) {
    const auto message = parsed.find("Message");
    if (message != parsed.end() && message->is_string()) {
      const auto& text = message->get_ref<const std::string&>();
      if (auto error = FromRegistryMessage(text)) return *error;
      if (auto error = FromMethodMessage(text)) return *error;
    }
    // Device (MQTT) style body, also used by some REST answers.
    if (const auto number = parsed.find("errorCode"); number != parsed.end() && number->is_number_integer()) {
      if (const auto code = ErrorCodeFromNumber(number->get<std::int64_t>())) {
        const auto text = parsed.find("message");
        return Error(*code, text != parsed.end() && text->is_string() ? text->get<std::string>() : "");
      }
    }
  }
  if (const auto code = ErrorCodeFromName(header_name)) return Error(*code, std::string(body));
  return Error(GenericForStatus(http_status), std::string(body));
}

}  // namespace offhub::domain
