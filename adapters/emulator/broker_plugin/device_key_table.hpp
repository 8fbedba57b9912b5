#pragma once
// The plugin's copy of device keys and status, fed by the hub core through
// "$offhub/keys/{id}" messages (see offhub_topics.hpp).

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "device_auth.hpp"

namespace offhub::broker {

class DeviceKeyTable {
 public:
  enum class Change { kRejected, kSet, kRemoved };

  // Applies one keys message. An empty payload removes the device; otherwise
  // the payload must be a JSON object {"primaryKey":b64,"secondaryKey":b64,
  // "status":"enabled"|"disabled"} where either key may be missing, null or
  // "" (no key) and a missing status means enabled. A malformed payload
  // changes nothing and yields kRejected.
  Change Apply(std::string_view device_id, std::string_view payload);

  // nullopt for an unknown device.
  std::optional<DeviceKeys> Find(std::string_view device_id) const;
  std::size_t size() const { return keys_.size(); }

 private:
  // Per device, one string: enabled (1 byte), the primary key's length (1
  // byte), the primary key, the secondary key (raw bytes). One allocation
  // per device instead of three: the broker holds every device's keys, a
  // million of them in the scale benchmark.
  std::map<std::string, std::string, std::less<>> keys_;
};

}  // namespace offhub::broker
