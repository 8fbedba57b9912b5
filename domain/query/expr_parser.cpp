#include "domain/query/expr_parser.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>

#include "domain/query/functions.hpp"
#include "domain/query/query.hpp"
#include "domain/query/syntax_error.hpp"

namespace offhub::domain::query {
namespace {

constexpr std::array<std::string_view, 13> kReserved = {
    "select", "from", "where", "group", "by", "as", "top", "and", "or", "not", "in", "nin", "order"};

ExprPtr NewNode(ExprKind kind, std::size_t column) {
  auto node = std::make_unique<Expr>();
  node->kind = kind;
  node->column = column;
  return node;
}

std::optional<CompareOp> ComparisonOf(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEq: return CompareOp::kEq;
    case TokenKind::kNe: return CompareOp::kNe;
    case TokenKind::kLt: return CompareOp::kLt;
    case TokenKind::kGt: return CompareOp::kGt;
    case TokenKind::kLe: return CompareOp::kLe;
    case TokenKind::kGe: return CompareOp::kGe;
    default: return std::nullopt;
  }
}

std::optional<AggregateFn> AggregateOf(std::string_view name) {
  if (EqualsNoCase(name, "count")) return AggregateFn::kCount;
  if (EqualsNoCase(name, "sum")) return AggregateFn::kSum;
  if (EqualsNoCase(name, "avg")) return AggregateFn::kAvg;
  if (EqualsNoCase(name, "min")) return AggregateFn::kMin;
  if (EqualsNoCase(name, "max")) return AggregateFn::kMax;
  return std::nullopt;
}

nlohmann::json NumberJson(const Token& t, bool negate) {
  if (t.is_integer) return negate ? -t.integer : t.integer;
  return negate ? -t.number : t.number;
}

// Folds "-constant" into the constant (IoT Hub's negative literals).
bool FoldNegation(Expr& operand) {
  if (operand.kind != ExprKind::kConstant || !operand.constant.is_number()) return false;
  auto& c = operand.constant;
  if (c.is_number_integer() && c.get<std::int64_t>() != std::numeric_limits<std::int64_t>::min()) {
    c = -c.get<std::int64_t>();
  } else {
    c = -c.get<double>();
  }
  operand.constant_value = FromJson(c);
  return true;
}

}  // namespace

bool IsReservedWord(std::string_view word) {
  return std::any_of(kReserved.begin(), kReserved.end(), [&](auto k) { return EqualsNoCase(word, k); });
}

ExprPtr MakeConstant(nlohmann::json value, std::size_t column) {
  auto node = NewNode(ExprKind::kConstant, column);
  node->constant = std::move(value);
  node->constant_value = FromJson(node->constant);
  return node;
}

const Token& ExprParser::Peek(std::size_t ahead) const {
  return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
}

bool ExprParser::AtKeyword(std::string_view word, std::size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kIdentifier && EqualsNoCase(t.text, word);
}

bool ExprParser::TakeKeyword(std::string_view word) {
  if (!AtKeyword(word)) return false;
  Take();
  return true;
}

Error ExprParser::Unexpected(std::string_view expected) const {
  const Token& t = Peek();
  std::string found = t.kind == TokenKind::kEnd ? "end of query" : "'" + t.text + "'";
  if (t.kind != TokenKind::kEnd && t.text.empty()) found = "operator";
  return SyntaxError(t.column, "expected " + std::string(expected) + ", found " + found);
}

Status ExprParser::Enter() {
  if (++depth_ > kMaxDepth) return SyntaxError(Peek().column, "expression nested too deeply");
  return Success();
}

Result<ExprPtr> ExprParser::ParseExpr() {
  if (auto s = Enter(); !s) return s.error();
  auto e = ParseOr();
  Leave();
  return e;
}

Result<ExprPtr> ExprParser::Binary(ExprPtr node, ExprPtr left, ExprPtr right) {
  node->depth = 1 + std::max(left->depth, right->depth);
  if (node->depth > kMaxDepth) return SyntaxError(node->column, "expression nested too deeply");
  node->args.push_back(std::move(left));
  node->args.push_back(std::move(right));
  return node;
}

Result<ExprPtr> ExprParser::ParseOr() {
  auto first = ParseAnd();
  if (!first || !AtKeyword("or")) return first;
  auto node = NewNode(ExprKind::kOr, Peek().column);
  node->args.push_back(std::move(*first));
  while (TakeKeyword("or")) {
    auto next = ParseAnd();
    if (!next) return next.error();
    node->depth = std::max(node->depth, 1 + (*next)->depth);
    node->args.push_back(std::move(*next));
  }
  node->depth = std::max(node->depth, 1 + node->args.front()->depth);
  return node;
}

