// TwinRequests: rids, answers, unknown rids, failures and timeouts.
#include <doctest/doctest.h>

#include <optional>

#include <boost/asio/io_context.hpp>

#include "adapters/azure/mqtt/twin_requests.hpp"

using namespace offhub;
using namespace std::chrono_literals;
using azure::mqtt::TwinAnswer;
using azure::mqtt::TwinRequests;

namespace {

struct Outcome {
  std::optional<domain::Result<TwinAnswer>> result;
  int calls = 0;
  TwinRequests::Done Sink() {
    return [this](domain::Result<TwinAnswer> r) {
      ++calls;
      result.emplace(std::move(r));
    };
  }
};

}  // namespace

TEST_CASE("an answer completes its request once, never inside Complete") {
  boost::asio::io_context io;
  TwinRequests requests(io, 5s);
  Outcome a, b;
  const auto rid_a = requests.Add(a.Sink());
  const auto rid_b = requests.Add(b.Sink());
  CHECK(rid_a != rid_b);
  CHECK(requests.Complete(rid_b, TwinAnswer{204, 7, ""}));
  CHECK(b.calls == 0);
  io.poll();
  REQUIRE(b.calls == 1);
  REQUIRE(*b.result);
  CHECK((*b.result)->version == 7);
  CHECK_FALSE(requests.Complete(rid_b, TwinAnswer{204, 8, ""}));  // duplicate
  CHECK_FALSE(requests.Complete("nope", TwinAnswer{200, {}, "{}"}));
  io.poll();
  CHECK(b.calls == 1);
  CHECK(a.calls == 0);
  CHECK(requests.size() == 1);
}

TEST_CASE("FailAll fails every pending request with the error") {
  boost::asio::io_context io;
  TwinRequests requests(io, 5s);
  Outcome a, b;
  (void)requests.Add(a.Sink());
  (void)requests.Add(b.Sink());
  requests.FailAll(domain::Error(domain::ErrorCode::ServiceUnavailable, "gone"));
  io.poll();
  for (auto* o : {&a, &b}) {
    REQUIRE(o->calls == 1);
    REQUIRE_FALSE(*o->result);
    CHECK(o->result->error().code() == domain::ErrorCode::ServiceUnavailable);
  }
  CHECK(requests.size() == 0);
}

TEST_CASE("a request without an answer times out with 504 GenericTimeout") {
  boost::asio::io_context io;
  TwinRequests requests(io, 20ms);
  Outcome a;
  const auto rid = requests.Add(a.Sink());
  io.run_for(2s);  // returns once the timer and the completion ran
  REQUIRE(a.calls == 1);
  REQUIRE_FALSE(*a.result);
  CHECK(a.result->error().code() == domain::ErrorCode::GenericTimeout);
  CHECK_FALSE(requests.Complete(rid, TwinAnswer{200, {}, "{}"}));  // too late
}

TEST_CASE("destroying the table drops pending requests silently") {
  boost::asio::io_context io;
  Outcome a;
  {
    TwinRequests requests(io, 20ms);
    (void)requests.Add(a.Sink());
  }
  io.run_for(200ms);
  CHECK(a.calls == 0);
}
