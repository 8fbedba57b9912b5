#pragma once
// BrokerProcess: the managed Mosquitto broker. Writes a mosquitto.conf for
// offhub's plugin design (the broker limits and traps measured for it) and
// runs `mosquitto -c <conf>` as a child process.
//
// Contract
// - Start() returns once every listener accepts TCP connections, or throws
//   std::runtime_error (mosquitto missing, exited, or not ready in time).
//   Port 0 picks a free loopback port once; restarts reuse the same ports.
// - Stop() sends SIGTERM and waits for the child (SIGKILL after the timeout).
//   Start() after Stop() restarts the broker. The destructor stops it.
// - Listeners bind 127.0.0.1 only. Called from one thread; Start() blocks
//   (it polls the port every few milliseconds while the broker comes up).

#include <sys/types.h>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace offhub::emulator {

struct BrokerTlsListener {
  int port = 0;  // 0 = pick a free port
  std::string cert_file;
  std::string key_file;
};

struct BrokerConfig {
  std::filesystem::path directory;  // mosquitto.conf is written here
  std::string mosquitto_path = "/usr/sbin/mosquitto";
  std::string plugin_path;   // offhub_broker_plugin.so
  std::string hub_username;  // the hub core's login, handed to the plugin
  std::string hub_password;  // a per-run secret (MakeRunSecret)
  std::string hostname;      // optional: devices' {host} must equal it
  // mosquitto started as root drops to user "mosquitto", which cannot read
  // files the hub made (TLS key, plugin). Empty = the current user, so the
  // broker keeps the hub's own rights.
  std::string run_as_user;
  int mqtt_port = 0;  // plain MQTT; 0 = pick a free port
  std::optional<BrokerTlsListener> tls;
  std::chrono::milliseconds start_timeout{5000};
  std::chrono::milliseconds stop_timeout{5000};
};

// 32 random hex digits (OpenSSL RAND_bytes).
std::string MakeRunSecret();

// The configuration text for the given, already chosen, ports; `keys_file`
// (optional) is handed to the plugin as its start-up key table.
std::string RenderBrokerConfig(const BrokerConfig& config, int mqtt_port, int tls_port,
                               const std::string& keys_file = "");

// A free TCP port on 127.0.0.1 at the time of the call.
int PickFreeLoopbackPort();

class BrokerProcess {
 public:
  explicit BrokerProcess(BrokerConfig config);
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  void Start();
  void Stop();
  // Called at every Start(): device keys the plugin starts with, as the JSON
  // MqttDeviceChannel::CredentialsSnapshot() returns, so that devices
  // reconnecting after a restart are not refused before the hub is back.
  // Written to <directory>/device-keys.json, readable by the owner only.
  void SetKeysSnapshot(std::function<std::string()> snapshot) { keys_snapshot_ = std::move(snapshot); }
  bool running() const { return pid_ > 0; }
  int mqtt_port() const { return mqtt_port_; }
  int tls_port() const { return tls_port_; }
  std::filesystem::path config_path() const { return config_.directory / "mosquitto.conf"; }

 private:
  void Spawn();
  bool WaitUntilReady();

  BrokerConfig config_;
  int mqtt_port_ = 0;
  int tls_port_ = 0;
  pid_t pid_ = -1;
  std::function<std::string()> keys_snapshot_;
};

}  // namespace offhub::emulator
