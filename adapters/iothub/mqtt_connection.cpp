#include "mqtt_connection.hpp"

#include <algorithm>
#include <mutex>
#include <openssl/ssl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>

#include <random>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mosquitto.h>

namespace offhub::iothub {
namespace {

constexpr int kMaxPacketsPerRead = 1000;
// libmosquitto 2.0's documented value ("currently unused, set to 1"). It is
// not unused: mosquitto_loop_write calls its drain-the-queue write that many
// times and stops early only on an error or EAGAIN, so a larger number costs
// that many no-op passes (three mutex round trips each) whenever the queue
// empties without the socket filling up.
constexpr int kLoopWriteMaxPackets = 1;
constexpr auto kMiscInterval = std::chrono::seconds(1);
// A connection attempt (TCP, TLS, CONNECT) with no CONNACK by then is given up.
constexpr auto kConnectTimeout = std::chrono::seconds(10);
// Outstanding QoS 1 publishes per connection (mosquitto-notes: keep <= ~1000).
constexpr unsigned kMaxInflight = 1000;

constexpr int kSslVerifyPeer = 1;  // OpenSSL's SSL_VERIFY_PEER
constexpr const char* kSystemCaPath = "/etc/ssl/certs";

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

void Check(int rc, const char* what) {
  if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error(std::string(what) + ": " + mosquitto_strerror(rc));
}

// libmosquitto 2.0's TLS handshake takes a dead socket (the connect refused
// or reset: the broker gone) for "try again later" (SSL_ERROR_SYSCALL sets
// want_connect and reports success), and such a socket stays readable and
// writable for ever: waiting on it again would spin, resending the
// ClientHello, until the keepalive ran out. So while no CONNACK has come, a
// socket at end of file or in error (and nothing left in OpenSSL's buffer)
// is a lost connection. A live handshake in progress peeks EAGAIN or data.
bool PeerGone(int fd, mosquitto* mosq) {
  auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(mosq));
  if (ssl && SSL_pending(ssl) > 0) return false;
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

// A uniform draw from [delay * (1 - jitter), delay].
std::chrono::milliseconds Jittered(std::chrono::milliseconds delay, double jitter) {
  if (jitter <= 0.0 || delay.count() <= 0) return delay;
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_real_distribution<double> factor(1.0 - std::min(jitter, 1.0), 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * factor(random)));
}

}  // namespace

// The Asio side of the connection: the socket's descriptor (which never owns
// the fd: libmosquitto opens and closes it) and the two timers.
class MqttConnection::Socket {
 public:
  explicit Socket(boost::asio::io_context& io) : io_(io), reconnect_timer(io), misc_timer(io) {}
  ~Socket() { Release(); }

  void Attach(int fd) {
    Release();
    descriptor.emplace(io_, fd);
    ++generation;
  }
  void Release() {
    if (!descriptor) return;
    boost::system::error_code ignored;
    descriptor->cancel(ignored);
    descriptor->release();
    descriptor.reset();
    ++generation;
  }

  boost::asio::io_context& io_;
  std::optional<boost::asio::posix::stream_descriptor> descriptor;
  std::uint64_t generation = 0;
  boost::asio::steady_timer reconnect_timer;
  boost::asio::steady_timer misc_timer;
};

MqttConnection::MqttConnection(boost::asio::io_context& io, MqttConnectionOptions options, MqttHandlers handlers)
    : io_(io),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      socket_(std::make_unique<Socket>(io)),
      next_delay_(options_.reconnect_delay) {
  InitLibraryOnce();
  mosq_ = mosquitto_new(options_.client_id.c_str(), options_.clean_session, this);
  if (!mosq_) throw std::runtime_error("mosquitto_new failed for client " + options_.client_id);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, options_.protocol_version);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_max_inflight_messages_set(mosq_, kMaxInflight);
  if (!options_.username.empty()) {
    mosquitto_username_pw_set(mosq_, options_.username.c_str(), options_.password.c_str());
  }
  mosquitto_connect_with_flags_callback_set(mosq_, &MqttConnection::OnConnect);
  mosquitto_disconnect_callback_set(mosq_, &MqttConnection::OnDisconnect);
  mosquitto_message_callback_set(mosq_, &MqttConnection::OnMessage);
  mosquitto_publish_callback_set(mosq_, &MqttConnection::OnPublish);
  mosquitto_subscribe_callback_set(mosq_, &MqttConnection::OnSubscribe);
  try {
    ConfigureTls();
  } catch (...) {
    mosquitto_destroy(mosq_);
    throw;
  }
}

