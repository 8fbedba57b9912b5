// The query language's functions (domain/query/functions.hpp): type checks,
// STARTSWITH and ENDSWITH in WHERE, SELECT items, devices.modules,
// devices.jobs and job conditions; names, arity and argument errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "domain/query/eval.hpp"
#include "domain/query/run.hpp"
#include "query_test_support.hpp"

using namespace offhub::domain::query;
using offhub::domain::ErrorCode;
using offhub::domain::Twin;
using offhub::testing::MakeTwin;
using offhub::testing::VectorJobSource;
using offhub::testing::VectorTwinSource;
using nlohmann::json;
using Ids = std::vector<std::string>;

namespace {

json Items(const std::string& text, const VectorTwinSource& source) {
  auto q = ParseQuery(text);
  REQUIRE_MESSAGE(q.ok(), (q.ok() ? std::string() : q.error().message()));
  auto page = RunTwinQuery(*q, source, PageRequest{100, std::nullopt});
  REQUIRE(page.ok());
  return page->items;
}

Ids Where(const std::string& condition, const VectorTwinSource& source) {
  Ids ids;
  for (const auto& item : Items("SELECT * FROM devices WHERE " + condition, source)) ids.push_back(item["deviceId"]);
  return ids;
}

// The reason of a rejected query, after checking it is IoT Hub's 400.
std::string Rejected(const std::string& text) {
  auto q = ParseQuery(text);
  REQUIRE_MESSAGE(!q.ok(), text);
  CHECK(q.error().code() == ErrorCode::ArgumentInvalid);
  return q.error().message();
}

std::string RejectedWhere(const std::string& condition) { return Rejected("SELECT * FROM devices WHERE " + condition); }

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The issue's fleet, with tags and properties to test paths below the top.
VectorTwinSource Fleet() {
  return VectorTwinSource({MakeTwin("q1-abc-1", {{"plant", "Redmond43"}, {"floor", 3}}, {{"fw", "1.2.3"}}, {{"fw", "1.2"}}),
                           MakeTwin("q1-xyz-2", {{"plant", "Paris7"}, {"floor", "3rd"}}, {{"fw", "2.0.0"}}, {{"fw", "1.2"}})});
}

}  // namespace

TEST_CASE("issue 12: STARTSWITH and ENDSWITH on deviceId") {
  const auto fleet = Fleet();
  CHECK(Where("STARTSWITH(deviceId, 'q1-abc')", fleet) == Ids{"q1-abc-1"});
  CHECK(Where("ENDSWITH(deviceId, 'z-2')", fleet) == Ids{"q1-xyz-2"});
}

