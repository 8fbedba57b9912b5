#include "domain/query/functions.hpp"

#include <algorithm>
#include <array>

#include "domain/query/syntax_error.hpp"
#include "domain/query/text.hpp"

namespace offhub::domain::query {
namespace {

using enum Function;

constexpr std::array<FunctionSpec, 10> kFunctions = {{
    {"IS_DEFINED", kIsDefined, 1, ArgumentType::kAny},
    {"IS_NULL", kIsNull, 1, ArgumentType::kAny},
    {"IS_BOOL", kIsBool, 1, ArgumentType::kAny},
    {"IS_NUMBER", kIsNumber, 1, ArgumentType::kAny},
    {"IS_STRING", kIsString, 1, ArgumentType::kAny},
    {"IS_OBJECT", kIsObject, 1, ArgumentType::kAny},
    {"IS_ARRAY", kIsArray, 1, ArgumentType::kAny},
    {"IS_PRIMITIVE", kIsPrimitive, 1, ArgumentType::kAny},
    {"STARTSWITH", kStartsWith, 2, ArgumentType::kString},
    {"ENDSWITH", kEndsWith, 2, ArgumentType::kString},
}};

struct RoutingOnly {
  std::string_view name;
  std::string_view twin_spelling;  // empty: none
};

constexpr std::array<RoutingOnly, 18> kRoutingOnly = {{
    {"ABS", {}}, {"EXP", {}}, {"POWER", {}}, {"SQUARE", {}}, {"CEILING", {}}, {"FLOOR", {}},
    {"SIGN", {}}, {"SQRT", {}}, {"AS_NUMBER", {}}, {"CONCAT", {}}, {"LENGTH", {}}, {"LOWER", {}},
    {"UPPER", {}}, {"SUBSTRING", {}}, {"INDEX_OF", {}}, {"STARTS_WITH", "STARTSWITH"},
    {"ENDS_WITH", "ENDSWITH"}, {"CONTAINS", {}},
}};

bool IsKind(const Value& v, ValueKind kind) { return v.kind == kind; }

Value StringTest(Function function, const Value& text, const Value& part) {
  if (text.kind != ValueKind::kString || part.kind != ValueKind::kString) return Value::Undefined();
  return Value::Bool(function == kStartsWith ? text.string.starts_with(part.string) : text.string.ends_with(part.string));
}

}  // namespace

const FunctionSpec* FindFunction(std::string_view name) {
  const auto it = std::find_if(kFunctions.begin(), kFunctions.end(),
                               [&](const FunctionSpec& f) { return EqualsNoCase(name, f.name); });
  return it == kFunctions.end() ? nullptr : &*it;
}

std::string NotCallable(std::string_view name) {
  const auto it = std::find_if(kRoutingOnly.begin(), kRoutingOnly.end(),
                               [&](const RoutingOnly& f) { return EqualsNoCase(name, f.name); });
  if (it == kRoutingOnly.end()) return "unknown function '" + std::string(name) + "'";
  std::string reason = "function '" + std::string(name) + "' is supported only in message routing queries";
  if (!it->twin_spelling.empty()) reason += "; twin and job queries spell it " + std::string(it->twin_spelling);
  return reason;
}

Status CheckArguments(const FunctionSpec& spec, const Expr& call) {
  const std::string name(spec.name);
  if (call.args.size() != spec.arity) {
    return SyntaxError(call.column, name + " takes " + std::to_string(spec.arity) +
                                        (spec.arity == 1 ? " argument" : " arguments") + ", found " +
                                        std::to_string(call.args.size()));
  }
  if (spec.argument != ArgumentType::kString) return Success();
  for (std::size_t i = 0; i < call.args.size(); ++i) {
    const Expr& arg = *call.args[i];
    if (arg.kind == ExprKind::kConstant && arg.constant_value.kind != ValueKind::kString) {
      return SyntaxError(arg.column, name + " takes a string as argument " + std::to_string(i + 1));
    }
  }
  return Success();
}

Value Apply(Function function, std::span<const Value> args) {
  switch (function) {
    case kIsDefined: return Value::Bool(args[0].IsDefined());
    case kIsNull: return Value::Bool(IsKind(args[0], ValueKind::kNull));
    case kIsBool: return Value::Bool(IsKind(args[0], ValueKind::kBool));
    case kIsNumber: return Value::Bool(IsKind(args[0], ValueKind::kNumber));
    case kIsString: return Value::Bool(IsKind(args[0], ValueKind::kString));
    case kIsObject: return Value::Bool(IsKind(args[0], ValueKind::kObject));
    case kIsArray: return Value::Bool(IsKind(args[0], ValueKind::kArray));
    case kIsPrimitive: return Value::Bool(args[0].IsPrimitive());
    case kStartsWith:
    case kEndsWith: return StringTest(function, args[0], args[1]);
  }
  return Value::Undefined();
}

}  // namespace offhub::domain::query
