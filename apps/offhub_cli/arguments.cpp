#include "apps/offhub_cli/arguments.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "domain/base64.hpp"
#include "domain/device.hpp"
#include "domain/job_request.hpp"
#include "domain/json_text.hpp"
#include "domain/method_request.hpp"

namespace offhub::cli {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// 316224000 rather than 3.16224e+08.
std::string Number(double value) {
  std::ostringstream text;
  text << std::setprecision(15) << value;
  return text.str();
}

// A validator from a domain check: its error's message is the validator's,
// the REST `field` it may start with put as `instead` (InPlainWords).
CLI::Validator FromStatus(std::function<domain::Status(const std::string&)> check, std::string description,
                          std::string_view field = {}, std::string_view instead = {}) {
  return CLI::Validator(
      [check = std::move(check), field = std::string(field), instead = std::string(instead)](const std::string& text) {
        const auto checked = check(text);
        if (checked) return std::string();
        return field.empty() ? checked.error().message() : InPlainWords(checked.error().message(), field, instead);
      },
      std::move(description));
}

// The JSON of a data-plane JobResponse (api-version 2021-04-12) names these.
constexpr std::initializer_list<const char*> kJobTypes = {
    "unknown",    "export",        "import",       "backup",         "readDeviceProperties", "writeDeviceProperties",
    "updateDeviceConfiguration",   "rebootDevice", "factoryResetDevice", "firmwareUpdate", "scheduleDeviceMethod",
    "scheduleUpdateTwin",          "restoreFromBackup", "failoverDataCopy"};
constexpr std::initializer_list<const char*> kJobStatuses = {"queued", "scheduled", "running", "completed",
                                                             "failed", "cancelled", "enqueued", "unknown"};

std::vector<std::pair<std::string, std::string>> WithJobAliases(std::initializer_list<const char*> types) {
  std::vector<std::pair<std::string, std::string>> names = {{"method", "scheduleDeviceMethod"},
                                                            {"twin", "scheduleUpdateTwin"}};
  for (const char* type : types) names.emplace_back(type, type);
  return names;
}

}  // namespace

CLI::Validator AtLeast(std::int64_t minimum) {
  return CLI::Validator(
      [minimum](const std::string& text) {
        double value = 0;
        if (CLI::detail::lexical_cast(text, value) && value >= static_cast<double>(minimum)) return std::string();
        return "must be a number of at least " + std::to_string(minimum) + ", not " + text;
      },
      ">=" + std::to_string(minimum));
}

CLI::Validator Between(double minimum, double maximum) {
  return CLI::Validator(
      [minimum, maximum](const std::string& text) {
        double value = 0;
        if (CLI::detail::lexical_cast(text, value) && value >= minimum && value <= maximum) return std::string();
        return "must be a number from " + Number(minimum) + " to " + Number(maximum) + ", not " + text;
      },
      "NUMBER");
}

CLI::Validator Choice(std::vector<std::pair<std::string, std::string>> names) {
  std::string listed;
  for (const auto& [name, canonical] : names) listed += (listed.empty() ? "" : "|") + name;
  return CLI::Validator(
      [names, listed](std::string& text) {
        for (const auto& [name, canonical] : names) {
          if (Lower(name) != Lower(text)) continue;
          text = canonical;
          return std::string();
        }
        return "'" + text + "' is none of " + listed;
      },
      "{" + listed + "}");
}

CLI::Validator Choice(std::initializer_list<std::string> names) {
  std::vector<std::pair<std::string, std::string>> same;
  for (const auto& name : names) same.emplace_back(name, name);
  return Choice(std::move(same));
}

CLI::Validator JobTypeFilter() { return Choice(WithJobAliases(kJobTypes)); }

CLI::Validator JobTypeToCreate() { return Choice(WithJobAliases({"scheduleDeviceMethod", "scheduleUpdateTwin"})); }

CLI::Validator JobStatusFilter() {
  std::vector<std::pair<std::string, std::string>> names;
  for (const char* status : kJobStatuses) names.emplace_back(status, status);
  return Choice(std::move(names));
}

CLI::Validator DeviceId() {
  return FromStatus([](const std::string& id) { return domain::ValidateDeviceId(id); }, "ID");
}

CLI::Validator ModuleId() {
  return FromStatus([](const std::string& id) { return domain::ValidateModuleId(id); }, "ID");
}

CLI::Validator JobId() {
  return FromStatus([](const std::string& id) { return domain::ValidateJobId(id); }, "ID", "jobId", "a job id");
}

CLI::Validator MethodName() {
  return FromStatus([](const std::string& name) { return domain::ValidateMethodName(name); }, "NAME", "methodName",
                    "a method name");
}

CLI::Validator NonBlank() {
  return CLI::Validator(
      [](const std::string& text) {
        return text.find_first_not_of(" \t\r\n") == std::string::npos ? "must not be empty" : "";
      },
      "TEXT");
}

CLI::Validator SymmetricKey() {
  return FromStatus(
      [](const std::string& key) -> domain::Status {
        const auto bytes = domain::Base64Decode(key);
        if (bytes && bytes->size() >= 16 && bytes->size() <= 64) return domain::Success();
        return domain::Error::ArgumentInvalid("not base64 of 16 to 64 bytes");
      },
      "BASE64");
}

CLI::Validator IsoTime() {
  return CLI::Validator(
      [](const std::string& text) {
        return domain::ParseUtc(text) ? std::string() : "not an ISO 8601 time such as 2030-01-01T00:00:00Z: " + text;
      },
      "ISO8601");
}

CLI::Validator JsonArgument(bool any_value) {
  return CLI::Validator(
      [any_value](std::string& text) -> std::string {
        if (text.starts_with('@')) {
          auto content = ReadText(text.substr(1));
          if (!content) return content.error().message();
          text = std::move(*content);
        }
        const auto value = domain::ParseJsonText(text, "the value");
        if (!value) return value.error().message() + ": " + text.substr(0, 80);
        if (!any_value && !value->is_object()) return "must be a JSON object";
        return std::string();
      },
      any_value ? "JSON|@FILE" : "{JSON}|@FILE");
}

std::string InPlainWords(std::string message, std::string_view field, std::string_view instead) {
  if (!message.starts_with(field)) return message;
  return std::string(instead) + message.substr(field.size());
}

domain::Result<std::string> ReadText(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return domain::Error::ArgumentInvalid("cannot read " + path);
  }
  std::ostringstream text;
  text << (path == "-" ? std::cin : file).rdbuf();
  return text.str();
}

void Usage(const std::string& flag, const std::string& message) { throw CLI::ValidationError(flag, message); }

domain::UtcTime SystemNow() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return domain::UtcTime::FromMillis(std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

}  // namespace offhub::cli
