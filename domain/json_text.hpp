#pragma once
// JSON from and to untrusted bytes: the one place that decides how text from a
// socket, a file or a device becomes a JSON value and back.
//
// - ParseJsonText refuses, before any recursive walk can run, a document whose
//   arrays/objects nest deeper than `max_depth` (nlohmann's parser is
//   iterative; the depth is checked as each container opens). Time is linear
//   in the text's length (nlohmann's callback parser is not: see the .cpp).
//   It also refuses invalid UTF-8 in strings (nlohmann validates while it
//   lexes). Errors are values, never exceptions.
// - DumpJson never throws: strings that hold invalid UTF-8 (which no parse
//   here lets in, but a device's raw bytes or a path segment might) are written
//   with U+FFFD in their place. Every edge writes JSON with it.
// - A raw value (RawJson) is text a device sent where JSON belongs but that
//   is not JSON (a method answer such as {'file': 'logs.zip'}): IoT Hub
//   splices such bytes unchanged into its own answer, so DumpJson writes the
//   text as it is, not as a JSON string. The result is then not JSON either,
//   as on IoT Hub. It is held as a binary value with subtype kRawJsonSubtype,
//   and its text is UTF-8 (Utf8Text at creation).
// - IsValidUtf8 is RFC 3629: no overlong forms (C0 AF), no surrogates
//   (ED A0 80), nothing above U+10FFFF.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::domain {

// Deeper than any IoT Hub document needs: twins allow 10 levels below a
// section (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins#tags-and-properties-format).
inline constexpr int kMaxJsonDepth = 64;

enum class JsonTextError { kNotJson, kTooDeep };

// The value, or why not. `what` names the input in the error message
// ("The request body").
Result<nlohmann::json> ParseJsonText(std::string_view text, std::string_view what, int max_depth = kMaxJsonDepth);

std::string DumpJson(const nlohmann::json& value);

inline constexpr std::uint8_t kRawJsonSubtype = 'r';
nlohmann::json RawJson(std::string_view text);
// The text of a RawJson value; nullopt for any other value.
std::optional<std::string_view> RawJsonText(const nlohmann::json& value);
// `value` with each raw value turned into a JSON string of its text: for
// output that must stay JSON (the CLI's).
nlohmann::json RawJsonAsStrings(nlohmann::json value);

bool IsValidUtf8(std::string_view text);

// `text` itself when it is UTF-8; else a copy with U+FFFD for each invalid sequence.
std::string Utf8Text(std::string_view text);

}  // namespace offhub::domain
