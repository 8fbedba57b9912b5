#include "broker_core.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <nlohmann/json.hpp>

#include "device_acl.hpp"
#include "offhub_topics.hpp"

namespace offhub::broker {

namespace {

constexpr std::string_view kTwinGetPrefix = "$iothub/twin/GET/";
constexpr std::string_view kReportedPrefix = "$iothub/twin/PATCH/properties/reported/";

// The $rid of "$iothub/twin/.../?$rid=..&..", empty when there is none.
std::string_view RequestId(std::string_view topic) {
  const auto query = topic.find("/?");
  if (query == std::string_view::npos) return {};
  std::string_view rest = topic.substr(query + 2);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.starts_with("$rid=")) return pair.substr(5);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

std::string ThrottledBody() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return nlohmann::json{{"errorCode", 429001},
                        {"trackingId", ""},
                        {"message", "Too many twin requests: more than 100 per second from one device"},
                        {"timestampUtc", stamp}}
      .dump();
}

}  // namespace

std::int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool BrokerCore::Bucket::Take(std::int64_t now_ms) {
  if (refilled_ms != 0) {
    const double elapsed = static_cast<double>(std::max<std::int64_t>(0, now_ms - refilled_ms)) / 1000.0;
    tokens = std::min(kTwinRequestsPerSecond, tokens + elapsed * kTwinRequestsPerSecond);
  }
  refilled_ms = now_ms;
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

bool BrokerCore::TakeTwinRequest(std::string_view client_id, std::string_view topic) {
  const bool read = topic.starts_with(kTwinGetPrefix);
  if (!read && !topic.starts_with(kReportedPrefix)) return true;
  Session& session = sessions_.find(client_id)->second;  // a connected device's
  const std::int64_t now = now_ms_();
  if ((read ? session.twin_reads : session.reported_patches).Take(now)) return true;
  const std::string_view rid = RequestId(topic);
  if (!rid.empty() && session.throttled_answers.Take(now)) {
    outbox_.push_back({std::string(client_id), "$iothub/twin/res/429/?$rid=" + std::string(rid), ThrottledBody(), 0});
  }
  return false;
}

std::optional<PluginOptions> ParsePluginOptions(const std::vector<std::pair<std::string, std::string>>& options) {
  PluginOptions out;
  for (const auto& [key, value] : options) {
    if (key == "hub_username") out.hub_username = value;
    if (key == "hub_password") out.hub_password = value;
    if (key == "hostname") out.hostname = value;
    if (key == "keys_file") out.keys_file = value;
    if (key == "sessions_file") out.sessions_file = value;
  }
  if (out.hub_username.empty() || out.hub_password.empty()) return std::nullopt;
  return out;
}

std::string_view KickReasonName(KickReason reason) {
  switch (reason) {
    case KickReason::kRemoved: return "device removed";
    case KickReason::kDisabled: return "device disabled";
    case KickReason::kQos2Publish: return "QoS 2 publish (IoT Hub supports QoS 0 and 1 only)";
    case KickReason::kTokenExpired: return "SAS token expired (401003)";
    case KickReason::kTooLarge: return "message larger than IoT Hub allows (413001)";
    case KickReason::kRequested: return "disconnect fault set by the control plane";
  }
  return "unknown";
}

AuthResult BrokerCore::Authenticate(const Connect& connect, std::int64_t now_seconds) {
  if (IsHubClient(connect.client_id)) return AuthenticateHub(connect);
  return AuthenticateDevice(connect, now_seconds);
}

AuthResult BrokerCore::AuthenticateHub(const Connect& connect) {
  if (connect.username != options_.hub_username || connect.password != options_.hub_password) {
    return AuthResult::kMalformed;
  }
  if (connect.client_id != kHubClientId) return AuthResult::kAccepted;
  // A (re)connected hub learns who is online already.
  for (const auto& [id, session] : sessions_) {
    if (session.handle) AnnounceSession(id, session);
  }
  return AuthResult::kAccepted;
}

AuthResult BrokerCore::AuthenticateDevice(const Connect& connect, std::int64_t now_seconds) {
  const auto username = ParseDeviceUsername(connect.username);
  const auto token = iothub::ParseSasToken(connect.password);
  if (!username || !token) return AuthResult::kMalformed;
  const std::string client_id = username->client_id();
  if (client_id != connect.client_id) return AuthResult::kWrongClientId;
  if (!options_.hostname.empty() && username->host != options_.hostname) return AuthResult::kWrongResource;
  const auto keys = keys_.Find(client_id);
  if (!keys) return AuthResult::kUnknownDevice;
  if (!keys->enabled) return AuthResult::kDisabled;
  const AuthResult result = VerifyDeviceToken(*token, username->host, client_id, *keys, now_seconds);
  if (result != AuthResult::kAccepted) return result;

  const auto [entry, fresh] = sessions_.try_emplace(client_id);
  Session& session = entry->second;
  // Made or ended here; resumed, it is on disk already.
  persistent_changed_ |= (!fresh && !session.clean) != !connect.clean_session;
  if (session.handle) expiries_.erase({session.token_expiry, client_id});
  // A takeover replaces the old connection, its expiry and a kick still queued for it.
  std::erase_if(kicks_, [&](const Kick& kick) { return kick.client_id == client_id; });
  session.handle = connect.handle;
  session.closing = false;
  session.token_expiry = *iothub::TokenExpiry(*token);  // parsed: the token was accepted
  expiries_.emplace(session.token_expiry, client_id);
  const auto persisted = session.Persisted();
  if (connect.clean_session || session.clean) session.methods = session.desired = false;
  session.clean = connect.clean_session;
  sessions_changed_ |= persisted != session.Persisted();
  AnnounceSession(client_id, session);
  return AuthResult::kAccepted;
}

bool BrokerCore::Allow(std::string_view client_id, std::string_view topic, Access access) {
  if (IsHubClient(client_id)) return true;
  if (!IsConnectedDevice(client_id)) return false;
  switch (access) {
    case Access::kRead: return DeviceMayRead(client_id, topic);
    case Access::kWrite: return DeviceMayPublish(client_id, topic);
    case Access::kUnsubscribe:
      persistent_changed_ |= !sessions_.find(client_id)->second.clean;
      return true;
    case Access::kSubscribe: break;
  }
  if (!DeviceMaySubscribe(client_id, topic)) return false;
  Session& session = sessions_.find(client_id)->second;
  persistent_changed_ |= !session.clean;
  const auto persisted = session.Persisted();
  if (IsMethodsFilter(topic)) {
    session.methods = true;
    Presence(client_id, kPresenceMethods);
  }
  if (IsDesiredFilter(topic)) {
    session.desired = true;
    Presence(client_id, kPresenceDesired);
  }
  sessions_changed_ |= persisted != session.Persisted();
  return true;
}

void BrokerCore::Consume(std::string_view client_id, std::string_view topic, std::string_view payload, int qos) {
  if (IsHubClient(client_id)) return ConsumeFromHub(topic, payload, std::min(qos, 1));
  if (!IsConnectedDevice(client_id)) return;
  if (qos > 1) return KickDevice(client_id, KickReason::kQos2Publish);
  if (!DeviceMayPublish(client_id, topic)) return;
  const std::size_t limit = topic.starts_with("$iothub/methods/res/") ? kMaxMethodAnswerBytes : kMaxDeviceMessageBytes;
  if (payload.size() > limit) return KickDevice(client_id, KickReason::kTooLarge);
  if (!TakeTwinRequest(client_id, topic)) return;
  auto hub_topic = AddressedTopic(kFromPrefix, client_id, topic);
  if (!hub_topic) return;  // too long to re-address: dropped
  // At QoS 0: the broker has acknowledged the device already, and QoS 1 to the
  // hub would let its in-flight window hold every other device's traffic
  // behind a device flooding QoS 1 telemetry.
  outbox_.push_back({std::string(kHubClientId), std::move(*hub_topic), std::string(payload), 0});
}

void BrokerCore::ConsumeFromHub(std::string_view topic, std::string_view payload, int qos) {
  if (auto to = SplitAddressed(topic, kToPrefix)) {
    outbox_.push_back({std::move(to->device_id), std::move(to->topic), std::string(payload), qos});
    return;
  }
  if (const auto kicked = DeviceIdAfter(topic, kKickPrefix)) {
    if (IsConnectedDevice(*kicked)) KickDevice(*kicked, KickReason::kRequested);
    return;
  }
  const auto id = DeviceIdAfter(topic, kKeysPrefix);
  if (!id) return;
  const auto change = keys_.Apply(*id, payload);
  const auto keys = keys_.Find(*id);
  const bool refused_now =
      change == DeviceKeyTable::Change::kRemoved || (change == DeviceKeyTable::Change::kSet && keys && !keys->enabled);
  if (!refused_now) return;
  KickDevice(*id, change == DeviceKeyTable::Change::kRemoved ? KickReason::kRemoved : KickReason::kDisabled);
}

std::size_t BrokerCore::LoadKeys(std::string_view json_text) {
  const auto document = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) return 0;
  std::size_t loaded = 0;
  for (const auto& [id, entry] : document.items()) {
    if (entry.is_object() && keys_.Apply(id, entry.dump()) == DeviceKeyTable::Change::kSet) ++loaded;
  }
  return loaded;
}

