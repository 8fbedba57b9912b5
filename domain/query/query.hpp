#pragma once
// IoT Hub's query language: parsing.
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language
//
//   SELECT [TOP n] * | expr [AS alias], ...
//   FROM devices | devices.jobs
//   [WHERE condition] [GROUP BY path, ...]
//
// Keywords and function names are case-insensitive. Precedence, loosest
// first: OR, AND, NOT, comparisons and IN/NIN, + -, * / %, unary -.
// Limits (offhub's choices where the docs are silent are marked *):
// - the text is at most 8192 characters (IoT Hub's limit);
// - * expressions nest at most kMaxDepth levels (parentheses, NOT, operators),
//   so hostile input cannot exhaust the stack;
// - TOP n takes a non-negative integer.
// Projections: a path's column is named by its alias or else its last segment
// (`tags.x` -> "x"); other unnamed expressions and aggregates are named "$1",
// "$2", ... by position *, like Cosmos DB whose dialect IoT Hub follows.
// Functions (IS_DEFINED and the other type checks, STARTSWITH, ENDSWITH; see
// functions.hpp) go wherever an expression may: WHERE, SELECT items, a job's
// condition; GROUP BY takes paths only.
// Aggregates (COUNT(), SUM/AVG/MIN/MAX(path)) appear only as whole SELECT
// items, only FROM devices; without GROUP BY they cannot be mixed with other
// items; with GROUP BY every non-aggregate item must be a GROUP BY path.
// devices.jobs allows only SELECT * (with TOP/WHERE), as IoT Hub documents.
// Every failure is 400 ArgumentInvalid naming the column (syntax_error.hpp).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/query/ast.hpp"
#include "domain/result.hpp"

namespace offhub::domain::query {

inline constexpr std::size_t kMaxQueryLength = 8192;
inline constexpr int kMaxDepth = 100;

enum class QuerySource { kDevices, kModules, kDeviceJobs };

struct Projection {
  std::unique_ptr<Expr> expr;
  std::string name;  // the output key
};

struct Query {
  std::string text;  // as given; continuation tokens are tied to it
  QuerySource source = QuerySource::kDevices;
  std::optional<std::int64_t> top;
  bool select_all = false;
  std::vector<Projection> projections;      // empty when select_all
  std::unique_ptr<Expr> where;              // null: every row
  std::vector<std::unique_ptr<Expr>> group_by;
  bool has_aggregates = false;
  PathSlots slots;  // every distinct path above
};

Result<Query> ParseQuery(std::string_view text);

// A job's queryCondition: the body of a WHERE over twins, or "*" for every
// device. Blank is invalid (offhub's choice: never target a fleet by accident).
// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-jobs
struct Condition {
  std::unique_ptr<Expr> expr;  // null: every device
  PathSlots slots;
};

Result<Condition> ParseCondition(std::string_view text);

// The query a job runs to fix its targets, from its queryCondition:
// - a condition (as ParseCondition) -> "SELECT deviceId FROM devices WHERE {condition}";
// - "FROM devices.modules [WHERE ...]" (a module job, as IoT Hub accepts) ->
//   "SELECT deviceId, moduleId FROM devices.modules [WHERE ...]", and
//   "FROM devices [WHERE ...]" likewise over devices.
// Rows carry deviceId, and moduleId for modules. A query longer than
// kMaxQueryLength is 412 PreconditionFailed, as IoT Hub answers a job whose
// query exceeds its ~8,200-character limit (azure-iot-sdk-csharp issue 1680).
// A condition that does not parse, or a FROM form with TOP, GROUP BY,
// aggregates or devices.jobs, is 400 with the parser's message (columns
// count in the query, as IoT Hub's do: azure-iot-sdk-csharp issue 40). The condition is kept verbatim: parsed
// alone it is one whole expression, so it cannot add clauses of its own.
Result<std::string> JobTargetQuery(std::string_view query_condition);

}  // namespace offhub::domain::query
