#pragma once
// Typed readers for the fields of IoT Hub request bodies (jobs, direct
// methods). Every reader names the field in its error, so a client learns
// which part of its body was wrong.
//
// Conventions shared by all readers (offhub's choice; the hub documents none):
// - an absent field and an explicit JSON null are the same thing;
// - a value of the wrong JSON type is 400 ArgumentInvalid (400004);
// - a required field that is absent or null is 400 ArgumentNull (400005);
// - integers must be JSON integers: 30.0 and 30.5 are both rejected, and so is
//   any value outside the int64 range.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::domain {

// The member `name` of `object`, or nullptr when absent or null.
// Precondition: object.is_object().
const nlohmann::json* FindField(const nlohmann::json& object, std::string_view name);

// `field` names the member in errors ("cloudToDeviceMethod.methodName").
Result<std::optional<std::int64_t>> ReadOptionalInt(const nlohmann::json* value, std::string_view field);
Result<std::optional<std::string>> ReadOptionalString(const nlohmann::json* value, std::string_view field);
Result<std::string> ReadRequiredString(const nlohmann::json* value, std::string_view field);

// Nesting depth of `value` (a scalar is 0, `{}` and `[]` are 1), computed
// without recursion so hostile input cannot exhaust the stack. Stops counting
// once `limit` is exceeded and returns limit + 1.
std::size_t JsonDepth(const nlohmann::json& value, std::size_t limit);

}  // namespace offhub::domain