TEST_CASE("STARTSWITH and ENDSWITH compare bytes, case-sensitively") {
  const auto fleet = Fleet();
  CHECK(Where("STARTSWITH(deviceId, 'Q1-ABC')", fleet).empty());
  CHECK(Where("ENDSWITH(deviceId, 'Z-2')", fleet).empty());
  CHECK(Where("STARTSWITH(deviceId, '')", fleet) == Ids{"q1-abc-1", "q1-xyz-2"});
  CHECK(Where("ENDSWITH(deviceId, 'q1-xyz-2')", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("STARTSWITH(deviceId, 'q1-abc-1-and-more')", fleet).empty());
  CHECK(Where("STARTSWITH('q1-abc', deviceId)", fleet).empty());
}

TEST_CASE("function names are case-insensitive, like keywords") {
  const auto fleet = Fleet();
  CHECK(Where("startswith(deviceId, 'q1-abc')", fleet) == Ids{"q1-abc-1"});
  CHECK(Where("EndsWith(DeviceId, 'z-2')", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("is_string(deviceId) AND Is_Null(tags.none) = false", fleet).size() == 2);
}

TEST_CASE("NOT, AND and OR around string tests") {
  const auto fleet = Fleet();
  CHECK(Where("NOT STARTSWITH(deviceId, 'q1-abc')", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("STARTSWITH(deviceId, 'q1-') AND ENDSWITH(deviceId, '-2')", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("STARTSWITH(deviceId, 'q1-abc') AND tags.floor = 3", fleet) == Ids{"q1-abc-1"});
  CHECK(Where("STARTSWITH(deviceId, 'q1-abc') OR ENDSWITH(deviceId, 'z-2')", fleet) == Ids{"q1-abc-1", "q1-xyz-2"});
  CHECK(Where("STARTSWITH(deviceId, 'q1-') = true", fleet).size() == 2);
}

TEST_CASE("string tests on tags and properties") {
  const auto fleet = Fleet();
  CHECK(Where("STARTSWITH(tags.plant, 'Red')", fleet) == Ids{"q1-abc-1"});
  CHECK(Where("ENDSWITH(properties.reported.fw, '.0')", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("STARTSWITH(properties.reported.fw, properties.desired.fw)", fleet) == Ids{"q1-abc-1"});
  CHECK(Where("STARTSWITH(Properties.Reported.fw, '2')", fleet) == Ids{"q1-xyz-2"});
}

TEST_CASE("a value that is not a string makes STARTSWITH undefined: neither it nor its NOT keeps the row") {
  const auto fleet = Fleet();
  // tags.floor is 3 (a number) on q1-abc-1 and "3rd" on q1-xyz-2.
  CHECK(Where("STARTSWITH(tags.floor, '3')", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("NOT STARTSWITH(tags.floor, '3')", fleet).empty());
  CHECK(Where("ENDSWITH(tags.missing, 'x')", fleet).empty());
  CHECK(Where("NOT ENDSWITH(tags.missing, 'x')", fleet).empty());
  CHECK(Where("STARTSWITH(tags, 'R')", fleet).empty());
  CHECK(Where("STARTSWITH(deviceId, tags.floor)", fleet).empty());
  CHECK(Where("STARTSWITH(deviceId, 'q1-') OR STARTSWITH(tags.floor, '3')", fleet).size() == 2);
}

TEST_CASE("type checks: true or false for every kind, never undefined") {
  const Twin t = MakeTwin("d", {{"s", "x"}, {"n", 1.5}, {"i", 2}, {"b", false}, {"z", nullptr}, {"o", {{"k", 1}}},
                                {"a", json::array({1, "2"})}});
  auto is = [&](const std::string& fn, const std::string& key) {
    auto q = ParseQuery("SELECT * FROM devices WHERE " + fn + "(tags." + key + ")");
    REQUIRE(q.ok());
    const Value v = Evaluate(*q->where, TwinRow(t));
    REQUIRE(v.kind == ValueKind::kBool);
    return v.boolean;
  };
  const std::vector<std::string> keys = {"s", "n", "i", "b", "z", "o", "a", "missing"};
  const std::vector<std::pair<std::string, std::string>> expected = {
      // function, which of `keys` it holds for ('1' = true)
      {"IS_DEFINED", "11111110"}, {"IS_NULL", "00001000"},   {"IS_BOOL", "00010000"},
      {"IS_NUMBER", "01100000"},  {"IS_STRING", "10000000"}, {"IS_OBJECT", "00000100"},
      {"IS_ARRAY", "00000010"},   {"IS_PRIMITIVE", "11111000"},
  };
  for (const auto& [fn, holds] : expected) {
    for (std::size_t k = 0; k < keys.size(); ++k) {
      CAPTURE(fn);
      CAPTURE(keys[k]);
      CHECK(is(fn, keys[k]) == (holds[k] == '1'));
    }
  }
}

TEST_CASE("type checks take any expression") {
  const auto fleet = Fleet();
  CHECK(Where("IS_NUMBER(tags.floor)", fleet) == Ids{"q1-abc-1"});
  CHECK(Where("NOT IS_NUMBER(tags.floor)", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("IS_STRING(tags.floor) AND STARTSWITH(tags.floor, '3')", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("IS_NUMBER(tags.floor + 1)", fleet) == Ids{"q1-abc-1"});
  CHECK(Where("IS_BOOL(STARTSWITH(tags.floor, '3'))", fleet) == Ids{"q1-xyz-2"});
  CHECK(Where("IS_NULL(null) AND IS_ARRAY([1, 2]) AND IS_PRIMITIVE('x') AND NOT IS_DEFINED(undefined)", fleet).size() == 2);
  CHECK(Where("IS_OBJECT(tags) AND IS_OBJECT(properties.reported)", fleet).size() == 2);
}

TEST_CASE("functions as SELECT items: named $n unless aliased, left out when undefined") {
  const auto fleet = Fleet();
  const json rows = Items("SELECT deviceId, STARTSWITH(deviceId, 'q1-abc') AS abc, IS_NUMBER(tags.floor), "
                          "ENDSWITH(tags.floor, 'rd') AS rd FROM devices",
                          fleet);
  CHECK(rows == json::parse(R"([{"deviceId":"q1-abc-1","abc":true,"$1":true},
                                {"deviceId":"q1-xyz-2","abc":false,"$1":false,"rd":true}])"));
  const json filtered = Items("SELECT deviceId FROM devices WHERE ENDSWITH(deviceId, '-2')", fleet);
  CHECK(filtered == json::parse(R"([{"deviceId":"q1-xyz-2"}])"));
}

TEST_CASE("functions over module twins") {
  Twin m1 = MakeTwin("q1-abc-1");
  m1.module_id = "edgeAgent";
  Twin m2 = MakeTwin("q1-abc-1");
  m2.module_id = "sensor";
  VectorTwinSource modules({m1, m2});
  const json rows = Items("SELECT * FROM devices.modules WHERE STARTSWITH(moduleId, 'edge')", modules);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["moduleId"] == "edgeAgent");
}

TEST_CASE("functions in a devices.jobs WHERE") {
  auto record = [](std::string device, std::string job) {
    return json{{"deviceId", std::move(device)}, {"jobId", std::move(job)}, {"jobType", "scheduleUpdateTwin"},
                {"status", "completed"}};
  };
  VectorJobSource jobs({record("q1-abc-1", "nightly-1"), record("q1-xyz-2", "nightly-1"), record("q1-abc-1", "adhoc")});
  auto q = ParseQuery("SELECT * FROM devices.jobs WHERE STARTSWITH(devices.jobs.jobId, 'nightly') "
                      "AND ENDSWITH(devices.jobs.deviceId, '-1')");
  REQUIRE(q.ok());
  auto page = RunJobQuery(*q, jobs, PageRequest{});
  REQUIRE(page.ok());
  REQUIRE(page->items.size() == 1);
  CHECK(page->items[0]["jobId"] == "nightly-1");
  CHECK(page->items[0]["deviceId"] == "q1-abc-1");
}

TEST_CASE("functions in a job's queryCondition") {
  const Twin abc = MakeTwin("q1-abc-1");
  const Twin xyz = MakeTwin("q1-xyz-2");
  auto c = ParseCondition("STARTSWITH(deviceId, 'q1-abc')");
  REQUIRE(c.ok());
  CHECK(Matches(*c, abc));
  CHECK_FALSE(Matches(*c, xyz));
  auto n = ParseCondition("NOT ENDSWITH(deviceId, 'z-2') AND IS_STRING(deviceId)");
  REQUIRE(n.ok());
  CHECK(Matches(*n, abc));
  CHECK_FALSE(Matches(*n, xyz));
  CHECK(Contains(ParseCondition("STARTS_WITH(deviceId, 'q1')").error().message(), "message routing"));
  CHECK(ParseCondition("ENDSWITH(deviceId)").error().code() == ErrorCode::ArgumentInvalid);
}

TEST_CASE("the parsed call") {
  auto q = ParseQuery("SELECT * FROM devices WHERE STARTSWITH(deviceId, 'q1-abc')");
  REQUIRE(q.ok());
  REQUIRE(q->where->kind == ExprKind::kFunction);
  CHECK(q->where->function == Function::kStartsWith);
  REQUIRE(q->where->args.size() == 2);
  CHECK(q->where->args[0]->kind == ExprKind::kPath);
  CHECK(q->where->args[1]->constant == "q1-abc");
}

TEST_CASE("routing-only functions are a 400 that says so") {
  CHECK(Contains(RejectedWhere("STARTS_WITH(deviceId, 'q1-abc')"),
                 "function 'STARTS_WITH' is supported only in message routing queries; twin and job queries spell "
                 "it STARTSWITH (column 29)"));
  CHECK(Contains(RejectedWhere("ends_with(deviceId, 'z-2')"), "spell it ENDSWITH"));
  for (const char* call : {"CONTAINS(deviceId, 'abc')", "LOWER(deviceId) = 'x'", "LENGTH(deviceId) > 1",
                           "AS_NUMBER(tags.x) = 1", "ABS(tags.x) = 1", "CONCAT(deviceId, 'x') = 'y'",
                           "SUBSTRING(deviceId, 1) = 'x'", "INDEX_OF(deviceId, 'x') = 1"}) {
    CAPTURE(call);
    CHECK(Contains(RejectedWhere(call), "only in message routing"));
  }
  CHECK(Contains(RejectedWhere("STARTS(deviceId, 'q')"), "unknown function 'STARTS'"));
}

TEST_CASE("wrong argument counts are a 400 naming the function") {
  CHECK(Contains(RejectedWhere("STARTSWITH(deviceId)"), "STARTSWITH takes 2 arguments, found 1 (column 29)"));
  CHECK(Contains(RejectedWhere("startswith(deviceId, 'a', true)"), "STARTSWITH takes 2 arguments, found 3"));
  CHECK(Contains(RejectedWhere("ENDSWITH()"), "ENDSWITH takes 2 arguments, found 0"));
  CHECK(Contains(RejectedWhere("IS_STRING()"), "IS_STRING takes 1 argument, found 0"));
  CHECK(Contains(RejectedWhere("IS_NULL(tags.a, tags.b)"), "IS_NULL takes 1 argument, found 2"));
  CHECK(Contains(RejectedWhere("IS_DEFINED()"), "IS_DEFINED takes 1 argument, found 0"));
}

TEST_CASE("a constant that is not a string, given to STARTSWITH or ENDSWITH, is a 400") {
  CHECK(Contains(RejectedWhere("STARTSWITH(deviceId, 5)"), "STARTSWITH takes a string as argument 2 (column 50)"));
  CHECK(Contains(RejectedWhere("ENDSWITH(null, 'x')"), "ENDSWITH takes a string as argument 1"));
  for (const char* arg : {"-1", "true", "undefined", "['a']", "0x10"}) {
    CAPTURE(arg);
    CHECK(Contains(RejectedWhere("STARTSWITH(deviceId, " + std::string(arg) + ")"), "as argument 2"));
  }
}

TEST_CASE("malformed calls") {
  CHECK(Contains(RejectedWhere("STARTSWITH(deviceId 'x')"), "expected ',' or ')', found 'x'"));
  CHECK(Contains(RejectedWhere("STARTSWITH(deviceId, 'x'"), "expected ',' or ')', found end of query"));
  CHECK(Contains(RejectedWhere("STARTSWITH(deviceId, )"), "expected a value"));
  CHECK(Contains(RejectedWhere("STARTSWITH(, 'x')"), "expected a value"));
  CHECK(Contains(Rejected("SELECT STARTSWITH(COUNT(), 'x') FROM devices"), "whole SELECT item"));
  CHECK(Contains(RejectedWhere("IS_NUMBER(MAX(tags.x))"), "aggregates are not allowed in WHERE"));
  CHECK(Contains(Rejected("SELECT COUNT() FROM devices GROUP BY IS_DEFINED(tags.x)"), "GROUP BY takes property paths"));
  CHECK(Contains(Rejected("SELECT IS_DEFINED(devices.jobs.jobId) FROM devices.jobs"), "only SELECT *"));
}

TEST_CASE("calls nested past the depth limit fail cleanly") {
  std::string deep;
  for (int i = 0; i < 150; ++i) deep += "IS_DEFINED(";
  deep += "tags.x";
  for (int i = 0; i < 150; ++i) deep += ")";
  CHECK(Contains(RejectedWhere(deep), "nested too deeply"));
  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "IS_BOOL(";
  ok += "tags.x";
  for (int i = 0; i < 50; ++i) ok += ")";
  CHECK(ParseQuery("SELECT * FROM devices WHERE " + ok).ok());
}
