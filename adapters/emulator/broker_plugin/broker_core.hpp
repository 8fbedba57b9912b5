#pragma once
// BrokerCore: everything the broker plugin decides, without mosquitto. The
// plugin's entry points (plugin_main.cpp) translate broker events into these
// calls and carry out what the core queues (copies to publish, clients to
// kick). One instance per broker; called from the broker's single thread.
//
// Clients are either the hub core (client ids kHubClientId and kKeysClientId,
// logged in with the per-run username/password from the plugin options) or
// devices (client id = device id, IoT Hub username and SAS token, keys pushed
// by the hub).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "device_auth.hpp"
#include "device_key_table.hpp"

namespace offhub::broker {

struct PluginOptions {
  std::string hub_username;  // plugin_opt_hub_username, required
  std::string hub_password;  // plugin_opt_hub_password, required
  std::string hostname;      // plugin_opt_hostname; empty accepts any {host}
  std::string keys_file;     // plugin_opt_keys_file; optional, read at start (LoadKeys)
  std::string sessions_file{};  // plugin_opt_sessions_file; optional, kept with the broker's persistence
};
// nullopt when a required option is missing or empty.
std::optional<PluginOptions> ParsePluginOptions(const std::vector<std::pair<std::string, std::string>>& options);

// One message for the plugin to publish to one client.
struct Outgoing {
  std::string client_id;
  std::string topic;
  std::string payload;
  int qos = 0;
};

// Why the core wants a client disconnected.
enum class KickReason {
  kRemoved,       // the hub removed the device
  kDisabled,      // the hub disabled the device
  kQos2Publish,   // IoT Hub does not support QoS 2 and closes the connection
  kTokenExpired,  // the SAS token's se has passed (IoT Hub logs 401003)
  kTooLarge,      // a message over IoT Hub's size limit (MessageTooLarge, 413001)
  kRequested,     // the hub asked ("$offhub/kick/{id}": a test's disconnect fault)
};

// IoT Hub's message size limits, in payload bytes
// (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling#other-limits):
// device-to-cloud messages 256 KB, direct-method answers 128 KB. A device that
// sends more is disconnected, as the hub closes such connections; the broker's
// max_packet_size (a little above) keeps a huge packet from being buffered at all.
inline constexpr std::size_t kMaxDeviceMessageBytes = 256 * 1024;
inline constexpr std::size_t kMaxMethodAnswerBytes = 128 * 1024;
std::string_view KickReasonName(KickReason reason);

// Twin requests per device, counted here so one device's flood never reaches
// the hub's connection (where every device's traffic waits in one queue): a
// device gets kTwinRequestsPerSecond twin GETs and as many reported patches
// a second (each a bucket that size, refilled continuously). Beyond that a
// request is answered "$iothub/twin/res/429/?$rid=..." with IoT Hub's
// ThrottlingException body (429001) and not passed on; answers of that kind
// are themselves limited to kTwinRequestsPerSecond a second, the rest
// dropped, so a device that floods and never reads fills nothing.
// IoT Hub allows an S1 unit 100 twin reads and 50 twin updates a second for
// the whole hub (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling),
// so no device within a real hub's limits is refused here. offhub's figure.
inline constexpr double kTwinRequestsPerSecond = 100;

// Milliseconds on a monotonic clock (the core's only notion of elapsed time).
using MillisClock = std::int64_t (*)();
std::int64_t SteadyMillis();

struct Kick {
  std::string client_id;
  KickReason reason = KickReason::kRemoved;
  bool operator==(const Kick&) const = default;
};

class BrokerCore {
 public:
  using ClientHandle = const void*;  // the broker's client object; identity only
  enum class Access { kRead, kWrite, kSubscribe, kUnsubscribe };

  struct Connect {
    ClientHandle handle = nullptr;
    std::string_view client_id;
    std::string_view username;
    std::string_view password;
    bool clean_session = true;
  };

  explicit BrokerCore(PluginOptions options, MillisClock now_ms = SteadyMillis)
      : options_(std::move(options)), now_ms_(now_ms) {}

  // MOSQ_EVT_BASIC_AUTH. On success queues presence for the hub: "connected",
  // then "methods"/"desired" when the device's kept session (clean=false)
  // holds those subscriptions. When the hub connects it gets a snapshot of every
  // connected device the same way. The hub answer is kAccepted or kMalformed.
  // An accepted device is kept with its token's expiry (see ExpireTokens);
  // a reconnect replaces it and cancels a kick still queued for that id.
  AuthResult Authenticate(const Connect& connect, std::int64_t now_seconds);

  // MOSQ_EVT_ACL_CHECK. The hub may do anything; devices follow device_acl.hpp.
  // Subscribing to "$iothub/methods/POST/#" queues a "methods" presence, to
  // "$iothub/twin/PATCH/properties/desired/#" a "desired" one.
  bool Allow(std::string_view client_id, std::string_view topic, Access access);

  // MOSQ_EVT_MESSAGE. Every publish is consumed: the plugin drops the
  // original. Hub "$offhub/to/{id}/t" -> copy to device {id} on t; hub
  // "$offhub/keys/{id}" -> key table (and a kick when the device is removed
  // or disabled); device publishes -> copy to the hub on "$offhub/from/{id}/t" at QoS 0,
  // except QoS 2 ones: nothing is copied and the device is kicked
  // (https://learn.microsoft.com/azure/iot-hub/iot-mqtt-connect-to-iot-hub),
  // and twin requests beyond the device's rate (kTwinRequestsPerSecond).
  void Consume(std::string_view client_id, std::string_view topic, std::string_view payload, int qos);

