#pragma once
// The identity registry and twins of LocalHub, and their only owner: devices
// and their modules with etags and generated keys, every twin read and write
// (service patches and replacements, twin jobs through the twins port,
// reported patches, connection state), and presence (connected, subscribed to
// methods). Identity keys are domain::IdentityKey: "{deviceId}" or
// "{deviceId}/{moduleId}".
//
// IoT Hub's rules: a module needs its device (404 DeviceNotFound); deleting
// a device deletes its modules. At most 50 modules per device, else 413
// TooManyModulesOnDevice: the error is IoT Hub's, the figure offhub's reading
// of Azure's service limits (not confirmed against a real hub).
//
// Decisions where IoT Hub's docs are silent:
// - PUT with If-Match on a device that does not exist is 404 DeviceNotFound
//   (an update needs something to update).
// - An update that leaves the keys empty keeps the existing ones.
// - Every write goes to the store first; if the store fails, memory is left
//   as it was and the caller gets the store's error. Presence and telemetry
//   activity are the exception: they are facts, kept in memory even if the
//   store cannot record them.
//
// Threading: the hub's event loop only.

#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/emulator/hub/hub_events.hpp"
#include "adapters/emulator/hub/local_hub.hpp"
#include "domain/device.hpp"
#include "domain/query/source.hpp"
#include "domain/twin.hpp"
#include "ports/clock.hpp"
#include "ports/device_channel.hpp"
#include "ports/registry_service.hpp"
#include "ports/state_store.hpp"
#include "ports/twin_service.hpp"

namespace offhub::emulator {

// A new identity and its twin, as PUT /devices/{id} makes it: generation id
// and first etag from `random`, keys the spec leaves empty generated (OpenSSL).
ports::StoredDevice NewIdentity(const domain::DeviceSpec& spec, domain::UtcTime now, std::mt19937_64& random);

class Registry final : public ports::RegistryService, public ports::TwinService {
 public:
  // `events` (optional) hears of connections and twin changes (hub_events.hpp).
  Registry(ports::Clock& clock, ports::DeviceChannel& channel, ports::StateStore& store, RegistryObserver* observer,
           HubEvents* events = nullptr);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The identities a store loaded, all disconnected; tells the observer of each.
  void Load(std::vector<ports::StoredDevice> devices);
  // Every identity becomes `devices` (which the store holds already): the
  // observer hears of each identity removed, then of each one new or with
  // other keys or status; one that stays keeps its presence (its connection
  // outlives the change).
  void Replace(std::vector<ports::StoredDevice> devices);
  // Every identity with its twin: devices, then modules, in key order.
  std::vector<ports::StoredDevice> Snapshot() const;

  domain::Result<nlohmann::json> PutIdentity(const domain::DeviceSpec& spec, ports::IfMatch if_match) override;
  domain::Result<nlohmann::json> GetIdentity(const ports::Identity& identity) override;
  domain::Status DeleteIdentity(const ports::Identity& identity, ports::IfMatch if_match) override;
  domain::Result<nlohmann::json> ListDevices(std::size_t top) override;
  domain::Result<nlohmann::json> ListModules(std::string_view device_id) override;
  domain::Result<nlohmann::json> GetRegistryStatistics() override;
  domain::Result<nlohmann::json> GetServiceStatistics() override;

  domain::Result<nlohmann::json> GetTwin(const ports::Identity& identity) override;
  domain::Result<nlohmann::json> PatchTwin(const ports::Identity& identity, const nlohmann::json& patch,
                                           ports::IfMatch if_match) override;
  domain::Result<nlohmann::json> ReplaceTwin(const ports::Identity& identity, const nlohmann::json& twin,
                                             ports::IfMatch if_match) override;
  domain::Status ApplyTwinPatch(const ports::Identity& identity, const nlohmann::json& patch,
                                ports::IfMatch if_match) override;

  // What devices ask, by identity key: their twin, a reported patch (returns
  // the new reported $version), telemetry (lastActivityTime moves).
  domain::Result<nlohmann::json> DeviceTwin(std::string_view key) const;
  domain::Result<std::int64_t> WriteReported(std::string_view key, const nlohmann::json& patch);
  void Touch(std::string_view key);

  // Presence, from the device channel. True when the identity has just
  // subscribed to methods (calls waiting for it can go out).
  bool OnPresence(std::string_view key, ports::Presence presence);

  bool Exists(std::string_view key) const { return Find(key) != nullptr; }
  bool ReachableForMethods(std::string_view key) const;
  // 404 DeviceNotFound, or ModuleNotFound when the key names a module of an existing device.
  domain::Error NotFound(std::string_view key) const;

  // Device twins and module twins in key order, for the query runner.
  const domain::query::TwinSource& device_twins() const { return device_twins_; }
  const domain::query::TwinSource& module_twins() const { return module_twins_; }

 private:
  static constexpr std::size_t kMaxModulesPerDevice = 50;

  // An identity with its twin and its presence.
  struct Entry {
    domain::Device identity;
    domain::Twin twin;
    bool connected = false;
    bool methods_subscribed = false;
  };
  using EntryMap = std::map<std::string, Entry, std::less<>>;

  class Twins final : public domain::query::TwinSource {
   public:
    explicit Twins(const EntryMap& entries) : entries_(entries) {}
    void ForEachAfter(std::optional<std::string_view> after,
                      const std::function<bool(const domain::Twin&)>& visit) const override;

   private:
    const EntryMap& entries_;
  };

  Entry* Find(std::string_view key);
  const Entry* Find(std::string_view key) const;
  // The modules of one device, as [first, last) of `modules_`.
  std::pair<EntryMap::iterator, EntryMap::iterator> ModulesOf(std::string_view device_id);
  domain::Status Persist(const Entry& entry) { return store_.SaveDevice({entry.identity, entry.twin}); }
  domain::Result<nlohmann::json> Create(const domain::DeviceSpec& spec);
  domain::Result<nlohmann::json> Update(Entry& entry, const domain::DeviceSpec& spec, ports::IfMatch if_match);
  // The one twin write of the service side; the written entry, or the error.
  domain::Result<const Entry*> WriteTwin(std::string_view key, const nlohmann::json& body, ports::IfMatch if_match,
                                         bool replace);

  ports::Clock& clock_;
  ports::DeviceChannel& channel_;
  ports::StateStore& store_;
  RegistryObserver* observer_;
  EntryMap devices_;
  EntryMap modules_;  // by "{deviceId}/{moduleId}": a device's modules are adjacent
  Twins device_twins_{devices_};
  Twins module_twins_{modules_};
  HubEvents* events_;
  std::mt19937_64 random_;  // generation ids and first etags (not secrets; keys come from OpenSSL)
};

}  // namespace offhub::emulator
