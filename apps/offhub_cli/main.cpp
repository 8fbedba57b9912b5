// offhub: a command line for IoT hubs in the spirit of `az iot hub`: devices,
// modules, twins, queries, direct methods and jobs, against a real hub, the
// emulator or the embedded hub through the same switch. JSON on stdout; errors on stderr
// as IoT Hub names them, with exit code 1 (2 for bad usage).
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "apps/lib/hub_switch.hpp"
#include "apps/offhub_cli/commands.hpp"
#include "apps/lib/command_line.hpp"

int main(int argc, char** argv) {
  offhub::apps::ServiceSettings settings;
  CLI::App app{"offhub: devices, modules, twins, queries, direct methods and jobs of an IoT hub"};
  app.require_subcommand(1);
  offhub::apps::AddServiceOptions(app, settings);
  offhub::cli::Commands commands;
  commands.Register(app);
  if (const auto exit_code = offhub::apps::ParseCommandLine(app, argc, argv)) return *exit_code;

  boost::asio::io_context io;
  auto hub = offhub::apps::ConnectServiceHub(io, settings);
  if (!hub) {
    offhub::apps::PrintError("offhub", hub.error());
    return 2;
  }
  return commands.Run(io, **hub);
}
