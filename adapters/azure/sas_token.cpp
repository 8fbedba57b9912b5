#include "adapters/azure/sas_token.hpp"

#include "adapters/common/sas_token.hpp"

namespace offhub::azure {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '!' || c == '~' || c == '*' || c == '\'' || c == '(' || c == ')';
}

void AppendEscaped(std::string& out, unsigned char c, const char* digits) {
  out += '%';
  out += digits[c >> 4];
  out += digits[c & 0xF];
}

std::int64_t MillisSinceEpoch(std::chrono::system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

// Floor division that also holds for instants before 1970.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string EncodeUriComponent(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out += ch;
    } else {
      AppendEscaped(out, c, "0123456789ABCDEF");
    }
  }
  return out;
}

std::string EncodeUriComponentStrict(std::string_view text) { return common::EncodeUriComponentStrict(text); }

domain::Result<std::string> SasSignature(std::string_view resource, std::int64_t expiry, std::string_view base64_key) {
  return common::SasSignature(resource, std::to_string(expiry), base64_key);
}

domain::Result<std::string> MakeServiceSasToken(std::string_view host_name, std::string_view policy,
                                                std::string_view base64_key, std::int64_t expiry) {
  auto sig = SasSignature(host_name, expiry, base64_key);
  if (!sig) return sig.error();
  return "SharedAccessSignature sr=" + std::string(host_name) + "&sig=" + EncodeUriComponentStrict(*sig) +
         "&skn=" + EncodeUriComponentStrict(policy) + "&se=" + std::to_string(expiry);
}

domain::Result<std::string> MakeDeviceSasToken(std::string_view host_name, std::string_view device_id,
                                               std::string_view base64_key, std::int64_t expiry,
                                               std::optional<std::string_view> module_id) {
  std::string resource = std::string(host_name) + "/devices/" + std::string(device_id);
  if (module_id) resource += "/modules/" + std::string(*module_id);
  const std::string sr = EncodeUriComponentStrict(resource);
  auto sig = SasSignature(sr, expiry, base64_key);
  if (!sig) return sig.error();
  return "SharedAccessSignature sr=" + sr + "&sig=" + EncodeUriComponentStrict(*sig) + "&se=" + std::to_string(expiry);
}

std::int64_t ServiceTokenExpiry(std::chrono::system_clock::time_point now, std::chrono::seconds ttl) {
  // ceil(ms / 1000 + ttl) == ceil(ms / 1000) + ttl for an integral ttl.
  return -FloorDiv(-MillisSinceEpoch(now), 1000) + ttl.count();
}

std::int64_t DeviceTokenExpiry(std::chrono::system_clock::time_point now, std::chrono::seconds ttl) {
  return FloorDiv(MillisSinceEpoch(now), 1000) + ttl.count();
}

}  // namespace offhub::azure
