#include "adapters/emulator/control/hub_state.hpp"

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "adapters/emulator/control/document_fields.hpp"
#include "adapters/emulator/hub/registry.hpp"
#include "domain/device.hpp"
#include "domain/job_json.hpp"
#include "domain/json_text.hpp"
#include "domain/twin.hpp"

namespace offhub::emulator {
namespace {

using domain::Error;
using nlohmann::json;

// Which field of an entry a PUT /devices error is about, by its message.
std::string FieldOf(const std::string& message, bool module) {
  if (message.find("primary key") != std::string::npos) return ".keys.primaryKey";
  if (message.find("secondary key") != std::string::npos) return ".keys.secondaryKey";
  if (message.find("module id") != std::string::npos) return ".moduleId";
  if (message.find("device id") != std::string::npos) return module ? "" : ".deviceId";
  if (message.find("'status'") != std::string::npos) return ".status";
  if (message.find("managedBy") != std::string::npos) return ".managedBy";
  return "";
}

// The body PUT /devices (or /modules) would take for this entry.
json SpecBody(const json& entry, const std::string& path, domain::Status& status) {
  json body = json::object();
  if (const auto it = entry.find("status"); it != entry.end()) body["status"] = *it;
  if (const auto it = entry.find("managedBy"); it != entry.end()) body["managedBy"] = *it;
  if (const auto keys = entry.find("keys"); keys != entry.end()) {
    if (!keys->is_object()) {
      status = At(path + ".keys", "must be an object {\"primaryKey\",\"secondaryKey\"}");
      return body;
    }
    if (auto s = OnlyFields(*keys, path + ".keys", {"primaryKey", "secondaryKey"}); !s) {
      status = s;
      return body;
    }
    body["authentication"] = {{"type", "sas"}, {"symmetricKey", *keys}};
  }
  return body;
}

// Tags and desired as a twin PATCH writes them, reported as a device does.
domain::Status FillTwin(domain::Twin& twin, const json& entry, const std::string& path, domain::UtcTime now) {
  json patch = json::object();
  for (const char* section : {"tags", "desired", "reported"}) {
    const auto it = entry.find(section);
    if (it != entry.end() && !it->is_object()) return At(path + "." + section, "must be an object");
  }
  if (const auto it = entry.find("tags"); it != entry.end()) patch["tags"] = *it;
  if (const auto it = entry.find("desired"); it != entry.end()) patch["properties"]["desired"] = *it;
  if (!patch.empty()) {
    if (auto written = domain::ApplyServicePatch(twin, patch, now); !written) return At(path, written.error().message());
  }
  if (const auto it = entry.find("reported"); it != entry.end()) {
    if (auto written = domain::ApplyReportedPatch(twin, *it, now); !written) {
      return At(path + ".reported", written.error().message());
    }
  }
  return domain::Success();
}

domain::Result<ports::StoredDevice> ReadIdentity(const json& entry, const std::string& path, const std::string& device_id,
                                                 domain::UtcTime now, std::mt19937_64& random, FaultMap& faults) {
  const bool module = !device_id.empty();
  if (!entry.is_object()) return At(path, "must be an object");
  if (auto s = module ? OnlyFields(entry, path, {"moduleId", "managedBy", "keys", "tags", "desired", "reported", "faults"})
                      : OnlyFields(entry, path,
                                   {"deviceId", "status", "keys", "tags", "desired", "reported", "modules", "faults"});
      !s) {
    return s.error();
  }
  const char* id_field = module ? "moduleId" : "deviceId";
  const auto id = entry.find(id_field);
  if (id == entry.end() || !id->is_string()) return At(path + "." + id_field, "a string is required");
  domain::Status status = domain::Success();
  const json body = SpecBody(entry, path, status);
  if (!status) return status.error();
  const auto spec = module ? domain::ParseModuleSpec(body, device_id, id->get<std::string>())
                           : domain::ParseDeviceSpec(body, id->get<std::string>());
  if (!spec) return At(path + FieldOf(spec.error().message(), module), spec.error().message());
  auto made = NewIdentity(*spec, now, random);
  if (auto s = FillTwin(made.twin, entry, path, now); !s) return s.error();
  if (const auto it = entry.find("faults"); it != entry.end()) {
    auto request = ParseFaultRequest(*it, path + ".faults");
    if (!request) return request.error();
    if (request->disconnect) return At(path + ".faults.disconnect", "is an action, not state: send it to /faults");
    if (!request->faults.empty()) faults.insert_or_assign(made.identity.key(), std::move(request->faults));
  }
  return made;
}

domain::Status ReadDevices(const json& devices, HubDocument& hub, domain::UtcTime now, std::mt19937_64& random) {
  auto& state = hub.state;
  if (!devices.is_array()) return At("$.devices", "must be an array");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const std::string path = "$.devices[" + std::to_string(i) + "]";
    auto device = ReadIdentity(devices[i], path, {}, now, random, hub.faults);
    if (!device) return device.error();
    const std::string device_id = device->identity.device_id;
    if (!seen.insert(device_id).second) return At(path + ".deviceId", "'" + device_id + "' is defined more than once");
    state.devices.push_back(std::move(*device));
    const auto modules = devices[i].find("modules");
    if (modules == devices[i].end()) continue;
    if (!modules->is_array()) return At(path + ".modules", "must be an array");
    for (std::size_t m = 0; m < modules->size(); ++m) {
      const std::string module_path = path + ".modules[" + std::to_string(m) + "]";
      auto module = ReadIdentity((*modules)[m], module_path, device_id, now, random, hub.faults);
      if (!module) return module.error();
      if (!seen.insert(module->identity.key()).second) {
        return At(module_path + ".moduleId", "'" + module->identity.module_id + "' is defined more than once");
      }
      state.devices.push_back(std::move(*module));
    }
  }
  return domain::Success();
}

domain::Status ReadJobs(const json& document, ports::StoredState& state) {
  std::set<std::string> jobs;
  if (const auto list = document.find("jobs"); list != document.end()) {
    if (!list->is_array()) return At("$.jobs", "must be an array");
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string path = "$.jobs[" + std::to_string(i) + "]";
      auto job = domain::ParseJobResponse((*list)[i]);
      if (!job) return At(path, job.error().message());
      if (!jobs.insert(job->job.id()).second) return At(path + ".jobId", "'" + job->job.id() + "' is defined more than once");
      state.jobs.push_back(std::move(job->job));
    }
  }
  if (const auto list = document.find("deviceJobs"); list != document.end()) {
    if (!list->is_array()) return At("$.deviceJobs", "must be an array");
    std::set<std::pair<std::string, std::string>> records;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string path = "$.deviceJobs[" + std::to_string(i) + "]";
      auto record = domain::DeviceJobFromDocument((*list)[i]);
      if (!record) return At(path, record.error().message());
      if (!jobs.contains(record->job_id)) return At(path + ".jobId", "no job '" + record->job_id + "' in $.jobs");
      if (!records.insert({record->job_id, record->key()}).second) {
        return At(path, "a second record of '" + record->key() + "' in job '" + record->job_id + "'");
      }
      state.device_jobs.push_back(std::move(*record));
    }
  }
  return domain::Success();
}

