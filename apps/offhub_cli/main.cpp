// offhub: a command line for IoT hubs in the spirit of `az iot hub`: devices,
// modules, twins, queries, direct methods and jobs, against a real hub, the
// emulator or the embedded hub through the same switch; and the emulator's
// test-control plane (state, reset, clock). JSON on stdout; errors on stderr
// as IoT Hub names them. Exit codes: kFooter below.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "apps/lib/hub_switch.hpp"
#include "apps/offhub_cli/commands.hpp"
#include "apps/lib/command_line.hpp"

namespace {

constexpr const char* kFooter = R"(Results are JSON on stdout; errors one line on stderr,
"offhub: Name (number): message", with IoT Hub's error name and number.

Exit codes: 0 success; 1 the hub answered with an error, or the job that job wait/watch
followed failed, was cancelled or has failed devices; 2 bad usage or settings (including
state, reset and clock with --hub embedded); 3 job wait/watch --timeout passed first.
)";

}  // namespace

int main(int argc, char** argv) {
  offhub::apps::ServiceSettings settings;
  CLI::App app{"offhub: devices, modules, twins, queries, direct methods and jobs of an IoT hub; state, reset and "
               "clock of offhub-emulator"};
  app.set_version_flag("--version", std::string("offhub ") + OFFHUB_VERSION);
  app.footer(kFooter);
  app.require_subcommand(1);
  offhub::apps::AddServiceOptions(app, settings);
  offhub::cli::Commands commands{settings};
  commands.Register(app);
  if (const auto exit_code = offhub::apps::ParseCommandLine(app, argc, argv)) return *exit_code;

  boost::asio::io_context io;
  auto hub = offhub::apps::ConnectServiceHub(io, settings);
  if (!hub) {
    offhub::apps::PrintError("offhub", hub.error());
    return offhub::cli::kExitUsage;
  }
  return commands.Run(io, **hub);
}
