#pragma once
// Clock: the only source of time and timers for the hub core.
//
// Contract
// - Now() is the current UTC time; it never goes backwards.
// - CallAt(when, fn) runs fn exactly once, at or after `when`, on the thread
//   that drives the clock (the hub's event loop), never from inside CallAt.
//   Timers due at the same instant run in the order they were set.
// - Cancel(id) stops a timer that has not run; cancelling an unknown, fired
//   or already cancelled timer does nothing.
// - All calls come from the event-loop thread; implementations need no locks.
// Production: an Asio steady-timer clock on the hub's io_context. Tests: a
// manual clock that runs due timers when advanced (tests/fakes/manual_clock.hpp).

#include <cstdint>
#include <functional>

#include "domain/time.hpp"

namespace offhub::ports {

class Clock {
 public:
  using TimerId = std::uint64_t;

  virtual ~Clock() = default;
  virtual domain::UtcTime Now() const = 0;
  virtual TimerId CallAt(domain::UtcTime when, std::function<void()> fn) = 0;
  virtual void Cancel(TimerId id) = 0;

  TimerId CallAfterSeconds(std::int64_t seconds, std::function<void()> fn) {
    return CallAt(Now().PlusSeconds(seconds), std::move(fn));
  }
};

}  // namespace offhub::ports