  // The keys the broker starts with (so devices reconnecting after a broker
  // restart are not refused before the hub is back): a JSON object
  // {"<deviceId>": <keys payload as for $offhub/keys>, ...}. Returns the
  // number of devices loaded; malformed entries are skipped, a malformed
  // document loads nothing.
  std::size_t LoadKeys(std::string_view json_text);

  // Persistent sessions across broker restarts (mosquitto's persistence
  // keeps their subscriptions, but the plugin learns of those only from
  // SUBSCRIBE packets, which a device resuming its session does not send
  // again): a JSON object {"<clientId>":{"methods":bool,"desired":bool},...}
  // of the clean=false sessions holding IoT Hub's method or desired-property
  // subscription. LoadSessions (at start, before any client) adopts them, so
  // the device's next clean=false connect announces "methods"/"desired" as
  // in the same broker's life; it returns how many it loaded, and a
  // malformed document loads nothing. TakeSessionsSnapshot returns the
  // current document when it changed since the last call, else nullopt.
  std::size_t LoadSessions(std::string_view json_text);
  std::optional<std::string> TakeSessionsSnapshot();

  // When to save the broker's persistent state (mosquitto's database and the
  // sessions document) so that a kill loses little: after a persistent
  // session (clean = false) was begun or ended, or such a session subscribed
  // or unsubscribed. Called at every broker tick (at least every 100 ms):
  // a save is due once no such change came for kSaveSettleMs, so a device's
  // CONNECT and the SUBSCRIBEs right after it are saved together (saved
  // alone, the session would come back present without its subscriptions),
  // or once the oldest unsaved change is kMaxSaveDelayMs old. A storm of
  // 10,000 devices connecting thus saves about once a second, not once per
  // device (each save writes every session). SaveDue(now_ms) says whether a
  // save is due now, and counts it done when it is.
  static constexpr std::int64_t kSaveSettleMs = 200;
  static constexpr std::int64_t kMaxSaveDelayMs = 1000;
  bool SaveDue(std::int64_t now_ms);

  // MOSQ_EVT_DISCONNECT, for any client (also ones refused or taken over).
  // Only the current connection of a device produces "disconnected".
  void Disconnected(ClientHandle handle, std::string_view client_id);

  // MOSQ_EVT_TICK. Queues a kick for every connected device whose token's se
  // is <= now_seconds (the hub core never expires). Cheap when nothing is due.
  void ExpireTokens(std::int64_t now_seconds);

  // Kicked devices count as gone at once: until their disconnect lands, the
  // core refuses their publishes, subscriptions and deliveries.
  std::vector<Outgoing> TakeOutbox() { return std::exchange(outbox_, {}); }
  std::vector<Kick> TakeKicks() { return std::exchange(kicks_, {}); }
  const DeviceKeyTable& keys() const { return keys_; }

 private:
  // Tokens refilled at kTwinRequestsPerSecond up to as many.
  struct Bucket {
    double tokens = kTwinRequestsPerSecond;
    std::int64_t refilled_ms = 0;  // 0: full, not used yet
    bool Take(std::int64_t now_ms);
  };
  struct Session {
    Bucket twin_reads, reported_patches, throttled_answers;
    ClientHandle handle = nullptr;  // set while connected
    std::int64_t token_expiry = 0;  // the connection's token se, while connected
    bool closing = false;           // kicked, the disconnect not yet seen
    bool clean = true;
    bool methods = false;  // the session holds "$iothub/methods/POST/#"
    bool desired = false;  // the session holds "$iothub/twin/PATCH/properties/desired/#"
    bool Kept() const { return !clean && (methods || desired); }  // what LoadSessions restores
    // What the sessions document says of it (nullopt: not in it).
    std::optional<std::pair<bool, bool>> Persisted() const {
      return Kept() ? std::optional(std::pair(methods, desired)) : std::nullopt;
    }
  };

  AuthResult AuthenticateHub(const Connect& connect);
  AuthResult AuthenticateDevice(const Connect& connect, std::int64_t now_seconds);
  void ConsumeFromHub(std::string_view topic, std::string_view payload, int qos);
  void Presence(std::string_view device_id, std::string_view what);
  void AnnounceSession(std::string_view device_id, const Session& session);
  bool IsConnectedDevice(std::string_view client_id) const;
  void KickDevice(std::string_view client_id, KickReason reason);
  // False when the device's twin request is over its rate (answered 429 or dropped).
  bool TakeTwinRequest(std::string_view client_id, std::string_view topic);

  PluginOptions options_;
  MillisClock now_ms_;
  DeviceKeyTable keys_;
  std::map<std::string, Session, std::less<>> sessions_;
  std::vector<Outgoing> outbox_;
  std::set<std::pair<std::int64_t, std::string>> expiries_;  // (se, id) of connected devices not kicked yet
  std::vector<Kick> kicks_;
  bool sessions_changed_ = false;
  bool persistent_changed_ = false;               // since the last SaveDue call
  std::optional<std::int64_t> unsaved_since_ms_;  // the first change not saved yet
  std::int64_t last_change_ms_ = 0;
};

}  // namespace offhub::broker
