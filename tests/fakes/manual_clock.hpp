#pragma once
// A Clock that moves only when the test says so. Advancing runs every timer
// that falls due, in time order, with Now() equal to each timer's instant.

#include <map>
#include <utility>

#include "ports/clock.hpp"

namespace offhub::fakes {

class ManualClock final : public ports::Clock {
 public:
  explicit ManualClock(domain::UtcTime start) : now_(start) {}

  domain::UtcTime Now() const override { return now_; }

  TimerId CallAt(domain::UtcTime when, std::function<void()> fn) override {
    const TimerId id = ++last_id_;
    timers_.emplace(Key{when < now_ ? now_ : when, id}, std::move(fn));
    return id;
  }

  void Cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }

  void AdvanceTo(domain::UtcTime target) {
    while (!timers_.empty() && timers_.begin()->first.first <= target) {
      auto node = timers_.extract(timers_.begin());
      now_ = node.key().first;
      node.mapped()();
    }
    if (now_ < target) now_ = target;
  }
  void AdvanceSeconds(std::int64_t s) { AdvanceTo(now_.PlusSeconds(s)); }
  void AdvanceMillis(std::int64_t ms) { AdvanceTo(now_.PlusMillis(ms)); }
  // Moves time forward without running anything: the next RunDueOnce runs
  // what is due then, one turn at a time.
  void SetNow(domain::UtcTime target) {
    if (now_ < target) now_ = target;
  }
  // Runs timers already due (e.g. those set for "now") without moving time.
  void RunDue() { AdvanceTo(now_); }
  // One turn of an event loop, as the Asio clock takes it: runs the timers
  // due now that were set before the call; those they set wait for the next turn.
  void RunDueOnce() {
    const TimerId last = last_id_;
    while (!timers_.empty() && timers_.begin()->first.first <= now_ && timers_.begin()->first.second <= last) {
      auto node = timers_.extract(timers_.begin());
      node.mapped()();
    }
  }
  std::size_t pending_timers() const { return timers_.size(); }

 private:
  using Key = std::pair<domain::UtcTime, TimerId>;
  domain::UtcTime now_;
  TimerId last_id_ = 0;
  std::map<Key, std::function<void()>> timers_;
};

}  // namespace offhub::fakes
