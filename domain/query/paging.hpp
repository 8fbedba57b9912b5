#pragma once
// Pages of query results and their continuation tokens
// (POST /devices/query: x-ms-max-item-count in, x-ms-continuation and
// x-ms-item-type out).
//
// Page size (offhub's choice where the docs disagree, 100 vs 1000): default
// 100 and at most 100, per the current REST docs ("the service may use a
// different value"); 0 asks for the default.
//
// Continuation tokens are opaque text tied to the query text: they carry a
// hash of it and the position reached (last key returned, rows returned so
// far for TOP, or the group offset for aggregates). A token from another
// query, or anything that does not decode, is 400 ArgumentInvalid. A token is
// present only when more rows may follow.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::domain::query {

inline constexpr std::size_t kDefaultPageSize = 100;
inline constexpr std::size_t kMaxPageSize = 100;

struct PageRequest {
  std::size_t max_items = 0;                // 0: kDefaultPageSize; clamped to kMaxPageSize
  std::optional<std::string> continuation;  // from the previous page of the same query
};

// x-ms-item-type: `twin` for SELECT * FROM devices, `deviceJob` for
// devices.jobs, `raw` for projections and aggregates.
enum class ItemType { kTwin, kDeviceJob, kRaw };
std::string_view ToString(ItemType type);

struct QueryPage {
  nlohmann::json items = nlohmann::json::array();
  ItemType item_type = ItemType::kTwin;
  std::optional<std::string> continuation;
};

// Where a page starts; internal to the runner, exposed for tests.
struct Cursor {
  std::optional<std::string> after_key;  // last key returned (row queries)
  std::uint64_t returned = 0;            // rows returned by earlier pages
};

std::string EncodeContinuation(std::string_view query_text, const Cursor& cursor);
Result<Cursor> DecodeContinuation(std::string_view query_text, std::string_view token);

}  // namespace offhub::domain::query
