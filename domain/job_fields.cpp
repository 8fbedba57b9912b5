#include "domain/job_fields.hpp"

#include <limits>
#include <utility>
#include <vector>

namespace offhub::domain {
namespace {

Error WrongType(std::string_view field, std::string_view expected) {
  return Error::ArgumentInvalid(std::string(field) + " must be " + std::string(expected) + ".");
}

}  // namespace

const nlohmann::json* FindField(const nlohmann::json& object, std::string_view name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::optional<std::int64_t>> ReadOptionalInt(const nlohmann::json* value, std::string_view field) {
  if (value == nullptr) return std::optional<std::int64_t>{};
  if (value->is_number_integer() && !value->is_number_unsigned()) {
    return std::optional<std::int64_t>{value->get<std::int64_t>()};
  }
  if (value->is_number_unsigned()) {
    const auto u = value->get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::optional<std::int64_t>{static_cast<std::int64_t>(u)};
    }
    return Error::ArgumentInvalid(std::string(field) + " is out of range.");
  }
  return WrongType(field, "an integer");
}

Result<std::optional<std::string>> ReadOptionalString(const nlohmann::json* value, std::string_view field) {
  if (value == nullptr) return std::optional<std::string>{};
  if (!value->is_string()) return WrongType(field, "a string");
  return std::optional<std::string>{value->get<std::string>()};
}

Result<std::string> ReadRequiredString(const nlohmann::json* value, std::string_view field) {
  if (value == nullptr) return Error(ErrorCode::ArgumentNull, std::string(field) + " is required.");
  if (!value->is_string()) return WrongType(field, "a string");
  return value->get<std::string>();
}

std::size_t JsonDepth(const nlohmann::json& value, std::size_t limit) {
  std::size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, std::size_t>> pending{{&value, 0}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    const std::size_t inner = depth + 1;
    if (inner > limit) return limit + 1;
    if (inner > deepest) deepest = inner;
    for (const auto& child : *node) pending.emplace_back(&child, inner);
  }
  return deepest;
}

}  // namespace offhub::domain
