#pragma once
// DeviceCredentials: the MQTT password of a device, a SAS token either made
// from the device key (fresh for every call) or fixed.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace offhub::azure::mqtt {

class DeviceCredentials {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  // Throws std::invalid_argument when `device_key` is not base64.
  static DeviceCredentials FromKey(std::string resource, std::string device_key, std::chrono::seconds ttl,
                                   WallClock now = std::chrono::system_clock::now);
  static DeviceCredentials FromToken(std::string sas_token);

  // The token to connect with: with a key, expiring now + ttl.
  std::string Password() const;
  // How long after connecting with a fresh token to reconnect with a new one:
  // 3/4 of the token's sure lifetime, TTL - 1 s because se is whole seconds
  // (2699.25 s of 3600, about the Node SDK's 2700); nullopt for a fixed token.
  std::optional<std::chrono::milliseconds> RenewAfter() const;

 private:
  std::string resource_;
  std::string key_;
  std::string token_;
  std::chrono::seconds ttl_{0};
  WallClock now_;
};

}  // namespace offhub::azure::mqtt
