#pragma once
// The parent of offhub-fleet's workers: forks one worker process per plan
// (each dies with the parent: PR_SET_PDEATHSIG), reads their report lines
// (fleet_worker.hpp), hands the combined counts to a progress callback, and
// stops them all on SIGINT/SIGTERM, at the end of the run's duration, or
// when one of them fails.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "apps/offhub_fleet/fleet_counts.hpp"
#include "apps/offhub_fleet/fleet_worker.hpp"

namespace offhub::fleet {

struct WorkerProcess {
  int index = 0;
  pid_t pid = -1;
  int report_fd = -1;  // the read end of the worker's report pipe
  std::size_t devices = 0;
};

// Forks the workers; in each child RunWorker(plan) runs and the child
// _exits with its code. Call with no other thread running. Throws
// std::system_error when a pipe or a fork fails (the workers already forked
// are terminated first).
std::vector<WorkerProcess> SpawnWorkers(const std::vector<WorkerPlan>& plans);

struct SupervisorOptions {
  std::chrono::milliseconds progress_interval{1000};
  std::optional<std::chrono::milliseconds> duration;      // stop after this long; nullopt: until a signal
  std::chrono::milliseconds stop_timeout{10'000};         // then SIGKILL
};

struct SupervisorOutcome {
  FleetCounts counts;                 // the last report of every worker, combined
  std::vector<std::string> failures;  // "worker 2 (pid 123) ended without disconnecting: killed by signal 9"
  std::chrono::duration<double> ran{};
};

// Runs until every worker has ended. `progress` gets the combined counts
// every progress interval.
SupervisorOutcome Supervise(const std::vector<WorkerProcess>& workers, const SupervisorOptions& options,
                            const std::function<void(const FleetCounts&)>& progress);

}  // namespace offhub::fleet
