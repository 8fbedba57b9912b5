#pragma once
// BrokerProcess: the managed Mosquitto broker. Writes a mosquitto.conf for
// offhub's plugin design (the broker limits and traps measured for it) and
// runs `mosquitto -c <conf>` as a child process.
//
// Contract
// - Start() returns once the child itself listens on every port, or throws
//   std::runtime_error: a fixed port already taken ("cannot listen for MQTT
//   on 127.0.0.1:<port>: ..." — by anyone, a broker left from an earlier run
//   included: a listener that is not our child's never counts as ready),
//   mosquitto missing, exited, or not ready in time. Port 0 picks a free
//   loopback port once; restarts reuse the same ports.
// - The child dies with this process however it ends (PR_SET_PDEATHSIG
//   SIGKILL), and runs in its own process group (a terminal's Ctrl-C reaches
//   only the emulator, which stops the broker itself). PR_SET_PDEATHSIG
//   follows the *thread* that spawned it: call Start()/Launch() from a thread
//   that lives as long as the broker should (offhub-emulator: its main thread).
// - Stop() sends SIGTERM and waits for the child (SIGKILL after the timeout),
//   then removes the files holding secrets (mosquitto.conf with the hub's
//   password, device-keys.json); both are written 0600. Start() after Stop()
//   restarts the broker. The destructor stops it.
// - device-keys.json lives only while the broker starts: it is removed once
//   the broker listens (the plugin has read it by then). Every launch first
//   removes both secret files, so those a killed run left go at the next start.
// - Launch()/Poll()/Reap() are Start()'s steps, for a supervisor on an event
//   loop (broker_supervisor.hpp): none of them blocks.
// - Listeners bind 127.0.0.1 only. Called from one thread; Start() blocks
//   (it checks the child's listeners every few milliseconds while it comes up).
// - With a persistence_directory, mosquitto keeps persistent (clean session
//   = false) sessions there across restarts (mosquitto.db), and the plugin
//   keeps which of them hold IoT Hub's method and desired-property
//   subscriptions (offhub-sessions.json). Both are saved on SIGTERM and,
//   after a persistent session is made, ended, subscribes or unsubscribes,
//   once such changes have paused for 0.2 s, or 1 s after the first unsaved
//   one while they go on (BrokerCore::SaveDue; the plugin has the broker
//   save with SIGUSR1). So a kill -9 loses at most about the last second of
//   session changes; a device's CONNECT and the SUBSCRIBEs right after it
//   are saved together. Anything else the broker keeps is also saved every
//   kAutosaveSeconds.

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
  std::filesystem::path persistence_directory;  // empty: sessions live as long as the broker process
  std::chrono::milliseconds start_timeout{5000};
  std::chrono::milliseconds stop_timeout{5000};
};

inline constexpr int kAutosaveSeconds = 60;  // a backstop: session changes are saved as they happen

// 32 random hex digits (OpenSSL RAND_bytes).
std::string MakeRunSecret();

// The configuration text for the given, already chosen, ports; `keys_file`
// (optional) is handed to the plugin as its start-up key table.
std::string RenderBrokerConfig(const BrokerConfig& config, int mqtt_port, int tls_port,
                               const std::string& keys_file = "");

// A free TCP port on 127.0.0.1 at the time of the call.
int PickFreeLoopbackPort();

// Throws std::runtime_error "cannot listen for <what> on 127.0.0.1:<port>: ..."
// when something listens on (or has bound) that port, as mosquitto's own
// bind (SO_REUSEADDR) would find it, and still does after `patience` (the
// broker of an emulator killed a moment ago holds its ports for tens of ms:
// a restart at once must not fail on them). Blocks the caller meanwhile.
void EnsureLoopbackPortFree(int port, const std::string& what,
                            std::chrono::milliseconds patience = std::chrono::milliseconds(2000));

class BrokerProcess {
 public:
  enum class Progress { kStarting, kReady, kExited };

  explicit BrokerProcess(BrokerConfig config);
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  void Start();
  void Stop();

  // Chooses the ports (first time), checks they are free, writes the files
  // and spawns the child; throws as Start() does.
  void Launch();
  // Whether the launched child listens on every port yet; kExited when it
  // is gone (reaped: see exit_reason()).
  Progress Poll();
  // Reaps the child if it has exited; true when it is gone (or none runs).
  bool Reap();
  // SIGKILLs the child (a hung one); Reap() collects it.
  void Kill();
  // How the last child ended: "exited with status 1", "killed by signal 9".
  const std::string& exit_reason() const { return exit_reason_; }

  // Called at every Launch(): device keys the plugin starts with, as the JSON
  // MqttDeviceChannel::CredentialsSnapshot() returns, so that devices
  // reconnecting after a restart are not refused before the hub is back.
  // Written to <directory>/device-keys.json, readable by the owner only.
  void SetKeysSnapshot(std::function<std::string()> snapshot) { keys_snapshot_ = std::move(snapshot); }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int mqtt_port() const { return mqtt_port_; }
  int tls_port() const { return tls_port_; }
  std::filesystem::path config_path() const { return config_.directory / "mosquitto.conf"; }
  std::filesystem::path keys_path() const { return config_.directory / "device-keys.json"; }

 private:
  void ChoosePorts(bool again);
  void Spawn();
  bool WaitUntilReady();
  void RemoveSecrets();

  BrokerConfig config_;
  int mqtt_port_ = 0;
  int tls_port_ = 0;
  pid_t pid_ = -1;
  std::string exit_reason_;
  std::function<std::string()> keys_snapshot_;
};

}  // namespace offhub::emulator
