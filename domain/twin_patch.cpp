// Writes to a twin: merge patches, replaces, reported patches, and the limits
// every write is checked against before anything changes.
#include <string>

#include "domain/twin.hpp"

namespace offhub::domain {
namespace {

using nlohmann::json;

// RFC 7396 merge patch: null deletes, objects merge, everything else replaces.
void MergePatch(json& target, const json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      MergePatch(target[key], value);
    }
  }
}

// The merge patch that turns `before` into `after` (nulls for removed keys).
json MergeDiff(const json& before, const json& after) {
  json diff = json::object();
  for (const auto& [key, value] : before.items()) {
    if (!after.contains(key)) diff[key] = nullptr;
  }
  for (const auto& [key, value] : after.items()) {
    const auto old = before.find(key);
    if (old == before.end()) {
      diff[key] = value;
    } else if (old->is_object() && value.is_object()) {
      json inner = MergeDiff(*old, value);
      if (!inner.empty()) diff[key] = std::move(inner);
    } else if (*old != value) {
      diff[key] = value;
    }
  }
  return diff;
}

// Control characters C0 (U+0000..U+001F, U+007F) and C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F).
bool HasControlCharacter(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9f) return true;
  }
  return false;
}

// The one rule for tag and property names, on every path that writes them
// (REST PATCH/PUT, a device's reported patch over MQTT, a twin job's
// updateTwin). The hub's 400004 names control characters, '.', '$', '#' and
// space (azure-iot-sdk-java issue 243; the docs list only '.', '$', space).
Status CheckKey(std::string_view key, std::string_view path) {
  const auto fail = [&](std::string_view why) {
    return Error::ArgumentInvalid("Property or Tag name has invalid characters: '" + std::string(key) + "' in " +
                                  std::string(path) + " (" + std::string(why) + ")");
  };
  if (key.empty()) return fail("names cannot be empty");
  if (key.size() > TwinLimits::kMaxKeyBytes) return fail("names are limited to 1024 bytes");
  if (key.find_first_of(".$# ") != std::string_view::npos) return fail("names cannot contain '.', '$', '#' or ' '");
  if (HasControlCharacter(key)) return fail("names cannot contain control characters");
  return Success();
}

Status CheckValue(const json& value, std::string_view path, std::size_t depth);

Status CheckMembers(const json& value, std::string_view path, std::size_t depth) {
  if (depth > TwinLimits::kMaxDepth) {
    return Error::ArgumentInvalid("Nesting in " + std::string(path) + " exceeds the maximum depth of 10");
  }
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      if (auto s = CheckKey(key, path); !s) return s;
      if (auto s = CheckValue(member, path, depth); !s) return s;
    }
  } else {
    for (const auto& element : value) {
      if (auto s = CheckValue(element, path, depth); !s) return s;
    }
  }
  return Success();
}

Status CheckValue(const json& value, std::string_view path, std::size_t depth) {
  if (value.is_object() || value.is_array()) return CheckMembers(value, path, depth + 1);
  if (value.is_string() && value.get_ref<const std::string&>().size() > TwinLimits::kMaxStringBytes) {
    return Error::ArgumentInvalid("A string value in " + std::string(path) + " exceeds 4096 bytes");
  }
  const bool too_big = (value.is_number_unsigned() && value.get<std::uint64_t>() > TwinLimits::kMaxInteger) ||
                       (value.is_number_integer() && !value.is_number_unsigned() &&
                        (value.get<std::int64_t>() < TwinLimits::kMinInteger ||
                         value.get<std::int64_t>() > TwinLimits::kMaxInteger));
  if (too_big) {
    return Error::ArgumentInvalid("An integer in " + std::string(path) +
                                  " is outside [-4503599627370496, 4503599627370495]");
  }
  if (value.is_binary()) return Error::ArgumentInvalid("Binary values are not supported in " + std::string(path));
  return Success();
}

}  // namespace

std::size_t SectionSize(const json& value) {
  switch (value.type()) {
    case json::value_t::object: {
      std::size_t size = 0;
      for (const auto& [key, member] : value.items()) {
        if (!key.empty() && key.front() == '$') continue;
        size += key.size() + SectionSize(member);
      }
      return size;
    }
    case json::value_t::array: {
      std::size_t size = 0;
      for (const auto& element : value) size += SectionSize(element);
      return size;
    }
    case json::value_t::string: return value.get_ref<const std::string&>().size();
    case json::value_t::boolean: return 4;
    case json::value_t::null: return 0;
    default: return 8;
  }
}

Status ValidateSection(const json& value, std::string_view section, std::size_t max_bytes) {
  if (!value.is_object()) {
    return Error::ArgumentInvalid("'" + std::string(section) + "' must be a JSON object");
  }
  if (auto s = CheckMembers(value, section, 1); !s) return s;
  if (const auto size = SectionSize(value); size > max_bytes) {
    return Error::ArgumentInvalid("'" + std::string(section) + "' is " + std::to_string(size) +
                                  " bytes, over the limit of " + std::to_string(max_bytes) + " bytes");
  }
  return Success();
}

