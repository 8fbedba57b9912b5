#pragma once
// What the control plane's document readers (hub_state, device_faults) share:
// errors that start with the JSON path, and the check that an object holds
// only known fields (a typo is refused, not silently lost).

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::emulator {

// 400 ArgumentInvalid "<path>: <why>".
inline domain::Error At(const std::string& path, const std::string& why) {
  return domain::Error::ArgumentInvalid(path + ": " + why);
}

inline domain::Status OnlyFields(const nlohmann::json& object, const std::string& path,
                                 std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : object.items()) {
    bool known = false;
    for (const auto field : allowed) known = known || name == field;
    if (!known) return At(path + "." + name, "unknown field");
  }
  return domain::Success();
}

}  // namespace offhub::emulator
