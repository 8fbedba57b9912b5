#pragma once
// UTC instants as IoT Hub writes them: "2020-01-06T21:44:00.8884134Z"
// (7 fractional digits, i.e. .NET's 100 ns ticks). The domain never reads a
// clock: every instant comes in from the caller (ports::Clock at the edges).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace offhub::domain {

struct UtcTime {
  std::int64_t ticks = 0;  // 100 ns units since 1970-01-01T00:00:00Z

  static constexpr std::int64_t kTicksPerSecond = 10'000'000;
  static constexpr UtcTime FromSeconds(std::int64_t s) { return {s * kTicksPerSecond}; }
  static constexpr UtcTime FromMillis(std::int64_t ms) { return {ms * 10'000}; }
  constexpr std::int64_t seconds() const { return ticks / kTicksPerSecond; }
  constexpr UtcTime PlusSeconds(std::int64_t s) const { return {ticks + s * kTicksPerSecond}; }
  constexpr UtcTime PlusMillis(std::int64_t ms) const { return {ticks + ms * 10'000}; }

  auto operator<=>(const UtcTime&) const = default;
};

// "YYYY-MM-DDTHH:MM:SS.fffffffZ".
std::string FormatUtc(UtcTime t);

// "0001-01-01T00:00:00Z": what IoT Hub shows for never-set times.
inline constexpr std::string_view kNeverUtc = "0001-01-01T00:00:00Z";

// Parses ISO-8601 as clients send it: date 'T' time, optional fraction of any
// length (truncated to 7 digits), and 'Z' or a +hh:mm/-hh:mm offset.
// nullopt for anything else, including impossible dates.
std::optional<UtcTime> ParseUtc(std::string_view text);

}  // namespace offhub::domain
