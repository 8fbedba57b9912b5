#pragma once
// FleetDevice: one simulated device of offhub-fleet, a lean libmosquitto
// client (iothub::MqttConnection) speaking IoT Hub's device MQTT protocol:
// - connects as `id` with a SAS token made from its key (a fresh one on every
//   connection attempt), reconnecting by itself with a jittered backoff;
// - subscribes to methods, desired-property notifications and twin answers
//   (https://learn.microsoft.com/azure/iot-hub/iot-mqtt-connect-to-iot-hub);
// - answers each method as MethodReplies says (after its latency);
// - reports each desired patch back as a reported patch, as the tutorial's
//   device does (apps/lib/door_lock.hpp, RunDoorLockDevice).
// Everything it sees goes into the worker's WorkerTallies.
// Threading: the io_context's thread only. The device must outlive nothing:
// pending replies are dropped when it is destroyed.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "adapters/azure/mqtt/device_credentials.hpp"
#include "adapters/iothub/mqtt_connection.hpp"
#include "apps/offhub_fleet/fleet_counts.hpp"
#include "apps/offhub_fleet/method_replies.hpp"

namespace offhub::fleet {

struct DeviceIdentity {
  std::string id;
  std::string key;  // base64 primary key
};

// How every device of a worker reaches the hub.
struct DeviceLink {
  std::string host_name;    // the hub's HostName: in usernames and SAS resources
  std::string host;         // where to connect
  int port = 8883;
  bool tls = true;
  std::string ca_file;      // TLS: PEM CAs to trust; empty: the system store
  std::chrono::seconds token_ttl{3600};
  int keepalive_seconds = 300;
};

class FleetDevice {
 public:
  // `settled` runs once, on the first attempt's outcome: subscribed, refused
  // or failed (the connection gate then starts the next device).
  // Throws std::invalid_argument when the key is not base64.
  FleetDevice(boost::asio::io_context& io, std::size_t index, const DeviceIdentity& identity, const DeviceLink& link,
              const MethodReplies& replies, WorkerTallies& tallies, std::function<void()> settled);
  ~FleetDevice();
  FleetDevice(const FleetDevice&) = delete;
  FleetDevice& operator=(const FleetDevice&) = delete;

  void Start();
  // Sends DISCONNECT and stops reconnecting.
  void Stop();
  // Reconnects with a fresh token once 3/4 of the token's lifetime has
  // passed since it connected; true when it did.
  bool RenewIfDue(std::chrono::steady_clock::time_point now);

 private:
  void OnConnect(int rc);
  void OnSubscribed(int granted_qos);
  void OnDisconnect();
  void OnMessage(std::string_view topic, std::string_view payload);
  void AnswerMethod(std::string_view topic);
  void ReportDesired(std::string_view topic, std::string_view payload);
  void OnTwinAnswer(std::string_view topic);
  void Respond(int status, const std::string& rid, const std::string& payload);
  void Settle();

  boost::asio::io_context& io_;
  std::size_t index_;
  const MethodReplies& replies_;
  WorkerTallies& tallies_;
  std::function<void()> settled_;
  azure::mqtt::DeviceCredentials credentials_;
  std::unique_ptr<iothub::MqttConnection> mqtt_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards delayed replies
  int subscriptions_pending_ = 0;
  bool up_ = false;  // connected and subscribed
  bool renewing_ = false;  // the next disconnect is ours, to connect with a fresh token
  std::optional<std::chrono::steady_clock::time_point> renew_at_;
  std::uint64_t next_rid_ = 1;
};

}  // namespace offhub::fleet
