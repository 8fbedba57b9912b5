#include "adapters/emulator/hub/local_hub.hpp"

#include "adapters/emulator/hub/hub_state.hpp"
#include "adapters/emulator/hub/job_engine.hpp"
#include "adapters/emulator/hub/method_dispatcher.hpp"
#include "adapters/emulator/hub/registry.hpp"
#include "adapters/emulator/hub/twin_query.hpp"

namespace offhub::emulator {
namespace {

class LocalHubImpl final : public LocalHub, public ports::PresenceListener {
 public:
  LocalHubImpl(ports::Clock& clock, ports::DeviceChannel& channel, ports::StateStore& store, LocalHubOptions options)
      : state_{clock, channel, store, {}, {}, {}},
        registry_(state_, options.observer),
        dispatcher_(state_),
        engine_(state_, dispatcher_, registry_, options.max_in_flight_per_job) {}

  ~LocalHubImpl() override {
    state_.channel.SetPresenceListener(nullptr);
    for (auto& [id, entry] : state_.jobs) {
      if (entry.start_timer) state_.clock.Cancel(*entry.start_timer);
      if (entry.deadline_timer) state_.clock.Cancel(*entry.deadline_timer);
    }
  }

  domain::Status Load() {
    auto loaded = state_.store.Load();
    if (!loaded) return loaded.error();
    for (auto& d : loaded->devices) {
      const std::string key = d.identity.key();
      auto& map = d.identity.is_module() ? state_.modules : state_.devices;
      DeviceEntry entry{std::move(d.identity), std::move(d.twin)};
      // Nobody is connected to a hub that just started.
      entry.identity.connection_state = domain::ConnectionState::kDisconnected;
      entry.twin.connection_state = domain::ConnectionState::kDisconnected;
      map.emplace(key, std::move(entry));
    }
    for (auto& job : loaded->jobs) {
      const std::string id = job.id();
      state_.jobs.emplace(id, JobEntry{std::move(job)});
    }
    for (auto& record : loaded->device_jobs) {
      if (JobEntry* job = state_.FindJob(record.job_id)) {
        const std::string device_id = record.device_id;
        job->records.emplace(device_id, std::move(record));
      }
    }
    state_.channel.SetPresenceListener(this);
    registry_.AnnounceAll();
    engine_.Resume();
    return domain::Success();
  }

  // Registry.
  domain::Result<nlohmann::json> PutIdentity(const domain::DeviceSpec& spec, ports::IfMatch if_match) override {
    return registry_.Put(spec, if_match);
  }
  domain::Result<nlohmann::json> GetIdentity(const ports::Identity& identity) override {
    return registry_.Get(identity.key());
  }
  domain::Status DeleteIdentity(const ports::Identity& identity, ports::IfMatch if_match) override {
    return registry_.Delete(identity.key(), if_match);
  }
  domain::Result<nlohmann::json> ListDevices(std::size_t top) override { return registry_.List(top); }
  domain::Result<nlohmann::json> ListModules(std::string_view device_id) override {
    return registry_.ListModules(device_id);
  }
  domain::Result<nlohmann::json> GetRegistryStatistics() override { return registry_.Statistics(); }
  domain::Result<nlohmann::json> GetServiceStatistics() override { return registry_.ServiceStatistics(); }

  // Twins.
  domain::Result<nlohmann::json> GetTwin(const ports::Identity& identity) override {
    return registry_.GetTwin(identity.key());
  }
  domain::Result<nlohmann::json> PatchTwin(const ports::Identity& identity, const nlohmann::json& patch,
                                           ports::IfMatch if_match) override {
    return registry_.WriteTwin(identity.key(), patch, if_match, /*replace=*/false);
  }
  domain::Result<nlohmann::json> ReplaceTwin(const ports::Identity& identity, const nlohmann::json& twin,
                                             ports::IfMatch if_match) override {
    return registry_.WriteTwin(identity.key(), twin, if_match, /*replace=*/true);
  }

  domain::Result<ports::QueryPage> Query(std::string_view sql, const ports::QueryPageRequest& page) override {
    return RunQuery(state_, sql, page);
  }

  void InvokeMethod(const ports::Identity& identity, const domain::MethodRequest& request,
                    MethodCallback done) override {
    dispatcher_.Invoke(identity.key(), request, std::move(done));
  }

  // Jobs.
  domain::Result<nlohmann::json> CreateJob(const domain::JobRequest& request) override {
    return engine_.Create(request);
  }
  domain::Result<nlohmann::json> GetJob(std::string_view id) override { return engine_.Get(id); }
  domain::Result<nlohmann::json> CancelJob(std::string_view id) override { return engine_.Cancel(id); }
  domain::Result<ports::QueryPage> ListJobs(const ports::JobListFilter& filter,
                                            const ports::QueryPageRequest& page) override {
    return engine_.List(filter, page);
  }

  domain::Result<nlohmann::json> OnTwinGet(std::string_view key) override {
    const DeviceEntry* entry = state_.FindIdentity(key);
    if (!entry) return state_.IdentityNotFound(key);
    return domain::DeviceView(entry->twin);
  }

  domain::Result<std::int64_t> OnReportedPatch(std::string_view key, const nlohmann::json& patch) override {
    return registry_.WriteReported(key, patch);
  }

  void OnTelemetry(std::string_view key, std::string_view, std::string_view) override {
    ++telemetry_count_;
    registry_.Touch(key);
  }

  std::uint64_t telemetry_count() const override { return telemetry_count_; }

  void OnPresence(std::string_view key, ports::Presence presence) override {
    const std::string id(key);
    registry_.OnPresence(id, presence);
    const DeviceEntry* entry = state_.FindIdentity(id);
    if (presence == ports::Presence::kMethodsSubscribed && entry && entry->ReachableForMethods()) {
      dispatcher_.OnDeviceReachable(id);
      engine_.OnDeviceReachable(id);
    }
  }

 private:
  HubState state_;
  Registry registry_;
  MethodDispatcher dispatcher_;
  JobEngine engine_;
  std::uint64_t telemetry_count_ = 0;
};

}  // namespace

domain::Result<std::unique_ptr<LocalHub>> MakeLocalHub(ports::Clock& clock, ports::DeviceChannel& channel,
                                                       ports::StateStore& store, LocalHubOptions options) {
  auto hub = std::make_unique<LocalHubImpl>(clock, channel, store, options);
  if (auto s = hub->Load(); !s) return s.error();
  return std::unique_ptr<LocalHub>(std::move(hub));
}

}  // namespace offhub::emulator
