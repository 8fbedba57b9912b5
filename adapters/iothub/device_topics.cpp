#include "adapters/iothub/device_topics.hpp"

#include <charconv>

#include "adapters/iothub/percent_encoding.hpp"
#include "domain/json_text.hpp"

namespace offhub::iothub {
namespace {

constexpr std::string_view kMethodPostPrefix = "$iothub/methods/POST/";
constexpr std::string_view kTwinResponsePrefix = "$iothub/twin/res/";
constexpr std::string_view kDesiredPrefix = "$iothub/twin/PATCH/properties/desired/";

template <class Int>
std::optional<Int> ParseInt(std::string_view text) {
  Int value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// "{segment}/?{query}" -> segment and query; the segment has no '/'.
struct SegmentAndQuery {
  std::string_view segment;
  std::string_view query;
};
std::optional<SegmentAndQuery> SplitSegmentQuery(std::string_view rest) {
  const auto mark = rest.find("/?");
  if (mark == std::string_view::npos) return std::nullopt;
  const auto segment = rest.substr(0, mark);
  if (segment.find('/') != std::string_view::npos) return std::nullopt;
  return SegmentAndQuery{segment, rest.substr(mark + 2)};
}

std::optional<nlohmann::json> ParseJson(std::string_view body) {
  auto value = domain::ParseJsonText(body, "the body");
  if (!value) return std::nullopt;
  return std::move(*value);
}

}  // namespace

std::string DeviceUsername(std::string_view host_name, std::string_view device_id, std::string_view module_id) {
  std::string username = std::string(host_name) + "/" + std::string(device_id);
  if (!module_id.empty()) username += "/" + std::string(module_id);
  return username + "/?api-version=" + std::string(kApiVersion);
}

std::string DeviceResource(std::string_view host_name, std::string_view device_id, std::string_view module_id) {
  std::string resource = std::string(host_name) + "/devices/" + std::string(device_id);
  if (!module_id.empty()) resource += "/modules/" + std::string(module_id);
  return resource;
}

std::string MethodResponseTopic(int status, std::string_view rid) {
  return "$iothub/methods/res/" + std::to_string(status) + "/?$rid=" + std::string(rid);
}

std::string TwinGetTopic(std::string_view rid) { return "$iothub/twin/GET/?$rid=" + std::string(rid); }

std::string ReportedPatchTopic(std::string_view rid) {
  return "$iothub/twin/PATCH/properties/reported/?$rid=" + std::string(rid);
}

std::optional<std::string_view> QueryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key) return pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<MethodRequestTopic> ParseMethodRequestTopic(std::string_view topic) {
  if (!topic.starts_with(kMethodPostPrefix)) return std::nullopt;
  const auto parts = SplitSegmentQuery(topic.substr(kMethodPostPrefix.size()));
  if (!parts || parts->segment.empty()) return std::nullopt;
  const auto rid = QueryValue(parts->query, "$rid");
  if (!rid || rid->empty()) return std::nullopt;
  return MethodRequestTopic{std::string(parts->segment), std::string(*rid)};
}

std::optional<TwinResponseTopic> ParseTwinResponseTopic(std::string_view topic) {
  if (!topic.starts_with(kTwinResponsePrefix)) return std::nullopt;
  const auto parts = SplitSegmentQuery(topic.substr(kTwinResponsePrefix.size()));
  if (!parts) return std::nullopt;
  const auto status = ParseInt<int>(parts->segment);
  const auto rid = QueryValue(parts->query, "$rid");
  if (!status || *status < 100 || *status > 599 || !rid || rid->empty()) return std::nullopt;
  TwinResponseTopic result{*status, std::string(*rid), std::nullopt};
  if (const auto version = QueryValue(parts->query, "$version")) {
    result.version = ParseInt<std::int64_t>(*version);
    if (!result.version) return std::nullopt;
  }
  return result;
}

domain::Result<nlohmann::json> ParseMethodPayload(std::string_view body) {
  if (body.empty()) return nlohmann::json(nullptr);
  auto value = ParseJson(body);
  if (!value) return domain::Error::ArgumentInvalid("Invalid request format: the payload is not JSON");
  return std::move(*value);
}

std::optional<DesiredPatch> ParseDesiredPatch(std::string_view topic, std::string_view body) {
  if (!topic.starts_with(kDesiredPrefix)) return std::nullopt;
  const auto query = topic.substr(kDesiredPrefix.size());
  if (!query.starts_with("?")) return std::nullopt;
  auto patch = ParseJson(body);
  if (!patch || !patch->is_object()) return std::nullopt;
  std::optional<std::int64_t> version;
  if (const auto text = QueryValue(query.substr(1), "$version")) version = ParseInt<std::int64_t>(*text);
  const auto in_body = patch->find("$version");
  if (!version && in_body != patch->end() && in_body->is_number_integer()) version = in_body->get<std::int64_t>();
  if (!version) return std::nullopt;
  patch->erase("$version");
  return DesiredPatch{std::move(*patch), *version};
}

domain::Result<nlohmann::json> TwinAnswerBody(int status, std::string_view body) {
  if (status >= 300) return domain::ErrorFromResponse(status, "", body);
  if (body.empty()) return nlohmann::json(nullptr);
  auto value = ParseJson(body);
  if (!value) return domain::Error::FormatError("the hub's twin answer is not JSON");
  return std::move(*value);
}

nlohmann::json TelemetryProperties(std::string_view topic) {
  nlohmann::json out = nlohmann::json::object();
  constexpr std::string_view kEvents = "/messages/events/";
  const auto at = topic.find(kEvents);
  if (at == std::string_view::npos) return out;
  std::string_view bag = topic.substr(at + kEvents.size());
  if (bag.ends_with('/')) bag.remove_suffix(1);
  std::size_t pairs = 0;
  while (!bag.empty() && pairs < kMaxTelemetryProperties) {
    const auto amp = bag.find('&');
    const std::string_view pair = bag.substr(0, amp);
    bag = amp == std::string_view::npos ? std::string_view() : bag.substr(amp + 1);
    if (pair.empty()) continue;
    ++pairs;
    const auto eq = pair.find('=');
    const auto key = PercentDecode(pair.substr(0, eq));
    const auto value = eq == std::string_view::npos ? std::optional<std::string>("") : PercentDecode(pair.substr(eq + 1));
    if (!key || !value || key->empty() || !domain::IsValidUtf8(*key) || !domain::IsValidUtf8(*value)) continue;
    out[*key] = *value;
  }
  return out;
}

}  // namespace offhub::iothub
