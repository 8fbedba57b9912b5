#include "domain/twin.hpp"

#include <algorithm>

#include "domain/base64.hpp"

namespace offhub::domain {

std::string_view ToString(DeviceStatus s) { return s == DeviceStatus::kEnabled ? "enabled" : "disabled"; }

std::string_view ToString(ConnectionState s) {
  return s == ConnectionState::kConnected ? "Connected" : "Disconnected";
}

std::optional<DeviceStatus> ParseDeviceStatus(std::string_view text) {
  const auto is = [text](std::string_view word) {
    return text.size() == word.size() && std::equal(text.begin(), text.end(), word.begin(), [](char a, char b) {
             return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
           });
  };
  if (is("enabled")) return DeviceStatus::kEnabled;
  if (is("disabled")) return DeviceStatus::kDisabled;
  return std::nullopt;
}

Twin Twin::Create(std::string device_id, UtcTime now) {
  Twin twin;
  twin.device_id = std::move(device_id);
  twin.desired.last_updated = now;
  twin.reported.last_updated = now;
  return twin;
}

std::string Twin::etag() const {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[7 - i] = static_cast<char>(etag_counter >> (8 * i) & 0xff);
  return Base64Encode(bytes);
}

const nlohmann::json& ObjectOrEmpty(const nlohmann::json& value) {
  static const nlohmann::json empty = nlohmann::json::object();
  return value.is_null() ? empty : value;
}

namespace {

std::string TimeOrNever(const std::optional<UtcTime>& t) {
  return t ? FormatUtc(*t) : std::string(kNeverUtc);
}

nlohmann::json SectionJson(const TwinSection& section, bool with_metadata) {
  nlohmann::json out = ObjectOrEmpty(section.properties);
  if (with_metadata) out["$metadata"] = {{"$lastUpdated", FormatUtc(section.last_updated)}};
  out["$version"] = section.version;
  return out;
}

}  // namespace

nlohmann::json ToJson(const Twin& twin) {
  nlohmann::json doc = {
      {"deviceId", twin.device_id},
      {"etag", twin.etag()},
      {"deviceEtag", twin.device_etag},
      {"status", ToString(twin.status)},
      {"statusReason", twin.status_reason ? nlohmann::json(*twin.status_reason) : nlohmann::json(nullptr)},
      {"statusUpdateTime", TimeOrNever(twin.status_update_time)},
      {"connectionState", ToString(twin.connection_state)},
      {"lastActivityTime", TimeOrNever(twin.last_activity_time)},
      {"cloudToDeviceMessageCount", twin.cloud_to_device_message_count},
      {"authenticationType", twin.authentication_type},
      {"x509Thumbprint", {{"primaryThumbprint", nullptr}, {"secondaryThumbprint", nullptr}}},
      {"modelId", twin.model_id},
      {"version", twin.version},
      {"tags", ObjectOrEmpty(twin.tags)},
      {"properties",
       {{"desired", SectionJson(twin.desired, true)}, {"reported", SectionJson(twin.reported, true)}}},
  };
  if (twin.module_id.empty()) {
    doc["capabilities"] = {{"iotEdge", twin.iot_edge}};
  } else {
    doc["moduleId"] = twin.module_id;
  }
  return doc;
}

nlohmann::json DeviceView(const Twin& twin) {
  return {{"desired", SectionJson(twin.desired, false)}, {"reported", SectionJson(twin.reported, false)}};
}

Status CheckIfMatch(std::string_view current_etag, std::optional<std::string_view> if_match) {
  if (!if_match) return Success();
  std::string_view value = *if_match;
  if (value.starts_with("W/")) value.remove_prefix(2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  if (value.empty() || value == "*" || value == current_etag) return Success();
  return Error::PreconditionFailed("Precondition failed: the etag \"" + std::string(value) +
                                   "\" does not match the current etag \"" + std::string(current_etag) + "\"");
}

}  // namespace offhub::domain
