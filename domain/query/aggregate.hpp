#pragma once
// Internal to the query module: evaluates an aggregate (or GROUP BY) query
// over every twin and returns all result rows, one per group, in first-seen
// order. Semantics are documented in run.hpp.

#include <nlohmann/json.hpp>

#include "domain/query/query.hpp"
#include "domain/query/source.hpp"

namespace offhub::domain::query {

nlohmann::json AggregateRows(const Query& query, const TwinSource& twins);

}  // namespace offhub::domain::query
