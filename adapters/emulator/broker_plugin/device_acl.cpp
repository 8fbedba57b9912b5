#include "device_acl.hpp"

#include <string>

#include "offhub_topics.hpp"

namespace offhub::broker {
namespace {

constexpr std::string_view kMethodsFilter = "$iothub/methods/POST/#";
constexpr std::string_view kTwinResFilter = "$iothub/twin/res/#";
constexpr std::string_view kDesiredFilter = "$iothub/twin/PATCH/properties/desired/#";
constexpr std::string_view kMethodResPrefix = "$iothub/methods/res/";
constexpr std::string_view kTwinGetPrefix = "$iothub/twin/GET/?";
constexpr std::string_view kReportedPrefix = "$iothub/twin/PATCH/properties/reported/?";

bool HasWildcard(std::string_view topic) { return topic.find_first_of("+#") != std::string_view::npos; }

std::string OwnTopic(std::string_view client_id, std::string_view tail) {
  return IdentityTopicRoot(client_id) + std::string(tail);
}

bool IsModule(std::string_view client_id) { return client_id.find('/') != std::string_view::npos; }

// "{digits}/?..." after "$iothub/methods/res/".
bool IsMethodResponse(std::string_view topic) {
  if (!topic.starts_with(kMethodResPrefix)) return false;
  const std::string_view rest = topic.substr(kMethodResPrefix.size());
  const auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash > 3) return false;
  for (std::size_t i = 0; i < slash; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
  }
  return rest.substr(slash).starts_with("/?");
}

}  // namespace

bool IsMethodsFilter(std::string_view filter) { return filter == kMethodsFilter; }
bool IsDesiredFilter(std::string_view filter) { return filter == kDesiredFilter; }

bool DeviceMaySubscribe(std::string_view device_id, std::string_view filter) {
  return filter == kMethodsFilter || filter == kTwinResFilter || filter == kDesiredFilter ||
         filter == OwnTopic(device_id, "messages/devicebound/#") ||
         (IsModule(device_id) && filter == OwnTopic(device_id, "inputs/#"));
}

bool DeviceMayPublish(std::string_view device_id, std::string_view topic) {
  if (topic.size() > kMaxTopicBytes || HasWildcard(topic)) return false;
  return IsMethodResponse(topic) || topic.starts_with(kTwinGetPrefix) || topic.starts_with(kReportedPrefix) ||
         topic.starts_with(OwnTopic(device_id, "messages/events/"));
}

bool DeviceMayRead(std::string_view device_id, std::string_view topic) {
  return topic.starts_with("$iothub/") || topic.starts_with(OwnTopic(device_id, "messages/devicebound/")) ||
         (IsModule(device_id) && topic.starts_with(OwnTopic(device_id, "inputs/")));
}

}  // namespace offhub::broker
