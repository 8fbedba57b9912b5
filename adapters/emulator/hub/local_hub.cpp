#include "adapters/emulator/hub/local_hub.hpp"

#include "adapters/emulator/hub/job_engine.hpp"
#include "adapters/emulator/hub/method_dispatcher.hpp"
#include "adapters/emulator/hub/registry.hpp"
#include "adapters/emulator/hub/twin_query.hpp"
#include "adapters/iothub/device_topics.hpp"
#include "domain/base64.hpp"
#include "domain/json_text.hpp"

namespace offhub::emulator {
namespace {

// The composition of the hub's parts, each the one owner of its state:
// identities, twins and presence (Registry), method calls (MethodDispatcher),
// jobs and their records (JobEngine); queries read the first and the last.
// The job engine reaches the others only through the twins and queries ports
// and the dispatcher: this is where a wrapper of either would slot in.
class LocalHubImpl final : public LocalHub, public ports::PresenceListener {
 public:
  LocalHubImpl(ports::Clock& clock, ports::DeviceChannel& channel, ports::StateStore& store, LocalHubOptions options)
      : channel_(channel),
        store_(store),
        events_(options.events),
        registry_(clock, channel, store, options.observer, options.events),
        dispatcher_(clock, channel, registry_),
        queries_(registry_, engine_),
        engine_({clock, store, queries_, registry_, dispatcher_, options.events}, options.max_in_flight_per_job,
                options.tier ? &*options.tier : nullptr) {}

  ~LocalHubImpl() override { channel_.SetPresenceListener(nullptr); }

  void Load(ports::StoredState loaded) {
    registry_.Load(std::move(loaded.devices));
    channel_.SetPresenceListener(this);
    engine_.Load(std::move(loaded.jobs), std::move(loaded.device_jobs));
  }

  domain::Result<nlohmann::json> PutIdentity(const domain::DeviceSpec& spec, ports::IfMatch if_match) override {
    return registry_.PutIdentity(spec, if_match);
  }
  domain::Result<nlohmann::json> GetIdentity(const ports::Identity& identity) override {
    return registry_.GetIdentity(identity);
  }
  domain::Status DeleteIdentity(const ports::Identity& identity, ports::IfMatch if_match) override {
    return registry_.DeleteIdentity(identity, if_match);
  }
  domain::Result<nlohmann::json> ListDevices(std::size_t top) override { return registry_.ListDevices(top); }
  domain::Result<nlohmann::json> ListModules(std::string_view device_id) override {
    return registry_.ListModules(device_id);
  }
  domain::Result<nlohmann::json> GetRegistryStatistics() override { return registry_.GetRegistryStatistics(); }
  domain::Result<nlohmann::json> GetServiceStatistics() override { return registry_.GetServiceStatistics(); }

  domain::Result<nlohmann::json> GetTwin(const ports::Identity& identity) override {
    return registry_.GetTwin(identity);
  }
  domain::Result<nlohmann::json> PatchTwin(const ports::Identity& identity, const nlohmann::json& patch,
                                           ports::IfMatch if_match) override {
    return registry_.PatchTwin(identity, patch, if_match);
  }
  domain::Result<nlohmann::json> ReplaceTwin(const ports::Identity& identity, const nlohmann::json& twin,
                                             ports::IfMatch if_match) override {
    return registry_.ReplaceTwin(identity, twin, if_match);
  }
  domain::Status ApplyTwinPatch(const ports::Identity& identity, const nlohmann::json& patch,
                                ports::IfMatch if_match) override {
    return registry_.ApplyTwinPatch(identity, patch, if_match);
  }

  domain::Result<ports::QueryPage> Query(std::string_view sql, const ports::QueryPageRequest& page) override {
    return queries_.Query(sql, page);
  }

  void InvokeMethod(const ports::Identity& identity, const domain::MethodRequest& request,
                    MethodCallback done) override {
    dispatcher_.InvokeMethod(identity, request, std::move(done));
  }

  domain::Result<nlohmann::json> CreateJob(const domain::JobRequest& request) override {
    return engine_.CreateJob(request);
  }
  domain::Result<nlohmann::json> GetJob(std::string_view id) override { return engine_.GetJob(id); }
  domain::Result<nlohmann::json> CancelJob(std::string_view id) override { return engine_.CancelJob(id); }
  domain::Result<ports::QueryPage> ListJobs(const ports::JobListFilter& filter,
                                            const ports::QueryPageRequest& page) override {
    return engine_.ListJobs(filter, page);
  }

  domain::Result<nlohmann::json> OnTwinGet(std::string_view key) override { return registry_.DeviceTwin(key); }
  domain::Result<std::int64_t> OnReportedPatch(std::string_view key, const nlohmann::json& patch) override {
    return registry_.WriteReported(key, patch);
  }
  void OnTelemetry(std::string_view key, std::string_view topic, std::string_view payload) override {
    ++telemetry_count_;
    registry_.Touch(key);
    if (!Wanted(events_)) return;
    nlohmann::json data = IdentityFields(key);
    data["properties"] = iothub::TelemetryProperties(topic);
    if (domain::IsValidUtf8(payload)) {
      data["body"] = payload;
    } else {
      data["bodyBase64"] = domain::Base64Encode(payload);
    }
    events_->Publish(hub_event::kTelemetry, std::move(data));
  }
  std::uint64_t telemetry_count() const override { return telemetry_count_; }
  std::size_t awaiting_answers() const override { return dispatcher_.awaiting_answer(); }

  domain::Status ReplaceState(ports::StoredState state) override {
    if (auto s = store_.ReplaceAll(state); !s) return s;
    engine_.Clear();
    registry_.Replace(std::move(state.devices));
    dispatcher_.EndCallsOfRemoved();
    engine_.Load(std::move(state.jobs), std::move(state.device_jobs));
    return domain::Success();
  }

  ports::StoredState ExportState() const override {
    auto [jobs, records] = engine_.Snapshot();
    return {registry_.Snapshot(), std::move(jobs), std::move(records)};
  }

  void OnPresence(std::string_view key, ports::Presence presence) override {
    if (registry_.OnPresence(key, presence)) dispatcher_.OnDeviceReachable(key);
  }

 private:
  ports::DeviceChannel& channel_;
  ports::StateStore& store_;
  HubEvents* events_;
  // Destroyed in reverse: the engine drops its calls before the dispatcher goes.
  Registry registry_;
  MethodDispatcher dispatcher_;
  TwinQuery queries_;
  JobEngine engine_;
  std::uint64_t telemetry_count_ = 0;
};

}  // namespace

domain::Result<std::unique_ptr<LocalHub>> MakeLocalHub(ports::Clock& clock, ports::DeviceChannel& channel,
                                                       ports::StateStore& store, LocalHubOptions options) {
  auto loaded = store.Load();
  if (!loaded) return loaded.error();
  return MakeLocalHub(clock, channel, store, std::move(*loaded), options);
}

std::unique_ptr<LocalHub> MakeLocalHub(ports::Clock& clock, ports::DeviceChannel& channel, ports::StateStore& store,
                                       ports::StoredState loaded, LocalHubOptions options) {
  auto hub = std::make_unique<LocalHubImpl>(clock, channel, store, options);
  hub->Load(std::move(loaded));
  return hub;
}

}  // namespace offhub::emulator
