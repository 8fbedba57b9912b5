#include "domain/query/lexer.hpp"

#include <charconv>
#include <limits>
#include <optional>

#include "domain/query/syntax_error.hpp"

namespace offhub::domain::query {
namespace {

bool IsIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(unsigned char c) { return IsIdentStart(c) || IsDigit(c); }
int HexDigit(unsigned char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Offset of the first byte that is not part of well-formed UTF-8, or npos.
std::size_t FirstInvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size() || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4)) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
    }
    const auto c1 = static_cast<unsigned char>(s[i + 1 < s.size() ? i + 1 : i]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 >= 0x90)) {
      return i;  // overlong, surrogate or beyond U+10FFFF
    }
    i += len;
  }
  return std::string_view::npos;
}

void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    if (auto bad = FirstInvalidUtf8(text_); bad != std::string_view::npos) {
      return SyntaxError(bad + 1, "invalid UTF-8 byte");
    }
    std::vector<Token> tokens;
    for (;;) {
      SkipSpace();
      auto token = Next();
      if (!token) return token.error();
      const bool end = token->kind == TokenKind::kEnd;
      tokens.push_back(std::move(*token));
      if (end) return tokens;
    }
  }

 private:
  bool AtEnd(std::size_t ahead = 0) const { return pos_ + ahead >= text_.size(); }
  unsigned char Peek(std::size_t ahead = 0) const {
    return AtEnd(ahead) ? 0 : static_cast<unsigned char>(text_[pos_ + ahead]);
  }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) ++pos_;
  }
  Token Make(TokenKind kind, std::size_t start) const {
    Token t;
    t.kind = kind;
    t.column = start + 1;
    return t;
  }

  Result<Token> Next() {
    const std::size_t start = pos_;
    if (AtEnd()) return Make(TokenKind::kEnd, start);
    const unsigned char c = Peek();
    if (IsIdentStart(c)) return Identifier(start);
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return NumberToken(start);
    if (c == '\'' || c == '"') return StringToken(start);
    if (c == '[' && Peek(1) == '[') return EscapedName(start);
    return Operator(start);
  }

  Result<Token> Operator(std::size_t start) {
    const unsigned char c = Peek();
    const unsigned char n = Peek(1);
    auto one = [&](TokenKind k) { ++pos_; return Make(k, start); };
    auto two = [&](TokenKind k) { pos_ += 2; return Make(k, start); };
    switch (c) {
      case '(': return one(TokenKind::kLParen);
      case ')': return one(TokenKind::kRParen);
      case '[': return one(TokenKind::kLBracket);
      case ']': return one(TokenKind::kRBracket);
      case ',': return one(TokenKind::kComma);
      case '.': return one(TokenKind::kDot);
      case '*': return one(TokenKind::kStar);
      case '+': return one(TokenKind::kPlus);
      case '-': return one(TokenKind::kMinus);
      case '/': return one(TokenKind::kSlash);
      case '%': return one(TokenKind::kPercent);
      case '=': return one(TokenKind::kEq);
      case '!':
        if (n == '=') return two(TokenKind::kNe);
        break;
      case '<':
        if (n == '=') return two(TokenKind::kLe);
        if (n == '>') return two(TokenKind::kNe);
        return one(TokenKind::kLt);
      case '>':
        if (n == '=') return two(TokenKind::kGe);
        return one(TokenKind::kGt);
      default: break;
    }
    return SyntaxError(start + 1, "unexpected character");
  }

  Result<Token> Identifier(std::size_t start) {
    while (!AtEnd() && IsIdentChar(Peek())) ++pos_;
    Token t = Make(TokenKind::kIdentifier, start);
    t.text = std::string(text_.substr(start, pos_ - start));
    return t;
  }

  Result<Token> EscapedName(std::size_t start) {
    const auto close = text_.find("]]", start + 2);
    if (close == std::string_view::npos) return SyntaxError(start + 1, "unterminated [[escaped name]]");
    if (close == start + 2) return SyntaxError(start + 1, "empty [[escaped name]]");
    Token t = Make(TokenKind::kEscapedName, start);
    t.text = std::string(text_.substr(start + 2, close - start - 2));
    pos_ = close + 2;
    return t;
  }

  Result<Token> NumberToken(std::size_t start) {
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X')) return HexNumber(start);
    while (IsDigit(Peek())) ++pos_;
    bool integral = true;
    if (Peek() == '.') {
      integral = false;
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      integral = false;
      std::size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p >= text_.size() || !IsDigit(static_cast<unsigned char>(text_[p]))) {
        return SyntaxError(start + 1, "malformed number exponent");
      }
      pos_ = p;
      while (IsDigit(Peek())) ++pos_;
    }
    if (IsIdentChar(Peek())) return SyntaxError(start + 1, "malformed number");
    return FinishDecimal(start, integral);
  }

  Result<Token> FinishDecimal(std::size_t start, bool integral) {
    Token t = Make(TokenKind::kNumber, start);
    t.text = std::string(text_.substr(start, pos_ - start));
    const char* first = t.text.data();
    const char* last = first + t.text.size();
    if (integral) {
      auto [p, ec] = std::from_chars(first, last, t.integer);
      t.is_integer = ec == std::errc() && p == last;
    }
    auto [p, ec] = std::from_chars(first, last, t.number);
    if (ec != std::errc() || p != last) return SyntaxError(start + 1, "number out of range");
    if (t.is_integer) t.number = static_cast<double>(t.integer);
    return t;
  }

  Result<Token> HexNumber(std::size_t start) {
    pos_ += 2;
    std::uint64_t value = 0;
    std::size_t digits = 0;
    while (HexDigit(Peek()) >= 0) {
      if (++digits > 16) return SyntaxError(start + 1, "hex number out of range");
      value = value * 16 + static_cast<std::uint64_t>(HexDigit(Peek()));
      ++pos_;
    }
    if (digits == 0 || IsIdentChar(Peek())) return SyntaxError(start + 1, "malformed hex number");
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return SyntaxError(start + 1, "hex number out of range");
    }
    Token t = Make(TokenKind::kNumber, start);
    t.text = std::string(text_.substr(start, pos_ - start));
    t.is_integer = true;
    t.integer = static_cast<std::int64_t>(value);
    t.number = static_cast<double>(value);
    return t;
  }

  std::optional<std::uint32_t> Hex4() {
    if (pos_ + 4 > text_.size()) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = HexDigit(Peek(static_cast<std::size_t>(i)));
      if (d < 0) return std::nullopt;
      v = v * 16 + static_cast<std::uint32_t>(d);
    }
    pos_ += 4;
    return v;
  }

  // After "\u": one code point, combining a surrogate pair.
  Result<std::uint32_t> UnicodeEscape(std::size_t at) {
    auto hi = Hex4();
    if (!hi) return SyntaxError(at + 1, "\\u needs four hex digits");
    if (*hi >= 0xDC00 && *hi <= 0xDFFF) return SyntaxError(at + 1, "lone low surrogate");
    if (*hi < 0xD800 || *hi > 0xDBFF) return *hi;
    if (Peek() != '\\' || Peek(1) != 'u') return SyntaxError(at + 1, "lone high surrogate");
    pos_ += 2;
    auto lo = Hex4();
    if (!lo || *lo < 0xDC00 || *lo > 0xDFFF) return SyntaxError(at + 1, "invalid surrogate pair");
    return 0x10000 + ((*hi - 0xD800) << 10) + (*lo - 0xDC00);
  }

  Status Escape(std::string& out) {
    const std::size_t at = pos_;
    ++pos_;  // the backslash
    const unsigned char e = Peek();
    ++pos_;
    switch (e) {
      case '\'': case '"': case '\\': case '/': out += static_cast<char>(e); return Success();
      case 'b': out += '\b'; return Success();
      case 'f': out += '\f'; return Success();
      case 'n': out += '\n'; return Success();
      case 'r': out += '\r'; return Success();
      case 't': out += '\t'; return Success();
      case 'u': {
        auto cp = UnicodeEscape(at);
        if (!cp) return cp.error();
        AppendUtf8(out, *cp);
        return Success();
      }
      default: return SyntaxError(at + 1, "unknown escape sequence in string");
    }
  }

  Result<Token> StringToken(std::size_t start) {
    const char quote = static_cast<char>(Peek());
    ++pos_;
    Token t = Make(TokenKind::kString, start);
    for (;;) {
      if (AtEnd()) return SyntaxError(start + 1, "unterminated string");
      const char c = text_[pos_];
      if (c == quote) break;
      if (c != '\\') {
        t.text += c;
        ++pos_;
        continue;
      }
      if (AtEnd(1)) return SyntaxError(start + 1, "unterminated string");
      if (auto s = Escape(t.text); !s) return s.error();
    }
    ++pos_;
    return t;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Token>> Lex(std::string_view text) { return Lexer(text).Run(); }

}  // namespace offhub::domain::query
