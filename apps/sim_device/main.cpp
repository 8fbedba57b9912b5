// sim-device: the door-lock tutorial's device. Answers lockDoor, prints and
// acknowledges desired-property changes, and reconnects by itself until Ctrl-C.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>

#include "apps/lib/door_lock.hpp"
#include "apps/lib/hub_switch.hpp"

int main(int argc, char** argv) {
  offhub::apps::DeviceSettings settings;
  CLI::App app{"sim-device: the door-lock tutorial's device (answers lockDoor, acknowledges desired properties)"};
  offhub::apps::AddDeviceOptions(app, settings);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is fine; bad usage is 2
  }

  boost::asio::io_context io;
  auto device = offhub::apps::ConnectDevice(io, settings);
  if (!device) {
    std::cerr << "sim-device: " << device.error().name() << ": " << device.error().message() << "\n";
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
