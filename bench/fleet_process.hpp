#pragma once
// One offhub-fleet process driven by a benchmark: started with fork/exec
// (it dies with the benchmark: PR_SET_PDEATHSIG), its progress lines on
// stderr parsed as they come (apps/offhub_fleet/fleet_output.hpp), its JSON
// summary read from stdout when it is stopped.
// Threading: any thread; the readers run on threads of their own.

#include <sys/resource.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace offhub::bench {

// The numbers of the fleet's latest progress line.
struct FleetProgress {
  std::uint64_t connected = 0, devices = 0, refused = 0;
  std::uint64_t methods_received = 0, methods_answered = 0;
  std::uint64_t desired_seen = 0, reported = 0;
};

class FleetProcess {
 public:
  // Starts `program args...`, with RLIMIT_NOFILE set to `files` in the child
  // (as a user's shell would give it). Throws std::runtime_error when it cannot.
  FleetProcess(const std::string& program, const std::vector<std::string>& args, rlimit files);
  ~FleetProcess();
  FleetProcess(const FleetProcess&) = delete;
  FleetProcess& operator=(const FleetProcess&) = delete;

  FleetProgress progress() const;
  // Waits until `done(progress)` holds, the fleet exits, or the timeout passes.
  bool WaitFor(const std::function<bool(const FleetProgress&)>& done, std::chrono::seconds timeout) const;
  // SIGTERM, waits for the exit, returns the JSON summary (nullopt: none).
  std::optional<nlohmann::json> Stop();
  // The last stderr lines, for a failure message.
  std::string Tail() const;

 private:
  void ReadProgress(int fd);
  void ReadSummary(int fd);

  pid_t pid_ = -1;
  std::atomic<bool> exited_{false};
  mutable std::mutex mutex_;
  FleetProgress progress_;
  std::vector<std::string> tail_;
  std::string summary_;
  std::thread stderr_reader_, stdout_reader_;
};

}  // namespace offhub::bench