std::size_t BrokerCore::LoadSessions(std::string_view json_text) {
  const auto document = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) return 0;
  std::size_t loaded = 0;
  for (const auto& [id, entry] : document.items()) {
    if (!entry.is_object() || sessions_.contains(id)) continue;
    Session session;
    session.clean = false;
    session.methods = entry.value("methods", nlohmann::json(false)) == true;
    session.desired = entry.value("desired", nlohmann::json(false)) == true;
    if (!session.Kept()) continue;
    sessions_.emplace(id, session);
    ++loaded;
  }
  return loaded;
}

std::optional<std::string> BrokerCore::TakeSessionsSnapshot() {
  if (!std::exchange(sessions_changed_, false)) return std::nullopt;
  nlohmann::json document = nlohmann::json::object();
  for (const auto& [id, session] : sessions_) {
    if (session.Kept()) document[id] = {{"methods", session.methods}, {"desired", session.desired}};
  }
  return document.dump();
}

bool BrokerCore::SaveDue(std::int64_t now_ms) {
  if (std::exchange(persistent_changed_, false)) {  // changes are timed by the tick that sees them
    if (!unsaved_since_ms_) unsaved_since_ms_ = now_ms;
    last_change_ms_ = now_ms;
  }
  if (!unsaved_since_ms_) return false;
  const bool settled = now_ms - last_change_ms_ >= kSaveSettleMs;
  if (!settled && now_ms - *unsaved_since_ms_ < kMaxSaveDelayMs) return false;
  unsaved_since_ms_.reset();
  return true;
}

