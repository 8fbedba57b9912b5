#include "adapters/emulator/mqtt/mqtt_device_channel.hpp"

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/emulator/mqtt/device_messages.hpp"
#include "adapters/iothub/mqtt_connection.hpp"
#include "domain/errors.hpp"
#include "domain/json_text.hpp"
#include "domain/time.hpp"
#include "offhub_topics.hpp"

namespace offhub::emulator {
namespace {

using nlohmann::json;

struct Credentials {
  std::string primary;
  std::string secondary;
  bool enabled = true;
};

struct DeviceState {
  bool methods = false;
  bool desired = false;
  std::size_t unsent_bytes = 0;  // published to the device, not yet written to the broker
};

constexpr std::size_t kMaxUnsentPerDevice = std::size_t{1} << 20;
constexpr std::size_t kMaxUnsentTotal = std::size_t{256} << 20;

struct PendingCall {
  std::string device_id;
  std::function<void(domain::MethodResult)> on_answer;
};


std::optional<std::uint64_t> ParseRid(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

class MqttDeviceChannelImpl final : public MqttDeviceChannel {
 public:
  MqttDeviceChannelImpl(boost::asio::io_context& io, ports::Clock& clock, MqttChannelOptions options)
      : clock_(clock),
        probe_timer_(io),
        keys_connection_(io, ConnectionOptions(options, broker::kKeysClientId), KeysHandlers()),
        connection_(io, ConnectionOptions(options, broker::kHubClientId), Handlers()) {
    keys_connection_.Start();
    connection_.Start();
    ArmProbe();
  }

  bool SendMethod(const ports::MethodCall& call, std::function<void(domain::MethodResult)> on_answer) override {
    const auto it = devices_.find(call.device_id);
    if (it == devices_.end() || !it->second.methods) return false;
    const auto topic = MethodRequestTopic(call.method_name, call.call_id);
    if (!topic || !SendToDevice(call.device_id, *topic, domain::DumpJson(call.payload), 0)) return false;
    calls_.insert_or_assign(call.call_id, PendingCall{call.device_id, std::move(on_answer)});
    spdlog::debug("mqtt -> {}: method {} (rid {})", call.device_id, call.method_name, call.call_id);
    return true;
  }

  void ForgetMethod(std::uint64_t call_id) override { calls_.erase(call_id); }

  void SendDesired(std::string_view device_id, const domain::DesiredNotification& notification) override {
    const auto it = devices_.find(device_id);
    if (it == devices_.end() || !it->second.desired) return;
    SendToDevice(device_id, DesiredPatchTopic(notification.version), domain::DumpJson(notification.body), 0);
    spdlog::debug("mqtt -> {}: desired properties $version {}", device_id, notification.version);
  }

  void SetPresenceListener(ports::PresenceListener* listener) override { listener_ = listener; }
  void SetRequestHandler(DeviceRequestHandler* handler) override { handler_ = handler; }

  void SetDeviceCredentials(std::string_view device_id, std::string_view primary_key, std::string_view secondary_key,
                            bool enabled, std::function<void()> on_applied) override {
    credentials_.insert_or_assign(std::string(device_id),
                                  Credentials{std::string(primary_key), std::string(secondary_key), enabled});
    QueueKeys(device_id, std::move(on_applied));
  }

  void RemoveDevice(std::string_view device_id, std::function<void()> on_applied) override {
    credentials_.insert_or_assign(std::string(device_id), std::nullopt);
    if (const auto it = refused_.find(device_id); it != refused_.end()) refused_.erase(it);
    QueueKeys(device_id, std::move(on_applied));
  }

  void SetConnectRefused(std::string_view key, bool refused) override {
    const auto it = refused_.find(key);
    if (refused == (it != refused_.end())) return;
    if (refused) {
      refused_.emplace(key);
    } else {
      refused_.erase(it);
    }
    if (const auto c = credentials_.find(key); c != credentials_.end() && c->second) QueueKeys(key, {});
  }

  void Disconnect(std::string_view key) override {
    if (keys_connection_.connected()) keys_connection_.Publish(broker::DeviceTopic(broker::kKickPrefix, key), "", 1);
  }

  std::string CredentialsSnapshot() const override {
    json out = json::object();
    for (const auto& [id, credentials] : credentials_) {
      if (credentials) out[id] = KeysJson(id, *credentials);
    }
    return domain::DumpJson(out);
  }

  bool connected() const override { return connection_.connected() && keys_connection_.connected(); }

  std::chrono::milliseconds BrokerSilence() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - last_heard_);
  }

