#include "domain/device.hpp"

#include "domain/base64.hpp"

namespace offhub::domain {
namespace {

using nlohmann::json;

constexpr std::string_view kDeviceIdPunctuation = "-:.+%_#*?!(),=@;$'";
constexpr std::size_t kMaxDeviceIdLength = 128;

std::string TimeOrNever(const std::optional<UtcTime>& t) {
  // The registry writes never-set times without a zone suffix.
  return t ? FormatUtc(*t) : "0001-01-01T00:00:00";
}

Result<std::string> OptionalString(const json& parent, std::string_view key, std::string_view where) {
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Error::ArgumentInvalid("'" + std::string(where) + "' must be a string");
  return it->get<std::string>();
}

Status ValidateKey(const std::string& key, std::string_view name) {
  if (key.empty()) return Success();
  const auto bytes = Base64Decode(key);
  if (!bytes || bytes->size() < 16 || bytes->size() > 64) {
    return Error::ArgumentInvalid("The " + std::string(name) +
                                  " must be a base64 encoded value between 16 and 64 bytes");
  }
  return Success();
}

Status ParseAuthentication(const json& body, DeviceSpec& spec) {
  const auto auth = body.find("authentication");
  if (auth == body.end() || auth->is_null()) return Success();
  if (!auth->is_object()) return Error::ArgumentInvalid("'authentication' must be an object");
  auto type = OptionalString(*auth, "type", "authentication.type");
  if (!type) return type.error();
  if (!type->empty()) {
    if (*type != "sas" && *type != "selfSigned" && *type != "certificateAuthority" && *type != "none") {
      return Error::ArgumentInvalid("Unknown authentication type '" + *type + "'");
    }
    spec.authentication_type = *type;
  }
  const auto sym = auth->find("symmetricKey");
  if (sym == auth->end() || sym->is_null()) return Success();
  if (!sym->is_object()) return Error::ArgumentInvalid("'authentication.symmetricKey' must be an object");
  auto primary = OptionalString(*sym, "primaryKey", "symmetricKey.primaryKey");
  if (!primary) return primary.error();
  auto secondary = OptionalString(*sym, "secondaryKey", "symmetricKey.secondaryKey");
  if (!secondary) return secondary.error();
  if (auto s = ValidateKey(*primary, "primary key"); !s) return s;
  if (auto s = ValidateKey(*secondary, "secondary key"); !s) return s;
  spec.primary_key = std::move(*primary);
  spec.secondary_key = std::move(*secondary);
  return Success();
}

Status ValidateIdentityId(std::string_view id, std::string_view what) {
  const auto bad = [&](std::string why) {
    return Error::ArgumentInvalid("Invalid " + std::string(what) + " '" + std::string(id.substr(0, 200)) + "': " + why);
  };
  if (id.empty()) return bad("it is empty");
  if (id.size() > kMaxDeviceIdLength) return bad("it is longer than 128 characters");
  for (const char c : id) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && kDeviceIdPunctuation.find(c) == std::string_view::npos) {
      return bad("only ASCII letters, digits and - : . + % _ # * ? ! ( ) , = @ ; $ ' are allowed");
    }
  }
  return Success();
}

// The body's copy of an id from the URL: absent, null or equal.
Status CheckBodyId(const json& body, std::string_view key, std::string_view path_id) {
  auto body_id = OptionalString(body, key, key);
  if (!body_id) return body_id.error();
  if (!body_id->empty() && *body_id != path_id) {
    return Error::ArgumentInvalid("The " + std::string(key) + " in the body ('" + *body_id +
                                  "') differs from the one in the URL ('" + std::string(path_id) + "')");
  }
  return Success();
}

}  // namespace

std::string IdentityKey(std::string_view device_id, std::string_view module_id) {
  std::string key(device_id);
  if (!module_id.empty()) {
    key += '/';
    key += module_id;
  }
  return key;
}

std::string Device::etag() const { return Base64Encode(std::to_string(etag_counter)); }

Status ValidateDeviceId(std::string_view id) { return ValidateIdentityId(id, "device id"); }
Status ValidateModuleId(std::string_view id) { return ValidateIdentityId(id, "module id"); }