// Certificate and host-name verification are both on; TLS 1.2 or later.
void MqttConnection::ConfigureTls() {
  if (!options_.tls) return;
  const std::string& ca_file = options_.tls->ca_file;
  if (ca_file.empty()) {
    Check(mosquitto_int_option(mosq_, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "cannot use the system's CA store");
    Check(mosquitto_tls_set(mosq_, nullptr, kSystemCaPath, nullptr, nullptr, nullptr), "cannot set up TLS");
  } else {
    Check(mosquitto_tls_set(mosq_, ca_file.c_str(), nullptr, nullptr, nullptr, nullptr),
          ("cannot use the CA file " + ca_file).c_str());
  }
  Check(mosquitto_tls_opts_set(mosq_, kSslVerifyPeer, "tlsv1.2", nullptr), "cannot set TLS options");
  Check(mosquitto_tls_insecure_set(mosq_, false), "cannot turn host-name verification on");
}

MqttConnection::~MqttConnection() {
  Stop();
  socket_.reset();
  mosquitto_destroy(mosq_);
}

void MqttConnection::Start() {
  if (started_) return;
  started_ = true;
  DoConnect();
  ArmMisc();
}

void MqttConnection::Stop() {
  if (stopped_) return;
  stopped_ = true;
  socket_->reconnect_timer.cancel();
  socket_->misc_timer.cancel();
  if (socket_->descriptor) mosquitto_disconnect(mosq_);  // writes DISCONNECT now: not in a callback
  socket_->Release();
  connected_ = false;
}

std::optional<int> MqttConnection::Publish(std::string_view topic, std::string_view payload, int qos) {
  if (!connected_) return std::nullopt;
  int mid = 0;
  const std::string topic_text(topic);
  const int rc = mosquitto_publish(mosq_, &mid, topic_text.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, false);
  AfterLoopCall(rc);
  if (rc != MOSQ_ERR_SUCCESS) return std::nullopt;
  return mid;
}

std::optional<int> MqttConnection::Subscribe(std::string_view filter, int qos) {
  if (!connected_) return std::nullopt;
  int mid = 0;
  const std::string filter_text(filter);
  const int rc = mosquitto_subscribe(mosq_, &mid, filter_text.c_str(), qos);
  AfterLoopCall(rc);
  if (rc != MOSQ_ERR_SUCCESS) return std::nullopt;
  return mid;
}

// Ends the connection from a posted handler, so on_disconnect never runs
// inside this call; OnDisconnect then connects again at once.
void MqttConnection::Reconnect() {
  if (!started_ || stopped_) return;
  if (!socket_->descriptor) {  // between attempts: try now
    socket_->reconnect_timer.cancel();
    return DoConnect();
  }
  reconnect_now_ = true;
  boost::asio::post(io_, [alive = std::weak_ptr<bool>(alive_), this] {
    if (alive.expired() || stopped_ || !reconnect_now_) return;
    if (!socket_->descriptor) return;
    mosquitto_disconnect(mosq_);
    AfterLoopCall(MOSQ_ERR_SUCCESS);
  });
}

void MqttConnection::DoConnect() {
  if (stopped_) return;
  if (options_.password_source) {
    options_.password = options_.password_source();
    mosquitto_username_pw_set(mosq_, options_.username.c_str(), options_.password.c_str());
  }
  const int rc = ever_connected_ ? mosquitto_reconnect_async(mosq_)
                                 : mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port,
                                                           options_.keepalive_seconds);
  ever_connected_ = true;  // host and port are stored even when the first attempt fails
  if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(mosq_) >= 0) {
    WatchSocket();
    return;
  }
  if (options_.reconnect) return ScheduleReconnect();
  boost::asio::post(io_, [alive = std::weak_ptr<bool>(alive_), this, rc] {
    if (!alive.expired() && handlers_.on_disconnect) handlers_.on_disconnect(rc);
  });
}

