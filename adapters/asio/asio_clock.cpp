#include "adapters/asio/asio_clock.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace offhub {
namespace {

constexpr auto kQuietPoll = std::chrono::milliseconds(2);

domain::UtcTime SystemNow() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return domain::UtcTime{std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count() / 100};
}

// One steady timer armed for the earliest entry of an ordered map, so equal
// instants keep their insertion order (Asio's own timer heap does not).
class AsioClock final : public SteerableClock {
 public:
  AsioClock(boost::asio::io_context& io, std::optional<domain::UtcTime> manual_at)
      : io_(io), timer_(io), quiet_timer_(io), frozen_(manual_at) {
    if (frozen_) last_ = *frozen_;
  }
  ~AsioClock() override { *alive_ = false; }

  domain::UtcTime Now() const override {
    if (frozen_) return last_;
    const domain::UtcTime now{SystemNow().ticks + offset_ticks_};
    if (now > last_) last_ = now;
    return last_;
  }

  TimerId CallAt(domain::UtcTime when, std::function<void()> fn) override {
    const TimerId id = ++last_id_;
    timers_.emplace(Key{when, id}, std::move(fn));
    instants_.emplace(id, when);
    if (timers_.begin()->first.second == id) Arm();
    return id;
  }

  void Cancel(TimerId id) override {
    const auto it = instants_.find(id);
    if (it == instants_.end()) return;
    timers_.erase(Key{it->second, id});
    instants_.erase(it);
  }

  bool manual() const override { return frozen_.has_value(); }

  bool Freeze(std::optional<domain::UtcTime> at) override {
    const domain::UtcTime now = Now();
    if (at && *at < now) return false;
    frozen_ = at.value_or(now);
    last_ = *frozen_;
    Arm();
    return true;
  }

  void Resume() override {
    if (!frozen_) return;
    offset_ticks_ = last_.ticks - SystemNow().ticks;
    frozen_.reset();
    Arm();
  }

  bool Advance(std::chrono::milliseconds by, std::function<bool()> quiet, Reached done) override {
    if (!frozen_ || by.count() < 0) return false;
    queued_.push_back({by, std::move(quiet), std::move(done)});
    if (queued_.size() == 1) StartNext();
    return true;
  }

 private:
  using Key = std::pair<domain::UtcTime, TimerId>;

  void Arm() {
    if (timers_.empty()) return;
    const auto wait_ticks = timers_.begin()->first.first.ticks - Now().ticks;
    if (frozen_ && wait_ticks > 0) {
      timer_.cancel();  // a frozen clock never reaches it: Advance will
      return;
    }
    timer_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(wait_ticks, 0) * 100));
    timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
      if (!*alive || ec) return;
      RunDue();
    });
  }

  void RunOne() {
    auto node = timers_.extract(timers_.begin());
    instants_.erase(node.key().second);
    try {
      node.mapped()();
    } catch (const std::exception& e) {
      spdlog::error("a timer of the hub failed: {}", e.what());
    }
  }

  // Runs the timers due when it starts; those set meanwhile (a posted next
  // batch) wait for the next turn of the loop, so I/O is served in between.
  // Each runs under a last-resort guard: a throwing timer costs a log line.
  void RunDue() {
    const domain::UtcTime now = Now();
    const TimerId last = last_id_;
    while (!timers_.empty() && timers_.begin()->first.first <= now && timers_.begin()->first.second <= last) RunOne();
    Arm();
  }

  struct Queued {
    std::chrono::milliseconds by;
    std::function<bool()> quiet;
    Reached done;
    std::chrono::steady_clock::duration spent{};  // real time spent at the instants passed so far
  };

  // The advance at the head of the queue starts from where the clock stands.
  void StartNext() {
    if (queued_.empty()) return;
    Step(last_.PlusMillis(queued_.front().by.count()), std::chrono::steady_clock::now());
  }

  // The head advance is over: answer it, start the next.
  void Finish() {
    auto done = std::move(queued_.front().done);
    queued_.pop_front();
    boost::asio::post(io_, [done = std::move(done), reached = last_] { done(reached); });
    StartNext();
  }

  // One turn of the head advance: timers due at the current instant first;
  // once none is left and the hub is quiet (or kQuietWait has passed), the
  // clock moves to the next timer's instant (or to `target`).
  void Step(domain::UtcTime target, std::chrono::steady_clock::time_point instant_since) {
    if (!frozen_) return Finish();  // resumed meanwhile: it stops where it stood
    const auto& quiet = queued_.front().quiet;
    std::size_t ran = 0;
    while (ran < kTimersPerTurn && !timers_.empty() && timers_.begin()->first.first <= last_) {
      RunOne();
      ++ran;
    }
    const bool due_now = !timers_.empty() && timers_.begin()->first.first <= last_;
    const auto at_instant = std::chrono::steady_clock::now() - instant_since;
    const bool waited = at_instant >= kQuietWait || queued_.front().spent + at_instant >= kQuietBudget;
    if (!due_now && (waited || !quiet || quiet())) {
      if (timers_.empty() || timers_.begin()->first.first > target) {
        last_ = std::max(last_, target);
        *frozen_ = last_;
        Arm();
        return Finish();
      }
      last_ = timers_.begin()->first.first;  // the next instant something happens
      *frozen_ = last_;
      queued_.front().spent += at_instant;
      instant_since = std::chrono::steady_clock::now();
    }
    auto next = [this, alive = alive_, target, instant_since] {
      if (*alive) Step(target, instant_since);
    };
    if (due_now || ran > 0) return boost::asio::post(io_, std::move(next));
    // Waiting for the hub to be quiet: look again shortly, serving I/O meanwhile.
    quiet_timer_.expires_after(kQuietPoll);
    quiet_timer_.async_wait([next = std::move(next)](boost::system::error_code ec) {
      if (!ec) next();  // only this advance waits on it: cancelled only with the clock
    });
  }

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer quiet_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  mutable domain::UtcTime last_{};
  std::int64_t offset_ticks_ = 0;           // real mode: added to the system clock
  std::optional<domain::UtcTime> frozen_;  // manual mode: the instant (== last_)
  std::deque<Queued> queued_;  // advances asked for; the head runs
  TimerId last_id_ = 0;
  std::map<Key, std::function<void()>> timers_;
  std::map<TimerId, domain::UtcTime> instants_;
};

}  // namespace

std::unique_ptr<SteerableClock> MakeAsioClock(boost::asio::io_context& io, std::optional<domain::UtcTime> manual_at) {
  return std::make_unique<AsioClock>(io, manual_at);
}

}  // namespace offhub
