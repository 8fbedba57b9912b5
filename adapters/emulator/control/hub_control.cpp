#include "adapters/emulator/control/hub_control.hpp"

#include <cmath>

#include "adapters/emulator/control/document_fields.hpp"
#include "adapters/emulator/control/hub_state.hpp"

namespace offhub::emulator {
namespace {

using domain::Error;
using nlohmann::json;

// Ten years: far enough for any window or schedule, small enough for UtcTime's ticks.
constexpr double kMaxAdvanceSeconds = 10.0 * 366 * 24 * 3600;
// The last instant ISO 8601's four-digit years (and IoT Hub's clients) can write.
const domain::UtcTime kLatest = *domain::ParseUtc("9999-12-31T23:59:59Z");

json Counts(const ports::StoredState& state) {
  std::size_t modules = 0;
  for (const auto& d : state.devices) modules += d.identity.is_module() ? 1 : 0;
  return {{"devices", state.devices.size() - modules}, {"modules", modules}, {"jobs", state.jobs.size()}};
}

class HubControl final : public ControlService {
 public:
  HubControl(SteerableClock& clock, LocalHub& hub, FaultInjector& faults, HubDocument seed)
      : clock_(clock), hub_(hub), faults_(faults), seed_(std::move(seed)), random_(std::random_device{}()) {}

  json ExportState() override { return DocumentFromState(hub_.ExportState(), faults_.all()); }

  domain::Result<json> ImportState(const json& document) override {
    auto state = StateFromDocument(document, clock_.Now(), random_);
    if (!state) return state.error();
    return Replace(std::move(*state));
  }

  domain::Result<json> GetFaults(const ports::Identity& identity) override {
    if (auto exists = hub_.services().registry.GetIdentity(identity); !exists) return exists.error();
    const DeviceFaults* faults = faults_.Find(identity.key());
    return FaultsJson(faults ? *faults : DeviceFaults{});
  }

  domain::Result<json> PutFaults(const ports::Identity& identity, const json& body) override {
    auto request = ParseFaultRequest(body);
    if (!request) return request.error();
    if (auto exists = hub_.services().registry.GetIdentity(identity); !exists) return exists.error();
    // {"disconnect":true} alone is an action: the faults set stay as they are.
    const DeviceFaults* kept = faults_.Find(identity.key());
    if (request->disconnect && body.size() == 1 && kept) request->faults = *kept;
    faults_.Set(identity.key(), *request);
    return FaultsJson(request->faults);
  }

  domain::Status DeleteFaults(const ports::Identity& identity) override {
    if (auto exists = hub_.services().registry.GetIdentity(identity); !exists) return exists.error();
    faults_.Forget(identity.key());
    return domain::Success();
  }

  domain::Result<json> Reset() override { return Replace(seed_); }

  json GetClock() override {
    return {{"mode", clock_.manual() ? "manual" : "real"}, {"now", domain::FormatUtc(clock_.Now())}};
  }

  domain::Result<json> PutClock(const json& body) override {
    if (!body.is_object()) return Error::ArgumentInvalid("The clock must be a JSON object {\"mode\",\"now\"?}");
    for (const auto& [name, value] : body.items()) {
      if (name != "mode" && name != "now") return Error::ArgumentInvalid("'" + name + "': unknown field");
    }
    const auto mode = body.find("mode");
    if (mode == body.end() || !mode->is_string() || (*mode != "real" && *mode != "manual")) {
      return Error::ArgumentInvalid("'mode' must be \"real\" or \"manual\"");
    }
    const auto now = body.find("now");
    if (*mode == "real") {
      if (now != body.end()) return Error::ArgumentInvalid("'now' applies to \"manual\" only");
      clock_.Resume();
      return GetClock();
    }
    std::optional<domain::UtcTime> at;
    if (now != body.end()) {
      const auto parsed = now->is_string() ? domain::ParseUtc(now->get<std::string>()) : std::nullopt;
      if (!parsed) return Error::ArgumentInvalid("'now' must be an ISO 8601 UTC time, e.g. \"2030-01-01T00:00:00Z\"");
      at = *parsed;
    }
    if (at && *at > kLatest) return Error::ArgumentInvalid("'now' is after 9999-12-31T23:59:59Z");
    if (!clock_.Freeze(at)) {
      return Error::ArgumentInvalid("'now' is before the hub's current time " + domain::FormatUtc(clock_.Now()) +
                                    ": the hub's clock never goes back");
    }
    return GetClock();
  }

  void AdvanceClock(const json& body, Done done) override {
    if (body.is_object()) {
      if (auto s = OnlyFields(body, "$", {"seconds"}); !s) return done(s.error());
    }
    const auto seconds = body.is_object() ? body.find("seconds") : body.end();
    if (!body.is_object() || seconds == body.end() || !seconds->is_number() || !std::isfinite(seconds->get<double>()) ||
        seconds->get<double>() < 0 || seconds->get<double>() > kMaxAdvanceSeconds) {
      return done(Error::ArgumentInvalid("'seconds' must be a number from 0 to 316224000 (ten years)"));
    }
    if (!clock_.manual()) {
      return done(Error(domain::ErrorCode::ClockNotManual,
                        "The hub's clock runs in real time: freeze it first (PUT /offhub/v1/clock {\"mode\":\"manual\"})"));
    }
    const auto millis = static_cast<std::int64_t>(std::llround(seconds->get<double>() * 1000));
    if (clock_.Now().PlusMillis(millis) > kLatest) {
      return done(Error::ArgumentInvalid("'seconds' would take the clock past 9999-12-31T23:59:59Z"));
    }
    // Calls a fault holds (dropped, or in their latency) await no device.
    clock_.Advance(std::chrono::milliseconds(millis),
                   [this] { return hub_.awaiting_answers() <= faults_.held_calls(); },
                   [this, done = std::move(done)](domain::UtcTime reached) {
                     if (!clock_.manual()) {
                       return done(Error(domain::ErrorCode::ClockNotManual,
                                         "The clock was set to real time during the advance, which stopped at " +
                                             domain::FormatUtc(reached)));
                     }
                     done(json{{"mode", "manual"}, {"now", domain::FormatUtc(reached)}});
                   });
  }

 private:
  domain::Result<json> Replace(HubDocument document) {
    json counts = Counts(document.state);
    if (auto s = hub_.ReplaceState(std::move(document.state)); !s) return s.error();
    faults_.ReplaceAll(document.faults);
    return counts;
  }

  SteerableClock& clock_;
  LocalHub& hub_;
  FaultInjector& faults_;
  const HubDocument seed_;
  std::mt19937_64 random_;
};

}  // namespace

std::unique_ptr<ControlService> MakeHubControl(SteerableClock& clock, LocalHub& hub, FaultInjector& faults,
                                               HubDocument seed) {
  return std::make_unique<HubControl>(clock, hub, faults, std::move(seed));
}

}  // namespace offhub::emulator
