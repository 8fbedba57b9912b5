#pragma once
// Property paths, compiled once per query and resolved per row without
// building a JSON document of the row.
//
// Twin queries (FROM devices). The first segment is matched
// case-insensitively (real queries write `DeviceId`, `LastActivityTime`), as
// are `tags`, `properties`, `desired`, `reported`; keys inside tags, desired
// and reported are case-sensitive like the twin's keys.
//   deviceId etag deviceEtag status statusReason statusUpdateTime
//   connectionState lastActivityTime cloudToDeviceMessageCount
//   authenticationType modelId version capabilities.iotEdge
//   tags[.k...]  properties.desired[.k...]  properties.reported[.k...]
//   properties.desired.$version  properties.reported.$version
// Never-set times read as "0001-01-01T00:00:00Z", like the twin document.
// Any other path (unknown field, `jobs`, a key under a scalar) is undefined,
// not an error: IoT Hub treats absent properties as undefined.
//
// Device-job queries (FROM devices.jobs) address the record as IoT Hub serves
// it: every path must start with `devices.jobs.` (otherwise the query is
// invalid: these queries cannot mix twin fields). The field after the prefix
// is matched case-insensitively against the record's fields; the docs'
// `createdTimeUtc` is an alias of the record's `createdDateTimeUtc`.

#include <cstddef>
#include <cstdint>
#include <forward_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/query/value.hpp"
#include "domain/result.hpp"
#include "domain/twin.hpp"

namespace offhub::domain::query {

enum class PathRoot : std::uint8_t {
  kUndefined, kDeviceId, kModuleId, kEtag, kDeviceEtag, kStatus, kStatusReason, kStatusUpdateTime,
  kConnectionState, kLastActivityTime, kCloudToDeviceMessageCount, kAuthenticationType,
  kModelId, kVersion, kIotEdge, kTags, kDesired, kReported, kDesiredVersion, kReportedVersion,
  kJobRecord,
};

struct CompiledPath {
  PathRoot root = PathRoot::kUndefined;
  std::vector<std::string> keys;  // walked below the root's JSON (tags, desired, reported, record)
  std::string text;               // the path as written, dotted ("tags.location.region")
};

// Segments as written (escaped names already unescaped); `column` for errors.
CompiledPath CompileTwinPath(const std::vector<std::string>& segments);
Result<CompiledPath> CompileJobPath(const std::vector<std::string>& segments, std::size_t column);

// Storage for strings a row makes up on the fly (formatted times); keeps them
// alive while the row's values are in use.
using Scratch = std::forward_list<std::string>;

Value ResolveTwinPath(const CompiledPath& path, const Twin& twin, Scratch& scratch);

// The JSON a twin path walks its keys under (tags, desired or reported
// properties); null for paths to the twin's own fields.
const nlohmann::json* TwinPathBase(const CompiledPath& path, const Twin& twin);
Value ResolveJsonPath(const CompiledPath& path, const nlohmann::json& record);

}  // namespace offhub::domain::query
