#pragma once
// The production Clock: UTC from the system clock, timers on the hub's
// io_context. See ports/clock.hpp for the contract; here Now() never goes
// backwards even if the system clock does (it holds still instead), and
// timers due at the same instant run in the order they were set.
//
// It is also the hub's steerable clock (the control plane's /offhub/v1/clock):
// - real: system time plus an offset (0 until a manual stretch ends; then the
//   hub goes on from the instant it had reached, at real speed);
// - manual: frozen at an instant. Timers due at or before it still run
//   (work posted "now" goes on); later ones wait for Advance.
// Advance moves a manual clock forward by `by`, running every timer due on the
// way in time order, at most kTimersPerTurn per turn of the event loop (I/O
// is served in between). Before it moves past an instant it waits, in real
// time, until `quiet()` holds (the hub has no method call awaiting a device's
// answer: the answer is part of that instant), but at most kQuietWait per
// instant and kQuietBudget over the whole advance (devices that answer late
// or never cannot make an advance through many instants take minutes: once
// the budget is spent, the advance runs on without waiting); then it calls
// `done` (posted, never from inside Advance). Advances
// run one at a time: one asked for while another runs starts when it ends,
// from where it ended. `done` always runs once, also when the clock is
// resumed meanwhile (it then stops where it stood).
// Threading: the io_context's thread only.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "ports/clock.hpp"

namespace offhub {

class SteerableClock : public ports::Clock {
 public:
  static constexpr std::size_t kTimersPerTurn = 256;
  static constexpr std::chrono::milliseconds kQuietWait{2000};
  static constexpr std::chrono::milliseconds kQuietBudget{10000};

  virtual bool manual() const = 0;
  // Freezes at `at` (nullopt: the current instant). False, changing nothing,
  // when `at` is before Now(): the hub's clock never goes back.
  virtual bool Freeze(std::optional<domain::UtcTime> at) = 0;
  // Real time again, from the instant the clock has reached.
  virtual void Resume() = 0;
  // Manual mode only (false otherwise, or when `by` is negative).
  // `done` gets the instant this advance reached (a later one may be running by then).
  using Reached = std::function<void(domain::UtcTime)>;
  virtual bool Advance(std::chrono::milliseconds by, std::function<bool()> quiet, Reached done) = 0;
};

// Starts real, or frozen at `manual_at` when given.
std::unique_ptr<SteerableClock> MakeAsioClock(boost::asio::io_context& io,
                                              std::optional<domain::UtcTime> manual_at = std::nullopt);

}  // namespace offhub
