#pragma once
// Internal to the query module: ASCII case-insensitive comparison for
// keywords, function names and the twin's top-level field names.

#include <algorithm>
#include <string_view>

namespace offhub::domain::query {

inline bool EqualsNoCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace offhub::domain::query
