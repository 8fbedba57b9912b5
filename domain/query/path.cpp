#include "domain/query/path.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "domain/query/syntax_error.hpp"
#include "domain/query/text.hpp"

namespace offhub::domain::query {
namespace {

constexpr std::array<std::pair<std::string_view, PathRoot>, 13> kScalarFields = {{
    {"deviceId", PathRoot::kDeviceId},
    {"moduleId", PathRoot::kModuleId},
    {"etag", PathRoot::kEtag},
    {"deviceEtag", PathRoot::kDeviceEtag},
    {"status", PathRoot::kStatus},
    {"statusReason", PathRoot::kStatusReason},
    {"statusUpdateTime", PathRoot::kStatusUpdateTime},
    {"connectionState", PathRoot::kConnectionState},
    {"lastActivityTime", PathRoot::kLastActivityTime},
    {"cloudToDeviceMessageCount", PathRoot::kCloudToDeviceMessageCount},
    {"authenticationType", PathRoot::kAuthenticationType},
    {"modelId", PathRoot::kModelId},
    {"version", PathRoot::kVersion},
}};

constexpr std::array<std::string_view, 11> kJobFields = {
    "deviceId", "jobId", "jobType", "status", "startTimeUtc", "endTimeUtc", "createdDateTimeUtc",
    "lastUpdatedDateTimeUtc", "outcome", "error", "moduleId"};

std::string Join(const std::vector<std::string>& segments) {
  std::string text;
  for (const auto& s : segments) {
    if (!text.empty()) text += '.';
    text += s;
  }
  return text;
}

// properties.desired... / properties.reported...
void CompileProperties(const std::vector<std::string>& seg, CompiledPath& path) {
  if (seg.size() < 2) return;
  const bool desired = EqualsNoCase(seg[1], "desired");
  if (!desired && !EqualsNoCase(seg[1], "reported")) return;
  if (seg.size() == 3 && seg[2] == "$version") {
    path.root = desired ? PathRoot::kDesiredVersion : PathRoot::kReportedVersion;
    return;
  }
  path.root = desired ? PathRoot::kDesired : PathRoot::kReported;
  path.keys.assign(seg.begin() + 2, seg.end());
}

}  // namespace

CompiledPath CompileTwinPath(const std::vector<std::string>& seg) {
  CompiledPath path;
  path.text = Join(seg);
  if (seg.empty()) return path;
  if (EqualsNoCase(seg[0], "tags")) {
    path.root = PathRoot::kTags;
    path.keys.assign(seg.begin() + 1, seg.end());
  } else if (EqualsNoCase(seg[0], "properties")) {
    CompileProperties(seg, path);
  } else if (EqualsNoCase(seg[0], "capabilities")) {
    if (seg.size() == 2 && EqualsNoCase(seg[1], "iotEdge")) path.root = PathRoot::kIotEdge;
  } else if (seg.size() == 1) {
    for (const auto& [name, root] : kScalarFields) {
      if (EqualsNoCase(seg[0], name)) path.root = root;
    }
  }
  return path;
}

Result<CompiledPath> CompileJobPath(const std::vector<std::string>& seg, std::size_t column) {
  if (seg.size() < 3 || !EqualsNoCase(seg[0], "devices") || !EqualsNoCase(seg[1], "jobs")) {
    return SyntaxError(column, "devices.jobs queries may only use devices.jobs.* properties");
  }
  CompiledPath path;
  path.root = PathRoot::kJobRecord;
  path.text = Join(seg);
  path.keys.assign(seg.begin() + 2, seg.end());
  if (EqualsNoCase(path.keys[0], "createdTimeUtc")) path.keys[0] = "createdDateTimeUtc";
  for (auto field : kJobFields) {
    if (EqualsNoCase(path.keys[0], field)) path.keys[0] = std::string(field);
  }
  return path;
}

namespace {

Value Walk(const nlohmann::json& root, const std::vector<std::string>& keys) {
  const nlohmann::json* node = &root;
  for (const auto& key : keys) {
    if (!node->is_object()) return Value::Undefined();
    auto it = node->find(key);
    if (it == node->end()) return Value::Undefined();
    node = &*it;
  }
  return FromJson(*node);
}

Value Time(const std::optional<UtcTime>& t, Scratch& scratch) {
  if (!t) return Value::String(kNeverUtc);
  scratch.push_front(FormatUtc(*t));
  return Value::String(scratch.front());
}

Value Owned(std::string s, Scratch& scratch) {
  scratch.push_front(std::move(s));
  return Value::String(scratch.front());
}

Value StatusString(DeviceStatus s) { return Value::String(s == DeviceStatus::kEnabled ? "enabled" : "disabled"); }
Value ConnectionString(ConnectionState s) {
  return Value::String(s == ConnectionState::kConnected ? "Connected" : "Disconnected");
}

}  // namespace

Value ResolveTwinPath(const CompiledPath& path, const Twin& twin, Scratch& scratch) {
  switch (path.root) {
    case PathRoot::kTags: return Walk(ObjectOrEmpty(twin.tags), path.keys);
    case PathRoot::kDesired: return Walk(ObjectOrEmpty(twin.desired.properties), path.keys);
    case PathRoot::kReported: return Walk(ObjectOrEmpty(twin.reported.properties), path.keys);
    case PathRoot::kDeviceId: return Value::String(twin.device_id);
    case PathRoot::kModuleId: return twin.module_id.empty() ? Value::Undefined() : Value::String(twin.module_id);
    case PathRoot::kEtag: return Owned(twin.etag(), scratch);
    case PathRoot::kDeviceEtag: return Value::String(twin.device_etag);
    case PathRoot::kStatus: return StatusString(twin.status);
    case PathRoot::kStatusReason:
      return twin.status_reason ? Value::String(*twin.status_reason) : Value::Null();
    case PathRoot::kStatusUpdateTime: return Time(twin.status_update_time, scratch);
    case PathRoot::kConnectionState: return ConnectionString(twin.connection_state);
    case PathRoot::kLastActivityTime: return Time(twin.last_activity_time, scratch);
    case PathRoot::kCloudToDeviceMessageCount:
      return Value::Number(static_cast<double>(twin.cloud_to_device_message_count));
    case PathRoot::kAuthenticationType: return Value::String(twin.authentication_type);
    case PathRoot::kModelId: return Value::String(twin.model_id);
    case PathRoot::kVersion: return Value::Number(static_cast<double>(twin.version));
    case PathRoot::kIotEdge: return Value::Bool(twin.iot_edge);
    case PathRoot::kDesiredVersion: return Value::Number(static_cast<double>(twin.desired.version));
    case PathRoot::kReportedVersion: return Value::Number(static_cast<double>(twin.reported.version));
    case PathRoot::kJobRecord:
    case PathRoot::kUndefined: return Value::Undefined();
  }
  return Value::Undefined();
}

const nlohmann::json* TwinPathBase(const CompiledPath& path, const Twin& twin) {
  switch (path.root) {
    case PathRoot::kTags: return &ObjectOrEmpty(twin.tags);
    case PathRoot::kDesired: return &ObjectOrEmpty(twin.desired.properties);
    case PathRoot::kReported: return &ObjectOrEmpty(twin.reported.properties);
    default: return nullptr;
  }
}

Value ResolveJsonPath(const CompiledPath& path, const nlohmann::json& record) {
  if (path.root != PathRoot::kJobRecord) return Value::Undefined();
  return Walk(record, path.keys);
}

}  // namespace offhub::domain::query
