#include "apps/offhub_fleet/fleet_counts.hpp"

#include <algorithm>

namespace offhub::fleet {
namespace {

using nlohmann::json;

json ToJson(const PerDevice& p) { return {{"received", p.received}, {"perDevice", {{"min", p.min}, {"max", p.max}}}}; }

PerDevice PerDeviceFromJson(const json& j) {
  return {j.at("received").get<std::uint64_t>(), j.at("perDevice").at("min").get<std::uint64_t>(),
          j.at("perDevice").at("max").get<std::uint64_t>()};
}

void Merge(PerDevice& into, const PerDevice& part, bool first) {
  into.received += part.received;
  into.min = first ? part.min : std::min(into.min, part.min);
  into.max = std::max(into.max, part.max);
}

}  // namespace

PerDevice DeviceTally::Summary() const {
  PerDevice out{received_, 0, 0};
  if (counts_.empty()) return out;
  const auto [min, max] = std::minmax_element(counts_.begin(), counts_.end());
  out.min = *min;
  out.max = *max;
  return out;
}

json ToJson(const FleetCounts& c) {
  json methods = ToJson(c.method_calls);
  methods["answered"] = c.answered;
  methods["byMethod"] = json::object();
  for (const auto& [name, calls] : c.by_method) methods["byMethod"][name] = ToJson(calls);
  return {{"devices", c.devices},
          {"connected", c.connected},
          {"refused", c.refused},
          {"disconnects", c.disconnects},
          {"methodCalls", methods},
          {"desiredPatches", ToJson(c.desired)},
          {"reportedPatches",
           {{"sent", c.reported_sent}, {"acknowledged", c.reported_acknowledged}, {"failed", c.reported_failed}}}};
}

domain::Result<FleetCounts> FleetCountsFromJson(const json& j) {
  try {
    FleetCounts c;
    c.devices = j.at("devices").get<std::uint64_t>();
    c.connected = j.at("connected").get<std::uint64_t>();
    c.refused = j.at("refused").get<std::uint64_t>();
    c.disconnects = j.at("disconnects").get<std::uint64_t>();
    const json& methods = j.at("methodCalls");
    c.method_calls = PerDeviceFromJson(methods);
    c.answered = methods.at("answered").get<std::uint64_t>();
    for (const auto& [name, calls] : methods.at("byMethod").items()) c.by_method[name] = PerDeviceFromJson(calls);
    c.desired = PerDeviceFromJson(j.at("desiredPatches"));
    const json& reported = j.at("reportedPatches");
    c.reported_sent = reported.at("sent").get<std::uint64_t>();
    c.reported_acknowledged = reported.at("acknowledged").get<std::uint64_t>();
    c.reported_failed = reported.at("failed").get<std::uint64_t>();
    return c;
  } catch (const json::exception& e) {
    return domain::Error::FormatError(std::string("not a fleet worker's counts: ") + e.what());
  }
}

FleetCounts Combine(const std::vector<FleetCounts>& parts) {
  FleetCounts total;
  bool first = true;
  for (const auto& part : parts) {
    total.devices += part.devices;
    total.connected += part.connected;
    total.refused += part.refused;
    total.disconnects += part.disconnects;
    total.answered += part.answered;
    total.reported_sent += part.reported_sent;
    total.reported_acknowledged += part.reported_acknowledged;
    total.reported_failed += part.reported_failed;
    if (part.devices == 0) continue;  // no devices: no say in min and max
    Merge(total.method_calls, part.method_calls, first);
    Merge(total.desired, part.desired, first);
    first = false;
  }
  for (const auto& part : parts) {
    for (const auto& [name, calls] : part.by_method) total.by_method.try_emplace(name);
  }
  for (auto& [name, calls] : total.by_method) {
    bool first_part = true;
    for (const auto& part : parts) {
      if (part.devices == 0) continue;
      const auto it = part.by_method.find(name);
      Merge(calls, it == part.by_method.end() ? PerDevice{} : it->second, first_part);
      first_part = false;
    }
  }
  return total;
}

std::string ProgressLine(const FleetCounts& c) {
  return std::to_string(c.connected) + "/" + std::to_string(c.devices) + " connected, " + std::to_string(c.refused) +
         " refused | methods: " + std::to_string(c.method_calls.received) + " received, " + std::to_string(c.answered) +
         " answered | desired: " + std::to_string(c.desired.received) + " seen, " + std::to_string(c.reported_sent) +
         " reported";
}

}  // namespace offhub::fleet

namespace offhub::fleet {

void WorkerTallies::MethodReceived(std::size_t device, std::string_view name) {
  calls_.Add(device);
  auto it = by_method_.find(name);
  if (it == by_method_.end()) it = by_method_.emplace(std::string(name), DeviceTally(devices_)).first;
  it->second.Add(device);
}

FleetCounts WorkerTallies::Snapshot() const {
  FleetCounts c;
  c.devices = devices_;
  c.connected = connected_;
  c.refused = refused_;
  c.disconnects = disconnects_;
  c.method_calls = calls_.Summary();
  c.answered = answered_;
  for (const auto& [name, tally] : by_method_) c.by_method[name] = tally.Summary();
  c.desired = desired_.Summary();
  c.reported_sent = reported_sent_;
  c.reported_acknowledged = reported_acknowledged_;
  c.reported_failed = reported_failed_;
  return c;
}

}  // namespace offhub::fleet