void MqttConnection::ScheduleReconnect() {
  const auto delay = Jittered(next_delay_, options_.reconnect_jitter);
  next_delay_ = std::min(next_delay_ * 2, options_.max_reconnect_delay);
  ScheduleReconnectAfter(delay);
}

void MqttConnection::ScheduleReconnectAfter(std::chrono::milliseconds delay) {
  if (stopped_) return;
  socket_->reconnect_timer.expires_after(delay);
  socket_->reconnect_timer.async_wait([alive = std::weak_ptr<bool>(alive_), this](boost::system::error_code ec) {
    if (alive.expired() || ec) return;
    DoConnect();
  });
}

void MqttConnection::WatchSocket() {
  socket_->Attach(mosquitto_socket(mosq_));
  attempt_started_ = std::chrono::steady_clock::now();
  write_waiting_ = false;
  WaitRead();
  AfterLoopCall(MOSQ_ERR_SUCCESS);
}

void MqttConnection::WaitRead() {
  const auto generation = socket_->generation;
  socket_->descriptor->async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [alive = std::weak_ptr<bool>(alive_), this, generation](boost::system::error_code ec) {
        if (alive.expired() || ec || socket_->generation != generation) return;
        ReadAvailable();
        if (socket_->generation == generation) WaitRead();
      });
}

// mosquitto_loop_read handles about one packet per call (its budget is the
// QoS>0 queue length), so keep reading while the socket, or OpenSSL's buffer
// over it, holds more bytes instead of paying an epoll round trip per packet.
void MqttConnection::ReadAvailable() {
  const auto generation = socket_->generation;
  const int fd = socket_->descriptor->native_handle();
  for (int i = 0; i < kMaxPacketsPerRead; ++i) {
    const int rc = mosquitto_loop_read(mosq_, 1);
    if (rc != MOSQ_ERR_SUCCESS || socket_->generation != generation) return AfterLoopCall(rc);
    int pending = 0;
    auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(mosq_));
    if (ssl && SSL_pending(ssl) > 0) continue;
    if (::ioctl(fd, FIONREAD, &pending) != 0 || pending <= 0) break;
  }
  AfterLoopCall(MOSQ_ERR_SUCCESS);
}

void MqttConnection::WaitWrite() {
  write_waiting_ = true;
  const auto generation = socket_->generation;
  socket_->descriptor->async_wait(
      boost::asio::posix::stream_descriptor::wait_write,
      [alive = std::weak_ptr<bool>(alive_), this, generation](boost::system::error_code ec) {
        if (alive.expired() || ec || socket_->generation != generation) return;
        write_waiting_ = false;
        // During the TLS handshake libmosquitto's write path only waits; its
        // read path drives the handshake (as mosquitto_loop does on writability).
        if (!connected_ && mosquitto_ssl_get(mosq_)) {
          AfterLoopCall(mosquitto_loop_read(mosq_, 1));
          if (socket_->generation != generation) return;
        }
        AfterLoopCall(mosquitto_loop_write(mosq_, kLoopWriteMaxPackets));
      });
}

// After any libmosquitto call: notice a socket libmosquitto closed without
// telling us, or one that died before the CONNACK (PeerGone), and wait for
// writability while packets are queued.
void MqttConnection::AfterLoopCall(int rc) {
  if (!socket_->descriptor) return;
  const int fd = socket_->descriptor->native_handle();
  // E.g. a failed TLS handshake: libmosquitto closes the socket silently.
  if (mosquitto_socket(mosq_) != fd) return LoseSocket(rc != MOSQ_ERR_SUCCESS ? rc : MOSQ_ERR_CONN_LOST);
  if (!connected_ && rc == MOSQ_ERR_SUCCESS && PeerGone(fd, mosq_)) return LoseSocket(MOSQ_ERR_CONN_LOST);
  if (!write_waiting_ && mosquitto_want_write(mosq_)) WaitWrite();
}

