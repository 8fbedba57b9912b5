// Twins and device identities read back from the JSON they are served as:
// what a durable store keeps, and what a client of a real hub receives.
#include <charconv>
#include <optional>

#include "domain/base64.hpp"
#include "domain/device.hpp"
#include "domain/twin.hpp"

namespace offhub::domain {
namespace {

using nlohmann::json;

Error Bad(const std::string& what) { return Error::ArgumentInvalid("Not a valid stored document: " + what); }

std::string String(const json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t Integer(const json& doc, const char* key, std::int64_t fallback = 0) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

// "0001-01-01T00:00:00[Z]" means never.
std::optional<UtcTime> Time(const json& doc, const char* key) {
  const std::string text = String(doc, key);
  if (text.empty() || text.starts_with("0001-01-01")) return std::nullopt;
  return ParseUtc(text);
}

std::optional<std::string> OptionalString(const json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

ConnectionState ConnectionStateOf(const json& doc) {
  return String(doc, "connectionState") == "Connected" ? ConnectionState::kConnected : ConnectionState::kDisconnected;
}

Result<TwinSection> Section(const json& properties, const char* name) {
  const auto it = properties.find(name);
  if (it == properties.end() || !it->is_object()) return Bad(std::string("properties.") + name);
  TwinSection section;
  section.properties = *it;
  section.properties.erase("$version");
  section.properties.erase("$metadata");
  if (section.properties.empty()) section.properties = nullptr;  // see TwinSection
  section.version = Integer(*it, "$version", 1);
  const auto metadata = it->find("$metadata");
  if (metadata != it->end() && metadata->is_object()) section.last_updated = Time(*metadata, "$lastUpdated").value_or(UtcTime{});
  return section;
}

// The twin etag is base64 of an 8-byte big-endian counter.
std::optional<std::uint64_t> TwinEtagCounter(const std::string& etag) {
  const auto bytes = Base64Decode(etag);
  if (!bytes || bytes->size() != 8) return std::nullopt;
  std::uint64_t counter = 0;
  for (const char b : *bytes) counter = counter << 8 | static_cast<unsigned char>(b);
  return counter;
}

}  // namespace

Result<Twin> TwinFromJson(const json& doc) {
  if (!doc.is_object() || String(doc, "deviceId").empty()) return Bad("a twin needs a deviceId");
  Twin twin;
  twin.device_id = String(doc, "deviceId");
  twin.module_id = String(doc, "moduleId");
  const auto counter = TwinEtagCounter(String(doc, "etag"));
  if (!counter) return Bad("twin etag");
  twin.etag_counter = *counter;
  twin.device_etag = String(doc, "deviceEtag");
  twin.status = ParseDeviceStatus(String(doc, "status")).value_or(DeviceStatus::kEnabled);
  twin.status_reason = OptionalString(doc, "statusReason");
  twin.status_update_time = Time(doc, "statusUpdateTime");
  twin.connection_state = ConnectionStateOf(doc);
  twin.last_activity_time = Time(doc, "lastActivityTime");
  twin.cloud_to_device_message_count = Integer(doc, "cloudToDeviceMessageCount");
  twin.authentication_type = String(doc, "authenticationType");
  twin.model_id = String(doc, "modelId");
  twin.version = Integer(doc, "version", 2);
  if (const auto tags = doc.find("tags"); tags != doc.end() && tags->is_object() && !tags->empty()) {
    twin.tags = *tags;
  }
  const auto properties = doc.find("properties");
  if (properties == doc.end() || !properties->is_object()) return Bad("twin properties");
  auto desired = Section(*properties, "desired");
  if (!desired) return desired.error();
  auto reported = Section(*properties, "reported");
  if (!reported) return reported.error();
  twin.desired = std::move(*desired);
  twin.reported = std::move(*reported);
  if (const auto caps = doc.find("capabilities"); caps != doc.end() && caps->is_object()) {
    twin.iot_edge = caps->value("iotEdge", false);
  }
  return twin;
}

Result<Device> DeviceFromJson(const json& doc) {
  if (!doc.is_object() || String(doc, "deviceId").empty()) return Bad("a device needs a deviceId");
  Device d;
  d.device_id = String(doc, "deviceId");
  d.module_id = String(doc, "moduleId");
  d.managed_by = OptionalString(doc, "managedBy");
  d.generation_id = String(doc, "generationId");
  const auto etag = Base64Decode(String(doc, "etag"));
  if (!etag || etag->empty()) return Bad("device etag");
  const auto* end = etag->data() + etag->size();
  if (std::from_chars(etag->data(), end, d.etag_counter).ptr != end) return Bad("device etag");
  d.status = ParseDeviceStatus(String(doc, "status")).value_or(DeviceStatus::kEnabled);
  d.status_reason = OptionalString(doc, "statusReason");
  d.status_updated_time = Time(doc, "statusUpdatedTime");
  d.connection_state = ConnectionStateOf(doc);
  d.connection_state_updated_time = Time(doc, "connectionStateUpdatedTime");
  d.last_activity_time = Time(doc, "lastActivityTime");
  d.cloud_to_device_message_count = Integer(doc, "cloudToDeviceMessageCount");
  if (const auto auth = doc.find("authentication"); auth != doc.end() && auth->is_object()) {
    d.authentication_type = String(*auth, "type");
    if (const auto sym = auth->find("symmetricKey"); sym != auth->end() && sym->is_object()) {
      d.primary_key = String(*sym, "primaryKey");
      d.secondary_key = String(*sym, "secondaryKey");
    }
  }
  if (const auto caps = doc.find("capabilities"); caps != doc.end() && caps->is_object()) {
    d.iot_edge = caps->value("iotEdge", false);
  }
  return d;
}

}  // namespace offhub::domain
