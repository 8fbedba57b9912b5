#pragma once
// BrokerSupervisor: keeps the managed broker running for the emulator's life.
//
// - Watch() (after the broker's first Start()) waits on the broker's pidfd on
//   the io_context: no polling while it runs. When the broker exits the
//   supervisor logs a warning with how it ended and launches it again on the
//   same ports at once; a broker that dies again within kStableAfter of its
//   start waits kFirstRetryDelay, doubling up to kMaxRetryDelay, before the
//   next launch. A launch that fails (the port taken meanwhile, not listening
//   within the start timeout) is logged as an error and retried the same way.
// - While starting, readiness is checked every kReadyPollInterval on a timer
//   (BrokerProcess::Poll: the child's own listeners).
// - health() says whether the broker is up and, when not, why, for GET /health.
// - Stop() stops watching, then stops the broker (files removed); Restart()
//   stops and starts it synchronously (tests). Both are idempotent.
// Threading: the io_context's thread only, which must be the thread that
// started the broker or one living as long (see broker_process.hpp).

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "adapters/emulator/mqtt/broker_process.hpp"

namespace offhub::emulator {

class BrokerSupervisor {
 public:
  static constexpr auto kReadyPollInterval = std::chrono::milliseconds(10);
  static constexpr auto kFirstRetryDelay = std::chrono::milliseconds(250);
  static constexpr auto kMaxRetryDelay = std::chrono::seconds(5);
  static constexpr auto kStableAfter = std::chrono::seconds(10);

  struct Health {
    bool up = false;
    std::string reason;  // why not, when !up
    int restarts = 0;    // launches after the first start
  };

  BrokerSupervisor(boost::asio::io_context& io, BrokerProcess& broker);
  ~BrokerSupervisor();
  BrokerSupervisor(const BrokerSupervisor&) = delete;
  BrokerSupervisor& operator=(const BrokerSupervisor&) = delete;

  void Watch();
  void Stop();
  void Restart();
  Health health() const { return health_; }

 private:
  void OnExited();
  void ScheduleLaunch(std::chrono::milliseconds delay);
  void Launch();
  void PollReady(std::chrono::steady_clock::time_point deadline);
  void LaunchFailed(const std::string& why);
  std::chrono::milliseconds NextDelay();
  void Unwatch();

  boost::asio::io_context& io_;
  BrokerProcess& broker_;
  std::optional<boost::asio::posix::stream_descriptor> pidfd_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::milliseconds retry_delay_{0};
  Health health_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace offhub::emulator