// Ends an attempt libmosquitto did not end itself. Its fd, if still open,
// is closed by the next attempt (mosquitto_reconnect_async) or the destructor.
void MqttConnection::LoseSocket(int rc) {
  DropSocket();
  if (handlers_.on_disconnect) handlers_.on_disconnect(rc);
  if (options_.reconnect && !stopped_) ScheduleReconnect();
}

void MqttConnection::DropSocket() {
  socket_->Release();
  write_waiting_ = false;
  connected_ = false;
}

void MqttConnection::ArmMisc() {
  socket_->misc_timer.expires_after(kMiscInterval);
  socket_->misc_timer.async_wait([alive = std::weak_ptr<bool>(alive_), this](boost::system::error_code ec) {
    if (alive.expired() || ec || stopped_) return;
    if (socket_->descriptor && !connected_ && std::chrono::steady_clock::now() - attempt_started_ > kConnectTimeout) {
      LoseSocket(MOSQ_ERR_TIMEOUT);  // no CONNACK in time: the broker is not answering
    } else if (socket_->descriptor) {
      AfterLoopCall(mosquitto_loop_misc(mosq_));
    }
    ArmMisc();
  });
}

void MqttConnection::OnConnect(mosquitto*, void* self_ptr, int rc, int flags) {
  auto& self = *static_cast<MqttConnection*>(self_ptr);
  self.connected_ = rc == 0;
  self.session_present_ = rc == 0 && (flags & 1) != 0;
  if (rc == 0) self.next_delay_ = self.options_.reconnect_delay;
  if (self.handlers_.on_connect) self.handlers_.on_connect(rc);
}

// libmosquitto has closed the fd already; let go of it before anything else
// can open a socket that reuses the number.
void MqttConnection::OnDisconnect(mosquitto*, void* self_ptr, int rc) {
  auto& self = *static_cast<MqttConnection*>(self_ptr);
  self.DropSocket();
  if (self.handlers_.on_disconnect) self.handlers_.on_disconnect(rc);
  if (self.stopped_) return;
  if (self.reconnect_now_) {
    self.reconnect_now_ = false;
    return self.ScheduleReconnectAfter(std::chrono::milliseconds(0));
  }
  if (self.options_.reconnect) self.ScheduleReconnect();
}

void MqttConnection::OnMessage(mosquitto*, void* self_ptr, const mosquitto_message* message) {
  auto& self = *static_cast<MqttConnection*>(self_ptr);
  if (!self.handlers_.on_message) return;
  const std::string_view payload(static_cast<const char*>(message->payload),
                                 message->payload ? static_cast<std::size_t>(message->payloadlen) : 0);
  self.handlers_.on_message(message->topic, payload, message->qos);
}

// QoS 0 publishes report from inside mosquitto_publish: defer to keep the
// "never from inside Publish" promise.
void MqttConnection::OnPublish(mosquitto*, void* self_ptr, int mid) {
  auto& self = *static_cast<MqttConnection*>(self_ptr);
  if (!self.handlers_.on_publish) return;
  boost::asio::post(self.io_, [alive = std::weak_ptr<bool>(self.alive_), &self, mid] {
    if (!alive.expired()) self.handlers_.on_publish(mid);
  });
}

void MqttConnection::OnSubscribe(mosquitto*, void* self_ptr, int mid, int count, const int* granted) {
  auto& self = *static_cast<MqttConnection*>(self_ptr);
  if (self.handlers_.on_subscribe) self.handlers_.on_subscribe(mid, count > 0 ? granted[0] : 128);
}

}  // namespace offhub::iothub
