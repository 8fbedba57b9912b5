#include "adapters/azure/mqtt/mqtt_device_transport.hpp"

#include <map>
#include <set>
#include <stdexcept>

#include <mosquitto.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "adapters/azure/mqtt/device_credentials.hpp"
#include "adapters/iothub/connection_string.hpp"
#include "adapters/iothub/device_topics.hpp"
#include "adapters/azure/mqtt/twin_requests.hpp"
#include "adapters/iothub/mqtt_connection.hpp"
#include "domain/device.hpp"

namespace offhub::azure {
namespace {

namespace asio = boost::asio;
using mqtt::TwinAnswer;
using mqtt::TwinRequests;
using ports::DeviceConnection;
using ports::DeviceTransport;

constexpr int kQos = 0;  // IoT Hub's QoS for methods and twins
constexpr int kMethodNotFound = 501;
constexpr int kBadRequest = 400;
constexpr int kSubscriptionRefused = 128;
constexpr auto kRenewalGrace = std::chrono::seconds(5);

domain::Error Unavailable(std::string what) {
  return {domain::ErrorCode::ServiceUnavailable, "not connected to the hub: " + std::move(what)};
}

std::string ConnackReason(int rc) {
  return "the hub refused the connection: " + std::string(mosquitto_connack_string(rc)) + " (CONNACK " +
         std::to_string(rc) + ")";
}

mqtt::DeviceCredentials MakeCredentials(const MqttDeviceOptions& o) {
  if (o.host_name.empty() || o.device_id.empty()) throw std::invalid_argument("host_name and device_id are required");
  // '/' separates device and module in the client id and the username.
  if (o.module_id.find('/') != std::string::npos) throw std::invalid_argument("module_id must not contain '/'");
  if (o.device_key.empty() == o.sas_token.empty()) {
    throw std::invalid_argument("give exactly one of device_key and sas_token");
  }
  if (!o.sas_token.empty()) return mqtt::DeviceCredentials::FromToken(o.sas_token);
  return mqtt::DeviceCredentials::FromKey(iothub::DeviceResource(o.host_name, o.device_id, o.module_id), o.device_key,
                                          o.sas_ttl);
}

iothub::MqttConnectionOptions ConnectionOptions(const MqttDeviceOptions& o) {
  const int default_port = o.tls ? 8883 : 1883;
  const auto target = iothub::ParseHostPort(o.gateway.empty() ? o.host_name : o.gateway, "the MQTT endpoint");
  if (!target) throw std::invalid_argument(target.error().message());
  iothub::MqttConnectionOptions c;
  c.host = target->host;
  c.port = target->port.value_or(default_port);
  c.client_id = domain::IdentityKey(o.device_id, o.module_id);
  c.username = iothub::DeviceUsername(o.host_name, o.device_id, o.module_id);
  c.clean_session = false;
  c.keepalive_seconds = static_cast<int>(o.keepalive.count());
  c.reconnect = true;
  c.reconnect_delay = o.min_backoff;
  c.max_reconnect_delay = o.max_backoff;
  c.reconnect_jitter = 0.5;
  if (o.tls) c.tls = iothub::MqttTlsOptions{o.ca_file};
  return c;
}

class MqttDeviceTransport final : public DeviceTransport {
 public:
  MqttDeviceTransport(asio::io_context& io, MqttDeviceOptions options)
      : io_(io), credentials_(MakeCredentials(options)), twin_(io, options.operation_timeout), renew_timer_(io) {
    auto connection_options = ConnectionOptions(options);
    connection_options.password_source = [this] { return credentials_.Password(); };
    connection_ = std::make_unique<iothub::MqttConnection>(io, std::move(connection_options), Handlers());
  }

  // The connection goes first: its last callbacks must find us whole.
  ~MqttDeviceTransport() override {
    stopped_ = true;
    renew_timer_.cancel();
    connection_.reset();
  }

  void Start() override { connection_->Start(); }

  void Stop() override {
    stopped_ = true;
    renew_timer_.cancel();
    connection_->Stop();
    twin_.FailAll(Unavailable("the transport was stopped"));
  }

  void OnMethod(const std::string& method_name, MethodHandler handler) override {
    methods_[method_name] = std::move(handler);
    EnsureSubscriptions();
  }

