#include "device_key_table.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "domain/base64.hpp"

namespace offhub::broker {
namespace {

// nullopt for a malformed key; "" for no key.
std::optional<std::string> ReadKey(const nlohmann::json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::nullopt;
  const auto& text = it->get_ref<const std::string&>();
  if (text.empty()) return std::string();
  return domain::Base64Decode(text);
}

std::optional<bool> ReadEnabled(const nlohmann::json& body) {
  const auto it = body.find("status");
  if (it == body.end()) return true;
  if (!it->is_string()) return std::nullopt;
  if (*it == "enabled") return true;
  if (*it == "disabled") return false;
  return std::nullopt;
}

}  // namespace

DeviceKeyTable::Change DeviceKeyTable::Apply(std::string_view device_id, std::string_view payload) {
  if (device_id.empty()) return Change::kRejected;
  if (payload.empty()) {
    const auto it = keys_.find(device_id);
    if (it != keys_.end()) keys_.erase(it);
    return Change::kRemoved;
  }
  const auto body = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return Change::kRejected;
  auto primary = ReadKey(body, "primaryKey");
  auto secondary = ReadKey(body, "secondaryKey");
  const auto enabled = ReadEnabled(body);
  if (!primary || !secondary || !enabled) return Change::kRejected;
  if (primary->size() > 255) return Change::kRejected;  // IoT Hub keys are 16 to 64 bytes
  std::string packed;
  packed.reserve(2 + primary->size() + secondary->size());
  packed += static_cast<char>(*enabled);
  packed += static_cast<char>(primary->size());
  packed += *primary;
  packed += *secondary;
  keys_.insert_or_assign(std::string(device_id), std::move(packed));
  return Change::kSet;
}

std::optional<DeviceKeys> DeviceKeyTable::Find(std::string_view device_id) const {
  const auto it = keys_.find(device_id);
  if (it == keys_.end()) return std::nullopt;
  const std::string_view packed = it->second;
  const auto primary_size = static_cast<unsigned char>(packed[1]);
  return DeviceKeys{std::string(packed.substr(2, primary_size)), std::string(packed.substr(2 + primary_size)),
                    packed[0] != 0};
}

}  // namespace offhub::broker
