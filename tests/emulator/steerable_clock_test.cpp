// The hub's steerable clock (adapters/asio/asio_clock.hpp) on a real io_context.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "adapters/asio/asio_clock.hpp"

using offhub::domain::UtcTime;

namespace {

const UtcTime kStart = *offhub::domain::ParseUtc("2030-01-01T00:00:00Z");

void RunFor(boost::asio::io_context& io, std::chrono::milliseconds d) {
  io.restart();
  io.run_for(d);
}

}  // namespace

TEST_CASE("manual: frozen; work due now still runs; later timers wait for Advance, which runs them in time order") {
  boost::asio::io_context io;
  auto clock = offhub::MakeAsioClock(io, kStart);
  std::vector<std::string> ran;
  clock->CallAt(kStart.PlusSeconds(60), [&] { ran.push_back("60 s @" + offhub::domain::FormatUtc(clock->Now())); });
  clock->CallAt(kStart.PlusSeconds(10), [&] {
    ran.push_back("10 s");
    clock->CallAt(clock->Now(), [&] { ran.push_back("posted at 10 s"); });
    clock->CallAt(clock->Now().PlusSeconds(5), [&] { ran.push_back("15 s"); });
  });
  clock->CallAt(kStart, [&] { ran.push_back("now"); });
  RunFor(io, std::chrono::milliseconds(30));
  CHECK(ran == std::vector<std::string>{"now"});
  CHECK(clock->Now() == kStart);
  bool done = false;
  REQUIRE(clock->Advance(std::chrono::seconds(30), nullptr, [&](UtcTime) { done = true; }));
  RunFor(io, std::chrono::milliseconds(30));
  CHECK(done);
  CHECK(ran == std::vector<std::string>{"now", "10 s", "posted at 10 s", "15 s"});
  CHECK(clock->Now() == kStart.PlusSeconds(30));
  CHECK_FALSE(clock->Advance(std::chrono::milliseconds(-1), nullptr, [](UtcTime) {}));  // never back
  CHECK_FALSE(clock->Freeze(kStart));
}

TEST_CASE("manual: Advance waits at an instant until the hub is quiet, at most kQuietWait") {
  boost::asio::io_context io;
  auto clock = offhub::MakeAsioClock(io, kStart);
  bool answered = false, timed_out = false;
  clock->CallAt(kStart.PlusSeconds(30), [&] { timed_out = !answered; });  // a response timeout
  // The "answer" arrives by I/O, 50 ms of real time after the advance starts.
  boost::asio::steady_timer network(io);
  network.expires_after(std::chrono::milliseconds(50));
  network.async_wait([&](boost::system::error_code) { answered = true; });
  bool done = false;
  REQUIRE(clock->Advance(std::chrono::seconds(60), [&] { return answered; }, [&](UtcTime) { done = true; }));
  RunFor(io, std::chrono::milliseconds(500));
  CHECK(done);
  CHECK(answered);
  CHECK_FALSE(timed_out);

  // Never quiet: it moves on after kQuietWait.
  bool fired = false, done2 = false;
  clock->CallAt(clock->Now().PlusSeconds(1), [&] { fired = true; });
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(clock->Advance(std::chrono::seconds(2), [] { return false; }, [&](UtcTime) { done2 = true; }));
  RunFor(io, offhub::SteerableClock::kQuietWait * 2 + std::chrono::milliseconds(500));
  CHECK(done2);
  CHECK(fired);
  CHECK(std::chrono::steady_clock::now() - started >= offhub::SteerableClock::kQuietWait);
}

TEST_CASE("manual: 100,000 timers due in one Advance run in bounded turns, I/O served in between") {
  boost::asio::io_context io;
  auto clock = offhub::MakeAsioClock(io, kStart);
  int ran = 0;
  for (int i = 0; i < 100'000; ++i) clock->CallAt(kStart.PlusMillis(i), [&] { ++ran; });
  int io_turns_seen = 0;
  bool done = false;
  boost::asio::steady_timer ticker(io);
  std::function<void()> tick = [&] {
    ticker.expires_after(std::chrono::milliseconds(0));
    ticker.async_wait([&](boost::system::error_code ec) {
      if (ec || done) return;
      if (ran > 0 && ran < 100'000) ++io_turns_seen;
      tick();
    });
  };
  tick();
  REQUIRE(clock->Advance(std::chrono::seconds(100), nullptr, [&](UtcTime) { done = true; }));
  RunFor(io, std::chrono::seconds(20));
  CHECK(done);
  CHECK(ran == 100'000);
  CHECK(io_turns_seen > 10);  // the advance never held the loop for the whole run
}

TEST_CASE("real after manual: time goes on from the instant reached, never back") {
  boost::asio::io_context io;
  auto clock = offhub::MakeAsioClock(io, kStart);
  CHECK(clock->manual());
  bool done = false;
  clock->Advance(std::chrono::seconds(3600), nullptr, [&](UtcTime) { done = true; });
  RunFor(io, std::chrono::milliseconds(20));
  REQUIRE(done);
  clock->Resume();
  CHECK_FALSE(clock->manual());
  const UtcTime resumed = clock->Now();
  CHECK(resumed >= kStart.PlusSeconds(3600));
  CHECK(resumed < kStart.PlusSeconds(3601));
  bool fired = false;
  clock->CallAt(resumed.PlusMillis(20), [&] { fired = true; });
  RunFor(io, std::chrono::milliseconds(200));
  CHECK(fired);  // real timers run again by themselves
  CHECK(clock->Freeze(std::nullopt));
  CHECK(clock->manual());
}

TEST_CASE("advances asked for while one runs wait their turn, each answered once, and add up") {
  boost::asio::io_context io;
  auto clock = offhub::MakeAsioClock(io, kStart);
  bool answered = false;
  clock->CallAt(kStart.PlusSeconds(10), [] {});  // the first advance waits here for the "answer"
  boost::asio::steady_timer network(io);
  network.expires_after(std::chrono::milliseconds(100));
  network.async_wait([&](boost::system::error_code) { answered = true; });
  std::vector<std::string> done;
  REQUIRE(clock->Advance(std::chrono::seconds(20), [&] { return answered; },
                         [&](UtcTime reached) { done.push_back("20 s @" + offhub::domain::FormatUtc(reached)); }));
  for (int i = 0; i < 5; ++i) {
    REQUIRE(clock->Advance(std::chrono::milliseconds(1500), nullptr, [&](UtcTime) { done.push_back("1.5 s"); }));
  }
  RunFor(io, std::chrono::seconds(2));
  REQUIRE(done.size() == 6);
  CHECK(done[0] == "20 s @2030-01-01T00:00:20.0000000Z");
  CHECK(clock->Now() == kStart.PlusMillis(27'500));
  // Resumed while advances wait: each is answered, the clock stays where it stood.
  bool never = false;
  clock->CallAt(clock->Now().PlusSeconds(1), [] {});
  int finished = 0;
  clock->Advance(std::chrono::seconds(5), [&] { return never; }, [&](UtcTime) { ++finished; });
  clock->Advance(std::chrono::seconds(5), nullptr, [&](UtcTime) { ++finished; });
  clock->Resume();
  RunFor(io, std::chrono::milliseconds(100));
  CHECK(finished == 2);
  CHECK(clock->Now() < kStart.PlusMillis(29'500));
}
