#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "domain/query/eval.hpp"
#include "domain/query/run.hpp"
#include "query_test_support.hpp"

using namespace offhub::domain::query;
using offhub::domain::ErrorCode;
using offhub::testing::MakeTwin;
using offhub::testing::VectorJobSource;
using offhub::testing::VectorTwinSource;
using nlohmann::json;

namespace {

VectorTwinSource Fleet(int n) {
  std::vector<offhub::domain::Twin> twins;
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "dev%04d", i);
    twins.push_back(MakeTwin(id, {{"building", i % 3 == 0 ? "43" : "44"}, {"i", i}}));
  }
  return VectorTwinSource(std::move(twins));
}

Query ParseOk(std::string_view text) {
  auto q = ParseQuery(text);
  REQUIRE_MESSAGE(q.ok(), (q.ok() ? std::string() : q.error().message()));
  return std::move(q).value();
}

// Follows continuations to the end; returns every item and the page count.
std::pair<json, int> All(const Query& q, const TwinSource& twins, std::size_t page_size) {
  json items = json::array();
  PageRequest request{page_size, std::nullopt};
  int pages = 0;
  for (;;) {
    auto page = RunTwinQuery(q, twins, request);
    REQUIRE(page.ok());
    ++pages;
    for (auto& item : page->items) items.push_back(item);
    if (!page->continuation) return {items, pages};
    REQUIRE(page->items.size() > 0);
    request.continuation = page->continuation;
  }
}

json Record(std::string device, std::string job, std::string status) {
  return {{"deviceId", device},
          {"jobId", job},
          {"jobType", "scheduleUpdateTwin"},
          {"status", status},
          {"startTimeUtc", "2017-07-11T23:55:12.0052Z"},
          {"endTimeUtc", "2017-07-11T23:56:52.0052Z"},
          {"createdDateTimeUtc", "2017-07-11T23:55:13.4955445Z"},
          {"lastUpdatedDateTimeUtc", "2017-07-11T23:55:13.5267866Z"},
          {"outcome", json::object()}};
}

}  // namespace

TEST_CASE("pages follow deviceId order and end without a token") {
  const auto fleet = Fleet(25);
  const auto q = ParseOk("SELECT * FROM devices WHERE tags.building = '43'");
  auto [items, pages] = All(q, fleet, 3);
  REQUIRE(items.size() == 9);
  CHECK(pages == 3);
  CHECK(items[0]["deviceId"] == "dev0000");
  CHECK(items[8]["deviceId"] == "dev0024");
  for (std::size_t i = 1; i < items.size(); ++i) CHECK(items[i - 1]["deviceId"] < items[i]["deviceId"]);
}

TEST_CASE("the last page has no token even when it is full") {
  const auto fleet = Fleet(6);
  auto page = RunTwinQuery(ParseOk("SELECT * FROM devices"), fleet, PageRequest{6, std::nullopt});
  REQUIRE(page.ok());
  CHECK(page->items.size() == 6);
  CHECK_FALSE(page->continuation);
  CHECK(page->item_type == ItemType::kTwin);
  CHECK(ToString(page->item_type) == "twin");
}

TEST_CASE("page size: default 100, capped at 100") {
  const auto fleet = Fleet(250);
  const auto q = ParseOk("SELECT deviceId FROM devices");
  auto first = RunTwinQuery(q, fleet, PageRequest{});
  REQUIRE(first.ok());
  CHECK(first->items.size() == kDefaultPageSize);
  CHECK(first->item_type == ItemType::kRaw);
  CHECK(first->continuation);
  auto big = RunTwinQuery(q, fleet, PageRequest{1000, std::nullopt});
  CHECK(big->items.size() == kMaxPageSize);
  auto [items, pages] = All(q, fleet, 0);
  CHECK(items.size() == 250);
  CHECK(pages == 3);
}

TEST_CASE("TOP limits the whole result across pages") {
  const auto fleet = Fleet(50);
  auto [items, pages] = All(ParseOk("SELECT TOP 7 * FROM devices"), fleet, 3);
  CHECK(items.size() == 7);
  CHECK(pages == 3);
  auto [none, one] = All(ParseOk("SELECT TOP 0 * FROM devices"), fleet, 3);
  CHECK(none.empty());
  CHECK(one == 1);
  auto [exact, p] = All(ParseOk("SELECT TOP 6 * FROM devices"), fleet, 3);
  CHECK(exact.size() == 6);
  CHECK(p == 2);
}

