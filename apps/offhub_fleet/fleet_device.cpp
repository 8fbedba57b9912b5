#include "apps/offhub_fleet/fleet_device.hpp"

#include <array>

#include <boost/asio/steady_timer.hpp>

#include "adapters/iothub/device_topics.hpp"

namespace offhub::fleet {
namespace {

namespace topics = iothub;

constexpr std::string_view kMethodPrefix = "$iothub/methods/POST/";
constexpr std::string_view kDesiredPrefix = "$iothub/twin/PATCH/properties/desired/";
constexpr std::string_view kTwinAnswerPrefix = "$iothub/twin/res/";
constexpr std::array kFilters = {topics::kMethodsFilter, topics::kDesiredFilter, topics::kTwinResponseFilter};

iothub::MqttConnectionOptions ConnectionOptions(const DeviceIdentity& identity, const DeviceLink& link) {
  iothub::MqttConnectionOptions options;
  options.host = link.host;
  options.port = link.port;
  options.client_id = identity.id;
  options.username = topics::DeviceUsername(link.host_name, identity.id);
  options.clean_session = true;
  options.keepalive_seconds = link.keepalive_seconds;
  options.reconnect = true;
  options.reconnect_delay = std::chrono::milliseconds(200);
  options.max_reconnect_delay = std::chrono::milliseconds(5000);
  options.reconnect_jitter = 0.5;  // a fleet dropped at once comes back spread out
  if (link.tls) options.tls = iothub::MqttTlsOptions{link.ca_file};
  return options;
}

}  // namespace

FleetDevice::FleetDevice(boost::asio::io_context& io, std::size_t index, const DeviceIdentity& identity,
                         const DeviceLink& link, const MethodReplies& replies, WorkerTallies& tallies,
                         std::function<void()> settled)
    : io_(io),
      index_(index),
      replies_(replies),
      tallies_(tallies),
      settled_(std::move(settled)),
      credentials_(azure::mqtt::DeviceCredentials::FromKey(topics::DeviceResource(link.host_name, identity.id),
                                                           identity.key, link.token_ttl)) {
  auto options = ConnectionOptions(identity, link);
  options.password_source = [this] { return credentials_.Password(); };
  mqtt_ = std::make_unique<iothub::MqttConnection>(
      io, std::move(options),
      iothub::MqttHandlers{
          .on_connect = [this](int rc) { OnConnect(rc); },
          .on_disconnect = [this](int) { OnDisconnect(); },
          .on_message = [this](std::string_view topic, std::string_view payload, int) { OnMessage(topic, payload); },
          .on_publish = nullptr,
          .on_subscribe = [this](int, int granted) { OnSubscribed(granted); }});
}

FleetDevice::~FleetDevice() = default;

void FleetDevice::Start() { mqtt_->Start(); }

void FleetDevice::Stop() {
  if (up_) tallies_.Disconnected(false);
  up_ = false;
  mqtt_->Stop();
}

bool FleetDevice::RenewIfDue(std::chrono::steady_clock::time_point now) {
  if (!up_ || !renew_at_ || now < *renew_at_) return false;
  renew_at_.reset();
  renewing_ = true;
  mqtt_->Reconnect();
  return true;
}

void FleetDevice::OnConnect(int rc) {
  if (rc != 0) {
    tallies_.Refused();
    return Settle();
  }
  subscriptions_pending_ = static_cast<int>(kFilters.size());
  for (const auto filter : kFilters) mqtt_->Subscribe(filter, 0);
  if (const auto renew_after = credentials_.RenewAfter()) renew_at_ = std::chrono::steady_clock::now() + *renew_after;
}

void FleetDevice::OnSubscribed(int granted_qos) {
  if (granted_qos == 128) {  // the hub refused a subscription: the device cannot work
    tallies_.Refused();
    subscriptions_pending_ = -1;
    return Settle();
  }
  if (subscriptions_pending_ <= 0 || --subscriptions_pending_ > 0) return;
  up_ = true;
  tallies_.Connected();
  Settle();
}

void FleetDevice::OnDisconnect() {
  if (up_) tallies_.Disconnected(!renewing_);
  renewing_ = false;
  up_ = false;
  subscriptions_pending_ = 0;
  Settle();
}

void FleetDevice::Settle() {
  if (!settled_) return;
  auto settled = std::move(settled_);
  settled_ = nullptr;
  settled();
}

void FleetDevice::OnMessage(std::string_view topic, std::string_view payload) {
  if (topic.starts_with(kMethodPrefix)) return AnswerMethod(topic);
  if (topic.starts_with(kDesiredPrefix)) return ReportDesired(topic, payload);
  if (topic.starts_with(kTwinAnswerPrefix)) return OnTwinAnswer(topic);
}

void FleetDevice::AnswerMethod(std::string_view topic) {
  auto request = topics::ParseMethodRequestTopic(topic);
  if (!request) return;
  tallies_.MethodReceived(index_, request->name);
  const MethodReply& reply = replies_.For(request->name);
  if (reply.latency_ms == 0) return Respond(reply.status, request->rid, reply.payload);
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(reply.latency_ms));
  timer->async_wait([this, timer, alive = std::weak_ptr<bool>(alive_), rid = std::move(request->rid),
                     &reply](boost::system::error_code ec) {
    if (!ec && !alive.expired()) Respond(reply.status, rid, reply.payload);
  });
}

void FleetDevice::Respond(int status, const std::string& rid, const std::string& payload) {
  if (mqtt_->Publish(topics::MethodResponseTopic(status, rid), payload, 0)) tallies_.Answered();
}

void FleetDevice::ReportDesired(std::string_view topic, std::string_view payload) {
  const auto desired = topics::ParseDesiredPatch(topic, payload);
  if (!desired) return;
  tallies_.DesiredReceived(index_);
  const std::string rid = std::to_string(next_rid_++);
  if (mqtt_->Publish(topics::ReportedPatchTopic(rid), desired->patch.dump(), 0)) tallies_.ReportedSent();
}

void FleetDevice::OnTwinAnswer(std::string_view topic) {
  const auto answer = topics::ParseTwinResponseTopic(topic);
  if (answer) tallies_.ReportedAnswer(answer->status < 300);
}

}  // namespace offhub::fleet
