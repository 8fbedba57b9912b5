#pragma once
// MqttConnection: one libmosquitto client driven by a Boost.Asio io_context
// through the non-threaded API (mosquitto_socket + a stream_descriptor for
// readiness, mosquitto_loop_read/_write/_misc). No threads, no sleeps.
// TCP_NODELAY is on; MQTT 3.1.1. Optionally TLS (certificate and host-name
// verification against `host`). Shared by the hub core and the Azure device
// transport (adapters/azure/mqtt), built as its own target offhub::mqtt_connection.
//
// Contract
// - Construct, set nothing else, then Start(). Every handler runs on the
//   io_context's thread, never from inside Start/Publish/Subscribe/Stop.
// - on_connect(rc) reports each CONNACK (0 = accepted, 5 = not authorized).
// - on_disconnect(rc) reports the end of every connection attempt that got a
//   socket (rc 0 = we disconnected), also one libmosquitto closed without
//   its callback (a failed TLS handshake: rc is the loop call's error), one
//   whose socket died before the CONNACK (MOSQ_ERR_CONN_LOST: libmosquitto
//   would retry the TLS handshake on it for ever) and one with no CONNACK
//   within 10 s (MOSQ_ERR_TIMEOUT). With `reconnect`, the connection then
//   retries with a backoff from reconnect_delay doubling up to
//   max_reconnect_delay (reset by a CONNACK), also when the broker is not
//   reachable at all: no busy loop while the broker is away. With
//   reconnect_jitter j each wait is drawn uniformly from [delay * (1 - j), delay].
// - password_source, when set, is asked for the password before every
//   connection attempt (so a renewed SAS token is used). It may run inside
//   Start() and Reconnect(); it must not call back into the connection.
// - Reconnect() ends the current connection (if any) with a DISCONNECT and
//   connects again at once; on_disconnect(0) reports the end, later, from the
//   io_context. With clean_session false the broker keeps the subscriptions;
//   session_present() tells, from on_connect on, whether it did.
// - Publish/Subscribe return the message id, or nullopt when not connected
//   or libmosquitto refuses (bad topic, too long, ...). on_publish(mid)
//   follows when the message left (QoS 0) or was acknowledged (QoS 1).
// - Stop() disconnects and ends reconnecting; the destructor stops too.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

struct mosquitto;
struct mosquitto_message;

namespace offhub::iothub {

struct MqttTlsOptions {
  std::string ca_file;  // PEM bundle of CAs to trust; empty: the system's CA store
};

struct MqttConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string client_id;
  std::string username;
  std::string password;
  bool clean_session = true;
  int protocol_version = 4;  // MQTT 3.1.1 (IoT Hub's); 5 for tests of MQTT 5 clients
  int keepalive_seconds = 60;
  bool reconnect = false;
  std::chrono::milliseconds reconnect_delay{50};
  std::chrono::milliseconds max_reconnect_delay{1000};
  double reconnect_jitter = 0.0;  // 0..1
  std::optional<MqttTlsOptions> tls;
  std::function<std::string()> password_source;
};

struct MqttHandlers {
  std::function<void(int rc)> on_connect;
  std::function<void(int rc)> on_disconnect;
  std::function<void(std::string_view topic, std::string_view payload, int qos)> on_message;
  std::function<void(int mid)> on_publish;
  std::function<void(int mid, int granted_qos)> on_subscribe;  // first granted QoS; 128 = refused
};

class MqttConnection {
 public:
  // Throws std::runtime_error when libmosquitto refuses the options (e.g. an
  // unreadable CA file): a start-up failure.
  MqttConnection(boost::asio::io_context& io, MqttConnectionOptions options, MqttHandlers handlers);
  ~MqttConnection();
  MqttConnection(const MqttConnection&) = delete;
  MqttConnection& operator=(const MqttConnection&) = delete;

  void Start();
  void Stop();
  void Reconnect();
  bool connected() const { return connected_; }
  bool session_present() const { return session_present_; }

  std::optional<int> Publish(std::string_view topic, std::string_view payload, int qos);
  std::optional<int> Subscribe(std::string_view filter, int qos);

 private:
  class Socket;
  static void OnConnect(mosquitto*, void* self, int rc, int flags);
  static void OnDisconnect(mosquitto*, void* self, int rc);
  static void OnMessage(mosquitto*, void* self, const mosquitto_message* message);
  static void OnPublish(mosquitto*, void* self, int mid);
  static void OnSubscribe(mosquitto*, void* self, int mid, int count, const int* granted);

  void DoConnect();
  void ConfigureTls();
  void ScheduleReconnect();
  void ScheduleReconnectAfter(std::chrono::milliseconds delay);
  void WatchSocket();
  void WaitRead();
  void WaitWrite();
  void ReadAvailable();
  void AfterLoopCall(int rc);
  void DropSocket();
  void LoseSocket(int rc);
  void ArmMisc();

  boost::asio::io_context& io_;
  MqttConnectionOptions options_;
  MqttHandlers handlers_;
  mosquitto* mosq_ = nullptr;
  std::unique_ptr<Socket> socket_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards posted handlers
  bool started_ = false;
  bool stopped_ = false;
  bool ever_connected_ = false;
  bool connected_ = false;
  bool write_waiting_ = false;
  bool session_present_ = false;
  bool reconnect_now_ = false;
  std::chrono::milliseconds next_delay_;
  std::chrono::steady_clock::time_point attempt_started_;
};

}  // namespace offhub::iothub
