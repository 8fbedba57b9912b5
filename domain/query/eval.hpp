#pragma once
// Evaluating a parsed expression against one row (a twin or a device-job
// record). Semantics, per IoT Hub's query language doc and Cosmos DB's SQL
// dialect where the doc is silent (offhub's choices marked *):
// - comparisons: see value.hpp (same-kind primitives only, else undefined);
// - AND: false if either side is false, true if both are true, else undefined*;
//   OR: true if either side is true, false if both are false, else undefined*;
//   NOT: negates booleans, undefined otherwise*; so `NOT tags.x = 1` does not
//   match a twin without tags.x, and neither does `tags.x != 1`;
// - IN / NIN: left must be a primitive and right an array; IN is true when an
//   element equals the left (same kind), NIN is its negation, else undefined;
// - + - * / %: numbers only (no string concatenation*), division or modulo by
//   zero is undefined*; % is fmod;
// - functions (IS_DEFINED, IS_NULL, ..., STARTSWITH, ENDSWITH): functions.hpp;
// - aggregates are evaluated by the runner, never here (undefined).
// A row keeps a row only when the WHERE yields boolean true.

#include <nlohmann/json.hpp>

#include "domain/query/ast.hpp"
#include "domain/query/path.hpp"
#include "domain/query/query.hpp"
#include "domain/twin.hpp"

namespace offhub::domain::query {

// One row under evaluation. Resolve() gets the path node (its compiled path
// and slot) and may stash made-up strings in the row; values stay valid for
// the row's lifetime.
class Row {
 public:
  virtual ~Row() = default;
  virtual Value Resolve(const Expr& path) const = 0;
};

class TwinRow final : public Row {
 public:
  explicit TwinRow(const Twin& twin) : twin_(twin) {}
  Value Resolve(const Expr& path) const override { return ResolveTwinPath(path.path, twin_, scratch_); }

 private:
  const Twin& twin_;
  mutable Scratch scratch_;
};

class JsonRow final : public Row {
 public:
  explicit JsonRow(const nlohmann::json& record) : record_(record) {}
  Value Resolve(const Expr& path) const override { return ResolveJsonPath(path.path, record_); }

 private:
  const nlohmann::json& record_;
};

// A row whose path values were resolved ahead of time, slot by slot:
// values[slot * stride].
class SlotRow final : public Row {
 public:
  SlotRow(const Value* values, std::size_t stride) : values_(values), stride_(stride) {}
  Value Resolve(const Expr& path) const override { return values_[path.slot * stride_]; }

 private:
  const Value* values_;
  std::size_t stride_;
};

Value Evaluate(const Expr& expr, const Row& row);

// The WHERE rule: true only for boolean true. A null expression matches all.
bool Matches(const Expr* condition, const Row& row);

// A job's queryCondition against a twin ("*" matches every twin).
bool Matches(const Condition& condition, const Twin& twin);

}  // namespace offhub::domain::query
