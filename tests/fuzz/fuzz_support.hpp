#pragma once
// Shared by the fuzz harnesses (tests/fuzz/*_fuzz.cpp): how input bytes are
// cut into parts, how JSON is read (exactly as the REST front and the MQTT
// channel read it), how errors are serialised (as the REST front writes its
// envelopes), and how a harness reports a broken contract.
//
// A harness fails (and libFuzzer keeps the input) on: a crash or sanitizer
// report, an exception leaving the code under test (what the real edge would
// not survive either), or a FUZZ_CHECK of a documented contract.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "domain/json_text.hpp"

#include "domain/errors.hpp"

namespace offhub::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// {before, after} the first '\n'; without one, {all, ""}.
inline std::pair<std::string_view, std::string_view> SplitLine(std::string_view text) {
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return {text, {}};
  return {text.substr(0, newline), text.substr(newline + 1)};
}

// As router.cpp (RouteContext::Body) and mqtt_device_channel.cpp read bodies:
// nullopt for what the edge answers "not JSON".
inline std::optional<nlohmann::json> ParseJsonAsTheEdge(std::string_view text) {
  auto value = domain::ParseJsonText(text, "The body");
  if (!value) return std::nullopt;
  return std::move(*value);
}

// Text that a JSON string could carry: a JSON parser refuses anything else,
// so no other text reaches code behind a JSON body (nor, the broker checking
// topics, behind an MQTT topic). nlohmann's own UTF-8 rule (RFC 3629).
inline bool IsUtf8(std::string_view text) { return domain::IsValidUtf8(text); }

// FUZZ_ASCII_ONLY=1 in the environment: true for input holding a byte over
// 0x7F or a %-escape of one, which the harnesses then skip, to fuzz past the
// invalid-UTF-8 crashes while they are known and unfixed.
inline bool SkippedAsNonAscii(std::string_view bytes) {
  static const bool ascii_only = std::getenv("FUZZ_ASCII_ONLY") != nullptr;
  if (!ascii_only) return false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c > 0x7F) return true;
    if (c == '%' && i + 1 < bytes.size() && std::string_view("89abcdefABCDEF").find(bytes[i + 1]) != bytes.npos) {
      return true;
    }
  }
  return false;
}

inline const domain::ErrorContext& FixedErrorContext() {
  static const domain::ErrorContext context{std::string(32, '0'), "2026-01-01T12:00:00.0000000Z"};
  return context;
}

// The error as the REST front sends it: the registry envelope, dumped.
inline std::string DumpRegistryError(const domain::Error& error) {
  return domain::DumpJson(domain::RegistryEnvelope(error, FixedErrorContext()));  // as the edges write errors
}

// The error as the MQTT channel sends it to a device ($iothub/twin/res/{status}).
inline std::string DumpDeviceError(const domain::Error& error) {
  return domain::DumpJson(domain::DeviceErrorBody(error, FixedErrorContext()));
}

[[noreturn]] inline void ContractBroken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "\n==FUZZ CHECK FAILED== %s (%s:%d)\n", what, file, line);
  std::abort();
}

}  // namespace offhub::fuzz

// A documented contract of the code under test; aborts (a finding) when false.
#define FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::offhub::fuzz::ContractBroken(#condition, __FILE__, __LINE__))