  void OnDesiredChange(DesiredHandler handler) override {
    desired_ = std::move(handler);
    EnsureSubscriptions();
  }

  void OnConnectionChange(ConnectionHandler handler) override { connection_handler_ = std::move(handler); }

  void GetTwin(std::function<void(domain::Result<nlohmann::json>)> done) override {
    SendTwinRequest(iothub::TwinGetTopic, std::string(iothub::kTwinGetBody),
                    [done = std::move(done)](domain::Result<TwinAnswer> answer) {
                      if (!answer) return done(answer.error());
                      done(iothub::TwinAnswerBody(answer->status, answer->body));
                    });
  }

  void PatchReported(const nlohmann::json& patch, std::function<void(domain::Result<std::int64_t>)> done) override {
    SendTwinRequest(iothub::ReportedPatchTopic, patch.dump(),
                    [done = std::move(done)](domain::Result<TwinAnswer> answer) {
                      if (!answer) return done(answer.error());
                      auto body = iothub::TwinAnswerBody(answer->status, answer->body);
                      if (!body) return done(body.error());
                      if (!answer->version) return done(domain::Error::FormatError("the hub's answer has no $version"));
                      done(*answer->version);
                    });
  }

 private:
  iothub::MqttHandlers Handlers() {
    iothub::MqttHandlers h;
    h.on_connect = [this](int rc) { OnConnack(rc); };
    h.on_disconnect = [this](int rc) { OnDisconnect(rc); };
    h.on_message = [this](std::string_view topic, std::string_view payload, int) { OnMessage(topic, payload); };
    h.on_subscribe = [this](int mid, int granted) { OnSuback(mid, granted); };
    return h;
  }

  // --- connection ----------------------------------------------------------

  void OnConnack(int rc) {
    if (rc != 0) {
      refusal_ = ConnackReason(rc);
      return;
    }
    refusal_.reset();
    if (!connection_->session_present()) subscribed_.clear();
    renewing_ = false;
    EnsureSubscriptions();
    ArmRenewal();
    Report(DeviceConnection::kConnected, "connected");
  }

  void OnDisconnect(int rc) {
    pending_subscriptions_.clear();
    if (stopped_) return;  // Stop() has failed what was pending
    renew_timer_.cancel();
    const std::string reason =
        refusal_ ? *refusal_ : (rc == 0 ? std::string("disconnected") : std::string(mosquitto_strerror(rc)));
    refusal_.reset();
    twin_.FailAll(Unavailable(renewing_ ? "reconnecting to renew the SAS token" : reason));
    if (renewing_ && rc == 0) return ArmRenewalGrace();  // planned: not a disconnection for the app
    renewing_ = false;
    Report(DeviceConnection::kDisconnected, reason);
  }

  // Reports every disconnection (each with its reason) but a connection only
  // when the app last heard otherwise.
  void Report(DeviceConnection state, const std::string& reason) {
    if (state == DeviceConnection::kConnected && reported_ == DeviceConnection::kConnected) return;
    if (stopped_ && state == DeviceConnection::kConnected) return;
    reported_ = state;
    Defer([this, state, reason] {
      if (connection_handler_) connection_handler_(state, reason);
    });
  }

  // App callbacks never run inside libmosquitto's: the app may Stop() or
  // destroy the transport from them.
  template <class Fn>
  void Defer(Fn fn) {
    asio::post(io_, [alive = std::weak_ptr<bool>(alive_), fn = std::move(fn)]() mutable {
      if (!alive.expired()) fn();
    });
  }

  void ArmRenewal() {
    const auto after = credentials_.RenewAfter();
    if (!after) return;
    renew_timer_.expires_after(*after);
    renew_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      renewing_ = true;
      connection_->Reconnect();
    });
  }

