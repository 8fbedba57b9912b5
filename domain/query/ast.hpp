#pragma once
// The parsed form of a query: an expression tree with its paths compiled and
// its constants turned into Values once. Built by the parser only.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/query/path.hpp"
#include "domain/query/value.hpp"

namespace offhub::domain::query {

enum class ExprKind : std::uint8_t {
  kConstant,   // constant / constant_value (also array literals)
  kPath,       // path
  kNot,        // args[0]
  kNegate,     // args[0]
  kAnd,        // args[0..n): n-ary, flattened
  kOr,         // args[0..n)
  kCompare,    // args[0] compare args[1]
  kIn,         // args[0] IN args[1]
  kNin,        // args[0] NIN args[1]
  kArith,      // args[0] arith args[1]
  kFunction,   // function(args...): a type check or a string test (functions.hpp)
  kAggregate,  // aggregate(args[0]?) (COUNT has no argument); SELECT list only
};

enum class ArithOp : std::uint8_t { kAdd, kSub, kMul, kDiv, kMod };
enum class AggregateFn : std::uint8_t { kCount, kSum, kAvg, kMin, kMax };
enum class Function : std::uint8_t {
  kIsDefined, kIsNull, kIsBool, kIsNumber, kIsString, kIsObject, kIsArray, kIsPrimitive,
  kStartsWith, kEndsWith,
};

struct Expr {
  ExprKind kind = ExprKind::kConstant;
  CompareOp compare = CompareOp::kEq;
  ArithOp arith = ArithOp::kAdd;
  AggregateFn aggregate = AggregateFn::kCount;
  Function function = Function::kIsDefined;  // kFunction
  nlohmann::json constant;              // kConstant
  Value constant_value;                 // views `constant`; set once the node is final
  std::vector<std::string> segments;    // kPath, as written
  CompiledPath path;                    // kPath, compiled for the query's source
  std::size_t slot = 0;                 // kPath: index of `path` in the query's PathSlots
  std::vector<std::unique_ptr<Expr>> args;
  std::size_t column = 0;
  int depth = 1;                        // height of this subtree
};

// The distinct paths of a query, numbered; equal paths share a slot. Runners
// resolve every slot for a batch of rows before evaluating them. The pointers
// view the query's own nodes.
using PathSlots = std::vector<const CompiledPath*>;

}  // namespace offhub::domain::query
