#include "adapters/emulator/mqtt/broker_supervisor.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

namespace offhub::emulator {

namespace asio = boost::asio;

namespace {
// glibc 2.36's <sys/pidfd.h> declares pidfd_open without extern "C".
int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
}  // namespace

BrokerSupervisor::BrokerSupervisor(asio::io_context& io, BrokerProcess& broker)
    : io_(io), broker_(broker), timer_(io), hang_timer_(io) {}

BrokerSupervisor::~BrokerSupervisor() { Unwatch(); }

// The broker's pidfd becomes readable when it exits.
void BrokerSupervisor::Watch() {
  Unwatch();
  if (stopped_ || !broker_.running()) return;
  const int fd = PidfdOpen(broker_.pid());
  if (fd < 0) throw std::runtime_error(std::string("pidfd_open failed: ") + std::strerror(errno));
  pidfd_.emplace(io_, fd);
  started_at_ = std::chrono::steady_clock::now();
  health_.up = true;
  health_.reason.clear();
  pidfd_->async_wait(asio::posix::stream_descriptor::wait_read,
                     [alive = std::weak_ptr<bool>(alive_), this](const boost::system::error_code& ec) {
                       if (alive.expired() || ec || stopped_) return;
                       OnExited();
                     });
  ArmHangCheck();
}

void BrokerSupervisor::Unwatch() {
  boost::system::error_code ignored;
  timer_.cancel();
  hang_timer_.cancel();
  if (pidfd_) pidfd_->close(ignored);
  pidfd_.reset();
}

void BrokerSupervisor::OnExited() {
  const pid_t pid = broker_.pid();
  if (!broker_.Reap()) return Watch();  // spurious wake-up: the child still runs
  Unwatch();
  health_.up = false;
  const std::string how = std::exchange(killed_silent_, false)
                              ? "did not answer for " + std::to_string(kHungAfter.count()) + " s and was killed"
                              : broker_.exit_reason();
  health_.reason = "the MQTT broker (pid " + std::to_string(pid) + ") " + how + "; restarting it";
  spdlog::warn("{} on ports {}{}", health_.reason, broker_.mqtt_port(),
               broker_.tls_port() ? " and " + std::to_string(broker_.tls_port()) : std::string());
  ScheduleLaunch(NextDelay());
}

// At once after a broker that ran a while; growing pauses for one that keeps dying.
std::chrono::milliseconds BrokerSupervisor::NextDelay() {
  const bool stable = std::chrono::steady_clock::now() - started_at_ >= kStableAfter;
  if (stable) {
    retry_delay_ = std::chrono::milliseconds(0);
  } else {
    retry_delay_ = retry_delay_.count() == 0 ? std::chrono::duration_cast<std::chrono::milliseconds>(kFirstRetryDelay)
                                             : std::min<std::chrono::milliseconds>(retry_delay_ * 2, kMaxRetryDelay);
  }
  return retry_delay_;
}

void BrokerSupervisor::ScheduleLaunch(std::chrono::milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait([alive = std::weak_ptr<bool>(alive_), this](const boost::system::error_code& ec) {
    if (alive.expired() || ec || stopped_) return;
    Launch();
  });
}

void BrokerSupervisor::Launch() {
  started_at_ = std::chrono::steady_clock::now();
  ++health_.restarts;
  try {
    broker_.Launch();
  } catch (const std::exception& e) {
    return LaunchFailed(e.what());
  }
  PollReady(started_at_ + std::chrono::milliseconds(5000));
}

void BrokerSupervisor::PollReady(std::chrono::steady_clock::time_point deadline) {
  switch (broker_.Poll()) {
    case BrokerProcess::Progress::kReady:
      spdlog::info("the MQTT broker is back (pid {})", broker_.pid());
      return Watch();
    case BrokerProcess::Progress::kExited: return LaunchFailed("mosquitto " + broker_.exit_reason());
    case BrokerProcess::Progress::kStarting: break;
  }
  if (std::chrono::steady_clock::now() >= deadline) {
    broker_.Stop();
    return LaunchFailed("mosquitto was not listening after 5 s");
  }
  timer_.expires_after(kReadyPollInterval);
  timer_.async_wait([alive = std::weak_ptr<bool>(alive_), this, deadline](const boost::system::error_code& ec) {
    if (alive.expired() || ec || stopped_) return;
    PollReady(deadline);
  });
}

void BrokerSupervisor::LaunchFailed(const std::string& why) {
  health_.up = false;
  health_.reason = "the MQTT broker could not be restarted: " + why;
  const auto delay = NextDelay();
  spdlog::error("{}; trying again in {} ms", health_.reason, delay.count());
  ScheduleLaunch(delay);
}

BrokerSupervisor::Health BrokerSupervisor::health() const {
  Health health = health_;
  const auto silence = Silence();
  if (!health.up || silence < kNotAnsweringAfter) return health;
  health.answering = false;
  health.reason = "the MQTT broker (pid " + std::to_string(broker_.pid()) + ") has not answered for " +
                  std::to_string(silence.count() / 1000) + " s; it is restarted after " +
                  std::to_string(kHungAfter.count()) + " s";
  return health;
}

std::chrono::milliseconds BrokerSupervisor::Silence() const {
  if (!silence_) return {};
  const auto up_for = std::chrono::steady_clock::now() - started_at_;
  return std::min(silence_(), std::chrono::duration_cast<std::chrono::milliseconds>(up_for));
}

void BrokerSupervisor::SetSilenceProbe(std::function<std::chrono::milliseconds()> silence) {
  silence_ = std::move(silence);
  if (pidfd_) ArmHangCheck();  // watching already
}

void BrokerSupervisor::ArmHangCheck() {
  if (!silence_) return;
  hang_timer_.expires_after(kHangCheckInterval);
  hang_timer_.async_wait([alive = std::weak_ptr<bool>(alive_), this](const boost::system::error_code& ec) {
    if (alive.expired() || ec || stopped_) return;
    CheckAnswering();
  });
}

// A hung broker is killed; its pidfd then wakes OnExited, which restarts it.
void BrokerSupervisor::CheckAnswering() {
  if (!broker_.running() || Silence() < kHungAfter) return ArmHangCheck();
  spdlog::warn("the MQTT broker (pid {}) has not answered for {} s; killing it", broker_.pid(),
               Silence().count() / 1000);
  killed_silent_ = true;
  broker_.Kill();
}

void BrokerSupervisor::Stop() {
  stopped_ = true;
  Unwatch();
  broker_.Stop();
  health_.up = false;
  health_.reason = "the emulator is stopping";
}

void BrokerSupervisor::Restart() {
  Unwatch();
  broker_.Stop();
  broker_.Start();
  ++health_.restarts;
  Watch();
}

}  // namespace offhub::emulator
