#include "adapters/asio/asio_clock.hpp"

#include <chrono>
#include <map>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace offhub {
namespace {

// One steady timer armed for the earliest entry of an ordered map, so equal
// instants keep their insertion order (Asio's own timer heap does not).
class AsioClock final : public ports::Clock {
 public:
  explicit AsioClock(boost::asio::io_context& io) : timer_(io) {}
  ~AsioClock() override { *alive_ = false; }

  domain::UtcTime Now() const override {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    const domain::UtcTime now{std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count() / 100};
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

 private:
  using Key = std::pair<domain::UtcTime, TimerId>;

  void Arm() {
    const auto wait_ticks = timers_.begin()->first.first.ticks - Now().ticks;
    timer_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(wait_ticks, 0) * 100));
    timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
      if (!*alive || ec) return;
      RunDue();
    });
  }

  // Runs the timers due when it starts; those set meanwhile (a posted next
  // batch) wait for the next turn of the loop, so I/O is served in between.
  // Each runs under a last-resort guard: a throwing timer costs a log line.
  void RunDue() {
    const domain::UtcTime now = Now();
    const TimerId last = last_id_;
    while (!timers_.empty() && timers_.begin()->first.first <= now && timers_.begin()->first.second <= last) {
      auto node = timers_.extract(timers_.begin());
      instants_.erase(node.key().second);
      try {
        node.mapped()();
      } catch (const std::exception& e) {
        spdlog::error("a timer of the hub failed: {}", e.what());
      }
    }
    if (!timers_.empty()) Arm();
  }

  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  mutable domain::UtcTime last_{};
  TimerId last_id_ = 0;
  std::map<Key, std::function<void()>> timers_;
  std::map<TimerId, domain::UtcTime> instants_;
};

}  // namespace

std::unique_ptr<ports::Clock> MakeAsioClock(boost::asio::io_context& io) { return std::make_unique<AsioClock>(io); }

}  // namespace offhub
