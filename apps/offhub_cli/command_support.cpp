#include "apps/offhub_cli/command_support.hpp"

#include <iostream>

#include "apps/lib/command_line.hpp"
#include "domain/json_text.hpp"

namespace offhub::cli {

using nlohmann::json;

namespace {

// Members of a document from the hub, read without trusting its shape.
const json& ObjectAt(const json& doc, const char* key) {
  static const json kEmpty = json::object();
  if (!doc.is_object()) return kEmpty;
  const auto it = doc.find(key);
  return it != doc.end() && it->is_object() ? *it : kEmpty;
}

std::string StringAt(const json& doc, const char* key) {
  if (!doc.is_object()) return "";
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

int Fail(const domain::Error& error) {
  apps::PrintError("offhub", error);
  return 1;
}

// JSON for scripts: a device's answer that was not JSON shows as a string of its text.
int Print(const json& value) {
  std::cout << domain::RawJsonAsStrings(value).dump(2, ' ', false, json::error_handler_t::replace) << std::endl;
  return 0;
}

domain::Result<json> ParseJsonArgument(const std::string& text, const char* what) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return domain::Error::ArgumentInvalid(std::string(what) + " is not valid JSON: " + text);
  return value;
}

std::optional<std::string_view> IfMatch(const std::string& etag) {
  if (etag.empty()) return std::nullopt;
  return std::string_view(etag);
}

domain::Result<std::string> ConnectionString(std::string_view host_name, const json& identity) {
  const std::string device_id = StringAt(identity, "deviceId");
  const std::string module_id = StringAt(identity, "moduleId");
  const std::string key = StringAt(ObjectAt(ObjectAt(identity, "authentication"), "symmetricKey"), "primaryKey");
  if (key.empty()) {
    const std::string who = module_id.empty() ? "device '" + device_id + "'" : "module '" + module_id + "'";
    return domain::Error::ArgumentInvalid("the " + who + " has no symmetric key to connect with");
  }
  std::string text = "HostName=" + std::string(host_name) + ";DeviceId=" + device_id;
  if (!module_id.empty()) text += ";ModuleId=" + module_id;
  return text + ";SharedAccessKey=" + key;
}

}  // namespace offhub::cli
