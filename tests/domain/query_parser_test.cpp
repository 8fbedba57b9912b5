#include <doctest/doctest.h>

#include <string>

#include "domain/query/query.hpp"

using offhub::domain::ErrorCode;
using namespace offhub::domain::query;

namespace {

Query ParseOk(std::string_view text) {
  auto r = ParseQuery(text);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
  return std::move(r).value();
}

std::string ParseError(std::string_view text) {
  auto r = ParseQuery(text);
  REQUIRE_MESSAGE(!r.ok(), text);
  CHECK(r.error().code() == ErrorCode::ArgumentInvalid);
  CHECK(r.error().message().rfind("The query is invalid: ", 0) == 0);
  return r.error().message();
}

}  // namespace

// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language
// and https://learn.microsoft.com/azure/iot-hub/query-twins / query-jobs
TEST_CASE("the docs' example queries parse") {
  const char* examples[] = {
      "SELECT * FROM devices",
      "SELECT * FROM devices WHERE tags.location.region = 'US'",
      "SELECT * FROM devices WHERE tags.location.region = 'US' AND properties.reported.telemetryConfig.sendFrequencyInSecs >= 60",
      "SELECT * FROM devices WHERE tags.location.region IN ['US', 'EU']",
      "SELECT * FROM devices WHERE is_defined(properties.reported.connectivity)",
      "SELECT * FROM devices WHERE properties.reported.connectivity IN ['wired', 'wifi']",
      "SELECT * FROM devices WHERE properties.reported.connectivity NIN ['wired', 'wifi']",
      "SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS numberOfDevices FROM devices GROUP BY properties.reported.telemetryConfig.status",
      "SELECT LastActivityTime FROM devices WHERE status = 'enabled'",
      "SELECT COUNT() as totalNumberOfDevices FROM devices",
      "SELECT DeviceId FROM devices WHERE status = 'enabled'",
      "SELECT * FROM devices WHERE tags.floor = 'floor3'",
      "SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId'",
      "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'myJobId'",
      "SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId' AND devices.jobs.jobType = 'scheduleUpdateTwin' AND devices.jobs.status = 'completed' AND devices.jobs.createdTimeUtc > '2016-09-01'",
      "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'myJobId' AND devices.jobs.status = 'completed'",
      "select * from devices where tags.x = 1 and not (tags.y = 2 or tags.z <> 3)",
      "SELECT TOP 10 * FROM devices",
      "SELECT deviceId, tags.x AS loc FROM devices",
      "SELECT * FROM devices WHERE tags.[[a key]] = 1 AND properties.desired.$version > 2",
      "SELECT * FROM devices WHERE tags.x IN [1, -2, 0x10, 1.5e1, 'a', \"b\", true, false, null, [ [1]]]",
      "SELECT * FROM devices WHERE properties.reported.temp * 2 + 1 > 3 % 2 - -4 / 2",
      "SELECT * FROM devices WHERE tags.x = undefined",
  };
  for (const char* q : examples) {
    CAPTURE(q);
    auto r = ParseQuery(q);
    CHECK_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
  }
}

TEST_CASE("structure of a parsed query") {
  auto q = ParseOk("select top 5 deviceId, tags.location.region as region, properties.reported.t * 2 from DEVICES where status = 'enabled'");
  CHECK(q.source == QuerySource::kDevices);
  CHECK(q.top == 5);
  CHECK_FALSE(q.select_all);
  REQUIRE(q.projections.size() == 3);
  CHECK(q.projections[0].name == "deviceId");
  CHECK(q.projections[0].expr->path.root == PathRoot::kDeviceId);
  CHECK(q.projections[1].name == "region");
  CHECK(q.projections[1].expr->path.root == PathRoot::kTags);
  CHECK(q.projections[1].expr->path.keys == std::vector<std::string>{"location", "region"});
  CHECK(q.projections[2].name == "$1");
  REQUIRE(q.where);
  CHECK(q.where->kind == ExprKind::kCompare);
}

TEST_CASE("precedence: OR < AND < NOT < comparison < additive < multiplicative") {
  auto q = ParseOk("SELECT * FROM devices WHERE NOT a = 1 OR b = 2 AND c = 1 + 2 * 3");
  const Expr& w = *q.where;
  REQUIRE(w.kind == ExprKind::kOr);
  REQUIRE(w.args.size() == 2);
  CHECK(w.args[0]->kind == ExprKind::kNot);
  CHECK(w.args[0]->args[0]->kind == ExprKind::kCompare);
  const Expr& a = *w.args[1];
  REQUIRE(a.kind == ExprKind::kAnd);
  const Expr& sum = *a.args[1]->args[1];
  CHECK(sum.kind == ExprKind::kArith);
  CHECK(sum.arith == ArithOp::kAdd);
  CHECK(sum.args[1]->arith == ArithOp::kMul);
}

TEST_CASE("AND and OR chains are flattened") {
  auto q = ParseOk("SELECT * FROM devices WHERE a = 1 AND b = 2 AND c = 3 AND d = 4");
  CHECK(q.where->kind == ExprKind::kAnd);
  CHECK(q.where->args.size() == 4);
}

