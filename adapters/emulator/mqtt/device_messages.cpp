#include "adapters/emulator/mqtt/device_messages.hpp"

#include "domain/json_text.hpp"

#include <charconv>

#include "offhub_topics.hpp"

namespace offhub::emulator {
namespace {

constexpr std::string_view kMethodResPrefix = "$iothub/methods/res/";
constexpr std::string_view kTwinGetPrefix = "$iothub/twin/GET/?";
constexpr std::string_view kReportedPrefix = "$iothub/twin/PATCH/properties/reported/?";

std::optional<int> ParseStatus(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> TopicQueryValue(std::string_view topic, std::string_view name) {
  const auto question = topic.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = topic.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

DeviceMessage ClassifyDeviceTopic(std::string_view device_id, std::string_view topic) {
  DeviceMessage out;
  out.rid = TopicQueryValue(topic, "$rid").value_or("");
  if (topic.starts_with(kMethodResPrefix)) {
    const std::string_view rest = topic.substr(kMethodResPrefix.size());
    const auto status = ParseStatus(rest.substr(0, rest.find('/')));
    if (status) {
      out.kind = DeviceMessageKind::kMethodResponse;
      out.status = *status;
    }
    return out;
  }
  if (topic.starts_with(kTwinGetPrefix)) out.kind = DeviceMessageKind::kTwinGet;
  if (topic.starts_with(kReportedPrefix)) out.kind = DeviceMessageKind::kReportedPatch;
  const std::string events = broker::IdentityTopicRoot(device_id) + "messages/events/";
  if (topic.starts_with(events)) out.kind = DeviceMessageKind::kTelemetry;
  return out;
}

nlohmann::json MethodAnswerPayload(std::string_view body) {
  if (body.empty()) return nullptr;
  auto value = domain::ParseJsonText(body, "The method response");
  if (value) return std::move(*value);
  return domain::RawJson(body);  // passed on as the device sent it, as IoT Hub does
}

std::optional<std::string> MethodRequestTopic(std::string_view method_name, std::uint64_t rid) {
  if (method_name.empty()) return std::nullopt;
  for (const char c : method_name) {
    if (c == '/' || c == '?' || c == '+' || c == '#' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
  }
  return "$iothub/methods/POST/" + std::string(method_name) + "/?$rid=" + std::to_string(rid);
}

std::string TwinResponseTopic(int status, std::string_view rid) {
  return "$iothub/twin/res/" + std::to_string(status) + "/?$rid=" + std::string(rid);
}

std::string TwinPatchResponseTopic(std::string_view rid, std::int64_t version) {
  return "$iothub/twin/res/204/?$rid=" + std::string(rid) + "&$version=" + std::to_string(version);
}

std::string DesiredPatchTopic(std::int64_t version) {
  return "$iothub/twin/PATCH/properties/desired/?$version=" + std::to_string(version);
}

}  // namespace offhub::emulator
