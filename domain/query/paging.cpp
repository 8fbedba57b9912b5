#include "domain/query/paging.hpp"

#include "domain/json_text.hpp"

namespace offhub::domain::query {
namespace {

std::uint64_t Fnv1a(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

constexpr char kHex[] = "0123456789abcdef";

std::string ToHex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

Error BadToken() {
  return Error::ArgumentInvalid("Invalid continuation token: it does not belong to this query");
}

}  // namespace

std::string_view ToString(ItemType type) {
  switch (type) {
    case ItemType::kTwin: return "twin";
    case ItemType::kDeviceJob: return "deviceJob";
    case ItemType::kRaw: return "raw";
  }
  return "raw";
}

std::string EncodeContinuation(std::string_view query_text, const Cursor& cursor) {
  nlohmann::json j = {{"v", 1}, {"q", Fnv1a(query_text)}, {"n", cursor.returned}};
  if (cursor.after_key) j["k"] = ToHex(*cursor.after_key);  // hex: keys may hold any bytes
  return ToHex(j.dump());
}

Result<Cursor> DecodeContinuation(std::string_view query_text, std::string_view token) {
  const auto text = FromHex(token);
  if (!text) return BadToken();
  const auto parsed = ParseJsonText(*text, "the continuation token");
  if (!parsed.ok()) return BadToken();
  const auto& j = *parsed;
  if (!j.is_object() || j.value("v", nlohmann::json()) != 1) return BadToken();
  const auto q = j.find("q");
  const auto n = j.find("n");
  if (q == j.end() || !q->is_number_unsigned() || q->get<std::uint64_t>() != Fnv1a(query_text)) return BadToken();
  if (n == j.end() || !n->is_number_unsigned()) return BadToken();
  Cursor cursor;
  cursor.returned = n->get<std::uint64_t>();
  if (const auto k = j.find("k"); k != j.end()) {
    if (!k->is_string()) return BadToken();
    cursor.after_key = FromHex(k->get<std::string>());
    if (!cursor.after_key) return BadToken();
  }
  return cursor;
}

}  // namespace offhub::domain::query
