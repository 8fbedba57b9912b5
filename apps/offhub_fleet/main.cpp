// offhub-fleet: N simulated MQTT devices on a hub (the emulator or a real IoT
// hub), over as many worker processes as the file-descriptor limit needs.
// They answer direct methods as configured and report desired properties
// back; a live count shows what they see. `--help` says it all.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <system_error>

#include "apps/lib/command_line.hpp"
#include "apps/offhub_fleet/fleet_options.hpp"
#include "apps/offhub_fleet/fleet_output.hpp"
#include "apps/offhub_fleet/registration.hpp"
#include "apps/offhub_fleet/supervisor.hpp"

namespace {

using namespace offhub::fleet;

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the limit now in force.
std::uint64_t RaiseFileLimit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return 1024;
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  ::getrlimit(RLIMIT_NOFILE, &files);
  return files.rlim_cur;
}

// Spreads the devices evenly over ceil(N / per_worker) workers.
std::vector<WorkerPlan> PlanWorkers(const FleetOptions& o, std::vector<DeviceIdentity> devices, bool terminal) {
  const std::size_t count = (devices.size() + o.per_worker - 1) / o.per_worker;
  std::vector<WorkerPlan> plans(count);
  std::size_t next = 0;
  for (std::size_t w = 0; w < count; ++w) {
    WorkerPlan& plan = plans[w];
    plan.index = static_cast<int>(w);
    const std::size_t size = devices.size() / count + (w < devices.size() % count ? 1 : 0);
    plan.devices.assign(std::make_move_iterator(devices.begin() + next),
                        std::make_move_iterator(devices.begin() + next + size));
    next += size;
    plan.link = DeviceLinkOf(o);
    plan.replies = o.replies;
    plan.connect_concurrency = std::max(1, o.connect_concurrency / static_cast<int>(count));
    plan.report_interval = std::chrono::milliseconds(terminal ? 250 : std::min(250, std::max(10, o.progress_interval_ms)));
  }
  return plans;
}

SupervisorOptions SupervisionOf(const FleetOptions& o, bool terminal) {
  SupervisorOptions s;
  s.progress_interval = std::chrono::milliseconds(o.progress_interval_ms > 0 ? o.progress_interval_ms
                                                                               : terminal ? 250 : 1000);
  if (o.duration_seconds > 0) {
    s.duration = std::chrono::milliseconds(static_cast<std::int64_t>(o.duration_seconds * 1000));
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t open_files = RaiseFileLimit();
  FleetOptions options;
  CLI::App app{"offhub-fleet: N simulated MQTT devices on an IoT hub or the offhub emulator, over several processes"};
  app.set_version_flag("--version", std::string("offhub-fleet ") + OFFHUB_VERSION);
  AddFleetOptions(app, options, open_files);
  if (const auto exit_code = offhub::apps::ParseCommandLine(app, argc, argv)) return *exit_code;

  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  ProgressPrinter printer(std::cerr, terminal);
  const auto ids = DeviceIds(options);
  auto registration = RegisterDevices(ServiceSettingsOf(options), ids, options.register_concurrency,
                                      [&](const RegistrationProgress& p) { printer.Show(RegistrationLine(p)); });
  printer.End();
  if (!registration) {
    offhub::apps::PrintError("offhub-fleet", registration.error());
    return 1;
  }
  FleetSummary summary;
  summary.first_id = ids.front();
  summary.last_id = ids.back();
  auto plans = PlanWorkers(options, std::move(registration->devices), terminal);
  summary.workers = plans.size();
  summary.registration = std::move(*registration);
  std::vector<WorkerProcess> workers;
  try {
    workers = SpawnWorkers(plans);
  } catch (const std::system_error& e) {
    std::cerr << "offhub-fleet: cannot start the workers: " << e.what() << "\n";
    return 1;
  }
  plans.clear();
  const std::string suffix = " | " + std::to_string(workers.size()) + " worker(s)";
  summary.outcome = Supervise(workers, SupervisionOf(options, terminal),
                              [&](const FleetCounts& counts) { printer.Show(ProgressLine(counts) + suffix); });
  printer.End();
  for (const auto& failure : summary.outcome.failures) std::cerr << "offhub-fleet: " << failure << "\n";
  if (options.output == "json") {
    std::cout << SummaryJson(summary).dump() << std::endl;
  } else {
    std::cout << SummaryText(summary) << std::flush;
  }
  return summary.outcome.failures.empty() ? 0 : 1;
}
