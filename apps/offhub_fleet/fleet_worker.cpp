#include "apps/offhub_fleet/fleet_worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <iostream>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "domain/json_text.hpp"

namespace offhub::fleet {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr auto kRenewCheck = std::chrono::seconds(1);

bool WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

class Worker {
 public:
  Worker(const WorkerPlan& plan, int status_fd)
      : plan_(plan),
        status_fd_(status_fd),
        tallies_(plan.devices.size()),
        signals_(io_, SIGINT, SIGTERM),
        report_timer_(io_),
        renew_timer_(io_) {}

  int Run() {
    if (!CreateDevices()) return 1;
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) Shutdown();
    });
    const int first = std::min<int>(plan_.connect_concurrency, static_cast<int>(devices_.size()));
    for (int i = 0; i < first; ++i) StartNext();
    Report();
    CheckRenewals();
    io_.run();
    return 0;
  }

 private:
  bool CreateDevices() {
    devices_.reserve(plan_.devices.size());
    try {
      for (std::size_t i = 0; i < plan_.devices.size(); ++i) {
        devices_.push_back(std::make_unique<FleetDevice>(io_, i, plan_.devices[i], plan_.link, plan_.replies,
                                                         tallies_, [this] { OnSettled(); }));
      }
    } catch (const std::exception& e) {
      std::cerr << "offhub-fleet: worker " << plan_.index << ": " << e.what() << "\n";
      return false;
    }
    return true;
  }

  // A device's first attempt ended: start the next one (posted: never from
  // inside the device's own callback).
  void OnSettled() {
    asio::post(io_, [this] {
      if (!stopping_) StartNext();
    });
  }

  void StartNext() {
    if (next_ < devices_.size()) devices_[next_++]->Start();
  }

  void Report() {
    if (!SendReport(false)) return Shutdown();
    report_timer_.expires_after(plan_.report_interval);
    report_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Report();
    });
  }

  bool SendReport(bool final) { return SendReport(final, tallies_.Snapshot()); }
  bool SendReport(bool final, FleetCounts counts) {
    return WriteAll(status_fd_, FormatWorkerReport({plan_.index, final, std::move(counts)}) + "\n");
  }

  // Renews due tokens, at most connect_concurrency a second, so a fleet that
  // connected at once does not reconnect at once.
  void CheckRenewals() {
    int budget = plan_.connect_concurrency;
    const auto now = std::chrono::steady_clock::now();
    for (auto& device : devices_) {
      if (budget == 0) break;
      if (device->RenewIfDue(now)) --budget;
    }
    renew_timer_.expires_after(kRenewCheck);
    renew_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) CheckRenewals();
    });
  }

  void Shutdown() {
    if (stopping_) return;
    stopping_ = true;
    auto last = tallies_.Snapshot();  // as it was: connected counts the devices up until now
    for (auto& device : devices_) device->Stop();
    SendReport(true, std::move(last));
    signals_.cancel();
    report_timer_.cancel();
    renew_timer_.cancel();
    io_.stop();
  }

  const WorkerPlan& plan_;
  int status_fd_;
  asio::io_context io_;
  WorkerTallies tallies_;
  std::vector<std::unique_ptr<FleetDevice>> devices_;
  asio::signal_set signals_;
  asio::steady_timer report_timer_;
  asio::steady_timer renew_timer_;
  std::size_t next_ = 0;
  bool stopping_ = false;
};

}  // namespace

int RunWorker(const WorkerPlan& plan, int status_fd) {
  std::signal(SIGPIPE, SIG_IGN);  // a parent gone shows as a failed write
  return Worker(plan, status_fd).Run();
}

std::string FormatWorkerReport(const WorkerReport& report) {
  return json{{"worker", report.worker}, {"final", report.final}, {"counts", ToJson(report.counts)}}.dump();
}

domain::Result<WorkerReport> ParseWorkerReport(std::string_view line) {
  const auto parsed = domain::ParseJsonText(line, "a fleet worker's report");
  const json body = parsed.ok() ? *parsed : json();
  if (!body.is_object() || !body.contains("counts") || !body["worker"].is_number_integer() ||
      !body["final"].is_boolean()) {
    return domain::Error::FormatError("not a fleet worker's report: " + std::string(line.substr(0, 200)));
  }
  auto counts = FleetCountsFromJson(body["counts"]);
  if (!counts) return counts.error();
  return WorkerReport{body["worker"].get<int>(), body["final"].get<bool>(), std::move(*counts)};
}

}  // namespace offhub::fleet
