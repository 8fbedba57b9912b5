#pragma once
// A fleet worker: the body of one worker process of offhub-fleet. Its
// devices run on one event loop; it tells the parent how it is doing over a
// pipe, one line per report interval:
//   {"worker":I,"final":false,"counts":<FleetCounts JSON, fleet_counts.hpp>}
// and, after SIGINT/SIGTERM, disconnects every device cleanly and writes a
// last line with "final":true (its counts as they were just before: the
// devices connected until then count as connected). A line the parent cannot take (the pipe is
// closed: the parent is gone) also ends the worker.

#include <chrono>
#include <string_view>
#include <vector>

#include "apps/offhub_fleet/fleet_device.hpp"
#include "apps/offhub_fleet/method_replies.hpp"
#include "domain/result.hpp"

namespace offhub::fleet {

struct WorkerPlan {
  int index = 0;
  std::vector<DeviceIdentity> devices;
  DeviceLink link;
  MethodReplies replies;
  int connect_concurrency = 64;  // first connection attempts in flight (mosquitto's listen backlog is 100)
  std::chrono::milliseconds report_interval{250};
};

// Runs until SIGINT/SIGTERM or until `status_fd` breaks; returns the exit
// code (0 after a clean stop, 1 when it could not start its devices).
int RunWorker(const WorkerPlan& plan, int status_fd);

// One status line, as above.
struct WorkerReport {
  int worker = 0;
  bool final = false;
  FleetCounts counts;
};
std::string FormatWorkerReport(const WorkerReport& report);
domain::Result<WorkerReport> ParseWorkerReport(std::string_view line);

}  // namespace offhub::fleet
