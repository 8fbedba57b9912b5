#pragma once
// What a device answered to a direct method: the body of a 200 from
// POST /twins/{id}/methods, and a method job's per-device
// outcome.deviceMethodResponse. The hub answers 200 whatever status the
// device chose; `status` is the device's own number (it may be 404 or 500).

#include <optional>
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

// The inverse of ToJson, for the Azure adapter. `status` must be an integer
// that fits an int; payload absent means null. Else 400 ArgumentInvalid.
Result<MethodResult> ParseMethodResult(const nlohmann::json& body);

// Builds the result from a device's MQTT answer
// ($iothub/methods/res/{status}/?$rid=): `status_text` is the topic segment,
// `body` the message. Empty body => null payload. A status that is not a
// decimal int, or a body that is not JSON, is 400 ArgumentInvalid (the
// device's fault: the caller turns it into whatever the channel reports).
Result<MethodResult> MethodResultFromDevice(std::string_view status_text, std::string_view body);

}  // namespace offhub::domain