void BrokerCore::Disconnected(ClientHandle handle, std::string_view client_id) {
  const auto it = sessions_.find(client_id);
  if (it == sessions_.end() || it->second.handle != handle || handle == nullptr) return;
  expiries_.erase({it->second.token_expiry, it->first});
  it->second.handle = nullptr;
  it->second.closing = false;
  if (it->second.clean) it->second.methods = it->second.desired = false;
  Presence(client_id, kPresenceDisconnected);
}

void BrokerCore::ExpireTokens(std::int64_t now_seconds) {
  // se <= now is expired, as VerifyDeviceToken refuses it at connect.
  while (!expiries_.empty() && expiries_.begin()->first <= now_seconds) {
    const std::string id = expiries_.begin()->second;
    expiries_.erase(expiries_.begin());
    KickDevice(id, KickReason::kTokenExpired);
  }
}

void BrokerCore::KickDevice(std::string_view client_id, KickReason reason) {
  const auto it = sessions_.find(client_id);
  if (it == sessions_.end() || !it->second.handle || it->second.closing) return;
  it->second.closing = true;
  expiries_.erase({it->second.token_expiry, it->first});
  kicks_.push_back({it->first, reason});
}

void BrokerCore::Presence(std::string_view device_id, std::string_view what) {
  outbox_.push_back({std::string(kHubClientId), DeviceTopic(kPresencePrefix, device_id), std::string(what), 0});
}

void BrokerCore::AnnounceSession(std::string_view device_id, const Session& session) {
  Presence(device_id, kPresenceConnected);
  if (session.methods) Presence(device_id, kPresenceMethods);
  if (session.desired) Presence(device_id, kPresenceDesired);
}

bool BrokerCore::IsConnectedDevice(std::string_view client_id) const {
  const auto it = sessions_.find(client_id);
  return it != sessions_.end() && it->second.handle != nullptr && !it->second.closing;
}

}  // namespace offhub::broker