json IdentityDocument(const ports::StoredDevice& stored, const FaultMap& faults) {
  const auto& d = stored.identity;
  json out = d.is_module() ? json{{"moduleId", d.module_id}} : json{{"deviceId", d.device_id}};
  if (!d.is_module()) out["status"] = domain::ToString(d.status);
  if (d.managed_by) out["managedBy"] = *d.managed_by;
  if (d.authentication_type == "sas") out["keys"] = {{"primaryKey", d.primary_key}, {"secondaryKey", d.secondary_key}};
  if (!stored.twin.tags.empty()) out["tags"] = stored.twin.tags;
  if (!stored.twin.desired.properties.empty()) out["desired"] = stored.twin.desired.properties;
  if (!stored.twin.reported.properties.empty()) out["reported"] = stored.twin.reported.properties;
  if (const auto it = faults.find(d.key()); it != faults.end()) out["faults"] = FaultsJson(it->second);
  return out;
}

}  // namespace

domain::Result<HubDocument> StateFromDocument(const json& document, domain::UtcTime now, std::mt19937_64& random) {
  if (!document.is_object()) return At("$", "the state must be a JSON object {\"devices\":[...]}");
  if (auto s = OnlyFields(document, "$", {"devices", "jobs", "deviceJobs"}); !s) return s.error();
  HubDocument hub;
  if (const auto devices = document.find("devices"); devices != document.end()) {
    if (auto s = ReadDevices(*devices, hub, now, random); !s) return s.error();
  }
  if (auto s = ReadJobs(document, hub.state); !s) return s.error();
  return hub;
}

domain::Result<HubDocument> ReadStateFile(const std::filesystem::path& file, domain::UtcTime now,
                                                 std::mt19937_64& random) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error::ArgumentInvalid("cannot open the file");
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxStateFileBytes) return Error::ArgumentInvalid("the file is larger than 256 MiB");
  }
  if (in.bad()) return Error::ArgumentInvalid("cannot read the file");
  const auto document = domain::ParseJsonText(text, "The state document");
  if (!document) return Error::ArgumentInvalid("$: " + document.error().message());
  return StateFromDocument(*document, now, random);
}

json DocumentFromState(const ports::StoredState& state, const FaultMap& faults) {
  json devices = json::array();
  std::map<std::string, std::size_t> index;  // device id -> position in `devices`
  for (const auto& stored : state.devices) {
    if (stored.identity.is_module()) continue;
    index.emplace(stored.identity.device_id, devices.size());
    devices.push_back(IdentityDocument(stored, faults));
  }
  for (const auto& stored : state.devices) {
    if (!stored.identity.is_module()) continue;
    const auto it = index.find(stored.identity.device_id);
    if (it == index.end()) continue;  // a module without its device: cannot be
    devices[it->second]["modules"].push_back(IdentityDocument(stored, faults));
  }
  std::map<std::string, domain::DeviceJobStatistics> stats;
  for (const auto& record : state.device_jobs) domain::AddToStatistics(stats[record.job_id], record.status);
  json jobs = json::array();
  for (const auto& job : state.jobs) jobs.push_back(domain::ToJson(job, stats[job.id()]));
  json records = json::array();
  for (const auto& record : state.device_jobs) records.push_back(domain::DeviceJobDocument(record));
  return {{"devices", std::move(devices)}, {"jobs", std::move(jobs)}, {"deviceJobs", std::move(records)}};
}

}  // namespace offhub::emulator
