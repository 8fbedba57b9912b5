#include "domain/query/value.hpp"

#include <cmath>
#include <cstdint>

namespace offhub::domain::query {

bool Value::IsPrimitive() const {
  return kind == ValueKind::kNull || kind == ValueKind::kBool || kind == ValueKind::kNumber ||
         kind == ValueKind::kString;
}

Value FromJson(const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  Value v;
  v.node = &j;
  switch (j.type()) {
    case T::null: v.kind = ValueKind::kNull; break;
    case T::boolean: v.kind = ValueKind::kBool; v.boolean = j.get<bool>(); break;
    case T::number_integer: v.kind = ValueKind::kNumber; v.number = static_cast<double>(j.get<std::int64_t>()); break;
    case T::number_unsigned: v.kind = ValueKind::kNumber; v.number = static_cast<double>(j.get<std::uint64_t>()); break;
    case T::number_float: v.kind = ValueKind::kNumber; v.number = j.get<double>(); break;
    case T::string: v.kind = ValueKind::kString; v.string = j.get_ref<const std::string&>(); break;
    case T::array: v.kind = ValueKind::kArray; break;
    case T::object: v.kind = ValueKind::kObject; break;
    default: v.kind = ValueKind::kUndefined; v.node = nullptr; break;
  }
  return v;
}

namespace {

nlohmann::json NumberToJson(double n) {
  // Computed integers print as integers ("floor": 3, not 3.0).
  constexpr double kExact = 9007199254740992.0;  // 2^53
  if (std::isfinite(n) && std::trunc(n) == n && std::fabs(n) <= kExact) return static_cast<std::int64_t>(n);
  if (!std::isfinite(n)) return nullptr;  // JSON has no NaN/Inf
  return n;
}

template <class T>
bool Ordered(const T& a, const T& b, CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return a == b;
    case CompareOp::kNe: return a != b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kLe: return a <= b;
    case CompareOp::kGe: return a >= b;
  }
  return false;
}

}  // namespace

nlohmann::json ToJson(const Value& v) {
  if (v.node != nullptr) return *v.node;
  switch (v.kind) {
    case ValueKind::kNull: return nullptr;
    case ValueKind::kBool: return v.boolean;
    case ValueKind::kNumber: return NumberToJson(v.number);
    case ValueKind::kString: return std::string(v.string);
    default: return nullptr;
  }
}

Value Compare(const Value& a, const Value& b, CompareOp op) {
  if (a.kind != b.kind || !a.IsPrimitive()) return Value::Undefined();
  switch (a.kind) {
    case ValueKind::kNull:
      if (op == CompareOp::kEq) return Value::Bool(true);
      if (op == CompareOp::kNe) return Value::Bool(false);
      return Value::Undefined();
    case ValueKind::kBool: return Value::Bool(Ordered(a.boolean, b.boolean, op));
    case ValueKind::kNumber: return Value::Bool(Ordered(a.number, b.number, op));
    case ValueKind::kString: return Value::Bool(Ordered(a.string, b.string, op));
    default: return Value::Undefined();
  }
}

bool SameAndEqual(const Value& a, const Value& b) { return Compare(a, b, CompareOp::kEq).IsTrue(); }

}  // namespace offhub::domain::query
