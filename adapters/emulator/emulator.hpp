#pragma once
// The whole emulator, wired: LocalHub on an Asio clock, the managed Mosquitto
// broker with offhub's plugin and the MQTT device channel, and the REST front
// on HTTP and HTTPS. `offhub-emulator` is a thin main around this; tests start
// it in process too.
//
// - Start-up failures (a port taken, mosquitto missing, an unwritable data
//   directory, a data directory another emulator holds) throw
//   std::runtime_error with one clear message.
// - Runs on the given io_context; the caller runs it (one thread), and
//   constructs the Emulator on that same thread: the broker is its child and
//   dies with that thread (broker_process.hpp).
// - The broker is supervised (broker_supervisor.hpp): restarted on the same
//   ports when it exits; meanwhile GET /health answers 503 with the reason.
// - With a data_dir and not in_memory the broker keeps persistent sessions
//   in <data_dir>/broker/ across restarts; otherwise only in memory.
// - The well-known shared access policies of rest/sas_auth.hpp apply.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "adapters/emulator/control/hub_state.hpp"
#include "adapters/emulator/hub/local_hub.hpp"
#include "domain/time.hpp"
#include "ports/state_store.hpp"
#include "adapters/emulator/tls_material.hpp"

namespace offhub::emulator {

struct EmulatorConfig {
  std::string host_name = "localhost";   // in connection strings, SAS resources and the certificate
  std::string bind_address = "127.0.0.1";  // where the REST front listens (the broker: loopback only)
  int http_port = 8080;     // 0: off
  int https_port = 8443;    // 0: off
  int mqtt_port = 1883;     // 0: a free port (the hub core itself needs this listener)
  int mqtts_port = 8883;    // 0: off
  std::filesystem::path data_dir;  // state.db, broker config; empty: a temporary directory removed at exit
  bool in_memory = false;          // keep the hub's state in memory even with a data_dir
  std::filesystem::path tls_dir;   // ca.pem, server.pem, server.key; empty: DefaultTlsDir()
  std::string mosquitto_path = "/usr/sbin/mosquitto";
  std::string plugin_path;         // offhub_broker_plugin.so
  std::size_t max_in_flight_per_job = 256;
  // --seed: the state the hub starts with (replacing what a data dir held)
  // and returns to on POST /offhub/v1/reset; nullopt: as stored, reset empties.
  std::optional<HubDocument> seed;
  // --tier/--units: IoT Hub's quotas and throttles for that tier; nullopt: none.
  std::optional<domain::TierLimits> tier = std::nullopt;
  // --clock manual[=ISO]: the hub's clock starts frozen at this instant.
  std::optional<domain::UtcTime> manual_clock;
};

class Emulator {
 public:
  Emulator(boost::asio::io_context& io, EmulatorConfig config);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Runs `ready` once the hub core is connected to its broker (at once if it
  // is); `failed` (if given) with the reason if that takes more than
  // kReadyTimeout, e.g. when the hub core cannot log in to the broker.
  void WhenReady(std::function<void()> ready, std::function<void(const std::string&)> failed = {});
  static constexpr auto kReadyTimeout = std::chrono::seconds(10);
  // Stops listening and stops the broker; the io_context then runs dry.
  void Stop();

  // HostName=<host>;SharedAccessKeyName=iothubowner;SharedAccessKey=<well-known key>
  std::string ServiceConnectionString() const;
  int http_port() const;
  int https_port() const;
  int mqtt_port() const;
  int mqtts_port() const;
  const TlsMaterial& tls() const;
  LocalHub& hub();

  // The broker, for tests that restart it mid-run.
  void RestartBroker();

 private:
  void Start();
  void StartBroker(std::string initial_keys);  // initial_keys: the broker's first keys snapshot
  void StartRest();
  void PollReady(std::chrono::steady_clock::time_point deadline, std::function<void()> ready,
                 std::function<void(const std::string&)> failed);

  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace offhub::emulator
