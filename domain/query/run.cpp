#include "domain/query/run.hpp"

#include <algorithm>
#include <limits>

#include "domain/query/aggregate.hpp"
#include "domain/query/eval.hpp"
#include "domain/query/scan.hpp"

namespace offhub::domain::query {
namespace {

std::size_t PageSize(const PageRequest& request) {
  if (request.max_items == 0) return kDefaultPageSize;
  return std::min(request.max_items, kMaxPageSize);
}

Result<Cursor> StartCursor(const Query& query, const PageRequest& request) {
  if (!request.continuation) return Cursor{};
  return DecodeContinuation(query.text, *request.continuation);
}

// How many rows this page may hold: the page size, cut by TOP.
std::size_t PageLimit(const Query& query, const Cursor& cursor, const PageRequest& request) {
  std::size_t limit = PageSize(request);
  if (!query.top) return limit;
  const auto top = static_cast<std::uint64_t>(*query.top);
  const std::uint64_t left = top > cursor.returned ? top - cursor.returned : 0;
  return static_cast<std::size_t>(std::min<std::uint64_t>(limit, left));
}

bool TopReached(const Query& query, std::uint64_t returned) {
  return query.top && returned >= static_cast<std::uint64_t>(*query.top);
}

nlohmann::json Project(const Query& query, const Row& row) {
  auto item = nlohmann::json::object();
  for (const auto& p : query.projections) {
    const Value v = Evaluate(*p.expr, row);
    if (v.IsDefined()) item[p.name] = ToJson(v);
  }
  return item;
}

// Collects one page of matching rows; asks for one row beyond the page to
// know whether a continuation is due.
class PageCollector {
 public:
  PageCollector(const Query& query, Cursor cursor, std::size_t limit)
      : query_(query), cursor_(std::move(cursor)), limit_(limit) {}

  // Takes a row that matched the WHERE; returns false once the page is full
  // and one more match was seen.
  template <class MakeItem>
  bool Offer(std::string_view key, MakeItem&& make_item) {
    if (page_.items.size() == limit_) {
      more_ = true;
      return false;
    }
    page_.items.push_back(make_item());
    cursor_.after_key = std::string(key);
    return true;
  }

  QueryPage Finish(ItemType type) {
    page_.item_type = type;
    cursor_.returned += page_.items.size();
    if (more_ && !TopReached(query_, cursor_.returned)) page_.continuation = EncodeContinuation(query_.text, cursor_);
    return std::move(page_);
  }

 private:
  const Query& query_;
  Cursor cursor_;
  std::size_t limit_;
  QueryPage page_;
  bool more_ = false;
};

Error WrongSource(std::string_view expected) {
  return Error::ArgumentInvalid("The query is invalid: expected a query FROM " + std::string(expected));
}

// Aggregates: every call computes all groups; the cursor counts groups.
QueryPage AggregatePage(const Query& query, const TwinSource& twins, const Cursor& cursor, std::size_t limit) {
  const nlohmann::json rows = AggregateRows(query, twins);
  QueryPage page;
  page.item_type = ItemType::kRaw;
  const std::uint64_t begin = std::min<std::uint64_t>(cursor.returned, rows.size());
  const std::uint64_t end = std::min<std::uint64_t>(begin + limit, rows.size());
  for (std::uint64_t i = begin; i < end; ++i) page.items.push_back(rows[i]);
  if (end < rows.size() && !TopReached(query, end)) {
    page.continuation = EncodeContinuation(query.text, Cursor{std::nullopt, end});
  }
  return page;
}

}  // namespace

Result<QueryPage> RunTwinQuery(const Query& query, const TwinSource& twins, const PageRequest& request) {
  if (query.source == QuerySource::kDeviceJobs) return WrongSource("devices or devices.modules");
  auto cursor = StartCursor(query, request);
  if (!cursor) return cursor.error();
  const std::size_t limit = PageLimit(query, *cursor, request);
  if (query.has_aggregates || !query.group_by.empty()) return AggregatePage(query, twins, *cursor, limit);
  PageCollector collector(query, *cursor, limit);
  if (limit > 0) {
    const std::optional<std::string_view> after = cursor->after_key;
    ScanTwins(twins, after, query.where.get(), query.slots, [&](const Twin& twin, const Row& row) {
      return collector.Offer(twin.key(), [&] { return query.select_all ? ToJson(twin) : Project(query, row); });
    });
  }
  return collector.Finish(query.select_all ? ItemType::kTwin : ItemType::kRaw);
}

Result<QueryPage> RunJobQuery(const Query& query, const DeviceJobSource& jobs, const PageRequest& request) {
  if (query.source != QuerySource::kDeviceJobs) return WrongSource("devices.jobs");
  auto cursor = StartCursor(query, request);
  if (!cursor) return cursor.error();
  const std::size_t limit = PageLimit(query, *cursor, request);
  PageCollector collector(query, *cursor, limit);
  if (limit > 0) {
    const std::optional<std::string_view> after = cursor->after_key;
    jobs.ForEachAfter(after, [&](std::string_view key, const nlohmann::json& record) {
      if (!Matches(query.where.get(), JsonRow(record))) return true;
      return collector.Offer(key, [&] { return record; });
    });
  }
  return collector.Finish(ItemType::kDeviceJob);
}

Result<QueryPage> RunQuery(const Query& query, const QuerySources& sources, const PageRequest& request) {
  switch (query.source) {
    case QuerySource::kDevices: return RunTwinQuery(query, sources.devices, request);
    case QuerySource::kModules: return RunTwinQuery(query, sources.modules, request);
    case QuerySource::kDeviceJobs: return RunJobQuery(query, sources.jobs, request);
  }
  return WrongSource("devices");
}

}  // namespace offhub::domain::query
