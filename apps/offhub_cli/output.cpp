#include "apps/offhub_cli/output.hpp"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "apps/offhub_cli/arguments.hpp"
#include "domain/json_text.hpp"

namespace offhub::cli {
namespace {

using nlohmann::json;
using Pointer = json::json_pointer;
using Rows = std::vector<std::vector<std::string>>;

// Columns from "header header=/path ...": a bare header is the member of that name.
Columns Named(std::string_view spec) {
  Columns named;
  std::istringstream words{std::string(spec)};
  for (std::string word; words >> word;) {
    const auto equals = word.find('=');
    if (equals == std::string::npos) {
      named.push_back({word, Pointer("/" + word)});
    } else {
      named.push_back({word.substr(0, equals), Pointer(word.substr(equals + 1))});
    }
  }
  return named;
}

// A cell's text: a string as it is, null as nothing, the rest as compact
// JSON; never a tab or line break (they would split a tsv row or a table line).
std::string Cell(const json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.is_null() ? "" : domain::DumpJson(value);
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
  return text;
}

// One {key, value} row per leaf of a document, nested objects flattened to dotted keys.
void Flatten(const json& value, const std::string& key, Rows& rows) {
  if (!value.is_object() || value.empty()) {
    rows.push_back({key, Cell(value)});
    return;
  }
  for (const auto& [name, member] : value.items()) Flatten(member, key.empty() ? name : key + "." + name, rows);
}

// Every top-level member the items have, in the order first seen: the
// columns of a projection (SELECT deviceId, tags.site ...) or an aggregate.
Columns MembersOf(const json& items) {
  Columns members;
  for (const auto& item : items) {
    if (!item.is_object()) continue;
    for (const auto& [name, value] : item.items()) {
      const bool known = std::any_of(members.begin(), members.end(), [&](const Column& c) { return c.header == name; });
      if (!known) members.push_back({name, Pointer("/" + name)});
    }
  }
  if (members.empty()) members.push_back({"value", Pointer()});  // items that are no objects
  return members;
}

// The columns some item has a value for (all of them for an empty list).
Columns Present(const Columns& columns, const json& items) {
  if (items.empty()) return columns;
  Columns present;
  for (const auto& column : columns) {
    const bool any = std::any_of(items.begin(), items.end(),
                                 [&](const json& item) { return item.is_object() && item.contains(column.path); });
    if (any) present.push_back(column);
  }
  return present;
}

// Characters on screen, for alignment: UTF-8 continuation bytes take no room.
std::size_t Width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

Columns DeviceColumns() {
  return Named("deviceId status connectionState authentication=/authentication/type lastActivityTime");
}

Columns ModuleColumns() { return Named("moduleId deviceId connectionState managedBy lastActivityTime"); }

Columns JobColumns() {
  return Named("jobId type status startTime endTime devices=/deviceJobStatistics/deviceCount "
               "succeeded=/deviceJobStatistics/succeededCount failed=/deviceJobStatistics/failedCount");
}

Columns QueryColumns(std::string_view item_type) {
  if (item_type == "twin") return Named("deviceId moduleId status connectionState lastActivityTime version");
  if (item_type == "deviceJob") return Named("deviceId moduleId jobId jobType status startTimeUtc endTimeUtc");
  return {};  // raw: whatever the items hold
}

void Output::AddOption(CLI::App& app) {
  option_ = app.add_option_function<std::string>(
                   "--output,-o",
                   [this](const std::string& name) {
                     format_ = name == "table" ? OutputFormat::kTable
                               : name == "tsv" ? OutputFormat::kTsv
                                               : OutputFormat::kJson;
                   },
                   "json (default), table (aligned columns) or tsv (tab-separated, header first); monitor-events "
                   "always prints a JSON object per line")
                ->check(Choice({"json", "table", "tsv"}));
}

int Output::Document(const json& value) const {
  const json shown = domain::RawJsonAsStrings(value);  // a device's answer that was not JSON shows as its text
  if (format_ == OutputFormat::kJson) {
    std::cout << shown.dump(2, ' ', false, json::error_handler_t::replace) << std::endl;
    return 0;
  }
  Rows rows;
  if (shown.is_object()) {
    for (const auto& [name, member] : shown.items()) Flatten(member, name, rows);
  } else {
    rows.push_back({Cell(shown)});
  }
  PrintRows(rows);
  return 0;
}

int Output::List(const json& items, const Columns& columns) const {
  const json shown = domain::RawJsonAsStrings(items);
  if (format_ == OutputFormat::kJson) return Document(shown);
  const Columns used = Present(columns.empty() ? MembersOf(shown) : columns, shown);
  Rows rows(1);
  for (const auto& column : used) rows.front().push_back(column.header);
  if (format_ == OutputFormat::kTable) {
    rows.emplace_back();
    for (const auto& column : used) rows.back().push_back(std::string(Width(column.header), '-'));
  }
  for (const auto& item : shown) {
    auto& row = rows.emplace_back();
    for (const auto& column : used) {
      row.push_back(item.is_object() && item.contains(column.path) ? Cell(item.at(column.path))
                    : column.path.empty()                             ? Cell(item)
                                                                      : "");
    }
  }
  PrintRows(rows);
  return 0;
}

void Output::PrintRows(const std::vector<std::vector<std::string>>& rows) const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += format_ == OutputFormat::kTsv ? "\t" : "  ";
      line += row[i];
      const bool last = i + 1 == row.size();
      if (format_ == OutputFormat::kTable && !last) line += std::string(widths[i] - Width(row[i]), ' ');
    }
    if (format_ == OutputFormat::kTable) line.erase(line.find_last_not_of(' ') + 1);  // no padding after the last cell
    std::cout << line << "\n";
  }
  std::cout << std::flush;
}

}  // namespace offhub::cli
