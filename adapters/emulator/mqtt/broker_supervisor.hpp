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
// - A running broker may hang (SIGSTOP, a deadlock) with its process and
//   sockets alive. With a silence probe (SetSilenceProbe: how long the
//   broker has not answered its client, MqttDeviceChannel::BrokerSilence),
//   health() reports it not answering once it has been silent for
//   kNotAnsweringAfter, and a broker silent for kHungAfter is killed
//   (SIGKILL, checked every kHangCheckInterval) and restarted as when it
//   dies. Neither applies within that long of its start.
// - Stop() stops watching, then stops the broker (files removed); Restart()
//   stops and starts it synchronously (tests). Both are idempotent.
// Threading: the io_context's thread only, which must be the thread that
// started the broker or one living as long (see broker_process.hpp).

#include <chrono>
#include <functional>
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
  static constexpr auto kNotAnsweringAfter = std::chrono::seconds(3);
  static constexpr auto kHungAfter = std::chrono::seconds(10);
  static constexpr auto kHangCheckInterval = std::chrono::seconds(1);

  struct Health {
    bool up = false;
    bool answering = true;  // when up: false after kNotAnsweringAfter of silence
    std::string reason;     // why not, when !up or !answering
    int restarts = 0;       // launches after the first start
  };

  BrokerSupervisor(boost::asio::io_context& io, BrokerProcess& broker);
  ~BrokerSupervisor();
  BrokerSupervisor(const BrokerSupervisor&) = delete;
  BrokerSupervisor& operator=(const BrokerSupervisor&) = delete;

  void Watch();
  void Stop();
  void Restart();
  void SetSilenceProbe(std::function<std::chrono::milliseconds()> silence);
  Health health() const;

 private:
  void OnExited();
  void ScheduleLaunch(std::chrono::milliseconds delay);
  void Launch();
  void PollReady(std::chrono::steady_clock::time_point deadline);
  void LaunchFailed(const std::string& why);
  std::chrono::milliseconds NextDelay();
  void Unwatch();
  void ArmHangCheck();
  void CheckAnswering();
  std::chrono::milliseconds Silence() const;  // 0 within the grace after a start

  boost::asio::io_context& io_;
  BrokerProcess& broker_;
  std::optional<boost::asio::posix::stream_descriptor> pidfd_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer hang_timer_;
  std::function<std::chrono::milliseconds()> silence_;
  bool killed_silent_ = false;  // the running broker was killed for its silence
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::milliseconds retry_delay_{0};
  Health health_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace offhub::emulator
