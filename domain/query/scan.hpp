#pragma once
// Internal to the query module: walks a TwinSource in key order and hands
// each twin to a callback together with a Row whose path values are already
// resolved. Twins are taken in batches of kScanBatch and every path slot is
// resolved for the whole batch before any twin is evaluated: the lookups of
// neighbouring twins then overlap in the memory system instead of waiting on
// each other behind mispredicted branches. The WHERE is applied per batch one
// top-level AND term at a time, resolving a term's paths only for the twins
// the earlier terms kept.
// This is why TwinSource references must stay valid for the whole call.

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include "domain/query/eval.hpp"
#include "domain/query/source.hpp"

namespace offhub::domain::query {

inline constexpr std::size_t kScanBatch = 32;  // at most 64 (bitmasks)
static_assert(kScanBatch <= 64);

// Calls on_row(twin, row) for each twin after `after` that `where` keeps
// (every twin when null), in order, until it returns false. `slots` must
// hold every path of `where` and of whatever on_row evaluates. Twins
// buffered behind a stop are never shown.
void ScanTwins(const TwinSource& twins, std::optional<std::string_view> after, const Expr* where,
               const PathSlots& slots, const std::function<bool(const Twin&, const Row&)>& on_row);

}  // namespace offhub::domain::query
