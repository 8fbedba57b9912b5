#pragma once
// Internal to the query module: the functions a twin, module or device-job
// query (and a job's queryCondition) may call, and what they yield.
//
// Which functions (offhub's choices where the sources are silent marked *):
// - IS_DEFINED(x): "the only supported function" for twins and jobs, says
//   https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language#functions
// - STARTSWITH(x, y), ENDSWITH(x, y): the hub accepts them in twin queries,
//   and rejects the routing spelling STARTS_WITH there with "The query is
//   invalid" (MicrosoftDocs/azure-docs issues 110329, 105649 and 85381; that
//   page listed them under routing, spelled either way over the years).
//   Case-sensitive, by bytes, as Cosmos DB's functions of the same name, whose
//   SQL dialect IoT Hub's twin queries follow; no third (ignore-case)
//   argument*.
// - IS_NULL, IS_BOOL, IS_NUMBER, IS_STRING, IS_OBJECT, IS_ARRAY, IS_PRIMITIVE:
//   the same page's type-checking table, listed for routes; accepted in twin
//   and job queries too*, as in Cosmos DB.
// - Routing-only functions (the page's math, casting and string tables:
//   ABS ... SQRT, AS_NUMBER, CONCAT, LENGTH, LOWER, UPPER, SUBSTRING, INDEX_OF,
//   STARTS_WITH, ENDS_WITH, CONTAINS; CONTAINS fails in twin queries per issue
//   105649) are a 400 saying so. Any other name is "unknown function".
// Rules:
// - names are case-insensitive (the page writes both `is_defined(...)` and
//   IS_DEFINED), like keywords;
// - an argument is any expression (the page's grammar: <function_name> '('
//   expression ')'), so functions work in WHERE, in SELECT items and in job
//   conditions alike; aggregates stay out of arguments (query.hpp);
// - a type check yields true or false, never undefined: IS_DEFINED is false
//   only for undefined (true for null); the others are false for undefined;
// - STARTSWITH/ENDSWITH yield a boolean when both arguments are strings, else
//   undefined (Cosmos DB), so neither the call nor its NOT keeps such a row;
// - a wrong number of arguments, or a constant argument of the wrong type
//   (STARTSWITH(deviceId, 5)), is a 400 naming the function*.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "domain/query/ast.hpp"
#include "domain/query/value.hpp"
#include "domain/result.hpp"

namespace offhub::domain::query {

inline constexpr std::size_t kMaxFunctionArity = 2;

enum class ArgumentType : std::uint8_t { kAny, kString };

struct FunctionSpec {
  std::string_view name;  // canonical spelling, for messages
  Function function;
  std::size_t arity;      // exact; at most kMaxFunctionArity
  ArgumentType argument;  // of every argument
};

// The function called `name` (any case), or null.
const FunctionSpec* FindFunction(std::string_view name);

// Why `name` cannot be called in a twin or job query: routing-only (with the
// twin-query spelling when there is one) or unknown.
std::string NotCallable(std::string_view name);

// The rules above for a parsed call: its number of arguments, and the type of
// those that are constants. A failure is the 400 SyntaxError naming the call.
Status CheckArguments(const FunctionSpec& spec, const Expr& call);

// `function` applied to evaluated arguments; args.size() is its arity.
Value Apply(Function function, std::span<const Value> args);

}  // namespace offhub::domain::query