 private:
  static iothub::MqttConnectionOptions ConnectionOptions(const MqttChannelOptions& options,
                                                          std::string_view client_id) {
    iothub::MqttConnectionOptions out;
    out.host = options.host;
    out.port = options.port;
    out.client_id = std::string(client_id);
    out.username = options.hub_username;
    out.password = options.hub_password;
    out.clean_session = true;
    out.reconnect = true;
    out.reconnect_delay = options.reconnect_delay;
    out.max_reconnect_delay = options.max_reconnect_delay;
    return out;
  }

  iothub::MqttHandlers Handlers() {
    iothub::MqttHandlers h;
    h.on_connect = [this](int rc) { OnConnect(rc); };
    h.on_disconnect = [this](int) { OnDisconnect(); };
    h.on_message = [this](std::string_view topic, std::string_view payload, int) { OnMessage(topic, payload); };
    h.on_publish = [this](int mid) { OnPublished(mid); };
    return h;
  }

  iothub::MqttHandlers KeysHandlers() {
    iothub::MqttHandlers h;
    h.on_connect = [this](int rc) { OnKeysConnect(rc); };
    h.on_disconnect = [this](int) { OnKeysDisconnect(); };
    h.on_publish = [this](int mid) { OnKeysApplied(mid); };
    return h;
  }

  // --- broker connection -------------------------------------------------

  void OnConnect(int rc) {
    if (rc == 0) Heard();
  }

  void OnDisconnect() {
    probe_mid_.reset();  // its PUBACK will not come
    unsent_.clear();  // libmosquitto drops what it had not written
    unsent_total_ = 0;
    auto gone = std::exchange(devices_, {});
    for (const auto& entry : gone) Notify(entry.first, ports::Presence::kDisconnected);
  }

  // --- is the broker answering? -------------------------------------------

  void Heard() { last_heard_ = std::chrono::steady_clock::now(); }

  void ArmProbe() {
    probe_timer_.expires_after(kProbeInterval);
    probe_timer_.async_wait([alive = std::weak_ptr<bool>(alive_), this](boost::system::error_code ec) {
      if (ec || alive.expired()) return;  // the channel is gone
      Probe();
      ArmProbe();
    });
  }

  // One probe at a time: while it is unanswered the silence grows.
  void Probe() {
    if (probe_mid_ || !connection_.connected()) return;
    probe_mid_ = connection_.Publish(broker::kProbeTopic, "", 1);
  }

  // --- keys (their own connection) ----------------------------------------

  void OnKeysConnect(int rc) {
    if (rc != 0) return;
    for (const auto& entry : credentials_) PushKeys(entry.first);
  }

  void OnKeysDisconnect() {
    for (auto& [mid, pending] : acks_) {
      auto& waiting = waiting_[pending.first];
      for (auto& fn : pending.second) waiting.push_back(std::move(fn));
    }
    acks_.clear();
  }

  void QueueKeys(std::string_view device_id, std::function<void()> on_applied) {
    if (on_applied) waiting_[std::string(device_id)].push_back(std::move(on_applied));
    if (keys_connection_.connected()) PushKeys(device_id);
  }

  // Publishes the current credentials (or their removal) at QoS 1; the
  // callbacks waiting for this device move to the message's PUBACK.
  void PushKeys(std::string_view device_id) {
    const auto it = credentials_.find(device_id);
    if (it == credentials_.end()) return;
    const std::string payload = it->second ? domain::DumpJson(KeysJson(it->first, *it->second)) : "";  // "" removes
    const auto mid = keys_connection_.Publish(broker::DeviceTopic(broker::kKeysPrefix, device_id), payload, 1);
    if (!mid) return;
    auto waiting = waiting_.extract(it->first);
    auto& pending = acks_[*mid];
    pending.first = it->first;
    if (!waiting.empty()) pending.second = std::move(waiting.mapped());
  }

  void OnKeysApplied(int mid) {
    const auto node = acks_.extract(mid);
    if (node.empty()) return;
    const std::string& device_id = node.mapped().first;
    const auto it = credentials_.find(device_id);
    if (it != credentials_.end() && !it->second) credentials_.erase(it);  // removal done
    for (const auto& fn : node.mapped().second) fn();
  }

  void OnPublished(int mid) {
    if (const auto node = unsent_.extract(mid); !node.empty()) {
      const auto& [device_id, bytes] = node.mapped();
      unsent_total_ -= bytes;
      if (const auto it = devices_.find(device_id); it != devices_.end()) {
        // Saturating: a device that reconnected starts counting again from 0.
        it->second.unsent_bytes -= std::min(it->second.unsent_bytes, bytes);
      }
      return;
    }
    if (probe_mid_ == mid) {
      probe_mid_.reset();
      Heard();
    }
  }