Result<ExprPtr> ExprParser::ParseAnd() {
  auto first = ParseNot();
  if (!first || !AtKeyword("and")) return first;
  auto node = NewNode(ExprKind::kAnd, Peek().column);
  node->args.push_back(std::move(*first));
  while (TakeKeyword("and")) {
    auto next = ParseNot();
    if (!next) return next.error();
    node->depth = std::max(node->depth, 1 + (*next)->depth);
    node->args.push_back(std::move(*next));
  }
  node->depth = std::max(node->depth, 1 + node->args.front()->depth);
  return node;
}

Result<ExprPtr> ExprParser::ParseNot() {
  if (!AtKeyword("not")) return ParseComparison();
  auto node = NewNode(ExprKind::kNot, Take().column);
  if (auto s = Enter(); !s) return s.error();
  auto operand = ParseNot();
  Leave();
  if (!operand) return operand.error();
  node->depth = 1 + (*operand)->depth;
  node->args.push_back(std::move(*operand));
  return node;
}

Result<ExprPtr> ExprParser::ParseComparison() {
  auto left = ParseAdditive();
  if (!left) return left;
  ExprPtr node;
  if (auto op = ComparisonOf(Peek().kind)) {
    node = NewNode(ExprKind::kCompare, Take().column);
    node->compare = *op;
  } else if (AtKeyword("in") || AtKeyword("nin")) {
    node = NewNode(AtKeyword("in") ? ExprKind::kIn : ExprKind::kNin, Peek().column);
    Take();
  } else {
    return left;
  }
  auto right = ParseAdditive();
  if (!right) return right;
  return Binary(std::move(node), std::move(*left), std::move(*right));
}

Result<ExprPtr> ExprParser::ParseAdditive() {
  auto left = ParseMultiplicative();
  while (left && (Peek().kind == TokenKind::kPlus || Peek().kind == TokenKind::kMinus)) {
    auto node = NewNode(ExprKind::kArith, Peek().column);
    node->arith = Take().kind == TokenKind::kPlus ? ArithOp::kAdd : ArithOp::kSub;
    auto right = ParseMultiplicative();
    if (!right) return right;
    left = Binary(std::move(node), std::move(*left), std::move(*right));
  }
  return left;
}

Result<ExprPtr> ExprParser::ParseMultiplicative() {
  auto left = ParseUnary();
  for (;;) {
    if (!left) return left;
    const TokenKind k = Peek().kind;
    if (k != TokenKind::kStar && k != TokenKind::kSlash && k != TokenKind::kPercent) return left;
    auto node = NewNode(ExprKind::kArith, Take().column);
    node->arith = k == TokenKind::kStar ? ArithOp::kMul : k == TokenKind::kSlash ? ArithOp::kDiv : ArithOp::kMod;
    auto right = ParseUnary();
    if (!right) return right;
    left = Binary(std::move(node), std::move(*left), std::move(*right));
  }
}

Result<ExprPtr> ExprParser::ParseUnary() {
  const TokenKind k = Peek().kind;
  if (k != TokenKind::kMinus && k != TokenKind::kPlus) return ParsePrimary();
  const std::size_t column = Take().column;
  if (auto s = Enter(); !s) return s.error();
  auto operand = ParseUnary();
  Leave();
  if (!operand || k == TokenKind::kPlus) return operand;
  if (FoldNegation(**operand)) return operand;
  auto node = NewNode(ExprKind::kNegate, column);
  node->depth = 1 + (*operand)->depth;
  node->args.push_back(std::move(*operand));
  return node;
}

Result<ExprPtr> ExprParser::ParsePrimary() {
  const Token& t = Peek();
  switch (t.kind) {
    case TokenKind::kNumber: Take(); return MakeConstant(NumberJson(t, false), t.column);
    case TokenKind::kString: Take(); return MakeConstant(t.text, t.column);
    case TokenKind::kLParen: return ParseParenthesized();
    case TokenKind::kLBracket: return ParseArrayLiteral();
    case TokenKind::kEscapedName: return ParsePath();
    case TokenKind::kIdentifier: break;
    default: return Unexpected("a value");
  }
  if (AtKeyword("true") || AtKeyword("false")) return MakeConstant(EqualsNoCase(Take().text, "true"), t.column);
  if (AtKeyword("null")) return MakeConstant(nullptr, Take().column);
  if (AtKeyword("undefined")) {
    auto node = MakeConstant(nullptr, Take().column);
    node->constant_value = Value::Undefined();
    return node;
  }
  if (Peek(1).kind == TokenKind::kLParen) return ParseFunction();
  if (IsReservedWord(t.text)) return Unexpected("a value");
  return ParsePath();
}

