#pragma once
// How the offhub CLI prints what it got: `--output json` (the default:
// indented JSON, as the hub answered), `table` (aligned columns, for people)
// or `tsv` (tab-separated, header line first, for scripts). One object per
// run, owned by the commands; everything printed on stdout goes through it.
//
// - A list (device list, module list, job list, query results) prints one
//   row per item under the list's columns; a value absent from an item is an
//   empty cell, an object or array its compact JSON.
// - A single document (device show, twin show, job show, ...) prints one
//   "key value" line per leaf, nested objects flattened to dotted keys
//   (properties.desired.floor), arrays as compact JSON.
// - tsv cells hold no tab or line break: each becomes a space.

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace offhub::cli {

enum class OutputFormat { kJson, kTable, kTsv };

// One column of a list: its header and where its value sits in an item.
struct Column {
  std::string header;
  nlohmann::json::json_pointer path;
};
using Columns = std::vector<Column>;

// The columns of the lists the hub answers, by what their items are.
Columns DeviceColumns();
Columns ModuleColumns();
Columns JobColumns();
// Query results by x-ms-item-type: twins and device jobs get theirs; a
// projection or aggregate ("raw") shows every top-level member it has.
Columns QueryColumns(std::string_view item_type);

class Output {
 public:
  // Adds --output (and -o) to `app`.
  void AddOption(CLI::App& app);

  OutputFormat format() const { return format_; }
  // Whether --output was given: commands whose plain answer is one string
  // (connection-string) print it bare unless asked for a format.
  bool chosen() const { return option_ != nullptr && option_->count() > 0; }

  // Prints `value` as a document; returns 0 (kExitOk).
  int Document(const nlohmann::json& value) const;
  // Prints the items of a list under `columns` (table, tsv), dropping the
  // columns no item has; `value` itself as JSON. Returns 0.
  int List(const nlohmann::json& items, const Columns& columns) const;

 private:
  // Rows of cells: tab-separated (tsv) or in columns padded to line up (table).
  void PrintRows(const std::vector<std::vector<std::string>>& rows) const;

  OutputFormat format_ = OutputFormat::kJson;
  CLI::Option* option_ = nullptr;
};

}  // namespace offhub::cli