  // --- device traffic -------------------------------------------------------

  // The last-resort guard for everything a device sends: a message whose
  // handling throws is dropped with a log line; the hub goes on.
  void OnMessage(std::string_view topic, std::string_view payload) {
    Heard();
    try {
      RouteMessage(topic, payload);
    } catch (const std::exception& e) {
      spdlog::error("mqtt: dropped a message on {} ({} bytes): {}", domain::DumpJson(std::string(topic)),
                    payload.size(), e.what());
    }
  }

  void RouteMessage(std::string_view topic, std::string_view payload) {
    if (auto id = broker::DeviceIdAfter(topic, broker::kPresencePrefix)) return OnPresence(*id, payload);
    if (auto from = broker::SplitAddressed(topic, broker::kFromPrefix)) {
      OnDeviceMessage(from->device_id, from->topic, payload);
    }
  }

  void OnPresence(const std::string& device_id, std::string_view what) {
    if (what == broker::kPresenceConnected) {
      devices_.insert_or_assign(device_id, DeviceState{});
      return Notify(device_id, ports::Presence::kConnected);
    }
    if (what == broker::kPresenceDisconnected) {
      if (devices_.erase(device_id) > 0) Notify(device_id, ports::Presence::kDisconnected);
      return;
    }
    const auto it = devices_.find(device_id);
    if (it == devices_.end()) return;
    if (what == broker::kPresenceDesired) it->second.desired = true;
    if (what == broker::kPresenceMethods) {
      it->second.methods = true;
      Notify(device_id, ports::Presence::kMethodsSubscribed);
    }
  }

  void OnDeviceMessage(const std::string& device_id, std::string_view topic, std::string_view payload) {
    const DeviceMessage message = ClassifyDeviceTopic(device_id, topic);
    spdlog::debug("mqtt <- {}: {} ({} bytes)", device_id, topic, payload.size());
    switch (message.kind) {
      case DeviceMessageKind::kMethodResponse: return OnMethodAnswer(device_id, message, payload);
      case DeviceMessageKind::kTwinGet: return OnTwinGet(device_id, message.rid);
      case DeviceMessageKind::kReportedPatch: return OnReportedPatch(device_id, message.rid, payload);
      case DeviceMessageKind::kTelemetry:
        if (handler_) handler_->OnTelemetry(device_id, topic, payload);
        return;
      case DeviceMessageKind::kOther: return;
    }
  }

  void OnMethodAnswer(const std::string& device_id, const DeviceMessage& message, std::string_view payload) {
    const auto rid = ParseRid(message.rid);
    if (!rid) return;
    const auto it = calls_.find(*rid);
    if (it == calls_.end() || it->second.device_id != device_id) return;  // late, forgotten or not its call
    auto on_answer = std::move(it->second.on_answer);
    calls_.erase(it);
    on_answer(domain::MethodResult{message.status, MethodAnswerPayload(payload)});
  }

  void OnTwinGet(const std::string& device_id, const std::string& rid) {
    if (rid.empty()) return;
    const auto device = devices_.find(device_id);
    if (device == devices_.end()) return;  // gone: the answer could not reach it
    if (!Unsent(device->second, device_id, rid)) return;
    auto result = handler_ ? handler_->OnTwinGet(device_id) : domain::Result<json>(NoHandler());
    if (!result) return ReplyError(device_id, rid, result.error());
    SendToDevice(device_id, TwinResponseTopic(200, rid), domain::DumpJson(*result), 0);
  }

  // True when the device's earlier answers leave room for this one; else the
  // request is answered 429 (above the limits) or dropped (above twice them),
  // so what waits to be written stays bounded whatever a device sends.
  bool Unsent(const DeviceState& device, const std::string& device_id, const std::string& rid) {
    const std::size_t unsent = device.unsent_bytes;
    if (unsent <= kMaxUnsentPerDevice && unsent_total_ <= kMaxUnsentTotal) return true;
    if (unsent <= 2 * kMaxUnsentPerDevice && unsent_total_ <= 2 * kMaxUnsentTotal) {
      ReplyError(device_id, rid,
                 domain::Error(domain::ErrorCode::ThrottlingException,
                               "Too many twin requests: earlier answers have not been delivered yet"));
    }
    return false;
  }

