#pragma once
// Faults a test sets on one device or module identity
// (PUT /offhub/v1/devices/{id}[/modules/{m}]/faults). The hub applies them
// (control/fault_injector.hpp), so the device's own code and the service's
// own code see them as they would see a misbehaving device or hub:
//
//   {"connect"?: "refuse",       CONNECT refused with CONNACK 5, as IoT Hub refuses a
//                                disabled device; a live connection is closed
//    "disconnect"?: true,        close the live connection now, once (not kept, not read back;
//                                alone in a PUT, it leaves the faults set as they are)
//    "methods"?: {"<name>" | "*": {"latencyMs"?: 0..3600000,
//                                  "status"?: <integer>, "payload"?: <JSON>,
//                                  "drop"?: true}},
//    "desired"?: "drop",         desired-property notifications are not delivered
//    "reported"?: {"status": 400|401|403|404|412|413|429|500|503|504}}
//
// Methods: a rule named after the method wins over "*". "status" answers for
// the device (with "payload", default null) without reaching it; "drop" lets
// the call reach no one, so the caller gets IoT Hub's timeout; "latencyMs"
// delays the call (or the answer "status" gives) by that much hub time.
// "drop" excludes "status" and "payload"; "payload" needs "status".
// Reported: patches are answered with that status and IoT Hub's error for it
// (429: ThrottlingException 429001, ...), and not stored.
// Errors: 400 ArgumentInvalid whose message starts with the field's path.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/errors.hpp"
#include "domain/result.hpp"

namespace offhub::emulator {

struct MethodFault {
  std::int64_t latency_ms = 0;
  std::optional<int> status;  // answer for the device
  nlohmann::json payload;     // with status; null when not given
  bool drop = false;
  bool operator==(const MethodFault&) const = default;
};

struct DeviceFaults {
  bool refuse_connect = false;
  std::map<std::string, MethodFault, std::less<>> methods;  // by method name, or "*"
  bool drop_desired = false;
  std::optional<domain::ErrorCode> reported_error;

  bool empty() const { return !refuse_connect && methods.empty() && !drop_desired && !reported_error; }
  // The rule for a call of `method`: its own, else "*", else none.
  const MethodFault* ForMethod(std::string_view method) const;
  bool operator==(const DeviceFaults&) const = default;
};

// What a PUT carries: the faults to keep, and the one-off disconnect.
struct FaultRequest {
  DeviceFaults faults;
  bool disconnect = false;
};

inline constexpr std::int64_t kMaxFaultLatencyMs = 3'600'000;
// IoT Hub's limit on a direct method's payload, for an answer a fault gives.
inline constexpr std::size_t kMaxFaultPayloadBytes = 128 * 1024;

// `path` prefixes error messages ("$" for a request body, "$.devices[2].faults" in a state document).
domain::Result<FaultRequest> ParseFaultRequest(const nlohmann::json& body, const std::string& path = "$");
// The document GET returns: ParseFaultRequest reads it back to the same faults.
nlohmann::json FaultsJson(const DeviceFaults& faults);

}  // namespace offhub::emulator
