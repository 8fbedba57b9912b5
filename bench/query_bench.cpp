// query_bench: the twin query evaluator against a json_extract scan in SQLite.
//
//   query_bench [--twins N] [--seed S] [--repeat R] [--no-sqlite] [--only NAME]
//
// Generates N synthetic twins (seeded), runs representative WHERE / GROUP BY
// queries through offhub's runner (as COUNT() scans, so every twin is
// evaluated), then the same queries over the same documents in an in-memory
// SQLite table (one JSON text column) and prints times, twins/s and ratios.
// A program that prints figures, not a test.

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "domain/query/run.hpp"

namespace {

using offhub::domain::Twin;
using offhub::domain::query::ParseQuery;
using offhub::domain::query::PageRequest;
using offhub::domain::query::RunTwinQuery;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t twins = 1'000'000;
  std::uint64_t seed = 42;
  int repeat = 3;
  bool sqlite = true;
  std::string only;  // run only the queries whose name contains this
};

struct BenchQuery {
  const char* name;
  std::string offhub;  // offhub query text
  std::string sqlite;  // the equivalent json_extract scan
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--twins" && has_value) o.twins = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--seed" && has_value) o.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--repeat" && has_value) o.repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--no-sqlite") o.sqlite = false;
    else if (a == "--only" && has_value) o.only = argv[++i];
    else {
      std::fprintf(stderr, "usage: query_bench [--twins N] [--seed S] [--repeat R] [--no-sqlite] [--only NAME]\n");
      std::exit(2);
    }
  }
  return o;
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// Resident set size in bytes, from /proc/self/statm.
double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  statm >> size >> resident;
  return resident * 4096.0;
}

class VectorTwinSource final : public offhub::domain::query::TwinSource {
 public:
  explicit VectorTwinSource(std::vector<Twin> twins) : twins_(std::move(twins)) {}
  void ForEachAfter(std::optional<std::string_view> after,
                    const std::function<bool(const Twin&)>& visit) const override {
    auto it = twins_.begin();
    if (after) {
      it = std::upper_bound(twins_.begin(), twins_.end(), *after,
                            [](std::string_view key, const Twin& t) { return key < t.device_id; });
    }
    for (; it != twins_.end(); ++it) {
      if (!visit(*it)) return;
    }
  }
  const std::vector<Twin>& twins() const { return twins_; }

 private:
  std::vector<Twin> twins_;  // sorted by device_id
};

Twin MakeTwin(std::size_t i, std::mt19937_64& rng) {
  static const char* kRegions[] = {"US", "EU", "APAC", "LATAM"};
  static const char* kStatus[] = {"Success", "Pending", "Failed"};
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  char id[32];
  std::snprintf(id, sizeof id, "device-%08zu", i);
  Twin t;
  t.device_id = id;
  t.tags = {{"building", "B" + std::to_string(1 + pick(20))},
            {"floor", 1 + pick(10)},
            {"region", kRegions[pick(4)]},
            {"deviceType", pick(3) == 0 ? "thermostat" : "sensor"}};
  t.reported.properties = {{"temperature", 15.0 + static_cast<double>(pick(2000)) / 100.0},
                           {"humidity", 20 + pick(60)},
                           {"firmware", "1.0." + std::to_string(pick(5))},
                           {"telemetryConfig", {{"status", kStatus[pick(3)]}, {"sendFrequencyInSecs", 60}}}};
  t.desired.properties = {{"telemetryInterval", 30 + 30 * pick(4)}, {"mode", pick(2) ? "eco" : "comfort"}};
  return t;
}

VectorTwinSource Generate(const Options& o) {
  std::mt19937_64 rng(o.seed);
  std::vector<Twin> twins;
  twins.reserve(o.twins);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < o.twins; ++i) {
    twins.push_back(MakeTwin(i, rng));
    if (o.twins >= 10 && (i + 1) % (o.twins / 10) == 0) {
      std::fprintf(stderr, "\r  generating twins: %3zu%%", (i + 1) * 100 / o.twins);
    }
  }
  std::fprintf(stderr, "\r  generated %zu twins in %.2f s\n", o.twins, Seconds(start));
  return VectorTwinSource(std::move(twins));
}