  // A planned reconnect that does not get through in time (say the hub went
  // away meanwhile) is reported after all.
  void ArmRenewalGrace() {
    renew_timer_.expires_after(kRenewalGrace);
    renew_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_ || connection_->connected() || !renewing_) return;
      renewing_ = false;
      Report(DeviceConnection::kDisconnected, "the reconnect to renew the SAS token did not get through");
    });
  }

  // --- subscriptions -------------------------------------------------------

  void EnsureSubscriptions() {
    if (!connection_->connected()) return;
    Subscribe(iothub::kTwinResponseFilter);
    if (!methods_.empty()) Subscribe(iothub::kMethodsFilter);
    if (desired_) Subscribe(iothub::kDesiredFilter);
  }

  void Subscribe(std::string_view filter) {
    const std::string key(filter);
    if (subscribed_.contains(key)) return;
    for (const auto& [mid, pending] : pending_subscriptions_) {
      if (pending == key) return;
    }
    if (const auto mid = connection_->Subscribe(filter, kQos)) pending_subscriptions_[*mid] = key;
  }

  void OnSuback(int mid, int granted) {
    const auto it = pending_subscriptions_.find(mid);
    if (it == pending_subscriptions_.end()) return;
    if (granted != kSubscriptionRefused) subscribed_.insert(it->second);
    pending_subscriptions_.erase(it);
  }

  // --- incoming ------------------------------------------------------------

  void OnMessage(std::string_view topic, std::string_view payload) {
    if (auto method = iothub::ParseMethodRequestTopic(topic)) return OnMethodRequest(*method, payload);
    if (auto answer = iothub::ParseTwinResponseTopic(topic)) {
      twin_.Complete(answer->rid, TwinAnswer{answer->status, answer->version, std::string(payload)});
      return;
    }
    if (auto desired = iothub::ParseDesiredPatch(topic, payload)) {
      Defer([this, desired = std::move(*desired)] {
        if (desired_ && !stopped_) desired_(desired.patch, desired.version);
      });
    }
    // Anything else (malformed or unexpected) is dropped, as the SDK does.
  }

  void OnMethodRequest(const iothub::MethodRequestTopic& request, std::string_view body) {
    const auto handler = methods_.find(request.name);
    if (handler == methods_.end()) {
      return Answer(request.rid, kMethodNotFound, {{"message", "method '" + request.name + "' is not implemented"}});
    }
    auto payload = iothub::ParseMethodPayload(body);
    if (!payload) return Answer(request.rid, kBadRequest, payload.error().message());
    Defer([handler = handler->second, payload = std::move(*payload), respond = MakeRespond(request.rid)] {
      handler(payload, respond);
    });
  }

  Respond MakeRespond(const std::string& rid) {
    return [alive = std::weak_ptr<bool>(alive_), this, rid, answered = std::make_shared<bool>(false)](
               int status, const nlohmann::json& payload) {
      if (alive.expired() || *answered) return;
      *answered = true;
      Answer(rid, status, payload);
    };
  }

  void Answer(const std::string& rid, int status, const nlohmann::json& payload) {
    connection_->Publish(iothub::MethodResponseTopic(status, rid), payload.dump(), kQos);
  }

  // --- twin requests -------------------------------------------------------

  void SendTwinRequest(std::string (*topic)(std::string_view), const std::string& body, TwinRequests::Done done) {
    if (stopped_ || !connection_->connected()) {
      asio::post(io_, [done = std::move(done)] { done(Unavailable("operation attempted while disconnected")); });
      return;
    }
    const std::string rid = twin_.Add(std::move(done));
    if (!connection_->Publish(topic(rid), body, kQos)) twin_.Fail(rid, Unavailable("the request could not be sent"));
  }

  asio::io_context& io_;
  mqtt::DeviceCredentials credentials_;
  TwinRequests twin_;
  asio::steady_timer renew_timer_;
  std::unique_ptr<iothub::MqttConnection> connection_;
  std::map<std::string, MethodHandler, std::less<>> methods_;
  DesiredHandler desired_;
  ConnectionHandler connection_handler_;
  std::set<std::string> subscribed_;                  // acknowledged in the current session
  std::map<int, std::string> pending_subscriptions_;  // mid -> filter
  std::optional<std::string> refusal_;
  std::optional<DeviceConnection> reported_;
  bool renewing_ = false;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<ports::DeviceTransport> MakeMqttDeviceTransport(boost::asio::io_context& io,
                                                                MqttDeviceOptions options) {
  return std::make_unique<MqttDeviceTransport>(io, std::move(options));
}

}  // namespace offhub::azure