namespace {

// A service write, parsed and checked, before it touches the twin.
struct ServiceWrite {
  std::optional<json> tags;     // new tags, when the write touches them
  std::optional<json> desired;  // new desired properties, when it touches them
  json desired_patch;           // what the device is told (nulls for removed keys)
};

// A twin read by GET and written back carries $version/$metadata: not properties.
json WithoutMetadata(const json& section) {
  if (!section.is_object()) return section;
  json copy = section;
  for (auto it = copy.begin(); it != copy.end();) {
    it = (it.key() == "$version" || it.key() == "$metadata") ? copy.erase(it) : std::next(it);
  }
  return copy;
}

Result<const json*> MemberOrNull(const json& parent, std::string_view key, std::string_view where) {
  const auto it = parent.find(key);
  if (it == parent.end()) return static_cast<const json*>(nullptr);
  if (!it->is_object() && !it->is_null()) {
    return Error::ArgumentInvalid("'" + std::string(where) + "' must be a JSON object or null");
  }
  return &*it;
}

Result<ServiceWrite> ParseServiceWrite(const Twin& twin, const json& body, bool replace) {
  if (!body.is_object()) return Error::ArgumentInvalid("The twin must be a JSON object");
  if (body.contains("desired") || body.contains("reported")) {
    return Error::ArgumentInvalid("Properties must be nested under 'properties' (e.g. properties.desired)");
  }
  auto tags = MemberOrNull(body, "tags", "tags");
  if (!tags) return tags.error();
  auto properties = MemberOrNull(body, "properties", "properties");
  if (!properties) return properties.error();
  const json* desired = nullptr;
  if (*properties && (*properties)->is_object()) {
    if ((*properties)->contains("reported")) {
      return Error::ArgumentInvalid("Reported properties can only be written by the device");
    }
    auto d = MemberOrNull(**properties, "desired", "properties.desired");
    if (!d) return d.error();
    desired = *d;
  }
  const json desired_clean = desired ? WithoutMetadata(*desired) : json();
  if (desired) desired = &desired_clean;

  ServiceWrite write;
  const auto merged = [&](const json& current, const json* patch) {
    json result = replace ? json::object() : current;
    if (patch && patch->is_object()) MergePatch(result, *patch);
    if (patch && patch->is_null()) result = json::object();
    return result;
  };
  if (*tags || replace) write.tags = merged(twin.tags, *tags);
  const bool touches_desired = replace || (desired && (desired->is_null() || !desired->empty()));
  if (touches_desired) {
    write.desired = merged(twin.desired.properties, desired);
    // A PATCH tells the device what was sent; a replace or a null, what changed.
    write.desired_patch = (desired && desired->is_object() && !replace)
                              ? *desired
                              : MergeDiff(twin.desired.properties, *write.desired);
  }
  return write;
}

Result<ServiceWriteResult> ApplyServiceWrite(Twin& twin, const json& body, UtcTime now, bool replace) {
  auto write = ParseServiceWrite(twin, body, replace);
  if (!write) return write.error();
  if (write->tags) {
    if (auto s = ValidateSection(*write->tags, "tags", TwinLimits::kMaxTagsBytes); !s) return s.error();
  }
  if (write->desired) {
    if (auto s = ValidateSection(*write->desired, "properties.desired", TwinLimits::kMaxDesiredBytes); !s) {
      return s.error();
    }
  }
  // Validated: from here on nothing can fail, so the write is all or nothing.
  ServiceWriteResult result;
  if (write->tags) twin.tags = std::move(*write->tags);
  if (write->desired) {
    twin.desired.properties = std::move(*write->desired);
    twin.desired.version += 1;
    twin.desired.last_updated = now;
    json notification = std::move(write->desired_patch);
    notification["$version"] = twin.desired.version;
    result.notification = DesiredNotification{std::move(notification), twin.desired.version};
  }
  twin.etag_counter += 1;
  twin.version += 1;
  return result;
}

}  // namespace

Result<ServiceWriteResult> ApplyServicePatch(Twin& twin, const json& body, UtcTime now) {
  return ApplyServiceWrite(twin, body, now, /*replace=*/false);
}

Result<ServiceWriteResult> ApplyServiceReplace(Twin& twin, const json& body, UtcTime now) {
  return ApplyServiceWrite(twin, body, now, /*replace=*/true);
}

Result<std::int64_t> ApplyReportedPatch(Twin& twin, const json& patch, UtcTime now) {
  if (!patch.is_object()) return Error::ArgumentInvalid("The reported properties patch must be a JSON object");
  json reported = twin.reported.properties;
  MergePatch(reported, patch);
  if (auto s = ValidateSection(reported, "properties.reported", TwinLimits::kMaxReportedBytes); !s) {
    return s.error();
  }
  twin.reported.properties = std::move(reported);
  twin.reported.version += 1;
  twin.reported.last_updated = now;
  twin.version += 1;
  return twin.reported.version;
}

}  // namespace offhub::domain
