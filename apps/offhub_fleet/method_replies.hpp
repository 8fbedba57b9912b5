#pragma once
// How the fleet's devices answer direct methods: per method name a status,
// a latency and a payload, with "*" for any other name.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-direct-methods
//
// Spec on the command line: NAME[=STATUS[:LATENCY_MS[:PAYLOAD_JSON]]], e.g.
//   lockDoor                       200 at once, payload null
//   reboot=200:50:{"ok":true}      200 after 50 ms with {"ok":true}
//   '*=404'                        any other method: 404
// The payload is the rest of the spec after the second ':' (JSON may hold ':').
// In a file (--methods-file), a JSON object of name -> reply:
//   {"lockDoor": {"status": 200, "latencyMs": 50, "payload": {"result": "locking"}}, "*": {"status": 404}}
// Defaults: status 200, latency 0, payload null. Rules: NAME is "*" or
// follows IoT Hub's method-name rule (domain::ValidateMethodName); STATUS
// 100..599; LATENCY_MS 0..300000 (the longest response timeout, 300 s);
// PAYLOAD any JSON of at most 128 KiB. Failures are 400 ArgumentInvalid
// naming what is wrong; nothing throws.

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "domain/result.hpp"

namespace offhub::fleet {

inline constexpr std::string_view kAnyMethod = "*";

struct MethodReply {
  int status = 200;
  int latency_ms = 0;
  std::string payload = "null";  // compact JSON text, sent as the response body

  bool operator==(const MethodReply&) const = default;
};

class MethodReplies {
 public:
  // Without any reply configured, every method is answered 200 at once with null.
  MethodReplies();

  // Replaces the reply for `name` ("*": any method without its own reply).
  // The first Set drops the built-in default.
  void Set(std::string name, MethodReply reply);

  // The reply for `name`: its own, else "*"'s, else 501 with a message, as
  // the C# device SDK answers a method that has no handler.
  const MethodReply& For(std::string_view name) const;

  // "lockDoor=200:0:null, *=404:0:null"
  std::string Describe() const;

 private:
  std::map<std::string, MethodReply, std::less<>> replies_;
  bool defaults_ = true;
  MethodReply not_implemented_;
};

// One NAME[=STATUS[:LATENCY_MS[:PAYLOAD_JSON]]] spec.
domain::Result<std::pair<std::string, MethodReply>> ParseMethodSpec(std::string_view spec);

// The JSON object text of a --methods-file.
domain::Result<MethodReplies> ParseMethodsJson(std::string_view text);

}  // namespace offhub::fleet
