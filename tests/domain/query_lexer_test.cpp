#include <doctest/doctest.h>

#include <string>

#include "domain/query/lexer.hpp"

using offhub::domain::ErrorCode;
using offhub::domain::query::Lex;
using offhub::domain::query::Token;
using offhub::domain::query::TokenKind;

namespace {

std::vector<Token> LexOk(std::string_view text) {
  auto r = Lex(text);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message()));
  return *r;
}

std::string LexError(std::string_view text) {
  auto r = Lex(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::ArgumentInvalid);
  CHECK(r.error().http_status() == 400);
  return r.error().message();
}

}  // namespace

TEST_CASE("identifiers, keywords and operators") {
  auto t = LexOk("SELECT * FROM devices WHERE tags.x <> 1 AND a<=b");
  REQUIRE(t.size() == 15);
  CHECK(t[0].kind == TokenKind::kIdentifier);
  CHECK(t[0].text == "SELECT");
  CHECK(t[1].kind == TokenKind::kStar);
  CHECK(t[5].text == "tags");
  CHECK(t[6].kind == TokenKind::kDot);
  CHECK(t[8].kind == TokenKind::kNe);
  CHECK(t[8].column == 36);
  CHECK(t[12].kind == TokenKind::kLe);
  CHECK(t.back().kind == TokenKind::kEnd);
}

TEST_CASE("all comparison operators") {
  auto t = LexOk("= != <> < > <= >=");
  CHECK(t[0].kind == TokenKind::kEq);
  CHECK(t[1].kind == TokenKind::kNe);
  CHECK(t[2].kind == TokenKind::kNe);
  CHECK(t[3].kind == TokenKind::kLt);
  CHECK(t[4].kind == TokenKind::kGt);
  CHECK(t[5].kind == TokenKind::kLe);
  CHECK(t[6].kind == TokenKind::kGe);
}

TEST_CASE("numbers") {
  SUBCASE("decimal integer") {
    auto t = LexOk("42");
    CHECK(t[0].is_integer);
    CHECK(t[0].integer == 42);
  }
  SUBCASE("hex") {
    auto t = LexOk("0x1F 0XfF");
    CHECK(t[0].integer == 31);
    CHECK(t[1].integer == 255);
  }
  SUBCASE("floats and exponents") {
    auto t = LexOk("1.5 .25 2e3 1E-2");
    CHECK(t[0].number == 1.5);
    CHECK_FALSE(t[0].is_integer);
    CHECK(t[1].number == 0.25);
    CHECK(t[2].number == 2000);
    CHECK(t[3].number == doctest::Approx(0.01));
  }
  SUBCASE("a huge decimal integer becomes a double") {
    auto t = LexOk("123456789012345678901234567890");
    CHECK_FALSE(t[0].is_integer);
    CHECK(t[0].number > 1e29);
  }
  SUBCASE("minus is an operator") {
    auto t = LexOk("-5");
    CHECK(t[0].kind == TokenKind::kMinus);
    CHECK(t[1].integer == 5);
  }
}

TEST_CASE("bad numbers") {
  CHECK(LexError("0x").find("hex") != std::string::npos);
  CHECK(LexError("0xZZ").find("column 1") != std::string::npos);
  CHECK(LexError("x = 0x1G").find("column 5") != std::string::npos);
  CHECK(LexError("0x10000000000000000").find("out of range") != std::string::npos);
  CHECK(LexError("0xFFFFFFFFFFFFFFFF").find("out of range") != std::string::npos);
  CHECK(LexError("12abc").find("malformed number") != std::string::npos);
  CHECK(LexError("1e").find("exponent") != std::string::npos);
}

TEST_CASE("strings with escapes") {
  auto t = LexOk(R"('it\'s' "say \"hi\"" 'a\\b' '\u00e9\u20AC' "\ud83d\ude00" 'x\ny')");
  CHECK(t[0].text == "it's");
  CHECK(t[1].text == "say \"hi\"");
  CHECK(t[2].text == "a\\b");
  CHECK(t[3].text == "\xC3\xA9\xE2\x82\xAC");
  CHECK(t[4].text == "\xF0\x9F\x98\x80");
  CHECK(t[5].text == "x\ny");
  CHECK(LexOk("'say \"x\"'")[0].text == "say \"x\"");
}

TEST_CASE("bad strings") {
  CHECK(LexError("x = 'abc").find("unterminated string (column 5)") != std::string::npos);
  CHECK(LexError("'abc\\").find("unterminated") != std::string::npos);
  CHECK(LexError("'\\q'").find("unknown escape") != std::string::npos);
  CHECK(LexError("'\\u12'").find("four hex digits") != std::string::npos);
  CHECK(LexError("'\\uZZZZ'").find("four hex digits") != std::string::npos);
  CHECK(LexError("'\\ud83d'").find("surrogate") != std::string::npos);
  CHECK(LexError("'\\ude00'").find("surrogate") != std::string::npos);
}

TEST_CASE("escaped names") {
  auto t = LexOk("tags.[[my key.with dots]] [ [1]]");
  CHECK(t[2].kind == TokenKind::kEscapedName);
  CHECK(t[2].text == "my key.with dots");
  CHECK(t[3].kind == TokenKind::kLBracket);
  CHECK(t[4].kind == TokenKind::kLBracket);
  CHECK(LexError("[[abc").find("unterminated") != std::string::npos);
  CHECK(LexError("[[]]").find("empty") != std::string::npos);
}

TEST_CASE("garbage bytes") {
  CHECK(LexError("SELECT # FROM").find("unexpected character (column 8)") != std::string::npos);
  CHECK(LexError("a ! b").find("column 3") != std::string::npos);
  CHECK(LexError(std::string("x = '\xff'")).find("invalid UTF-8") != std::string::npos);
  CHECK(LexError(std::string("\xc0\xaf")).find("invalid UTF-8 byte (column 1)") != std::string::npos);
  CHECK(LexError(std::string("ab\xe2\x82")).find("column 3") != std::string::npos);
  CHECK(LexError(std::string("a\0b", 3)).find("unexpected character") != std::string::npos);
  CHECK(LexOk("tags.caf\xC3\xA9")[2].text == "caf\xC3\xA9");
}
