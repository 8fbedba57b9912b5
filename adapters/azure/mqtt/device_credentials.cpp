#include "adapters/azure/mqtt/device_credentials.hpp"

#include <algorithm>
#include <stdexcept>

#include "adapters/iothub/sas_token.hpp"

namespace offhub::azure::mqtt {
namespace {

std::int64_t SecondsSinceEpoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

DeviceCredentials DeviceCredentials::FromKey(std::string resource, std::string device_key, std::chrono::seconds ttl,
                                             WallClock now) {
  if (ttl.count() <= 0) throw std::invalid_argument("the SAS token TTL must be positive");
  DeviceCredentials credentials;
  credentials.resource_ = std::move(resource);
  credentials.key_ = std::move(device_key);
  credentials.ttl_ = ttl;
  credentials.now_ = std::move(now);
  const auto probe = iothub::MakeSasToken(credentials.resource_, credentials.key_, 0);
  if (!probe) throw std::invalid_argument("the device key is not usable: " + probe.error().message());
  return credentials;
}

DeviceCredentials DeviceCredentials::FromToken(std::string sas_token) {
  DeviceCredentials credentials;
  credentials.token_ = std::move(sas_token);
  return credentials;
}

std::string DeviceCredentials::Password() const {
  if (key_.empty()) return token_;
  auto token = iothub::MakeSasToken(resource_, key_, SecondsSinceEpoch(now_()) + ttl_.count());
  return token ? std::move(*token) : std::string();  // the key was checked in FromKey
}

std::optional<std::chrono::milliseconds> DeviceCredentials::RenewAfter() const {
  if (key_.empty()) return std::nullopt;
  // se is whole seconds (floor(now) + TTL), so a token may live up to a
  // second less than the TTL: 3/4 of what is sure to be left.
  const auto sure = std::chrono::duration_cast<std::chrono::milliseconds>(ttl_) - std::chrono::seconds(1);
  return std::max(sure, std::chrono::milliseconds(0)) * 3 / 4;
}

}  // namespace offhub::azure::mqtt
