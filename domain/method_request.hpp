#pragma once
// A direct-method call as the service asks for it: the body of
// POST /twins/{id}/methods and a job's `cloudToDeviceMethod`.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-direct-methods
//
// Validation (400s carry IoT Hub's numbers; see job_fields.hpp for the
// conventions on nulls, types and integers):
// - methodName: required, 1..kMaxMethodNameLength characters of printable
//   US-ASCII except `$ ( ) < > @ , ; : \ " / [ ] ? = { }`, space and tab
//   (the docs' rule; the length cap is offhub's choice: IoT Hub documents none,
//   and 128 matches its device-id limit).
// - payload: any JSON; absent means null. At most kMaxPayloadBytes when
//   serialized compactly, else 413 MessageTooLarge (413001) - offhub's choice
//   of the two plausible answers, because 413 is what the hub uses for bodies
//   over its size limits. Nesting deeper than kMaxPayloadDepth is 400
//   ArgumentInvalid (offhub's guard; IoT Hub documents no depth limit).
// - responseTimeoutInSeconds: default 30, valid 5..300; anything else,
//   including an explicit 0, is 400004 "responseTimeoutInSeconds must be
//   within [5; 300]." exactly as the hub says it.
// - connectTimeoutInSeconds: default 0, valid 0..300, else 400004
//   "connectTimeoutInSeconds must be within [0; 300]." (message is offhub's).
// Unknown members are ignored.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::domain {

inline constexpr std::size_t kMaxMethodNameLength = 128;
inline constexpr std::size_t kMaxPayloadBytes = 128 * 1024;
inline constexpr std::size_t kMaxPayloadDepth = 64;
inline constexpr std::int64_t kDefaultResponseTimeoutSeconds = 30;
inline constexpr std::int64_t kMinResponseTimeoutSeconds = 5;
inline constexpr std::int64_t kMaxResponseTimeoutSeconds = 300;
inline constexpr std::int64_t kDefaultConnectTimeoutSeconds = 0;
inline constexpr std::int64_t kMaxConnectTimeoutSeconds = 300;

struct MethodRequest {
  std::string method_name;
  nlohmann::json payload;  // null when the client sent none
  std::int64_t response_timeout_seconds = kDefaultResponseTimeoutSeconds;
  std::int64_t connect_timeout_seconds = kDefaultConnectTimeoutSeconds;

  bool operator==(const MethodRequest&) const = default;
};

// Checks the methodName rule only: absent is the caller's business, empty or
// over-long or a forbidden character is 400 ArgumentInvalid.
Status ValidateMethodName(std::string_view name);

// Validates `body` as described above. A body that is not a JSON object is
// 400 IotHubFormatError (400006).
Result<MethodRequest> ParseMethodRequest(const nlohmann::json& body);

// {"methodName","payload","responseTimeoutInSeconds","connectTimeoutInSeconds"}:
// what the hub echoes in a job's cloudToDeviceMethod and what the Azure adapter
// sends. ParseMethodRequest(ToJson(r)) == r for every valid r.
nlohmann::json ToJson(const MethodRequest& request);

}  // namespace offhub::domain