TEST_CASE("rows added between pages are not duplicated") {
  auto fleet = Fleet(10);
  const auto q = ParseOk("SELECT * FROM devices");
  auto first = RunTwinQuery(q, fleet, PageRequest{5, std::nullopt});
  REQUIRE(first->continuation);
  fleet.twins().insert(fleet.twins().begin(), MakeTwin("dev0000a"));  // sorts before the cursor
  auto second = RunTwinQuery(q, fleet, PageRequest{5, first->continuation});
  REQUIRE(second.ok());
  CHECK(second->items[0]["deviceId"] == "dev0005");
}

TEST_CASE("continuation tokens are tied to their query") {
  const auto fleet = Fleet(10);
  const auto q = ParseOk("SELECT * FROM devices");
  const auto other = ParseOk("SELECT * FROM devices WHERE tags.i > 1");
  auto first = RunTwinQuery(q, fleet, PageRequest{5, std::nullopt});
  REQUIRE(first->continuation);
  auto foreign = RunTwinQuery(other, fleet, PageRequest{5, first->continuation});
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().code() == ErrorCode::ArgumentInvalid);
  CHECK(foreign.error().http_status() == 400);
  for (const char* garbage : {"", "xyz", "abc", "00", "7b7d", "\xff\xfe", "7b2276223a317d"}) {
    CAPTURE(garbage);
    auto r = RunTwinQuery(q, fleet, PageRequest{5, std::string(garbage)});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::ArgumentInvalid);
  }
}

TEST_CASE("continuation tokens round-trip any key") {
  const Cursor c{std::string("a\nb\0c", 5), 42};
  auto back = DecodeContinuation("q", EncodeContinuation("q", c));
  REQUIRE(back.ok());
  CHECK(back->after_key == c.after_key);
  CHECK(back->returned == 42);
  CHECK_FALSE(DecodeContinuation("q2", EncodeContinuation("q", c)).ok());
}

TEST_CASE("aggregate results page over groups") {
  const auto fleet = Fleet(30);
  const auto q = ParseOk("SELECT tags.i AS i, COUNT() AS n FROM devices GROUP BY tags.i");
  auto [items, pages] = All(q, fleet, 7);
  CHECK(items.size() == 30);
  CHECK(pages == 5);
  CHECK(items[29] == json({{"i", 29}, {"n", 1}}));
  auto first = RunTwinQuery(q, fleet, PageRequest{7, std::nullopt});
  CHECK(first->item_type == ItemType::kRaw);
  auto [top, p] = All(ParseOk("SELECT TOP 8 tags.i AS i, COUNT() AS n FROM devices GROUP BY tags.i"), fleet, 7);
  CHECK(top.size() == 8);
}

TEST_CASE("devices.jobs queries over device-job records") {
  VectorJobSource jobs({Record("myDeviceId", "job1", "completed"), Record("other", "job1", "failed"),
                        Record("myDeviceId", "job2", "running")});
  VectorTwinSource twins(std::vector<offhub::domain::Twin>{});

  SUBCASE("the docs' examples") {
    auto q = ParseOk("SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId'");
    auto page = RunQuery(q, {twins, twins, jobs}, PageRequest{});
    REQUIRE(page.ok());
    CHECK(page->item_type == ItemType::kDeviceJob);
    CHECK(ToString(page->item_type) == "deviceJob");
    REQUIRE(page->items.size() == 2);
    CHECK(page->items[0] == Record("myDeviceId", "job1", "completed"));
    auto q2 = ParseOk("SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId' AND "
                      "devices.jobs.jobType = 'scheduleUpdateTwin' AND devices.jobs.status = 'completed' AND "
                      "devices.jobs.createdTimeUtc > '2016-09-01'");
    auto page2 = RunJobQuery(q2, jobs, PageRequest{});
    REQUIRE(page2->items.size() == 1);
    CHECK(page2->items[0]["jobId"] == "job1");
    auto q3 = ParseOk("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'job1' AND devices.jobs.status = 'failed'");
    CHECK(RunJobQuery(q3, jobs, PageRequest{})->items.size() == 1);
  }
  SUBCASE("paging") {
    auto q = ParseOk("SELECT * FROM devices.jobs");
    auto first = RunJobQuery(q, jobs, PageRequest{2, std::nullopt});
    REQUIRE(first->items.size() == 2);
    REQUIRE(first->continuation);
    auto second = RunJobQuery(q, jobs, PageRequest{2, first->continuation});
    REQUIRE(second->items.size() == 1);
    CHECK(second->items[0]["jobId"] == "job2");
    CHECK_FALSE(second->continuation);
  }
  SUBCASE("a query runs only against its own source") {
    auto jq = ParseOk("SELECT * FROM devices.jobs");
    CHECK(RunTwinQuery(jq, twins, PageRequest{}).error().code() == ErrorCode::ArgumentInvalid);
    auto tq = ParseOk("SELECT * FROM devices");
    CHECK(RunJobQuery(tq, jobs, PageRequest{}).error().code() == ErrorCode::ArgumentInvalid);
  }
}

