#pragma once
// Internal to the query module: recursive-descent parsing of expressions over
// a token vector. Statement-level parsing (SELECT ... FROM ...) lives in
// query.cpp and drives this class.

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "domain/query/ast.hpp"
#include "domain/query/lexer.hpp"
#include "domain/query/text.hpp"
#include "domain/result.hpp"

namespace offhub::domain::query {

using ExprPtr = std::unique_ptr<Expr>;

class ExprParser {
 public:
  explicit ExprParser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // expr := or-expr. Aggregates are parsed anywhere; aggregate_count() lets
  // the caller reject them where they do not belong.
  Result<ExprPtr> ParseExpr();

  const Token& Peek(std::size_t ahead = 0) const;
  const Token& Take() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool AtEnd() const { return Peek().kind == TokenKind::kEnd; }
  // The next token is the keyword `word` (an identifier, any case).
  bool AtKeyword(std::string_view word, std::size_t ahead = 0) const;
  bool TakeKeyword(std::string_view word);
  int aggregate_count() const { return aggregate_count_; }

  Error Unexpected(std::string_view expected) const;

 private:
  Result<ExprPtr> ParseOr();
  Result<ExprPtr> ParseAnd();
  Result<ExprPtr> ParseNot();
  Result<ExprPtr> ParseComparison();
  Result<ExprPtr> ParseAdditive();
  Result<ExprPtr> ParseMultiplicative();
  Result<ExprPtr> ParseUnary();
  Result<ExprPtr> ParsePrimary();
  Result<ExprPtr> ParseParenthesized();
  Result<ExprPtr> ParseArrayLiteral();
  Result<nlohmann::json> ParseArrayElement();
  Result<ExprPtr> ParseFunction();
  Result<ExprPtr> ParseAggregate(std::size_t column, AggregateFn aggregate);
  Status ParseArguments(Expr& call);
  Result<ExprPtr> ParsePath();
  Result<ExprPtr> Binary(ExprPtr node, ExprPtr left, ExprPtr right);

  Status Enter();  // counts one level of nesting; fails beyond kMaxDepth
  void Leave() { --depth_; }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int aggregate_count_ = 0;
};

// A constant node whose constant_value views its own JSON.
ExprPtr MakeConstant(nlohmann::json value, std::size_t column);
bool IsReservedWord(std::string_view word);

}  // namespace offhub::domain::query
