// Fuzz target `query`: IoT Hub's query language, lexer to runner.
//
// Input: query text. It reaches the hub inside a JSON body ({"query": ...},
// a job's queryCondition), so text that is not UTF-8 is skipped. The same
// text is tried three ways: as a query (ParseQuery, then run over a few
// twins, modules and device-job records, every page dumped), as a job's
// condition (ParseCondition, then Matches on each twin; JobTargetQuery, whose
// query must parse and select exactly the matched twins), and as a
// continuation token of another query (DecodeContinuation). Errors are
// dumped in the REST front's envelope.
//
// Checks (run.hpp, paging.hpp): paging one row at a time yields exactly the
// rows of one big page (nothing skipped or repeated), every page but the last
// has rows, and TOP n returns at most n.

#include <cstdint>
#include <string_view>

#include "domain/query/eval.hpp"
#include "domain/query/paging.hpp"
#include "domain/query/query.hpp"
#include "domain/query/run.hpp"
#include "tests/domain/query_test_support.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace query = offhub::domain::query;
using nlohmann::json;
using offhub::testing::MakeTwin;

offhub::domain::Twin ModuleTwin(std::string device, std::string module, json tags) {
  auto twin = MakeTwin(std::move(device), std::move(tags));
  twin.module_id = std::move(module);
  return twin;
}

std::vector<offhub::domain::Twin> Twins() {
  auto dev2 = MakeTwin("dev2", {{"building", "44"}, {"floor", -1.5e300}, {"loc", {{"city", "Oslo"}}}},
                       {{"temp", nullptr}, {"fw", "2.0"}});
  dev2.status = offhub::domain::DeviceStatus::kDisabled;
  dev2.connection_state = offhub::domain::ConnectionState::kConnected;
  return {MakeTwin("dev1",
                   {{"building", "43"}, {"floor", 3}, {"loc", {{"city", "Redmond"}, {"zip", 98052}}},
                    {"list", {1, "a", nullptr, true}}},
                   {{"temp", 21.5}, {"fw", "1.0"}, {"nested", {{"a", {{"b", {{"c", 1}}}}}}}}, {{"floor", 3}}),
          std::move(dev2),
          MakeTwin("dev3", {{"big", 4503599627370495}, {"text", "\xc3\xbcn\xc3\xaf"}, {"nul", std::string(1, '\0')}}),
          MakeTwin("dev4")};
}

json JobRecord(std::string device, std::string job, std::string status) {
  return {{"deviceId", device},   {"jobId", job},
          {"jobType", "scheduleDeviceMethod"},
          {"status", status},     {"startTimeUtc", "2026-01-01T12:00:00Z"},
          {"endTimeUtc", "2026-01-01T12:00:01Z"},
          {"createdDateTimeUtc", "2026-01-01T12:00:00Z"},
          {"lastUpdatedDateTimeUtc", "2026-01-01T12:00:01Z"},
          {"outcome", {{"deviceMethodResponse", {{"status", 200}, {"payload", {{"ok", true}}}}}}}};
}

struct Sources {
  offhub::testing::VectorTwinSource devices{Twins()};
  offhub::testing::VectorTwinSource modules{{ModuleTwin("dev1", "modA", {{"role", "x"}}),
                                             ModuleTwin("dev2", "modB", {{"role", "y"}})}};
  offhub::testing::VectorJobSource jobs{{JobRecord("dev1", "job1", "completed"),
                                         JobRecord("dev2", "job1", "failed"), JobRecord("dev1", "job2", "running")}};
  query::QuerySources all() const { return {devices, modules, jobs}; }
};

const Sources& TheSources() {
  static const Sources sources;
  return sources;
}

// Every row, a page of `page_size` at a time; each page dumped as the REST front sends it.
std::optional<json> AllRows(const query::Query& q, std::size_t page_size) {
  json rows = json::array();
  query::PageRequest request{page_size, std::nullopt};
  for (int pages = 0; pages < 1000; ++pages) {
    const auto page = query::RunQuery(q, TheSources().all(), request);
    if (!page) {
      (void)offhub::fuzz::DumpRegistryError(page.error());
      return std::nullopt;
    }
    (void)page->items.dump();
    (void)query::ToString(page->item_type);
    for (const auto& item : page->items) rows.push_back(item);
    if (!page->continuation) return rows;
    FUZZ_CHECK(!page->items.empty());
    request.continuation = page->continuation;
  }
  FUZZ_CHECK(!"a query over a handful of rows ends within 1000 pages");
  return std::nullopt;
}

void RunAsQuery(std::string_view text) {
  const auto q = query::ParseQuery(text);
  if (!q) {
    (void)offhub::fuzz::DumpRegistryError(q.error());
    return;
  }
  const auto whole = AllRows(*q, query::kMaxPageSize);
  const auto one_by_one = AllRows(*q, 1);
  FUZZ_CHECK(whole.has_value() == one_by_one.has_value());
  if (!whole) return;
  FUZZ_CHECK(*whole == *one_by_one);
  if (q->top) FUZZ_CHECK(whole->size() <= static_cast<std::uint64_t>(*q->top));
}

// A job's targets: the query JobTargetQuery makes always parses, and for a
// plain condition it selects exactly the twins the condition matches.
void RunAsJobTarget(std::string_view text, const std::optional<json>& matched) {
  const auto sql = query::JobTargetQuery(text);
  if (!sql) {
    (void)offhub::fuzz::DumpRegistryError(sql.error());
    FUZZ_CHECK(!matched.has_value());  // a condition that parses makes a target query
    return;
  }
  const auto q = query::ParseQuery(*sql);
  FUZZ_CHECK(q.ok());
  if (!q) return;
  FUZZ_CHECK(q->source != query::QuerySource::kDeviceJobs && !q->top && q->group_by.empty());
  const auto rows = AllRows(*q, query::kMaxPageSize);
  if (!matched || !rows) return;
  json ids = json::array();
  for (const auto& row : *rows) ids.push_back(row.value("deviceId", ""));
  FUZZ_CHECK(ids == *matched);
}

void RunAsCondition(std::string_view text) {
  const auto condition = query::ParseCondition(text);
  if (!condition) {
    (void)offhub::fuzz::DumpRegistryError(condition.error());
    RunAsJobTarget(text, std::nullopt);
    return;
  }
  json matched = json::array();
  TheSources().devices.ForEachAfter(std::nullopt, [&](const offhub::domain::Twin& twin) {
    if (query::Matches(*condition, twin)) matched.push_back(twin.device_id);
    return true;
  });
  RunAsJobTarget(text, matched);
}

void DecodeAsToken(std::string_view text) {
  const auto cursor = query::DecodeContinuation("SELECT * FROM devices", text);
  if (!cursor) (void)offhub::fuzz::DumpRegistryError(cursor.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = offhub::fuzz::AsText(data, size);
  if (!offhub::fuzz::IsUtf8(text)) return 0;
  RunAsQuery(text);
  RunAsCondition(text);
  DecodeAsToken(text);
  return 0;
}
