#include "adapters/emulator/hub/registry.hpp"

#include <iterator>
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

Registry::Registry(HubState& state, RegistryObserver* observer)
    : state_(state), observer_(observer), random_(std::random_device{}()) {}

void Registry::AnnounceAll() {
  if (!observer_) return;
  for (const auto& [id, entry] : state_.devices) observer_->OnDeviceChanged(entry.identity);
  for (const auto& [key, entry] : state_.modules) observer_->OnDeviceChanged(entry.identity);
}

domain::Result<std::int64_t> Registry::WriteReported(std::string_view key, const json& patch) {
  DeviceEntry* entry = state_.FindIdentity(key);
  if (!entry) return state_.IdentityNotFound(key);
  DeviceEntry next = *entry;
  auto version = domain::ApplyReportedPatch(next.twin, patch, state_.clock.Now());
  if (!version) return version.error();
  next.twin.last_activity_time = state_.clock.Now();
  next.identity.last_activity_time = next.twin.last_activity_time;
  if (auto s = state_.Persist(next); !s) return s.error();
  *entry = std::move(next);
  return version;
}

void Registry::Touch(std::string_view key) {
  DeviceEntry* entry = state_.FindIdentity(key);
  if (!entry) return;
  entry->identity.last_activity_time = state_.clock.Now();
  entry->twin.last_activity_time = entry->identity.last_activity_time;
}

std::string Registry::NewGenerationId() {
  std::string digits = std::to_string(600000000000000000ULL + random_() % 100000000000000000ULL);
  return digits;
}