TEST_CASE("the batched scan agrees with row-by-row evaluation") {
  std::vector<offhub::domain::Twin> twins;
  for (int i = 0; i < 200; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "d%03d", i);
    json tags = {{"region", i % 4 == 0 ? "US" : i % 4 == 1 ? "EU" : "APAC"}, {"floor", i % 7}};
    if (i % 5 == 0) tags.erase("floor");
    twins.push_back(MakeTwin(id, tags, {{"t", i * 0.5}}));
  }
  twins[17].status = offhub::domain::DeviceStatus::kDisabled;
  const VectorTwinSource fleet(twins);
  const char* conditions[] = {
      "tags.region = 'US'",
      "tags.region = 'US' AND properties.reported.t > 20",
      "(tags.region = 'US' OR tags.region = 'EU') AND tags.floor < 3 AND NOT tags.floor = 1",
      "tags.floor NIN [1, 2] AND properties.reported.t < 80 AND status = 'enabled'",
      "NOT IS_DEFINED(tags.floor) OR tags.floor % 2 = 0",
      "status = 'disabled' AND deviceId > 'd010'",
      "true AND tags.region = 'APAC'",
  };
  for (const char* condition : conditions) {
    CAPTURE(condition);
    auto c = ParseCondition(condition);
    REQUIRE(c.ok());
    json expected = json::array();
    for (const auto& t : twins) {
      if (Matches(*c, t)) expected.push_back({{"deviceId", t.device_id}, {"floor", t.tags.value("floor", -1)}});
    }
    const std::string text =
        std::string("SELECT deviceId, tags.floor AS floor FROM devices WHERE ") + condition;
    auto [items, pages] = All(ParseOk(text), fleet, 7);
    for (auto& item : items) {
      if (!item.contains("floor")) item["floor"] = -1;
    }
    CHECK(items == expected);
    auto count = RunTwinQuery(ParseOk("SELECT COUNT() AS n FROM devices WHERE " + std::string(condition)), fleet,
                              PageRequest{});
    CHECK(count->items[0]["n"] == expected.size());
  }
}

TEST_CASE("devices.modules queries read module twins and page by deviceId/moduleId") {
  std::vector<offhub::domain::Twin> modules;
  for (const char* device : {"dev-a", "dev-b"}) {
    for (const char* module : {"camera", "sensor", "zeta"}) {
      auto twin = MakeTwin(device, {{"role", module}});
      twin.module_id = module;
      modules.push_back(std::move(twin));
    }
  }
  VectorTwinSource module_twins(std::move(modules));
  VectorTwinSource device_twins(std::vector<offhub::domain::Twin>{MakeTwin("dev-a", {}), MakeTwin("dev-b", {})});
  VectorJobSource jobs({});
  const QuerySources sources{device_twins, module_twins, jobs};

  auto all = RunQuery(ParseOk("SELECT * FROM devices.modules"), sources, PageRequest{4, std::nullopt});
  REQUIRE(all.ok());
  CHECK(all->item_type == ItemType::kTwin);
  REQUIRE(all->items.size() == 4);
  CHECK(all->items[0]["moduleId"] == "camera");
  CHECK(all->items[3]["deviceId"] == "dev-b");
  CHECK(all->items[3]["moduleId"] == "camera");
  REQUIRE(all->continuation.has_value());
  auto rest = RunQuery(ParseOk("SELECT * FROM devices.modules"), sources, PageRequest{4, all->continuation});
  REQUIRE(rest.ok());
  REQUIRE(rest->items.size() == 2);
  CHECK(rest->items[0]["moduleId"] == "sensor");
  CHECK(!rest->continuation.has_value());

  auto sensors = RunQuery(ParseOk("SELECT deviceId, moduleId FROM devices.modules WHERE moduleId = 'sensor'"), sources,
                          PageRequest{});
  REQUIRE(sensors.ok());
  CHECK(sensors->items == json::parse(R"([{"deviceId":"dev-a","moduleId":"sensor"},{"deviceId":"dev-b","moduleId":"sensor"}])"));

  auto per_device = RunQuery(ParseOk("SELECT deviceId, COUNT() AS n FROM devices.modules GROUP BY deviceId"), sources,
                             PageRequest{});
  REQUIRE(per_device.ok());
  CHECK(per_device->items == json::parse(R"([{"deviceId":"dev-a","n":3},{"deviceId":"dev-b","n":3}])"));

  // Device twins have no moduleId: the path is undefined there.
  auto none = RunQuery(ParseOk("SELECT * FROM devices WHERE moduleId = 'sensor'"), sources, PageRequest{});
  REQUIRE(none.ok());
  CHECK(none->items.empty());
}
