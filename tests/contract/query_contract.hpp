#pragma once
// The query port (ports/query_service.hpp):
// its contract, run against every implementation (see contract_support.hpp).

#include "tests/contract/contract_support.hpp"

TEST_CASE_TEMPLATE_DEFINE("queries: pages follow x-ms-continuation until it is absent", H, hub_contract_query) {
  using namespace offhub::contract;
  H harness;
  Harness& h = harness;
  for (int i = 0; i < 5; ++i) AddDevice(h, "q" + std::to_string(i));
  std::set<std::string> seen;
  offhub::ports::QueryPageRequest page{2, std::nullopt};
  int pages = 0;
  do {
    const auto result = h.services().queries.Query("SELECT * FROM devices", page);
    REQUIRE(result.ok());
    CHECK(result->item_type == "twin");
    CHECK(result->items.size() <= 2);
    for (const auto& item : result->items) seen.insert(item["deviceId"].get<std::string>());
    page.continuation = result->continuation;
    REQUIRE(++pages <= 5);
  } while (page.continuation);
  CHECK(pages == 3);
  CHECK(seen.size() == 5);

  const auto count = h.services().queries.Query("SELECT COUNT() AS n FROM devices WHERE deviceId IN ['q1','q2']", {});
  REQUIRE(count.ok());
  CHECK(count->items == json::array({{{"n", 2}}}));
  CHECK(count->item_type == "raw");
  CHECK_FALSE(count->continuation);
  const auto bad = h.services().queries.Query("SELECT FROM WHERE", {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().http_status() == 400);
}
