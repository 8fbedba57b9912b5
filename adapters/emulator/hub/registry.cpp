#include "adapters/emulator/hub/registry.hpp"

#include <iterator>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "adapters/iothub/crypto.hpp"
#include "domain/base64.hpp"

namespace offhub::emulator {

using domain::Error;
using nlohmann::json;

namespace {

// The identity's fields a twin shows too (status, authentication type, the
// identity's etag as deviceEtag, ...).
void MirrorIdentity(const domain::Device& d, domain::Twin& twin) {
  twin.status = d.status;
  twin.status_reason = d.status_reason;
  twin.status_update_time = d.status_updated_time;
  twin.authentication_type = d.authentication_type;
  twin.iot_edge = d.iot_edge;
  twin.device_etag = d.etag();
}

}  // namespace

Registry::Registry(ports::Clock& clock, ports::DeviceChannel& channel, ports::StateStore& store,
                   RegistryObserver* observer, HubEvents* events)
    : clock_(clock),
      channel_(channel),
      store_(store),
      observer_(observer),
      events_(events),
      random_(std::random_device{}()) {}

void Registry::Twins::ForEachAfter(std::optional<std::string_view> after,
                                   const std::function<bool(const domain::Twin&)>& visit) const {
  auto it = after ? entries_.upper_bound(*after) : entries_.begin();
  for (; it != entries_.end(); ++it) {
    if (!visit(it->second.twin)) return;
  }
}

void Registry::Load(std::vector<ports::StoredDevice> devices) {
  for (auto& d : devices) {
    const std::string key = d.identity.key();
    auto& map = d.identity.is_module() ? modules_ : devices_;
    Entry entry{std::move(d.identity), std::move(d.twin)};
    // Nobody is connected to a hub that just started.
    entry.identity.connection_state = domain::ConnectionState::kDisconnected;
    entry.twin.connection_state = domain::ConnectionState::kDisconnected;
    map.emplace(key, std::move(entry));
  }
  if (!observer_) return;
  for (const auto& [id, entry] : devices_) observer_->OnDeviceChanged(entry.identity);
  for (const auto& [key, entry] : modules_) observer_->OnDeviceChanged(entry.identity);
}

void Registry::Replace(std::vector<ports::StoredDevice> devices) {
  EntryMap old_devices = std::exchange(devices_, {});
  EntryMap old_modules = std::exchange(modules_, {});
  for (auto& d : devices) {
    const std::string key = d.identity.key();
    auto& map = d.identity.is_module() ? modules_ : devices_;
    const auto& old_map = d.identity.is_module() ? old_modules : old_devices;
    Entry entry{std::move(d.identity), std::move(d.twin)};
    const auto old = old_map.find(key);
    const bool connected = old != old_map.end() && old->second.connected;
    const auto state = connected ? domain::ConnectionState::kConnected : domain::ConnectionState::kDisconnected;
    entry.identity.connection_state = state;
    entry.twin.connection_state = state;
    entry.connected = connected;
    entry.methods_subscribed = connected && old->second.methods_subscribed;
    map.emplace(key, std::move(entry));
  }
  if (!observer_) return;
  for (const auto* old_map : {&old_modules, &old_devices}) {
    for (const auto& [key, entry] : *old_map) {
      if (!Find(key)) observer_->OnDeviceRemoved(key);
    }
  }
  // Only what the observer would see differently: a reset to the same seed pushes no keys.
  const auto changed = [](const domain::Device& now, const EntryMap& before, const std::string& key) {
    const auto old = before.find(key);
    if (old == before.end()) return true;
    const domain::Device& was = old->second.identity;
    return was.primary_key != now.primary_key || was.secondary_key != now.secondary_key || was.status != now.status;
  };
  for (const auto& [key, entry] : devices_) {
    if (changed(entry.identity, old_devices, key)) observer_->OnDeviceChanged(entry.identity);
  }
  for (const auto& [key, entry] : modules_) {
    if (changed(entry.identity, old_modules, key)) observer_->OnDeviceChanged(entry.identity);
  }
}

std::vector<ports::StoredDevice> Registry::Snapshot() const {
  std::vector<ports::StoredDevice> out;
  out.reserve(devices_.size() + modules_.size());
  for (const auto* map : {&devices_, &modules_}) {
    for (const auto& [key, entry] : *map) out.push_back({entry.identity, entry.twin});
  }
  return out;
}

Registry::Entry* Registry::Find(std::string_view key) {
  auto& map = key.find('/') == std::string_view::npos ? devices_ : modules_;
  const auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

const Registry::Entry* Registry::Find(std::string_view key) const { return const_cast<Registry*>(this)->Find(key); }

std::pair<Registry::EntryMap::iterator, Registry::EntryMap::iterator> Registry::ModulesOf(std::string_view device_id) {
  // '0' follows '/' in ASCII: every "{deviceId}/..." key sorts below "{deviceId}0".
  return {modules_.lower_bound(std::string(device_id) + '/'), modules_.lower_bound(std::string(device_id) + '0')};
}

Error Registry::NotFound(std::string_view key) const {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos || !Find(key.substr(0, slash))) {
    return Error::DeviceNotFound(key.substr(0, slash));
  }
  return {domain::ErrorCode::ModuleNotFound, "Module '" + std::string(key.substr(slash + 1)) +
                                                 "' not found on device '" + std::string(key.substr(0, slash)) + "'"};
}

bool Registry::ReachableForMethods(std::string_view key) const {
  const Entry* entry = Find(key);
  return entry && entry->connected && entry->methods_subscribed;
}

domain::Result<json> Registry::DeviceTwin(std::string_view key) const {
  const Entry* entry = Find(key);
  if (!entry) return NotFound(key);
  return domain::DeviceView(entry->twin);
}

domain::Result<std::int64_t> Registry::WriteReported(std::string_view key, const json& patch) {
  Entry* entry = Find(key);
  if (!entry) return NotFound(key);
  Entry next = *entry;
  auto version = domain::ApplyReportedPatch(next.twin, patch, clock_.Now());
  if (!version) return version.error();
  next.twin.last_activity_time = clock_.Now();
  next.identity.last_activity_time = next.twin.last_activity_time;
  if (auto s = Persist(next); !s) return s.error();
  *entry = std::move(next);
  if (Wanted(events_)) {
    json data = IdentityFields(key);
    data["version"] = entry->twin.version;
    data["sections"] = {"reported"};
    events_->Publish(hub_event::kTwinChanged, std::move(data));
  }
  return version;
}

void Registry::Touch(std::string_view key) {
  Entry* entry = Find(key);
  if (!entry) return;
  entry->identity.last_activity_time = clock_.Now();
  entry->twin.last_activity_time = entry->identity.last_activity_time;
}

domain::Result<json> Registry::PutIdentity(const domain::DeviceSpec& spec, ports::IfMatch if_match) {
  const std::string key = domain::IdentityKey(spec.device_id, spec.module_id);
  const bool is_module = !spec.module_id.empty();
  if (is_module && !Find(spec.device_id)) return Error::DeviceNotFound(spec.device_id);
  Entry* entry = Find(key);
  if (if_match) {
    if (!entry) return NotFound(key);
    return Update(*entry, spec, if_match);
  }
  if (entry && is_module) {
    return Error(domain::ErrorCode::ModuleAlreadyExistsOnDevice,
                 "A module with ID '" + spec.module_id + "' already exists on device '" + spec.device_id + "'.");
  }
  if (entry) {
    return Error(domain::ErrorCode::DeviceAlreadyExists,
                 "A device with ID '" + spec.device_id + "' is already registered.");
  }
  if (is_module) {
    const auto [first, last] = ModulesOf(spec.device_id);
    if (static_cast<std::size_t>(std::distance(first, last)) >= kMaxModulesPerDevice) {
      return Error(domain::ErrorCode::TooManyModulesOnDevice,
                   "Device '" + spec.device_id + "' already has " + std::to_string(kMaxModulesPerDevice) + " modules.");
    }
  }
  return Create(spec);
}

ports::StoredDevice NewIdentity(const domain::DeviceSpec& spec, domain::UtcTime now, std::mt19937_64& random) {
  ports::StoredDevice out{{}, domain::Twin::Create(spec.device_id, now)};
  auto& d = out.identity;
  d.device_id = spec.device_id;
  d.module_id = spec.module_id;
  d.managed_by = spec.managed_by;
  d.generation_id = std::to_string(600000000000000000ULL + random() % 100000000000000000ULL);
  // Etags of different identities differ, as on IoT Hub (base64 of a 9-digit
  // number there too), so an If-Match copied from another device fails.
  d.etag_counter = 100'000'000 + random() % 800'000'000;
  d.status = spec.status;
  d.status_reason = spec.status_reason;
  d.authentication_type = spec.authentication_type;
  if (spec.authentication_type == "sas") {
    d.primary_key = spec.primary_key.empty() ? iothub::NewSymmetricKey() : spec.primary_key;
    d.secondary_key = spec.secondary_key.empty() ? iothub::NewSymmetricKey() : spec.secondary_key;
  }
  d.iot_edge = spec.iot_edge;
  out.twin.module_id = spec.module_id;
  MirrorIdentity(d, out.twin);
  return out;
}

domain::Result<json> Registry::Create(const domain::DeviceSpec& spec) {
  auto made = NewIdentity(spec, clock_.Now(), random_);
  Entry entry{std::move(made.identity), std::move(made.twin)};
  const auto& d = entry.identity;
  if (auto s = Persist(entry); !s) return s.error();
  json doc = domain::ToJson(entry.identity);
  auto& map = d.is_module() ? modules_ : devices_;
  const auto& stored = map.emplace(d.key(), std::move(entry)).first->second;
  if (observer_) observer_->OnDeviceChanged(stored.identity);
  return doc;
}

domain::Result<json> Registry::Update(Entry& entry, const domain::DeviceSpec& spec, ports::IfMatch if_match) {
  if (auto s = domain::CheckIfMatch(entry.identity.etag(), if_match); !s) return s.error();
  Entry next = entry;
  auto& d = next.identity;
  if (d.status != spec.status) d.status_updated_time = clock_.Now();
  d.status = spec.status;
  d.status_reason = spec.status_reason;
  d.authentication_type = spec.authentication_type;
  if (!spec.primary_key.empty()) d.primary_key = spec.primary_key;
  if (!spec.secondary_key.empty()) d.secondary_key = spec.secondary_key;
  d.iot_edge = spec.iot_edge;
  d.managed_by = spec.managed_by;
  d.etag_counter += 1;
  MirrorIdentity(d, next.twin);
  if (auto s = Persist(next); !s) return s.error();
  entry = std::move(next);
  if (observer_) observer_->OnDeviceChanged(entry.identity);
  return domain::ToJson(entry.identity);
}

domain::Result<json> Registry::GetIdentity(const ports::Identity& identity) {
  const std::string key = identity.key();
  const Entry* entry = Find(key);
  if (!entry) return NotFound(key);
  return domain::ToJson(entry->identity);
}

domain::Result<json> Registry::ListModules(std::string_view device_id) {
  if (!Find(device_id)) return Error::DeviceNotFound(device_id);
  json out = json::array();
  const auto [first, last] = ModulesOf(device_id);
  for (auto it = first; it != last; ++it) out.push_back(domain::ToJson(it->second.identity));
  return out;
}

domain::Result<json> Registry::ListDevices(std::size_t top) {
  if (top == 0 || top > 1000) top = 1000;
  json out = json::array();
  for (const auto& [id, entry] : devices_) {
    if (out.size() == top) break;
    out.push_back(domain::ToJson(entry.identity));
  }
  return out;
}

domain::Status Registry::DeleteIdentity(const ports::Identity& identity, ports::IfMatch if_match) {
  const std::string key = identity.key();
  const Entry* entry = Find(key);
  if (!entry) return NotFound(key);
  if (auto s = domain::CheckIfMatch(entry->identity.etag(), if_match); !s) return s;
  if (auto s = store_.DeleteDevice(key); !s) return s;
  std::vector<std::string> removed{key};
  if (entry->identity.is_module()) {
    modules_.erase(modules_.find(key));
  } else {
    devices_.erase(devices_.find(key));
    const auto [first, last] = ModulesOf(key);
    for (auto it = first; it != last; ++it) removed.push_back(it->first);
    modules_.erase(first, last);
  }
  if (observer_) {
    for (const auto& gone : removed) observer_->OnDeviceRemoved(gone);
  }
  return domain::Success();
}

domain::Result<json> Registry::GetRegistryStatistics() {
  std::int64_t enabled = 0;
  for (const auto& [id, entry] : devices_) enabled += entry.identity.status == domain::DeviceStatus::kEnabled;
  const auto total = static_cast<std::int64_t>(devices_.size());
  return json{{"totalDeviceCount", total}, {"enabledDeviceCount", enabled}, {"disabledDeviceCount", total - enabled}};
}

domain::Result<json> Registry::GetServiceStatistics() {
  std::int64_t connected = 0;
  for (const auto& [id, entry] : devices_) connected += entry.connected;
  return json{{"connectedDeviceCount", connected}};
}

domain::Result<json> Registry::GetTwin(const ports::Identity& identity) {
  const std::string key = identity.key();
  const Entry* entry = Find(key);
  if (!entry) return NotFound(key);
  return domain::ToJson(entry->twin);
}

domain::Result<json> Registry::PatchTwin(const ports::Identity& identity, const json& patch, ports::IfMatch if_match) {
  auto written = WriteTwin(identity.key(), patch, if_match, /*replace=*/false);
  if (!written) return written.error();
  return domain::ToJson((*written)->twin);
}

domain::Result<json> Registry::ReplaceTwin(const ports::Identity& identity, const json& twin, ports::IfMatch if_match) {
  auto written = WriteTwin(identity.key(), twin, if_match, /*replace=*/true);
  if (!written) return written.error();
  return domain::ToJson((*written)->twin);
}

domain::Status Registry::ApplyTwinPatch(const ports::Identity& identity, const json& patch, ports::IfMatch if_match) {
  auto written = WriteTwin(identity.key(), patch, if_match, /*replace=*/false);
  if (!written) return written.error();
  return domain::Success();
}

domain::Result<const Registry::Entry*> Registry::WriteTwin(std::string_view key, const json& body, ports::IfMatch if_match,
                                         bool replace) {
  Entry* entry = Find(key);
  if (!entry) return NotFound(key);
  if (auto s = domain::CheckIfMatch(entry->twin.etag(), if_match); !s) return s.error();
  Entry next = *entry;
  const auto now = clock_.Now();
  auto written = replace ? domain::ApplyServiceReplace(next.twin, body, now)
                         : domain::ApplyServicePatch(next.twin, body, now);
  if (!written) return written.error();
  if (auto s = Persist(next); !s) return s.error();
  *entry = std::move(next);
  if (written->notification && entry->connected) channel_.SendDesired(key, *written->notification);
  if (Wanted(events_)) {
    json data = IdentityFields(key);
    data["version"] = entry->twin.version;
    json sections = json::array();
    if (replace || body.contains("tags")) sections.push_back("tags");
    if (written->notification) sections.push_back("desired");
    data["sections"] = std::move(sections);
    events_->Publish(hub_event::kTwinChanged, std::move(data));
  }
  return entry;
}

bool Registry::OnPresence(std::string_view key, ports::Presence presence) {
  Entry* entry = Find(key);
  if (!entry) return false;
  const bool was_connected = entry->connected;
  entry->connected = presence != ports::Presence::kDisconnected;
  entry->methods_subscribed = presence == ports::Presence::kMethodsSubscribed ||
                              (presence == ports::Presence::kConnected && entry->methods_subscribed);
  if (was_connected != entry->connected) {
    spdlog::info("{} {} {}", entry->identity.is_module() ? "module" : "device", key,
                 entry->connected ? "connected" : "disconnected");
    const auto now = clock_.Now();
    const auto state = entry->connected ? domain::ConnectionState::kConnected : domain::ConnectionState::kDisconnected;
    entry->identity.connection_state = state;
    entry->identity.connection_state_updated_time = now;
    entry->identity.last_activity_time = now;
    entry->twin.connection_state = state;
    entry->twin.last_activity_time = now;
    (void)Persist(*entry);  // a fact either way; the store catches up at the next write
    if (Wanted(events_)) {
      events_->Publish(entry->connected ? hub_event::kDeviceConnected : hub_event::kDeviceDisconnected,
                       IdentityFields(key));
    }
  }
  return presence == ports::Presence::kMethodsSubscribed && entry->connected;
}

json IdentityFields(std::string_view key) {
  const auto slash = key.find('/');  // device ids hold no '/'
  if (slash == std::string_view::npos) return {{"deviceId", key}};
  return {{"deviceId", key.substr(0, slash)}, {"moduleId", key.substr(slash + 1)}};
}

}  // namespace offhub::emulator