TEST_CASE("negative constants are folded") {
  auto q = ParseOk("SELECT * FROM devices WHERE a = -5 AND b = -0x10 AND c = - 1.5");
  CHECK(q.where->args[0]->args[1]->kind == ExprKind::kConstant);
  CHECK(q.where->args[0]->args[1]->constant == -5);
  CHECK(q.where->args[1]->args[1]->constant == -16);
  CHECK(q.where->args[2]->args[1]->constant == -1.5);
}

TEST_CASE("keywords and function names are case-insensitive") {
  auto q = ParseOk("sElEcT CoUnT() As n FrOm DeViCeS wHeRe Is_DeFiNeD(tags.x) GrOuP bY tags.x");
  CHECK(q.has_aggregates);
  CHECK(q.group_by.size() == 1);
  CHECK(ParseOk("SELECT * FROM devices.JOBS").source == QuerySource::kDeviceJobs);
}

TEST_CASE("aggregates") {
  auto q = ParseOk("SELECT COUNT(), SUM(properties.reported.t), AVG(properties.reported.t) AS avg FROM devices");
  CHECK(q.projections[0].name == "$1");
  CHECK(q.projections[1].name == "$2");
  CHECK(q.projections[2].name == "avg");
  CHECK(ParseError("SELECT deviceId, COUNT() FROM devices").find("without GROUP BY") != std::string::npos);
  CHECK(ParseError("SELECT tags.y, COUNT() FROM devices GROUP BY tags.x").find("GROUP BY path") != std::string::npos);
  CHECK(ParseError("SELECT COUNT() + 1 FROM devices").find("whole SELECT item") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE COUNT() > 1").find("WHERE") != std::string::npos);
  CHECK(ParseError("SELECT SUM() FROM devices").find("property path") != std::string::npos);
  CHECK(ParseError("SELECT COUNT(tags.x) FROM devices").find("')'") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices GROUP BY tags.x").find("grouped") != std::string::npos);
  CHECK(ParseError("SELECT COUNT() FROM devices GROUP BY 1").find("property path") != std::string::npos);
}

TEST_CASE("devices.jobs accepts only SELECT * over job fields") {
  CHECK(ParseError("SELECT devices.jobs.jobId FROM devices.jobs").find("only SELECT *") != std::string::npos);
  CHECK(ParseError("SELECT COUNT() FROM devices.jobs").find("only SELECT *") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices.jobs WHERE tags.x = 1").find("devices.jobs.*") != std::string::npos);
  CHECK(ParseOk("SELECT * FROM devices.modules WHERE moduleId = 'm'").source == QuerySource::kModules);
  CHECK(ParseError("SELECT * FROM devices.configurations").find("'jobs' or 'modules'") != std::string::npos);
  auto q = ParseOk("SELECT * FROM devices.jobs WHERE devices.jobs.CreatedTimeUtc > '2016'");
  CHECK(q.where->args[0]->path.keys == std::vector<std::string>{"createdDateTimeUtc"});
}

TEST_CASE("malformed queries name the column and the reason") {
  CHECK(ParseError("").find("expected SELECT, found end of query (column 1)") != std::string::npos);
  CHECK(ParseError("SELECT").find("found end of query") != std::string::npos);
  CHECK(ParseError("SELECT * FROM").find("'devices'") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE").find("expected a value") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE tags.x =").find("(column 37)") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE (a = 1").find("expected ')'") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE a IN [1, 2").find("',' or ']'") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE a IN [b]").find("constant") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE a = 1 b = 2").find("end of query") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE tags. = 1").find("after '.'") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE FOO(a)").find("unknown function 'FOO'") != std::string::npos);
  CHECK(ParseError("SELECT TOP -1 * FROM devices").find("TOP") != std::string::npos);
  CHECK(ParseError("SELECT TOP 1.5 * FROM devices").find("TOP") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE select = 1").find("expected a value") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE x = 'abc").find("unterminated string (column 33)") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices WHERE x = 0xG").find("hex") != std::string::npos);
  CHECK(ParseError("SELECT deviceId AS FROM devices").find("alias") != std::string::npos);
  CHECK(ParseError("SELECT * FROM devices GROUP tags.x").find("BY") != std::string::npos);
}

TEST_CASE("the 8192-character limit") {
  std::string q = "SELECT * FROM devices WHERE deviceId = '";
  const std::string tail = "'";
  std::string at_limit = q + std::string(8192 - q.size() - tail.size(), 'a') + tail;
  CHECK(at_limit.size() == 8192);
  CHECK(ParseQuery(at_limit).ok());
  std::string over = q + std::string(8193 - q.size() - tail.size(), 'a') + tail;
  CHECK(ParseError(over).find("8192") != std::string::npos);
  // characters, not bytes: 8192 two-byte characters are within the limit
  std::string wide = q + std::string();
  for (std::size_t i = wide.size(); i < 8191; ++i) wide += "\xC3\xA9";
  wide += tail;
  CHECK(ParseQuery(wide).ok());
}

