#pragma once
// The production Clock: UTC from the system clock, timers on the hub's
// io_context. See ports/clock.hpp for the contract; here Now() never goes
// backwards even if the system clock does (it holds still instead), and
// timers due at the same instant run in the order they were set.

#include <memory>

#include <boost/asio/io_context.hpp>

#include "ports/clock.hpp"

namespace offhub {

std::unique_ptr<ports::Clock> MakeAsioClock(boost::asio::io_context& io);

}  // namespace offhub