domain::Result<json> Registry::Put(const domain::DeviceSpec& spec, ports::IfMatch if_match) {
  const std::string key = domain::IdentityKey(spec.device_id, spec.module_id);
  const bool is_module = !spec.module_id.empty();
  if (is_module && !state_.FindDevice(spec.device_id)) return Error::DeviceNotFound(spec.device_id);
  DeviceEntry* entry = state_.FindIdentity(key);
  if (if_match) {
    if (!entry) return state_.IdentityNotFound(key);
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
  if (is_module && ModuleCount(spec.device_id) >= kMaxModulesPerDevice) {
    return Error(domain::ErrorCode::TooManyModulesOnDevice,
                 "Device '" + spec.device_id + "' already has " + std::to_string(kMaxModulesPerDevice) + " modules.");
  }
  return Create(spec);
}

std::size_t Registry::ModuleCount(std::string_view device_id) {
  const auto [first, last] = state_.ModulesOf(device_id);
  return static_cast<std::size_t>(std::distance(first, last));
}

domain::Result<json> Registry::Create(const domain::DeviceSpec& spec) {
  const auto now = state_.clock.Now();
  DeviceEntry entry;
  auto& d = entry.identity;
  d.device_id = spec.device_id;
  d.module_id = spec.module_id;
  d.managed_by = spec.managed_by;
  d.generation_id = NewGenerationId();
  // Etags of different identities differ, as on IoT Hub (base64 of a 9-digit
  // number there too), so an If-Match copied from another device fails.
  d.etag_counter = 100'000'000 + random_() % 800'000'000;
  d.status = spec.status;
  d.status_reason = spec.status_reason;
  d.authentication_type = spec.authentication_type;
  if (spec.authentication_type == "sas") {
    d.primary_key = spec.primary_key.empty() ? iothub::NewSymmetricKey() : spec.primary_key;
    d.secondary_key = spec.secondary_key.empty() ? iothub::NewSymmetricKey() : spec.secondary_key;
  }
  d.iot_edge = spec.iot_edge;
  entry.twin = domain::Twin::Create(spec.device_id, now);
  entry.twin.module_id = spec.module_id;
  MirrorIdentity(d, entry.twin);
  if (auto s = state_.Persist(entry); !s) return s.error();
  json doc = domain::ToJson(entry.identity);
  auto& map = d.is_module() ? state_.modules : state_.devices;
  const auto& stored = map.emplace(d.key(), std::move(entry)).first->second;
  if (observer_) observer_->OnDeviceChanged(stored.identity);
  return doc;
}

domain::Result<json> Registry::Update(DeviceEntry& entry, const domain::DeviceSpec& spec, ports::IfMatch if_match) {
  if (auto s = domain::CheckIfMatch(entry.identity.etag(), if_match); !s) return s.error();
  DeviceEntry next = entry;
  auto& d = next.identity;
  if (d.status != spec.status) d.status_updated_time = state_.clock.Now();
  d.status = spec.status;
  d.status_reason = spec.status_reason;
  d.authentication_type = spec.authentication_type;
  if (!spec.primary_key.empty()) d.primary_key = spec.primary_key;
  if (!spec.secondary_key.empty()) d.secondary_key = spec.secondary_key;
  d.iot_edge = spec.iot_edge;
  d.managed_by = spec.managed_by;
  d.etag_counter += 1;
  MirrorIdentity(d, next.twin);
  if (auto s = state_.Persist(next); !s) return s.error();
  entry = std::move(next);
  if (observer_) observer_->OnDeviceChanged(entry.identity);
  return domain::ToJson(entry.identity);
}

domain::Result<json> Registry::Get(std::string_view key) {
  const DeviceEntry* entry = state_.FindIdentity(key);
  if (!entry) return state_.IdentityNotFound(key);
  return domain::ToJson(entry->identity);
}

domain::Result<json> Registry::ListModules(std::string_view device_id) {
  if (!state_.FindDevice(device_id)) return Error::DeviceNotFound(device_id);
  json out = json::array();
  const auto [first, last] = state_.ModulesOf(device_id);
  for (auto it = first; it != last; ++it) out.push_back(domain::ToJson(it->second.identity));
  return out;
}

domain::Result<json> Registry::List(std::size_t top) {
  if (top == 0 || top > 1000) top = 1000;
  json out = json::array();
  for (const auto& [id, entry] : state_.devices) {
    if (out.size() == top) break;
    out.push_back(domain::ToJson(entry.identity));
  }
  return out;
}

domain::Status Registry::Delete(std::string_view key, ports::IfMatch if_match) {
  const DeviceEntry* entry = state_.FindIdentity(key);
  if (!entry) return state_.IdentityNotFound(key);
  if (auto s = domain::CheckIfMatch(entry->identity.etag(), if_match); !s) return s;
  if (auto s = state_.store.DeleteDevice(key); !s) return s;
  std::vector<std::string> removed{std::string(key)};
  if (entry->identity.is_module()) {
    state_.modules.erase(state_.modules.find(key));
  } else {
    state_.devices.erase(state_.devices.find(key));
    const auto [first, last] = state_.ModulesOf(key);
    for (auto it = first; it != last; ++it) removed.push_back(it->first);
    state_.modules.erase(first, last);
  }
  if (observer_) {
    for (const auto& gone : removed) observer_->OnDeviceRemoved(gone);
  }
  return domain::Success();
}

domain::Result<json> Registry::Statistics() {
  std::int64_t enabled = 0;
  for (const auto& [id, entry] : state_.devices) enabled += entry.identity.status == domain::DeviceStatus::kEnabled;
  const auto total = static_cast<std::int64_t>(state_.devices.size());
  return json{{"totalDeviceCount", total}, {"enabledDeviceCount", enabled}, {"disabledDeviceCount", total - enabled}};
}

domain::Result<json> Registry::ServiceStatistics() {
  std::int64_t connected = 0;
  for (const auto& [id, entry] : state_.devices) connected += entry.connected;
  return json{{"connectedDeviceCount", connected}};
}

domain::Result<json> Registry::GetTwin(std::string_view key) {
  const DeviceEntry* entry = state_.FindIdentity(key);
  if (!entry) return state_.IdentityNotFound(key);
  return domain::ToJson(entry->twin);
}

domain::Result<json> Registry::WriteTwin(std::string_view key, const json& body, ports::IfMatch if_match,
                                         bool replace) {
  if (auto written = ApplyTwinWrite(key, body, if_match, replace); !written) return written.error();
  return domain::ToJson(state_.FindIdentity(key)->twin);
}

domain::Status Registry::ApplyTwinWrite(std::string_view key, const json& body, ports::IfMatch if_match,
                                        bool replace) {
  DeviceEntry* entry = state_.FindIdentity(key);
  if (!entry) return state_.IdentityNotFound(key);
  if (auto s = domain::CheckIfMatch(entry->twin.etag(), if_match); !s) return s.error();
  DeviceEntry next = *entry;
  const auto now = state_.clock.Now();
  auto written = replace ? domain::ApplyServiceReplace(next.twin, body, now)
                         : domain::ApplyServicePatch(next.twin, body, now);
  if (!written) return written.error();
  if (auto s = state_.Persist(next); !s) return s.error();
  *entry = std::move(next);
  if (written->notification && entry->connected) state_.channel.SendDesired(key, *written->notification);
  return domain::Success();
}

void Registry::OnPresence(const std::string& key, ports::Presence presence) {
  DeviceEntry* entry = state_.FindIdentity(key);
  if (!entry) return;
  const auto now = state_.clock.Now();
  const bool was_connected = entry->connected;
  entry->connected = presence != ports::Presence::kDisconnected;
  entry->methods_subscribed = presence == ports::Presence::kMethodsSubscribed ||
                              (presence == ports::Presence::kConnected && entry->methods_subscribed);
  if (was_connected == entry->connected) return;
  spdlog::info("{} {} {}", entry->identity.is_module() ? "module" : "device", key,
               entry->connected ? "connected" : "disconnected");
  const auto state = entry->connected ? domain::ConnectionState::kConnected : domain::ConnectionState::kDisconnected;
  entry->identity.connection_state = state;
  entry->identity.connection_state_updated_time = now;
  entry->identity.last_activity_time = now;
  entry->twin.connection_state = state;
  entry->twin.last_activity_time = now;
  (void)state_.Persist(*entry);
}

}  // namespace offhub::emulator