TEST_CASE("deep nesting is an error, not a crash") {
  SUBCASE("10,000 parentheses exceed the length limit first") {
    std::string q = "SELECT * FROM devices WHERE " + std::string(10000, '(') + "a = 1" + std::string(10000, ')');
    CHECK(ParseError(q).find("8192") != std::string::npos);
    CHECK_FALSE(ParseCondition(std::string(10000, '(')).ok());
  }
  SUBCASE("4,000 parentheses") {
    std::string q = "SELECT * FROM devices WHERE " + std::string(4000, '(') + "a = 1" + std::string(4000, ')');
    CHECK(ParseError(q).find("nested too deeply (column 129)") != std::string::npos);
    auto c = ParseCondition(std::string(4000, '(') + "a = 1" + std::string(4000, ')'));
    CHECK(c.error().message().find("nested too deeply") != std::string::npos);
  }
  SUBCASE("unbalanced parentheses") {
    CHECK(ParseError("SELECT * FROM devices WHERE " + std::string(5000, '(')).find("nested too deeply") !=
          std::string::npos);
  }
  SUBCASE("NOT chains") {
    std::string q = "SELECT * FROM devices WHERE ";
    for (int i = 0; i < 2000; ++i) q += "NOT ";
    CHECK(ParseError(q + "a = 1").find("nested too deeply") != std::string::npos);
  }
  SUBCASE("minus chains") {
    CHECK(ParseError("SELECT * FROM devices WHERE a = " + std::string(4000, '-') + "1").find("nested too deeply") !=
          std::string::npos);
  }
  SUBCASE("long arithmetic chains") {
    std::string q = "SELECT * FROM devices WHERE a = 1";
    for (int i = 0; i < 1000; ++i) q += "+1";
    CHECK(ParseError(q).find("nested too deeply") != std::string::npos);
  }
  SUBCASE("nested arrays") {
    std::string q = "SELECT * FROM devices WHERE a IN ";
    for (int i = 0; i < 2000; ++i) q += "[ ";
    CHECK(ParseError(q + std::string(2000, ']')).find("nested too deeply") != std::string::npos);
  }
  SUBCASE("modest nesting is fine") {
    std::string q = "SELECT * FROM devices WHERE " + std::string(50, '(') + "a = 1" + std::string(50, ')');
    CHECK(ParseQuery(q).ok());
  }
  SUBCASE("long AND chains are fine") {
    std::string q = "SELECT * FROM devices WHERE a = 1";
    for (int i = 0; i < 500; ++i) q += " AND a = 1";
    CHECK(ParseQuery(q).ok());
  }
}

TEST_CASE("job query conditions") {
  auto c = ParseCondition("deviceId IN ['myDeviceId']");
  REQUIRE(c.ok());
  REQUIRE(c->expr);
  CHECK(c->expr->kind == ExprKind::kIn);
  auto all = ParseCondition(" * ");
  REQUIRE(all.ok());
  CHECK_FALSE(all->expr);
  CHECK(ParseCondition("").error().code() == ErrorCode::ArgumentInvalid);
  CHECK(ParseCondition("   ").error().message().find("a condition or '*'") != std::string::npos);
  CHECK_FALSE(ParseCondition("SELECT * FROM devices").ok());
  CHECK_FALSE(ParseCondition("deviceId = ").ok());
  CHECK_FALSE(ParseCondition("COUNT() > 1").ok());
  CHECK_FALSE(ParseCondition("* AND x").ok());
  CHECK(ParseCondition("IS_DEFINED(DeviceId)").ok());
}

TEST_CASE("every prefix of a valid query parses or fails cleanly") {
  const std::string q =
      "SELECT TOP 3 properties.reported.telemetryConfig.status AS status, COUNT() AS n FROM devices "
      "WHERE (tags.[[a b]] IN ['x', \"y\\u00e9\", -0x1F, 1.5e2] OR NOT IS_DEFINED(tags.z)) AND tags.k <> null "
      "GROUP BY properties.reported.telemetryConfig.status";
  REQUIRE(ParseQuery(q).ok());
  for (std::size_t n = 0; n < q.size(); ++n) {
    auto r = ParseQuery(q.substr(0, n));
    if (!r.ok()) CHECK(r.error().code() == ErrorCode::ArgumentInvalid);
  }
}

TEST_CASE("garbage bytes never crash the parser") {
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string alphabet = "SELECT*FROMdevicesWHEREtags.x=<>!()[],'\"\\u0x1e-+%/ ANDORNOTIN[[]]\xff\xc3\xa9";
  for (int i = 0; i < 3000; ++i) {
    std::string text = i % 2 ? "SELECT * FROM devices WHERE " : "";
    const std::size_t len = next() % 60;
    for (std::size_t k = 0; k < len; ++k) {
      text += i % 3 == 0 ? static_cast<char>(next() & 0xFF) : alphabet[next() % alphabet.size()];
    }
    auto r = ParseQuery(text);
    if (!r.ok()) CHECK(r.error().code() == ErrorCode::ArgumentInvalid);
    auto c = ParseCondition(text);
    if (!c.ok()) CHECK(c.error().code() == ErrorCode::ArgumentInvalid);
  }
}
