#pragma once
// Tokens of IoT Hub's query language.
//
// - Identifiers: [A-Za-z_$][A-Za-z0-9_$]* plus any non-ASCII UTF-8 letter
//   bytes. Keywords (SELECT, AND, ...) are identifiers here; the parser decides
//   case-insensitively.
// - Escaped names: [[any text]] (for keys with characters an identifier cannot
//   hold). offhub's choice: `[[` always opens an escaped name, so a nested
//   array literal needs a space: `[ [1]]`.
// - Numbers: decimal (12, 1.5, 2e3, .5) and hex (0x1F, at most 16 digits,
//   <= INT64_MAX). A number running into letters ("12ab", "0x1G") is an error.
//   Signs are operators; the parser folds `-5` into a constant.
// - Strings: '...' or "..." with escapes \' \" \\ \uXXXX (surrogate pairs
//   combined) and, offhub's addition, JSON's \/ \b \f \n \r \t. Any other
//   escape, a lone surrogate or a missing quote is an error.
// - Operators: = != <> < > <= >= + - * / % ( ) [ ] , .
// The text must be valid UTF-8 (checked first), so every string that reaches
// a JSON result can be serialised.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"

namespace offhub::domain::query {

enum class TokenKind {
  kIdentifier, kEscapedName, kNumber, kString,
  kLParen, kRParen, kLBracket, kRBracket, kComma, kDot,
  kStar, kPlus, kMinus, kSlash, kPercent,
  kEq, kNe, kLt, kGt, kLe, kGe,
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;            // identifier/name/string contents (unescaped), number spelling
  double number = 0;           // kNumber
  bool is_integer = false;     // kNumber: integral literal that fits std::int64_t
  std::int64_t integer = 0;    // kNumber when is_integer
  std::size_t column = 0;      // 1-based byte offset of the token's first byte
};

// Splits `text` into tokens ending with one kEnd token; a malformed token is a
// SyntaxError naming its column.
Result<std::vector<Token>> Lex(std::string_view text);

}  // namespace offhub::domain::query
