// offhub-emulator: IoT Hub's REST and MQTT protocols on this machine.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>
#include <filesystem>
#include <iostream>
#include <spdlog/spdlog.h>

#include "adapters/emulator/control/hub_state.hpp"
#include "adapters/emulator/emulator.hpp"
#include "adapters/emulator/tls_material.hpp"
#include "apps/lib/command_line.hpp"

namespace {

// The broker plugin sits in lib/offhub/ beside the bin/ this program runs
// from: in the build tree and installed (cmake/Packaging.cmake) alike.
std::string DefaultPluginPath() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "lib" / "offhub" / "offhub_broker_plugin.so").string();
}

// The broker, started from here, inherits this process's limits and holds one
// descriptor per connected device: let it have as many as the system allows.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("cannot raise the open-file limit to {}", limit.rlim_max);
}

offhub::domain::UtcTime WallNow() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return offhub::domain::UtcTime{std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count() / 100};
}

}  // namespace

int main(int argc, char** argv) {
  RaiseOpenFileLimit();
  offhub::emulator::EmulatorConfig config;
  config.plugin_path = DefaultPluginPath();
  bool in_memory = false;
  std::string log_level = "info";
  std::string seed_file;
  std::string clock = "real";
  std::string tier;
  int units = 1;

  CLI::App app{"offhub-emulator: a local Azure IoT Hub (REST + MQTT) for development and tests"};
  app.set_version_flag("--version", std::string("offhub-emulator ") + OFFHUB_VERSION);
  app.add_flag("--in-memory", in_memory, "Keep the hub's state in memory only (the default without --data-dir)");
  app.add_option("--data-dir", config.data_dir,
                 "Directory for the hub's state (state.db, kept across restarts) and the broker's configuration");
  app.add_option("--hostname", config.host_name, "Host name in connection strings, SAS resources and the certificate")
      ->check(CLI::Validator(
          [](const std::string& name) {
            const bool dns = !name.empty() && name.size() <= 253 && name.front() != '.' && name.front() != '-' &&
                             std::all_of(name.begin(), name.end(), [](unsigned char c) {
                               return std::isalnum(c) || c == '-' || c == '.';
                             });
            return dns ? std::string() : "a DNS name or an IPv4 address (letters, digits, '-', '.')";
          },
          "HOST"))
      ->capture_default_str();
  app.add_option("--bind", config.bind_address, "Address the REST front listens on")->capture_default_str();
  app.add_option("--http-port", config.http_port, "Plain HTTP port (0: off)")->capture_default_str();
  app.add_option("--https-port", config.https_port, "HTTPS port (0: off)")->capture_default_str();
  app.add_option("--mqtt-port", config.mqtt_port, "Plain MQTT port on 127.0.0.1 (0: a free port)")->capture_default_str();
  app.add_option("--mqtts-port", config.mqtts_port, "MQTT over TLS port on 127.0.0.1 (0: off)")->capture_default_str();
  app.add_option("--tls-dir", config.tls_dir,
                 "Directory with ca.pem, server.pem, server.key (server-HOST.* for another --hostname; generated "
                 "when absent)")
      ->default_str(offhub::emulator::DefaultTlsDir().string());
  app.add_option("--mosquitto", config.mosquitto_path, "The mosquitto broker executable")->capture_default_str();
  app.add_option("--broker-plugin", config.plugin_path, "offhub's broker plugin")->capture_default_str();
  app.add_option("--max-in-flight", config.max_in_flight_per_job, "Device operations in flight per job")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "Log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_option("--seed", seed_file,
                 "A JSON document of devices, modules, twins and jobs to start with (replacing what --data-dir held); "
                 "POST /offhub/v1/reset returns to it")
      ->check(CLI::ExistingFile);
  app.add_option("--clock", clock,
                 "The hub's clock: real, or manual[=ISO 8601 UTC] to start frozen (at that instant, else now); "
                 "/offhub/v1/clock steers it")
      ->capture_default_str();
  auto* tier_option =
      app.add_option("--tier", tier,
                     "Apply the IoT Hub tier's quotas and throttles (active jobs, job device operations per second, "
                     "429 ThrottlingException past the twin, method, query, registry and job throttles); default: none")
          ->check(CLI::IsMember({"F1", "S1", "S2", "S3"}));
  app.add_option("--units", units, "The tier's units (F1: 1; S1, S2: 1-200; S3: 1-10)")
      ->check(CLI::Range(1, 200))
      ->needs(tier_option)
      ->capture_default_str();
  app.footer("Exit codes: 0 stopped by SIGINT/SIGTERM; 1 could not start (ports, broker, data directory); "
             "2 bad command line or seed file.");
  if (const auto exit_code = offhub::apps::ParseCommandLine(app, argc, argv)) return *exit_code;
  config.in_memory = in_memory;
  if (clock != "real") {
    const std::string_view text = clock;
    const auto at = text == "manual" ? std::optional(offhub::domain::UtcTime{})
                    : text.starts_with("manual=") ? offhub::domain::ParseUtc(text.substr(7))
                                                  : std::nullopt;
    if (!at) {
      std::cerr << "offhub-emulator: --clock must be real, manual or manual=<ISO 8601 UTC time>, not '" << clock << "'\n";
      return 2;
    }
    config.manual_clock = text == "manual" ? WallNow() : *at;
  }
  if (!tier.empty()) {
    config.tier = offhub::domain::TierLimitsFor(tier, units);
    if (!config.tier) {
      std::cerr << "offhub-emulator: --units " << units << " is not available for tier " << tier
                << " (F1: 1; S1, S2: 1-200; S3: 1-10)\n";
      return 2;
    }
  }
  if (!seed_file.empty()) {
    std::mt19937_64 random(std::random_device{}());
    const auto now = config.manual_clock.value_or(WallNow());
    auto seed = offhub::emulator::ReadStateFile(seed_file, now, random);
    if (!seed) {
      std::cerr << "offhub-emulator: seed " << seed_file << ": " << seed.error().message() << "\n";
      return 2;
    }
    config.seed = std::move(*seed);
  }

  spdlog::set_level(spdlog::level::from_str(log_level));
  boost::asio::io_context io;
  std::unique_ptr<offhub::emulator::Emulator> emulator;
  try {
    emulator = std::make_unique<offhub::emulator::Emulator>(io, config);
  } catch (const std::exception& e) {
    std::cerr << "offhub-emulator: " << e.what() << "\n";
    return 1;
  }

  int exit_code = 0;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    spdlog::info("signal {}: shutting down", signal);
    emulator->Stop();
    io.stop();
  });
  emulator->WhenReady(
      [&] {
        spdlog::info("listening: http {} https {} mqtt {} mqtts {}; CA {}", emulator->http_port(),
                     emulator->https_port(), emulator->mqtt_port(), emulator->mqtts_port(),
                     emulator->tls().ca_certificate.string());
        std::cout << "IOTHUB_CONNECTION_STRING=" << emulator->ServiceConnectionString() << "\n";
        // Ready to paste into a shell (the line above is for programs: a shell splits it at ';').
        const std::string& host = config.host_name;
        std::cout << "export IOTHUB_CONNECTION_STRING='" << emulator->ServiceConnectionString() << "'\n";
        std::cout << "export OFFHUB_ENDPOINT="
                  << (emulator->https_port() != 0 ? "https://" + host + ":" + std::to_string(emulator->https_port())
                                                  : "http://127.0.0.1:" + std::to_string(emulator->http_port()))
                  << "\n";
        std::cout << "export OFFHUB_DEVICE_ENDPOINT="
                  << (emulator->mqtts_port() != 0 ? "mqtts://" + host + ":" + std::to_string(emulator->mqtts_port())
                                                  : "mqtt://127.0.0.1:" + std::to_string(emulator->mqtt_port()))
                  << "\n";
        std::cout << "export OFFHUB_CA_FILE=" << emulator->tls().ca_certificate.string() << std::endl;
      },
      [&](const std::string& why) {
        std::cerr << "offhub-emulator: " << why << "\n";
        exit_code = 1;
        emulator->Stop();
        io.stop();
      });
  io.run();
  emulator.reset();  // stops the broker, removes its secrets and a temporary data directory
  return exit_code;
}
