#include "domain/json_text.hpp"

#include <cstdint>
#include <vector>

namespace offhub::domain {

namespace {

// nlohmann's DOM builder, with the depth checked as each container opens.
// (Its callback parser does the same job but scans the parent container for
// a discarded child after each one closes: quadratic in an array's length,
// minutes for a 4 MiB array of empty objects.)
class DepthLimitedDom {
 public:
  DepthLimitedDom(nlohmann::json& result, int max_depth) : dom_(result, /*allow_exceptions_=*/false), max_depth_(max_depth) {}
  bool too_deep() const { return too_deep_; }

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(nlohmann::json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(nlohmann::json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(nlohmann::json::number_float_t v, const std::string& s) { return dom_.number_float(v, s); }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(nlohmann::json::binary_t& v) { return dom_.binary(v); }
  bool key(std::string& v) { return dom_.key(v); }
  bool start_object(std::size_t n) { return Open() && dom_.start_object(n); }
  bool end_object() { return --depth_, dom_.end_object(); }
  bool start_array(std::size_t n) { return Open() && dom_.start_array(n); }
  bool end_array() { return --depth_, dom_.end_array(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) { return false; }

 private:
  bool Open() {
    if (++depth_ > max_depth_) too_deep_ = true;
    return !too_deep_;  // false ends the parse here
  }
  nlohmann::detail::json_sax_dom_parser<nlohmann::json> dom_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace

Result<nlohmann::json> ParseJsonText(std::string_view text, std::string_view what, int max_depth) {
  nlohmann::json value;
  DepthLimitedDom dom(value, max_depth);
  const bool parsed = nlohmann::json::sax_parse(text.begin(), text.end(), &dom);
  if (dom.too_deep()) {
    return Error::ArgumentInvalid(std::string(what) + " nests deeper than " + std::to_string(max_depth) + " levels");
  }
  if (!parsed) return Error::FormatError(std::string(what) + " is not valid JSON");
  return value;
}

namespace {

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

bool HasRaw(const nlohmann::json& value) {
  std::vector<const nlohmann::json*> todo{&value};  // no recursion on a device's nesting
  while (!todo.empty()) {
    const auto* node = todo.back();
    todo.pop_back();
    if (node->is_binary()) return true;
    if (node->is_structured()) {
      for (const auto& child : *node) todo.push_back(&child);
    }
  }
  return false;
}

// Only documents with a raw value come here; they are the hub's own records,
// a few levels deep, so the recursion is bounded by what ParseJsonText admits.
void DumpWithRaw(const nlohmann::json& value, std::string& out) {
  if (const auto raw = RawJsonText(value)) {
    out += *raw;
  } else if (value.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, child] : value.items()) {
      if (!first) out += ',';
      first = false;
      out += Dump(nlohmann::json(key));
      out += ':';
      DumpWithRaw(child, out);
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i > 0) out += ',';
      DumpWithRaw(value[i], out);
    }
    out += ']';
  } else {
    out += Dump(value);
  }
}

}  // namespace

std::string DumpJson(const nlohmann::json& value) {
  if (!HasRaw(value)) return Dump(value);
  std::string out;
  DumpWithRaw(value, out);
  return out;
}

nlohmann::json RawJson(std::string_view text) {
  const std::string utf8 = Utf8Text(text);
  return nlohmann::json::binary(std::vector<std::uint8_t>(utf8.begin(), utf8.end()), kRawJsonSubtype);
}

std::optional<std::string_view> RawJsonText(const nlohmann::json& value) {
  if (!value.is_binary() || !value.get_binary().has_subtype() || value.get_binary().subtype() != kRawJsonSubtype) {
    return std::nullopt;
  }
  const auto& bytes = value.get_binary();
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

nlohmann::json RawJsonAsStrings(nlohmann::json value) {
  std::vector<nlohmann::json*> todo{&value};
  while (!todo.empty()) {
    auto* node = todo.back();
    todo.pop_back();
    if (const auto raw = RawJsonText(*node)) {
      *node = std::string(*raw);
    } else if (node->is_structured()) {
      for (auto& child : *node) todo.push_back(&child);
    }
  }
  return value;
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<std::uint8_t>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3Fu);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string Utf8Text(std::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  // nlohmann's replacing writer does the substitution; reading it back undoes the JSON escaping.
  return nlohmann::json::parse(DumpJson(nlohmann::json(std::string(text)))).get<std::string>();
}

}  // namespace offhub::domain
