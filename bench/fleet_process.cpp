#include "bench/fleet_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>

namespace offhub::bench {
namespace {

constexpr std::size_t kTailLines = 20;

// Calls `line` for each line read from `fd` until EOF; closes `fd`.
void ForEachLine(int fd, const std::function<void(const std::string&)>& line) {
  std::string pending;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
      line(pending.substr(0, end));
      pending.erase(0, end + 1);
    }
  }
  if (!pending.empty()) line(pending);
  ::close(fd);
}

std::optional<FleetProgress> ParseProgress(const std::string& line) {
  FleetProgress p;
  const int fields = std::sscanf(line.c_str(),
                                 "offhub-fleet: %lu/%lu connected, %lu refused | methods: %lu received, %lu answered | "
                                 "desired: %lu seen, %lu reported",
                                 &p.connected, &p.devices, &p.refused, &p.methods_received, &p.methods_answered,
                                 &p.desired_seen, &p.reported);
  if (fields != 7) return std::nullopt;
  return p;
}

}  // namespace

FleetProcess::FleetProcess(const std::string& program, const std::vector<std::string>& args, rlimit files) {
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {  // only async-signal-safe calls from here to exec
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setrlimit(RLIMIT_NOFILE, &files);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  stderr_reader_ = std::thread([this, fd = err[0]] { ReadProgress(fd); });
  stdout_reader_ = std::thread([this, fd = out[0]] { ReadSummary(fd); });
}

FleetProcess::~FleetProcess() {
  if (!exited_) Stop();
}

void FleetProcess::ReadProgress(int fd) {
  ForEachLine(fd, [this](const std::string& line) {
    std::lock_guard lock(mutex_);
    if (auto p = ParseProgress(line)) progress_ = *p;
    tail_.push_back(line);
    if (tail_.size() > kTailLines) tail_.erase(tail_.begin());
  });
  exited_ = true;
}

void FleetProcess::ReadSummary(int fd) {
  ForEachLine(fd, [this](const std::string& line) {
    std::lock_guard lock(mutex_);
    summary_ += line + "\n";
  });
}

FleetProgress FleetProcess::progress() const {
  std::lock_guard lock(mutex_);
  return progress_;
}

bool FleetProcess::WaitFor(const std::function<bool(const FleetProgress&)>& done, std::chrono::seconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done(progress())) return true;
    if (exited_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done(progress());
}

std::optional<nlohmann::json> FleetProcess::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (stderr_reader_.joinable()) stderr_reader_.join();
  if (stdout_reader_.joinable()) stdout_reader_.join();
  exited_ = true;
  std::lock_guard lock(mutex_);
  auto summary = nlohmann::json::parse(summary_, nullptr, false);
  if (summary.is_discarded()) return std::nullopt;
  return summary;
}

std::string FleetProcess::Tail() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& line : tail_) out += "    " + line + "\n";
  return out;
}

}  // namespace offhub::bench
