#pragma once
// A query-time value: what a constant, a property path or an operator yields.
// Values never own their payload: strings, arrays and objects point into the
// twin, the device-job record or the query's constants, so evaluating a row
// allocates nothing. A Value must not outlive the row and query it came from.
//
// Semantics follow IoT Hub's query language
// (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language):
// comparisons are defined only between primitives of the same kind; anything
// else is `undefined`, and a WHERE keeps a row only when it yields boolean true.

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace offhub::domain::query {

enum class ValueKind : std::uint8_t { kUndefined, kNull, kBool, kNumber, kString, kArray, kObject };

struct Value {
  ValueKind kind = ValueKind::kUndefined;
  bool boolean = false;
  double number = 0;
  std::string_view string;
  // For values read from JSON: the node (keeps integers exact on output, and
  // is the payload of arrays and objects).
  const nlohmann::json* node = nullptr;

  static Value Undefined() { return {}; }
  static Value Null() { return Of(ValueKind::kNull); }
  static Value Bool(bool b) { Value v = Of(ValueKind::kBool); v.boolean = b; return v; }
  static Value Number(double n) { Value v = Of(ValueKind::kNumber); v.number = n; return v; }
  static Value String(std::string_view s) { Value v = Of(ValueKind::kString); v.string = s; return v; }
  static Value Of(ValueKind k) { Value v; v.kind = k; return v; }

  bool IsTrue() const { return kind == ValueKind::kBool && boolean; }
  bool IsDefined() const { return kind != ValueKind::kUndefined; }
  bool IsPrimitive() const;
};

// Views a JSON node (discarded values become undefined). `j` must outlive the Value.
Value FromJson(const nlohmann::json& j);

// The value as JSON for projections. Precondition: v.IsDefined().
nlohmann::json ToJson(const Value& v);

enum class CompareOp : std::uint8_t { kEq, kNe, kLt, kGt, kLe, kGe };

// Bool for two primitives of the same kind (null only with = and !=; strings
// ordinally by bytes; false < true); undefined otherwise.
Value Compare(const Value& a, const Value& b, CompareOp op);

// True when a and b are primitives of the same kind and equal (used by IN).
bool SameAndEqual(const Value& a, const Value& b);

}  // namespace offhub::domain::query