std::vector<BenchQuery> Queries() {
  const std::string w = "SELECT COUNT() AS n FROM devices WHERE ";
  const std::string s = "SELECT COUNT(*) FROM twins WHERE ";
  auto x = [](const char* path) { return std::string("json_extract(doc, '$.") + path + "')"; };
  return {
      {"equality on a tag", w + "tags.region = 'EU'", s + x("tags.region") + " = 'EU'"},
      {"range on a reported number", w + "properties.reported.temperature > 30",
       s + x("properties.reported.temperature") + " > 30"},
      {"IN list", w + "tags.building IN ['B1', 'B3', 'B5', 'B7']",
       s + x("tags.building") + " IN ('B1', 'B3', 'B5', 'B7')"},
      {"AND/OR mix",
       w + "(tags.region = 'US' OR tags.region = 'EU') AND properties.reported.humidity < 40 AND NOT tags.floor = 1",
       s + "(" + x("tags.region") + " = 'US' OR " + x("tags.region") + " = 'EU') AND " +
           x("properties.reported.humidity") + " < 40 AND NOT " + x("tags.floor") + " = 1"},
      {"two-predicate WHERE", w + "tags.region = 'US' AND properties.reported.temperature > 25",
       s + x("tags.region") + " = 'US' AND " + x("properties.reported.temperature") + " > 25"},
      {"GROUP BY count", "SELECT tags.region AS region, COUNT() AS n FROM devices GROUP BY tags.region",
       "SELECT " + x("tags.region") + " AS region, COUNT(*) FROM twins GROUP BY region"},
  };
}

// Best of `repeat` runs; returns seconds and the total count of the result rows.
std::pair<double, long long> RunOffhub(const BenchQuery& bq, const VectorTwinSource& source, int repeat) {
  auto query = ParseQuery(bq.offhub);
  if (!query) {
    std::fprintf(stderr, "offhub query failed to parse: %s\n", query.error().message().c_str());
    std::exit(1);
  }
  double best = 1e9;
  long long total = 0;
  for (int r = 0; r < repeat; ++r) {
    const auto start = Clock::now();
    auto page = RunTwinQuery(*query, source, PageRequest{});
    best = std::min(best, Seconds(start));
    total = 0;
    for (const auto& row : page->items) total += row["n"].get<long long>();
  }
  return {best, total};
}

sqlite3* LoadSqlite(const VectorTwinSource& source) {
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(db, "CREATE TABLE twins(doc TEXT); BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO twins(doc) VALUES (?)", -1, &insert, nullptr);
  const auto start = Clock::now();
  const auto& twins = source.twins();
  for (std::size_t i = 0; i < twins.size(); ++i) {
    const std::string doc = offhub::domain::ToJson(twins[i]).dump();
    sqlite3_bind_text(insert, 1, doc.data(), static_cast<int>(doc.size()), SQLITE_TRANSIENT);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    if (twins.size() >= 10 && (i + 1) % (twins.size() / 10) == 0) {
      std::fprintf(stderr, "\r  loading SQLite: %3zu%%", (i + 1) * 100 / twins.size());
    }
  }
  sqlite3_finalize(insert);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  std::fprintf(stderr, "\r  loaded %zu documents into SQLite in %.2f s\n", twins.size(), Seconds(start));
  return db;
}

std::pair<double, long long> RunSqlite(sqlite3* db, const BenchQuery& bq) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, bq.sqlite.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
    std::exit(1);
  }
  const auto start = Clock::now();
  long long total = 0;
  const int count_column = sqlite3_column_count(stmt) - 1;
  while (sqlite3_step(stmt) == SQLITE_ROW) total += sqlite3_column_int64(stmt, count_column);
  const double seconds = Seconds(start);
  sqlite3_finalize(stmt);
  return {seconds, total};
}

void PrintRow(const BenchQuery& bq, std::size_t n, std::pair<double, long long> ours,
              std::optional<std::pair<double, long long>> theirs) {
  std::printf("%-28s offhub %8.1f ms %7.2f M twins/s  matches %9lld", bq.name, ours.first * 1e3,
              static_cast<double>(n) / ours.first / 1e6, ours.second);
  if (theirs) {
    std::printf(" | sqlite %8.1f ms  x%5.1f%s", theirs->first * 1e3, theirs->first / ours.first,
                theirs->second == ours.second ? "" : "  (COUNT MISMATCH)");
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  std::printf("query_bench: %zu twins, seed %llu, best of %d runs (offhub), 1 run (sqlite)\n", o.twins,
              static_cast<unsigned long long>(o.seed), o.repeat);
  const double before = ResidentBytes();
  const VectorTwinSource source = Generate(o);
  const double after = ResidentBytes();
  std::printf("memory: %.0f MB resident for the twins, ~%.0f bytes per twin\n", (after - before) / 1e6,
              (after - before) / static_cast<double>(std::max<std::size_t>(o.twins, 1)));

  auto queries = Queries();
  std::erase_if(queries, [&](const BenchQuery& q) { return std::string_view(q.name).find(o.only) == std::string_view::npos; });
  std::vector<std::pair<double, long long>> ours;
  for (const auto& q : queries) {
    std::fprintf(stderr, "  offhub: %s\n", q.name);
    ours.push_back(RunOffhub(q, source, o.repeat));
  }
  sqlite3* db = o.sqlite ? LoadSqlite(source) : nullptr;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    std::optional<std::pair<double, long long>> theirs;
    if (db) theirs = RunSqlite(db, queries[i]);
    PrintRow(queries[i], o.twins, ours[i], theirs);
  }
  if (db) sqlite3_close(db);
  return 0;
}
