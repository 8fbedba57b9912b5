#pragma once
// IoT Hub's error codes as a typed value, and the two envelopes the hub
// renders them in. Codes and envelopes:
// https://learn.microsoft.com/azure/iot-hub/troubleshoot-error-codes
//
// An Error is a value: the domain returns it (inside Result<T>), the edges
// translate it once (REST front: Error -> HTTP; Azure adapter: HTTP -> Error).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace offhub::domain {

// Six-digit IoT Hub error numbers; the first three digits are the HTTP status.
enum class ErrorCode : std::int32_t {
  GenericBadRequest = 400000,
  InvalidProtocolVersion = 400001,
  InvalidOperation = 400003,
  ArgumentInvalid = 400004,
  ArgumentNull = 400005,
  IotHubFormatError = 400006,
  DeviceDefinedMultipleTimes = 400011,
  IotHubSuspended = 400020,
  ConnectionForcefullyClosedOnNewConnection = 400027,
  IotHubNotFound = 401001,
  IotHubUnauthorizedAccess = 401002,
  IotHubUnauthorized = 401003,
  JobQuotaExceeded = 403001,
  IotHubQuotaExceeded = 403002,
  DeviceMaximumQueueDepthExceeded = 403004,
  GenericNotFound = 404000,
  DeviceNotFound = 404001,
  JobNotFound = 404002,
  ModuleNotFound = 404010,
  DeviceNotOnline = 404103,
  DeviceConnectionClosedRemotely = 404104,
  GenericMethodNotAllowed = 405000,
  DeviceAlreadyExists = 409001,
  JobAlreadyExists = 409003,  // offhub's choice: IoT Hub documents no code for a reused jobId
  ModuleAlreadyExistsOnDevice = 409301,
  ClockNotManual = 409901,  // offhub's own: the control plane's clock/advance on a real-time clock
  PreconditionFailed = 412001,
  MessageTooLarge = 413001,
  TooManyDevices = 413002,
  TooManyModulesOnDevice = 413003,
  ThrottlingException = 429001,
  ThrottlingMaxActiveJobCountExceeded = 429004,  // a tier's active-job limit (troubleshoot-error-codes)
  ServerError = 500001,
  JobCancelled = 500002,
  GenericTimeout = 500008,
  ServiceUnavailable = 503001,
  GatewayTimeout = 504101,
};

// The error's name as IoT Hub spells it ("DeviceNotFound").
std::string_view ErrorName(ErrorCode code);
// The inverse of ErrorName, for the Azure adapter reading `iothub-errorcode`.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);
// The inverse of the numeric value; nullopt for numbers offhub does not know.
std::optional<ErrorCode> ErrorCodeFromNumber(std::int64_t number);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Error BadRequest(std::string message) { return {ErrorCode::GenericBadRequest, std::move(message)}; }
  static Error ArgumentInvalid(std::string message) { return {ErrorCode::ArgumentInvalid, std::move(message)}; }
  static Error FormatError(std::string message) { return {ErrorCode::IotHubFormatError, std::move(message)}; }
  static Error DeviceNotFound(std::string_view device_id) { return {ErrorCode::DeviceNotFound, std::string(device_id)}; }
  static Error PreconditionFailed(std::string message) { return {ErrorCode::PreconditionFailed, std::move(message)}; }
  static Error MessageTooLarge(std::string message) { return {ErrorCode::MessageTooLarge, std::move(message)}; }

  ErrorCode code() const { return code_; }
  std::int32_t number() const { return static_cast<std::int32_t>(code_); }
  int http_status() const { return number() / 1000; }
  std::string_view name() const { return ErrorName(code_); }
  const std::string& message() const { return message_; }

  bool operator==(const Error&) const = default;

 private:
  ErrorCode code_;
  std::string message_;
};

// Where and when an error happened, as the hub writes it into envelopes.
// Both come from the edge (ids and clocks are not the domain's business).
struct ErrorContext {
  std::string tracking_id;    // 32 hex digits
  std::string timestamp_utc;  // e.g. "2024-05-01T10:00:00.1234567Z"
};

// Registry/twin/job style:
// {"Message":"ErrorCode:<Name>;<message>","ExceptionMessage":"Tracking ID:<id>-G:0-TimeStamp:<MM/dd/yyyy HH:mm:ss>"}
nlohmann::json RegistryEnvelope(const Error& error, const ErrorContext& context);

// Direct-method style: Message holds a JSON *string* of
// {errorCode, trackingId, message, info, timestampUtc}; ExceptionMessage is "".
nlohmann::json MethodEnvelope(const Error& error, const ErrorContext& context, const nlohmann::json& info);

// The body of an MQTT error answer ($iothub/twin/res/{status}):
// {"errorCode":<number>,"trackingId":..,"message":..,"timestampUtc":..}
nlohmann::json DeviceErrorBody(const Error& error, const ErrorContext& context);

// Reads either envelope back into an Error (the Azure adapter's direction).
// `header_name` is the `iothub-errorcode` header when present. Falls back to
// the HTTP status' generic error when the body cannot be understood.
Error ErrorFromResponse(int http_status, std::string_view header_name, std::string_view body);

}  // namespace offhub::domain
