#pragma once
// The plugin's copy of device keys and status, fed by the hub core through
// "$offhub/keys/{id}" messages (see offhub_topics.hpp).

#include <map>
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

  // nullptr for an unknown device. Valid until the next Apply.
  const DeviceKeys* Find(std::string_view device_id) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, DeviceKeys, std::less<>> keys_;
};

}  // namespace offhub::broker