Result<DeviceSpec> ParseModuleSpec(const json& body, std::string_view path_device_id, std::string_view path_module_id) {
  if (auto s = ValidateDeviceId(path_device_id); !s) return s.error();
  if (auto s = ValidateModuleId(path_module_id); !s) return s.error();
  if (!body.is_object()) return Error::ArgumentInvalid("The module must be a JSON object");
  if (auto s = CheckBodyId(body, "deviceId", path_device_id); !s) return s.error();
  if (auto s = CheckBodyId(body, "moduleId", path_module_id); !s) return s.error();
  DeviceSpec spec;
  spec.device_id = std::string(path_device_id);
  spec.module_id = std::string(path_module_id);
  auto managed_by = OptionalString(body, "managedBy", "managedBy");
  if (!managed_by) return managed_by.error();
  if (!managed_by->empty()) spec.managed_by = std::move(*managed_by);
  if (auto s = ParseAuthentication(body, spec); !s) return s.error();
  return spec;
}

Result<DeviceSpec> ParseDeviceSpec(const json& body, std::string_view path_id) {
  if (auto s = ValidateDeviceId(path_id); !s) return s.error();
  if (!body.is_object()) return Error::ArgumentInvalid("The device must be a JSON object");
  DeviceSpec spec;
  spec.device_id = std::string(path_id);
  if (auto s = CheckBodyId(body, "deviceId", path_id); !s) return s.error();
  auto status = OptionalString(body, "status", "status");
  if (!status) return status.error();
  if (!status->empty()) {
    const auto parsed = ParseDeviceStatus(*status);
    if (!parsed) return Error::ArgumentInvalid("'status' must be 'enabled' or 'disabled'");
    spec.status = *parsed;
  }
  auto reason = OptionalString(body, "statusReason", "statusReason");
  if (!reason) return reason.error();
  if (!reason->empty()) spec.status_reason = std::move(*reason);
  if (auto s = ParseAuthentication(body, spec); !s) return s.error();
  if (const auto caps = body.find("capabilities"); caps != body.end() && caps->is_object()) {
    const auto edge = caps->find("iotEdge");
    if (edge != caps->end() && !edge->is_boolean()) return Error::ArgumentInvalid("'capabilities.iotEdge' must be a boolean");
    if (edge != caps->end()) spec.iot_edge = edge->get<bool>();
  }
  return spec;
}

json ToJson(const Device& d) {
  const json authentication = {
      {"symmetricKey", {{"primaryKey", d.primary_key}, {"secondaryKey", d.secondary_key}}},
      {"x509Thumbprint", {{"primaryThumbprint", nullptr}, {"secondaryThumbprint", nullptr}}},
      {"type", d.authentication_type}};
  if (d.is_module()) {
    return {
        {"moduleId", d.module_id},
        {"managedBy", d.managed_by ? json(*d.managed_by) : json(nullptr)},
        {"deviceId", d.device_id},
        {"generationId", d.generation_id},
        {"etag", d.etag()},
        {"connectionState", ToString(d.connection_state)},
        {"connectionStateUpdatedTime", TimeOrNever(d.connection_state_updated_time)},
        {"lastActivityTime", TimeOrNever(d.last_activity_time)},
        {"cloudToDeviceMessageCount", d.cloud_to_device_message_count},
        {"authentication", authentication},
    };
  }
  return {
      {"deviceId", d.device_id},
      {"generationId", d.generation_id},
      {"etag", d.etag()},
      {"connectionState", ToString(d.connection_state)},
      {"status", ToString(d.status)},
      {"statusReason", d.status_reason ? json(*d.status_reason) : json(nullptr)},
      {"connectionStateUpdatedTime", TimeOrNever(d.connection_state_updated_time)},
      {"statusUpdatedTime", TimeOrNever(d.status_updated_time)},
      {"lastActivityTime", TimeOrNever(d.last_activity_time)},
      {"cloudToDeviceMessageCount", d.cloud_to_device_message_count},
      {"authentication", authentication},
      {"capabilities", {{"iotEdge", d.iot_edge}}},
      {"deviceScope", nullptr},
      {"parentScopes", json::array()},
  };
}

}  // namespace offhub::domain
