// offhub: a command line for IoT hubs in the spirit of `az iot hub`: devices,
// modules, twins, queries, direct methods and jobs, against a real hub, the
// emulator or the embedded hub through the same switch; and the emulator's
// test-control plane (state, reset, clock, faults, events). Output as
// --output says (JSON by default) on stdout; errors on stderr as IoT Hub
// names them. Exit codes: kFooter below.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "apps/lib/command_line.hpp"
#include "apps/lib/hub_switch.hpp"
#include "apps/offhub_cli/commands.hpp"

namespace {

constexpr const char* kFooter = R"(Results on stdout: JSON, or with --output table|tsv columns for lists and key/value
lines for single objects. Errors one line on stderr, "offhub: Name (number): message",
with IoT Hub's error name and number. Flags may come before or after the command.
Without IOTHUB_CONNECTION_STRING or --connection-string, offhub talks to the local emulator
(https://localhost:8443 with its CA, else http://localhost:8080) and says so on stderr.

Exit codes:
  0  success
  1  the hub refused (its error on stderr), or the job that job wait/watch followed failed,
     was cancelled or has failed devices
  2  bad usage: a flag's value, flags that do not go together, bad settings
  3  not found: the hub has no such device, module, job, ... (DeviceNotOnline is 1)
  4  the hub cannot be reached: connection refused, name or TLS failure, no answer in time
  5  job wait/watch: --timeout passed before the job was final
)";

}  // namespace

int main(int argc, char** argv) {
  offhub::apps::ServiceSettings settings;
  CLI::App app{"offhub: devices, modules, twins, queries, direct methods and jobs of an IoT hub; state, reset, "
               "clock, faults and events of offhub-emulator"};
  app.set_version_flag("--version", std::string("offhub ") + OFFHUB_VERSION);
  app.footer(kFooter);
  app.require_subcommand(1);
  offhub::apps::AddServiceOptions(app, settings);
  offhub::cli::Commands commands{settings};
  commands.Register(app);
  if (const auto exit_code = offhub::apps::ParseCommandLine(app, argc, argv)) return *exit_code;

  if (const auto local = offhub::apps::DefaultToLocalEmulator(settings)) {
    std::cerr << "offhub: no IOTHUB_CONNECTION_STRING; using the local emulator at " << *local << "\n";
  }
  boost::asio::io_context io;
  auto hub = offhub::apps::ConnectServiceHub(io, settings);
  if (!hub) {
    offhub::apps::PrintError("offhub", hub.error());
    return offhub::cli::kExitUsage;
  }
  return commands.Run(io, **hub);
}
