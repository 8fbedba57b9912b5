// offhub-fleet's pure parts: method reply specs and files, and the counts
// workers send and the parent combines.
#include <doctest/doctest.h>

#include "apps/offhub_fleet/fleet_counts.hpp"
#include "apps/offhub_fleet/fleet_worker.hpp"
#include "apps/offhub_fleet/method_replies.hpp"

using offhub::fleet::Combine;
using offhub::fleet::FleetCounts;
using offhub::fleet::MethodReplies;
using offhub::fleet::ParseMethodSpec;
using offhub::fleet::PerDevice;

TEST_CASE("a method spec: NAME[=STATUS[:LATENCY_MS[:PAYLOAD_JSON]]]") {
  SUBCASE("the name alone answers 200 at once with null") {
    const auto spec = ParseMethodSpec("lockDoor");
    REQUIRE(spec);
    CHECK(spec->first == "lockDoor");
    CHECK(spec->second == offhub::fleet::MethodReply{200, 0, "null"});
  }
  SUBCASE("a payload keeps its colons") {
    const auto spec = ParseMethodSpec(R"(reboot=202:50:{"at":"12:00"})");
    REQUIRE(spec);
    CHECK(spec->second == offhub::fleet::MethodReply{202, 50, R"({"at":"12:00"})"});
  }
  SUBCASE("'*' is any method") { CHECK(ParseMethodSpec("*=404")); }
  SUBCASE("bad specs name what is wrong") {
    for (const char* bad : {"", "a b=200", "x=99", "x=600", "x=200:-1", "x=200:300001", "x=200:0:{nope", "x=abc"}) {
      CAPTURE(bad);
      const auto spec = ParseMethodSpec(bad);
      REQUIRE_FALSE(spec);
      CHECK(spec.error().code() == offhub::domain::ErrorCode::ArgumentInvalid);
    }
    CHECK(ParseMethodSpec("x=600").error().message().find("status") != std::string::npos);
  }
}

TEST_CASE("method replies: own reply, then '*', then 501") {
  MethodReplies replies;
  CHECK(replies.For("anything").status == 200);  // nothing configured: everything 200
  replies.Set("lockDoor", {200, 0, "\"locked\""});
  CHECK(replies.For("lockDoor").payload == "\"locked\"");
  CHECK(replies.For("other").status == 501);
  replies.Set("*", {404, 0, "null"});
  CHECK(replies.For("other").status == 404);
}

TEST_CASE("a methods file is a JSON object of name -> reply") {
  const auto replies = offhub::fleet::ParseMethodsJson(
      R"({"lockDoor": {"status": 200, "latencyMs": 50, "payload": {"result": "locked"}}, "*": {"status": 404}})");
  REQUIRE(replies);
  CHECK(replies->For("lockDoor") == offhub::fleet::MethodReply{200, 50, R"({"result":"locked"})"});
  CHECK(replies->For("x").status == 404);
  CHECK_FALSE(offhub::fleet::ParseMethodsJson("[]"));
  CHECK_FALSE(offhub::fleet::ParseMethodsJson(R"({"a": {"status": "200"}})"));
  CHECK_FALSE(offhub::fleet::ParseMethodsJson(R"({"a": {"latency": 5}})"));
  CHECK_FALSE(offhub::fleet::ParseMethodsJson(R"({"a$": {}})"));
}

TEST_CASE("per-device tallies: min and max over every device") {
  offhub::fleet::WorkerTallies tallies(3);
  tallies.MethodReceived(0, "reboot");
  tallies.MethodReceived(1, "reboot");
  tallies.MethodReceived(1, "reboot");
  tallies.DesiredReceived(2);
  const FleetCounts counts = tallies.Snapshot();
  CHECK(counts.method_calls == PerDevice{3, 0, 2});
  CHECK(counts.by_method.at("reboot") == PerDevice{3, 0, 2});
  CHECK(counts.desired == PerDevice{1, 0, 1});
}

TEST_CASE("combining workers: sums, min of mins, and a method a worker never saw counts 0 there") {
  FleetCounts a, b;
  a.devices = 2;
  a.connected = 2;
  a.method_calls = {2, 1, 1};
  a.by_method["reboot"] = {2, 1, 1};
  b.devices = 3;
  b.connected = 1;
  b.method_calls = {6, 2, 2};
  b.by_method["ping"] = {6, 2, 2};
  const FleetCounts total = Combine({a, b});
  CHECK(total.devices == 5);
  CHECK(total.connected == 3);
  CHECK(total.method_calls == PerDevice{8, 1, 2});
  CHECK(total.by_method.at("reboot") == PerDevice{2, 0, 1});
  CHECK(total.by_method.at("ping") == PerDevice{6, 0, 2});
}

TEST_CASE("a worker's report line round-trips") {
  FleetCounts counts;
  counts.devices = 4;
  counts.answered = 7;
  counts.by_method["lockDoor"] = {7, 1, 3};
  counts.reported_failed = 1;
  const auto line = offhub::fleet::FormatWorkerReport({2, true, counts});
  CHECK(line.find('\n') == std::string::npos);
  const auto back = offhub::fleet::ParseWorkerReport(line);
  REQUIRE(back);
  CHECK(back->worker == 2);
  CHECK(back->final);
  CHECK(back->counts == counts);
  CHECK_FALSE(offhub::fleet::ParseWorkerReport("{\"worker\":1}"));
}