Result<ExprPtr> ExprParser::ParseParenthesized() {
  Take();
  auto inner = ParseExpr();
  if (!inner) return inner;
  if (Peek().kind != TokenKind::kRParen) return Unexpected("')'");
  Take();
  return inner;
}

Result<ExprPtr> ExprParser::ParseArrayLiteral() {
  const std::size_t column = Peek().column;
  auto value = ParseArrayElement();
  if (!value) return value.error();
  return MakeConstant(std::move(*value), column);
}

// A constant inside an array literal: number (signed), string, true, false,
// null, or a nested array.
Result<nlohmann::json> ExprParser::ParseArrayElement() {
  const Token& t = Peek();
  if (t.kind == TokenKind::kMinus && Peek(1).kind == TokenKind::kNumber) {
    Take();
    return NumberJson(Take(), true);
  }
  if (t.kind == TokenKind::kNumber) return NumberJson(Take(), false);
  if (t.kind == TokenKind::kString) return nlohmann::json(Take().text);
  if (AtKeyword("true") || AtKeyword("false")) return nlohmann::json(EqualsNoCase(Take().text, "true"));
  if (AtKeyword("null")) { Take(); return nlohmann::json(nullptr); }
  if (t.kind != TokenKind::kLBracket) return Unexpected("a constant in the array");
  if (auto s = Enter(); !s) return s.error();
  Take();
  auto array = nlohmann::json::array();
  while (Peek().kind != TokenKind::kRBracket) {
    if (!array.empty()) {
      if (Peek().kind != TokenKind::kComma) return Unexpected("',' or ']'");
      Take();
    }
    auto element = ParseArrayElement();
    if (!element) return element;
    array.push_back(std::move(*element));
  }
  Take();
  Leave();
  return array;
}

// name '(' ... ')': an aggregate, or a function of functions.hpp.
Result<ExprPtr> ExprParser::ParseFunction() {
  const Token name = Take();
  Take();  // '('
  if (const auto aggregate = AggregateOf(name.text)) return ParseAggregate(name.column, *aggregate);
  const FunctionSpec* spec = FindFunction(name.text);
  if (spec == nullptr) return SyntaxError(name.column, NotCallable(name.text));
  auto node = NewNode(ExprKind::kFunction, name.column);
  node->function = spec->function;
  if (auto s = ParseArguments(*node); !s) return s.error();
  if (auto s = CheckArguments(*spec, *node); !s) return s.error();
  return node;
}

// COUNT() takes nothing; SUM/AVG/MIN/MAX take a property path.
Result<ExprPtr> ExprParser::ParseAggregate(std::size_t column, AggregateFn aggregate) {
  auto node = NewNode(ExprKind::kAggregate, column);
  node->aggregate = aggregate;
  ++aggregate_count_;
  if (aggregate != AggregateFn::kCount) {
    if (Peek().kind != TokenKind::kIdentifier && Peek().kind != TokenKind::kEscapedName) {
      return Unexpected("a property path");
    }
    auto path = ParsePath();
    if (!path) return path;
    node->args.push_back(std::move(*path));
    node->depth = 2;
  }
  if (Peek().kind != TokenKind::kRParen) return Unexpected("')'");
  Take();
  return node;
}

// [expr {',' expr}] ')', after the '('.
Status ExprParser::ParseArguments(Expr& call) {
  while (Peek().kind != TokenKind::kRParen) {
    if (!call.args.empty()) {
      if (Peek().kind != TokenKind::kComma) return Unexpected("',' or ')'");
      Take();
    }
    auto arg = ParseExpr();
    if (!arg) return arg.error();
    call.depth = std::max(call.depth, 1 + (*arg)->depth);
    call.args.push_back(std::move(*arg));
  }
  Take();
  if (call.depth > kMaxDepth) return SyntaxError(call.column, "expression nested too deeply");
  return Success();
}

Result<ExprPtr> ExprParser::ParsePath() {
  auto node = NewNode(ExprKind::kPath, Peek().column);
  if (Peek().kind == TokenKind::kIdentifier && IsReservedWord(Peek().text)) return Unexpected("a property path");
  node->segments.push_back(Take().text);
  while (Peek().kind == TokenKind::kDot) {
    Take();
    const TokenKind k = Peek().kind;
    if (k != TokenKind::kIdentifier && k != TokenKind::kEscapedName) return Unexpected("a property name after '.'");
    node->segments.push_back(Take().text);
  }
  return node;
}

}  // namespace offhub::domain::query
