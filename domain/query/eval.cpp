#include "domain/query/eval.hpp"

#include <array>
#include <cmath>

#include "domain/query/functions.hpp"

namespace offhub::domain::query {
namespace {

Value EvaluateAnd(const Expr& e, const Row& row) {
  bool all_true = true;
  for (const auto& arg : e.args) {
    const Value v = Evaluate(*arg, row);
    if (v.kind == ValueKind::kBool && !v.boolean) return Value::Bool(false);
    all_true = all_true && v.IsTrue();
  }
  return all_true ? Value::Bool(true) : Value::Undefined();
}

Value EvaluateOr(const Expr& e, const Row& row) {
  bool all_false = true;
  for (const auto& arg : e.args) {
    const Value v = Evaluate(*arg, row);
    if (v.IsTrue()) return Value::Bool(true);
    all_false = all_false && v.kind == ValueKind::kBool;
  }
  return all_false ? Value::Bool(false) : Value::Undefined();
}

Value EvaluateIn(const Expr& e, const Row& row) {
  const Value left = Evaluate(*e.args[0], row);
  const Value right = Evaluate(*e.args[1], row);
  if (!left.IsPrimitive() || right.kind != ValueKind::kArray || right.node == nullptr) return Value::Undefined();
  bool found = false;
  for (const auto& element : *right.node) {
    if (SameAndEqual(left, FromJson(element))) {
      found = true;
      break;
    }
  }
  return Value::Bool(e.kind == ExprKind::kIn ? found : !found);
}

Value EvaluateArith(const Expr& e, const Row& row) {
  const Value a = Evaluate(*e.args[0], row);
  const Value b = Evaluate(*e.args[1], row);
  if (a.kind != ValueKind::kNumber || b.kind != ValueKind::kNumber) return Value::Undefined();
  switch (e.arith) {
    case ArithOp::kAdd: return Value::Number(a.number + b.number);
    case ArithOp::kSub: return Value::Number(a.number - b.number);
    case ArithOp::kMul: return Value::Number(a.number * b.number);
    case ArithOp::kDiv: return b.number == 0 ? Value::Undefined() : Value::Number(a.number / b.number);
    case ArithOp::kMod: return b.number == 0 ? Value::Undefined() : Value::Number(std::fmod(a.number, b.number));
  }
  return Value::Undefined();
}

Value EvaluateFunction(const Expr& e, const Row& row) {
  std::array<Value, kMaxFunctionArity> args;
  for (std::size_t i = 0; i < e.args.size(); ++i) args[i] = Evaluate(*e.args[i], row);
  return Apply(e.function, std::span<const Value>(args.data(), e.args.size()));
}

}  // namespace

Value Evaluate(const Expr& e, const Row& row) {
  switch (e.kind) {
    case ExprKind::kConstant: return e.constant_value;
    case ExprKind::kPath: return row.Resolve(e);
    case ExprKind::kCompare: return Compare(Evaluate(*e.args[0], row), Evaluate(*e.args[1], row), e.compare);
    case ExprKind::kAnd: return EvaluateAnd(e, row);
    case ExprKind::kOr: return EvaluateOr(e, row);
    case ExprKind::kNot: {
      const Value v = Evaluate(*e.args[0], row);
      return v.kind == ValueKind::kBool ? Value::Bool(!v.boolean) : Value::Undefined();
    }
    case ExprKind::kNegate: {
      const Value v = Evaluate(*e.args[0], row);
      return v.kind == ValueKind::kNumber ? Value::Number(-v.number) : Value::Undefined();
    }
    case ExprKind::kIn:
    case ExprKind::kNin: return EvaluateIn(e, row);
    case ExprKind::kArith: return EvaluateArith(e, row);
    case ExprKind::kFunction: return EvaluateFunction(e, row);
    case ExprKind::kAggregate: return Value::Undefined();
  }
  return Value::Undefined();
}

bool Matches(const Expr* condition, const Row& row) {
  return condition == nullptr || Evaluate(*condition, row).IsTrue();
}

bool Matches(const Condition& condition, const Twin& twin) {
  return Matches(condition.expr.get(), TwinRow(twin));
}

}  // namespace offhub::domain::query
