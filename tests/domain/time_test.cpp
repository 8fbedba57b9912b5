#include "domain/time.hpp"

#include <doctest/doctest.h>

using namespace offhub::domain;

TEST_CASE("UTC times print with 7 fractional digits like IoT Hub") {
  CHECK(FormatUtc(UtcTime{0}) == "1970-01-01T00:00:00.0000000Z");
  const auto t = ParseUtc("2020-01-06T21:44:00.8884134Z");
  REQUIRE(t);
  CHECK(FormatUtc(*t) == "2020-01-06T21:44:00.8884134Z");
  CHECK(FormatUtc(*ParseUtc("2030-01-01T00:00:00.000Z")) == "2030-01-01T00:00:00.0000000Z");
  CHECK(FormatUtc(*ParseUtc("2024-02-29T23:59:59Z")) == "2024-02-29T23:59:59.0000000Z");
}

TEST_CASE("offsets and long fractions are normalised") {
  CHECK(FormatUtc(*ParseUtc("2020-01-01T02:00:00+02:00")) == "2020-01-01T00:00:00.0000000Z");
  CHECK(FormatUtc(*ParseUtc("2019-12-31T23:30:00-00:30")) == "2020-01-01T00:00:00.0000000Z");
  CHECK(FormatUtc(*ParseUtc("2020-01-01T00:00:00.123456789Z")) == "2020-01-01T00:00:00.1234567Z");
  CHECK(*ParseUtc("1969-12-31T23:59:59Z") == UtcTime::FromSeconds(-1));
  CHECK(FormatUtc(UtcTime::FromSeconds(-1)) == "1969-12-31T23:59:59.0000000Z");
}

TEST_CASE("malformed times are refused") {
  for (const char* bad : {"", "2020", "2020-01-01", "2020-13-01T00:00:00Z", "2021-02-29T00:00:00Z",
                          "2020-01-01T24:00:00Z", "2020-01-01T00:00:00.Z", "2020-01-01T00:00:00Zjunk",
                          "2020-01-01T00:00:00+0200", "abcd-ef-ghTij:kl:mnZ", "2020-01-01T00:00:00+25:00"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseUtc(bad));
  }
}
