#include "apps/offhub_fleet/supervisor.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

namespace offhub::fleet {
namespace {

namespace asio = boost::asio;

[[noreturn]] void RunChild(const WorkerPlan& plan, pid_t parent, int report_fd, const std::vector<WorkerProcess>& siblings) {
  // Die with the parent; it may already be gone by now.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(1);
  for (const auto& sibling : siblings) ::close(sibling.report_fd);
  ::_exit(RunWorker(plan, report_fd));
}

std::string Describe(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

class Supervisor {
 public:
  Supervisor(const std::vector<WorkerProcess>& workers, const SupervisorOptions& options,
             const std::function<void(const FleetCounts&)>& progress)
      : options_(options), progress_(progress), signals_(io_, SIGINT, SIGTERM), tick_(io_), deadline_(io_) {
    for (const auto& w : workers) workers_.push_back(std::make_unique<Worker>(io_, w));
  }

  SupervisorOutcome Run() {
    const auto start = std::chrono::steady_clock::now();
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) StopAll();
    });
    if (options_.duration) {
      deadline_.expires_after(*options_.duration);
      deadline_.async_wait([this](boost::system::error_code ec) {
        if (!ec) StopAll();
      });
    }
    for (auto& w : workers_) ReadNext(*w);
    Tick();
    io_.run();
    outcome_.counts = Combined();
    outcome_.ran = std::chrono::steady_clock::now() - start;
    return std::move(outcome_);
  }

 private:
  struct Worker {
    Worker(asio::io_context& io, const WorkerProcess& p) : process(p), pipe(io, p.report_fd) {
      last.worker = p.index;
      last.counts.devices = p.devices;  // not connected yet, until its first report
    }
    WorkerProcess process;
    asio::posix::stream_descriptor pipe;
    asio::streambuf buffer;
    WorkerReport last;
    bool ended = false;
  };

  void ReadNext(Worker& w) {
    asio::async_read_until(w.pipe, w.buffer, '\n', [this, &w](boost::system::error_code ec, std::size_t n) {
      if (ec) return OnEnded(w);
      std::string line(asio::buffers_begin(w.buffer.data()), asio::buffers_begin(w.buffer.data()) + n - 1);
      w.buffer.consume(n);
      if (auto report = ParseWorkerReport(line)) w.last = std::move(*report);
      ReadNext(w);
    });
  }

  void OnEnded(Worker& w) {
    w.ended = true;
    int status = 0;
    ::waitpid(w.process.pid, &status, 0);
    if (!w.last.final) {
      outcome_.failures.push_back("worker " + std::to_string(w.process.index) + " (pid " +
                                  std::to_string(w.process.pid) + ") ended without disconnecting: " + Describe(status));
      StopAll();
    }
    for (const auto& other : workers_) {
      if (!other->ended) return;
    }
    signals_.cancel();
    tick_.cancel();
    deadline_.cancel();
  }

  void Tick() {
    progress_(Combined());
    tick_.expires_after(options_.progress_interval);
    tick_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }

  // SIGTERM to every worker still running; SIGKILL after the stop timeout.
  void StopAll() {
    if (stopping_) return;
    stopping_ = true;
    for (const auto& w : workers_) {
      if (!w->ended) ::kill(w->process.pid, SIGTERM);
    }
    deadline_.expires_after(options_.stop_timeout);
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      for (const auto& w : workers_) {
        if (!w->ended) ::kill(w->process.pid, SIGKILL);
      }
    });
  }

  FleetCounts Combined() const {
    std::vector<FleetCounts> parts;
    for (const auto& w : workers_) parts.push_back(w->last.counts);
    return Combine(parts);
  }

  const SupervisorOptions& options_;
  const std::function<void(const FleetCounts&)>& progress_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::steady_timer tick_;
  asio::steady_timer deadline_;
  std::vector<std::unique_ptr<Worker>> workers_;
  SupervisorOutcome outcome_;
  bool stopping_ = false;
};

}  // namespace

std::vector<WorkerProcess> SpawnWorkers(const std::vector<WorkerPlan>& plans) {
  std::vector<WorkerProcess> workers;
  const pid_t parent = ::getpid();
  for (const auto& plan : plans) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      const int error = errno;
      for (const auto& w : workers) ::kill(w.pid, SIGTERM);
      throw std::system_error(error, std::generic_category(), "pipe");
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(plan, parent, fds[1], workers);
    }
    const int error = errno;
    ::close(fds[1]);
    if (pid < 0) {
      ::close(fds[0]);
      for (const auto& w : workers) ::kill(w.pid, SIGTERM);
      throw std::system_error(error, std::generic_category(), "fork");
    }
    workers.push_back({plan.index, pid, fds[0], plan.devices.size()});
  }
  return workers;
}

SupervisorOutcome Supervise(const std::vector<WorkerProcess>& workers, const SupervisorOptions& options,
                            const std::function<void(const FleetCounts&)>& progress) {
  return Supervisor(workers, options, progress).Run();
}

}  // namespace offhub::fleet