  void OnReportedPatch(const std::string& device_id, const std::string& rid, std::string_view payload) {
    if (rid.empty()) return;
    const auto device = devices_.find(device_id);
    if (device == devices_.end()) return;  // gone: the answer could not reach it
    if (!Unsent(device->second, device_id, rid)) return;
    const auto patch = domain::ParseJsonText(payload, "The reported properties patch");
    if (!patch) return ReplyError(device_id, rid, domain::Error::ArgumentInvalid(patch.error().message()));
    auto result = handler_ ? handler_->OnReportedPatch(device_id, *patch) : domain::Result<std::int64_t>(NoHandler());
    if (!result) return ReplyError(device_id, rid, result.error());
    SendToDevice(device_id, TwinPatchResponseTopic(rid, *result), "", 0);
  }

  void ReplyError(const std::string& device_id, const std::string& rid, const domain::Error& error) {
    const domain::ErrorContext context{NextTrackingId(), domain::FormatUtc(clock_.Now())};
    SendToDevice(device_id, TwinResponseTopic(error.http_status(), rid), domain::DumpJson(DeviceErrorBody(error, context)), 0);
  }

  static domain::Error NoHandler() {
    return domain::Error(domain::ErrorCode::ServiceUnavailable, "The hub is not ready for twin requests");
  }

  // --- helpers --------------------------------------------------------------

  bool SendToDevice(std::string_view device_id, std::string_view topic, const std::string& payload, int qos) {
    const auto outer = broker::AddressedTopic(broker::kToPrefix, device_id, topic);
    if (!outer) return false;
    const auto mid = connection_.Publish(*outer, payload, qos);
    if (!mid) return false;
    const std::size_t bytes = outer->size() + payload.size();
    unsent_total_ += bytes;
    const auto device = devices_.find(device_id);
    if (device != devices_.end()) device->second.unsent_bytes += bytes;
    // libmosquitto's message ids are 16 bits: with more than 65,535 messages
    // unwritten an id comes back, and the entry it replaces is forgotten, not leaked.
    if (const auto old = unsent_.find(*mid); old != unsent_.end()) OnPublished(*mid);
    unsent_.insert_or_assign(*mid, std::pair(std::string(device_id), bytes));
    return true;
  }

  void Notify(const std::string& device_id, ports::Presence presence) {
    if (listener_) listener_->OnPresence(device_id, presence);
  }

  std::string NextTrackingId() {
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(clock_.Now().ticks),
                  static_cast<unsigned long long>(++tracking_counter_));
    return text;
  }

  ports::Clock& clock_;
  ports::PresenceListener* listener_ = nullptr;
  DeviceRequestHandler* handler_ = nullptr;
  // The plugin's keys message: a refused identity is sent as disabled.
  json KeysJson(std::string_view id, const Credentials& c) const {
    return BrokerKeysJson(c.primary, c.secondary, c.enabled && !refused_.contains(id));
  }

  std::map<std::string, std::optional<Credentials>, std::less<>> credentials_;
  std::set<std::string, std::less<>> refused_;  // identities whose CONNECT a fault refuses  // nullopt: removal not yet acked
  std::map<std::string, std::vector<std::function<void()>>, std::less<>> waiting_;
  std::map<int, std::pair<std::string, std::vector<std::function<void()>>>> acks_;  // keys mid -> device, callbacks
  std::map<std::string, DeviceState, std::less<>> devices_;                         // connected devices
  std::map<std::uint64_t, PendingCall> calls_;
  std::unordered_map<int, std::pair<std::string, std::size_t>> unsent_;  // mid -> device, bytes
  std::size_t unsent_total_ = 0;
  std::uint64_t tracking_counter_ = 0;
  std::chrono::steady_clock::time_point last_heard_ = std::chrono::steady_clock::now();
  std::optional<int> probe_mid_;  // the probe awaiting its PUBACK
  boost::asio::steady_timer probe_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards the probe timer's handler
  // Last: destroyed first, so no callback sees a half-destroyed channel.
  iothub::MqttConnection keys_connection_;  // keys and their removal, at QoS 1
  iothub::MqttConnection connection_;       // device traffic, presence, the probe
};

}  // namespace

// The plugin's keys message (see offhub_topics.hpp).
json BrokerKeysJson(std::string_view primary_key, std::string_view secondary_key, bool enabled) {
  return {{"primaryKey", primary_key}, {"secondaryKey", secondary_key}, {"status", enabled ? "enabled" : "disabled"}};
}

std::unique_ptr<MqttDeviceChannel> MakeMqttDeviceChannel(boost::asio::io_context& io, ports::Clock& clock,
                                                         MqttChannelOptions options) {
  return std::make_unique<MqttDeviceChannelImpl>(io, clock, std::move(options));
}

}  // namespace offhub::emulator
