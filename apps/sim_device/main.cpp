// sim-device: the door-lock tutorial's device. Answers lockDoor, prints and
// acknowledges desired-property changes, and reconnects by itself until Ctrl-C.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>

#include "apps/lib/door_lock.hpp"
#include "apps/lib/hub_switch.hpp"
#include "apps/lib/command_line.hpp"

int main(int argc, char** argv) {
  offhub::apps::DeviceSettings settings;
  CLI::App app{"sim-device: the door-lock tutorial's device (answers lockDoor, acknowledges desired properties)"};
  app.set_version_flag("--version", std::string("sim-device ") + OFFHUB_VERSION);
  offhub::apps::AddDeviceOptions(app, settings);
  if (const auto exit_code = offhub::apps::ParseCommandLine(app, argc, argv)) return *exit_code;

  boost::asio::io_context io;
  auto device = offhub::apps::ConnectDevice(io, settings);
  if (!device) {
    offhub::apps::PrintError("sim-device", device.error());
    return 2;
  }
  offhub::apps::RunDoorLockDevice(**device, [](const std::string& line) { std::cout << line << std::endl; });
  (*device)->Start();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    (*device)->Stop();
    io.stop();
  });
  io.run();
  return 0;
}
