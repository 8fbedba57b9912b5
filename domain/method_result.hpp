#pragma once
// What a device answered to a direct method (one name along the whole method
// path: the device channel, the hub, the REST front and the Azure adapter):
// the body of a 200 from
// POST /twins/{id}/methods, and a method job's per-device
// outcome.deviceMethodResponse. The hub answers 200 whatever status the
// device chose; `status` is the device's own number (it may be 404 or 500).

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::domain {

struct MethodResult {
  int status = 0;
  nlohmann::json payload;  // null when the device sent an empty body or null

  bool operator==(const MethodResult&) const = default;
};

// {"status":<int>,"payload":<json>}
nlohmann::json ToJson(const MethodResult& result);
// The same as IoT Hub writes it: "status" first, a raw payload spliced in (domain::DumpJson).
std::string MethodResultText(const MethodResult& result);

// The inverse of ToJson, for the Azure adapter. `status` must be an integer
// that fits an int; payload absent means null. Else 400 ArgumentInvalid.
Result<MethodResult> ParseMethodResult(const nlohmann::json& body);

// The hub's answer text: JSON, or, when the device's answer was not JSON,
// {"status":<int>,"payload":<the device's bytes>} with the bytes spliced in
// as IoT Hub does (the payload is then a domain::RawJson value, without the
// JSON whitespace around the bytes, which no reader can tell apart). Else 400.
Result<MethodResult> ParseMethodResultText(std::string_view body);

// The two ways a call fails for want of the device, as IoT Hub words them:
// 404103 DeviceNotOnline (not connected and subscribed within the connect
// timeout) and 504101 GatewayTimeout (no answer within the response timeout;
// a method job's record carries it as {"code":"GatewayTimeout",...}).
Error DeviceNotOnlineError();
Error ResponseTimeoutError();

}  // namespace offhub::domain
