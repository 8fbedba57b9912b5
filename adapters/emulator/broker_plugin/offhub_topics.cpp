#include "offhub_topics.hpp"

#include "adapters/iothub/percent_encoding.hpp"
#include "device_auth.hpp"

namespace offhub::broker {
namespace {

bool NeedsEscape(unsigned char c) { return c < 0x20 || c == 0x7f || c == '%' || c == '+' || c == '#' || c == '/'; }

}  // namespace

std::string IdentityTopicRoot(std::string_view client_id) {
  const auto slash = client_id.find('/');
  std::string root = "devices/" + std::string(client_id.substr(0, slash)) + '/';
  if (slash != std::string_view::npos) root += "modules/" + std::string(client_id.substr(slash + 1)) + '/';
  return root;
}

std::string EncodeIdSegment(std::string_view device_id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(device_id.size());
  for (const char ch : device_id) {
    const auto c = static_cast<unsigned char>(ch);
    if (!NeedsEscape(c)) {
      out += ch;
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::optional<std::string> DecodeIdSegment(std::string_view segment) {
  if (segment.empty() || segment.find('/') != std::string_view::npos) return std::nullopt;
  return iothub::PercentDecode(segment);
}

std::optional<std::string> AddressedTopic(std::string_view prefix, std::string_view device_id, std::string_view topic) {
  std::string out;
  out.reserve(prefix.size() + device_id.size() + 1 + topic.size());
  out += prefix;
  out += EncodeIdSegment(device_id);
  out += '/';
  out += topic;
  if (out.size() > kMaxTopicBytes) return std::nullopt;
  return out;
}

std::string DeviceTopic(std::string_view prefix, std::string_view device_id) {
  return std::string(prefix) + EncodeIdSegment(device_id);
}

std::optional<Addressed> SplitAddressed(std::string_view topic, std::string_view prefix) {
  if (!topic.starts_with(prefix)) return std::nullopt;
  const std::string_view rest = topic.substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) return std::nullopt;
  auto id = DecodeIdSegment(rest.substr(0, slash));
  if (!id) return std::nullopt;
  return Addressed{std::move(*id), std::string(rest.substr(slash + 1))};
}

std::optional<std::string> DeviceIdAfter(std::string_view topic, std::string_view prefix) {
  if (!topic.starts_with(prefix)) return std::nullopt;
  return DecodeIdSegment(topic.substr(prefix.size()));
}

}  // namespace offhub::broker
