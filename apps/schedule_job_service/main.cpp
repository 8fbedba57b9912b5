// schedule-job-service: the door-lock tutorial's service. Schedules the lockDoor
// method job and the building/floor twin job, follows both to the end with a
// progress line, and prints each final job as JSON. Exit code 0 only when both
// jobs completed with no failed device.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "apps/lib/door_lock.hpp"
#include "apps/lib/hub_switch.hpp"
#include "apps/lib/command_line.hpp"

int main(int argc, char** argv) {
  offhub::apps::ServiceSettings settings;
  offhub::apps::DoorLockJobsOptions options;
  CLI::App app{"schedule-job-service: schedules the door-lock tutorial's two jobs and waits for them"};
  app.set_version_flag("--version", std::string("schedule-job-service ") + OFFHUB_VERSION);
  offhub::apps::AddServiceOptions(app, settings);
  app.add_option("--query", options.query_condition, "The jobs' query condition")->capture_default_str();
  app.add_option("--max-execution", options.max_execution_seconds, "maxExecutionTimeInSeconds")->capture_default_str();
  app.add_option("--poll", options.poll_interval_seconds, "Seconds between status polls")->capture_default_str();
  if (const auto exit_code = offhub::apps::ParseCommandLine(app, argc, argv)) return *exit_code;

  boost::asio::io_context io;
  auto hub = offhub::apps::ConnectServiceHub(io, settings);
  if (!hub) {
    offhub::apps::PrintError("schedule-job-service", hub.error());
    return 2;
  }
  options.job_id_suffix = "-" + std::to_string((*hub)->clock().Now().ticks / 10'000);
  std::cerr << "Scheduling jobs on " << (*hub)->description() << "\n";
  int exit_code = 1;
  offhub::apps::RunDoorLockJobs(
      (*hub)->services().jobs, (*hub)->clock(), options, [](const std::string& line) { std::cerr << line << "\n"; },
      [&](offhub::apps::DoorLockJobsOutcome outcome) {
        if (outcome.error) {
          offhub::apps::PrintError("schedule-job-service", *outcome.error);
        } else {
          std::cout << outcome.method_job.dump(2) << "\n" << outcome.twin_job.dump(2) << std::endl;
        }
        exit_code = outcome.succeeded() ? 0 : 1;
        io.stop();
      });
  io.run();
  return exit_code;
}
