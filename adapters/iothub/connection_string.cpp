#include "adapters/iothub/connection_string.hpp"

#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <map>

#include "domain/base64.hpp"
#include "domain/device.hpp"

namespace offhub::iothub {
namespace {

using domain::Error;
using Fields = std::map<std::string, std::string, std::less<>>;

Error Invalid(std::string message) { return Error::ArgumentInvalid("Connection string: " + std::move(message)); }

domain::Result<Fields> SplitFields(std::string_view text) {
  Fields fields;
  while (!text.empty()) {
    const auto semi = text.find(';');
    const auto element = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    if (element.empty()) continue;
    const auto eq = element.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Invalid("malformed element (expected Key=Value) at '" + std::string(element.substr(0, 32)) + "'");
    }
    const auto key = element.substr(0, eq);
    const auto value = element.substr(eq + 1);
    if (fields.contains(key)) return Invalid("the key " + std::string(key) + " appears more than once");
    if (!value.empty()) fields.emplace(key, value);
  }
  return fields;
}

std::optional<std::string> Take(const Fields& fields, std::string_view key) {
  const auto it = fields.find(key);
  if (it == fields.end()) return std::nullopt;
  return it->second;
}

domain::Result<std::string> Require(const Fields& fields, std::string_view key) {
  auto value = Take(fields, key);
  if (!value) return Invalid("missing " + std::string(key));
  return std::move(*value);
}

bool IsHostName(std::string_view host) {
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
  });
}

domain::Result<std::string> RequireHostName(const Fields& fields) {
  auto host = Require(fields, "HostName");
  if (!host) return host;
  if (!IsHostName(*host)) return Invalid("HostName is not a host name (no port, scheme or path): '" + *host + "'");
  return host;
}

domain::Status CheckKey(std::string_view key) {
  const auto bytes = domain::Base64Decode(key);
  if (!bytes || bytes->empty()) return Invalid("SharedAccessKey is not valid base64");
  return domain::Success();
}

domain::Status ParseDeviceCredential(const Fields& fields, DeviceConnectionString& out) {
  out.key = Take(fields, "SharedAccessKey");
  out.signature = Take(fields, "SharedAccessSignature");
  if (out.key && out.signature) return Invalid("give SharedAccessKey or SharedAccessSignature, not both");
  if (!out.key && !out.signature) return Invalid("missing SharedAccessKey (or SharedAccessSignature)");
  if (out.key) return CheckKey(*out.key);
  if (!out.signature->starts_with("SharedAccessSignature ")) {
    return Invalid("SharedAccessSignature must start with 'SharedAccessSignature '");
  }
  return domain::Success();
}

}  // namespace

domain::Result<ServiceConnectionString> ParseServiceConnectionString(std::string_view text) {
  const auto fields = SplitFields(text);
  if (!fields) return fields.error();
  auto host = RequireHostName(*fields);
  if (!host) return host.error();
  auto key_name = Require(*fields, "SharedAccessKeyName");
  if (!key_name) return key_name.error();
  auto key = Require(*fields, "SharedAccessKey");
  if (!key) return key.error();
  if (auto s = CheckKey(*key); !s) return s.error();
  return ServiceConnectionString{std::move(*host), std::move(*key_name), std::move(*key)};
}

domain::Result<DeviceConnectionString> ParseDeviceConnectionString(std::string_view text) {
  const auto fields = SplitFields(text);
  if (!fields) return fields.error();
  DeviceConnectionString out;
  auto host = RequireHostName(*fields);
  if (!host) return host.error();
  out.host_name = std::move(*host);
  auto device_id = Require(*fields, "DeviceId");
  if (!device_id) return device_id.error();
  if (auto s = domain::ValidateDeviceId(*device_id); !s) return Invalid("DeviceId: " + s.error().message());
  out.device_id = std::move(*device_id);
  out.module_id = Take(*fields, "ModuleId");
  if (out.module_id) {
    if (auto s = domain::ValidateModuleId(*out.module_id); !s) return Invalid("ModuleId: " + s.error().message());
  }
  if (auto s = ParseDeviceCredential(*fields, out); !s) return s.error();
  if (const auto gateway = Take(*fields, "GatewayHostName")) {
    auto parsed = ParseHostPort(*gateway, "GatewayHostName");
    if (!parsed) return parsed.error();
    out.gateway_host = std::move(parsed->host);
    out.gateway_port = parsed->port;
  }
  return out;
}

domain::Result<HostPort> ParseHostPort(std::string_view text, std::string_view field) {
  const auto bad = [&] { return Invalid(std::string(field) + " is not host or host:port: '" + std::string(text) + "'"); };
  const auto authority = boost::urls::parse_authority(text);
  if (!authority || authority->has_userinfo()) return bad();
  HostPort out;
  if (authority->host_type() == boost::urls::host_type::ipv6) {
    out.host = authority->host_address();  // without the brackets
  } else if (IsHostName(authority->encoded_host())) {
    out.host = authority->encoded_host();
  } else {
    return bad();
  }
  if (!authority->has_port()) return out;
  const std::string_view port_text = authority->port();
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    return Invalid(std::string(field) + " has a bad port: '" + std::string(text) + "'");
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

std::string ToString(const ServiceConnectionString& cs) {
  return "HostName=" + cs.host_name + ";SharedAccessKeyName=" + cs.key_name + ";SharedAccessKey=" + cs.key;
}

}  // namespace offhub::iothub
