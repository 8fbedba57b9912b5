#include "adapters/iothub/sas_token.hpp"

#include <charconv>

#include "adapters/iothub/crypto.hpp"
#include "adapters/iothub/percent_encoding.hpp"
#include "domain/base64.hpp"

namespace offhub::iothub {
namespace {

constexpr std::string_view kSasPrefix = "SharedAccessSignature ";
constexpr std::size_t kMaxSeDigits = 18;

// Stores `value` into `slot` unless it is empty or the slot is taken.
bool Assign(std::optional<std::string>& slot, std::string_view value) {
  if (slot || value.empty()) return false;
  slot = std::string(value);
  return true;
}

std::int64_t MillisSinceEpoch(std::chrono::system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}

// Floor division that also holds for instants before 1970.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::optional<SasFields> ParseSasToken(std::string_view text) {
  if (!text.starts_with(kSasPrefix)) return std::nullopt;
  std::string_view rest = text.substr(kSasPrefix.size());
  std::optional<std::string> sr, sig, se, skn;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view name = pair.substr(0, eq), value = pair.substr(eq + 1);
    bool ok = true;  // unknown fields are ignored, as IoT Hub's parsers do
    if (name == "sr") ok = Assign(sr, value);
    if (name == "sig") ok = Assign(sig, value);
    if (name == "se") ok = Assign(se, value);
    if (name == "skn") ok = Assign(skn, value);
    if (!ok) return std::nullopt;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  if (!sr || !sig || !se) return std::nullopt;
  return SasFields{std::move(*sr), std::move(*sig), std::move(*se), std::move(skn)};
}

std::optional<std::int64_t> TokenExpiry(const SasFields& token) {
  const std::string_view text = token.se;
  if (text.empty() || text.size() > kMaxSeDigits) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

bool SignatureMatches(const SasFields& token, std::string_view key) {
  if (key.empty()) return false;
  const auto sig_text = PercentDecode(token.sig);
  if (!sig_text) return false;
  const auto signature = domain::Base64Decode(*sig_text);
  if (!signature) return false;
  return ConstantTimeEquals(HmacSha256(key, token.sr + "\n" + token.se), *signature);
}

domain::Result<std::string> SasSignature(std::string_view signed_resource, std::string_view expiry,
                                         std::string_view base64_key) {
  const auto key = domain::Base64Decode(base64_key);
  if (!key || key->empty()) return domain::Error::ArgumentInvalid("The shared access key is not base64");
  return domain::Base64Encode(HmacSha256(*key, std::string(signed_resource) + "\n" + std::string(expiry)));
}

domain::Result<std::string> MakeSasToken(std::string_view resource_uri, std::string_view base64_key,
                                         std::int64_t expiry_seconds, std::optional<std::string_view> policy_name) {
  const std::string sr = EncodeUriComponentStrict(resource_uri);
  const std::string se = std::to_string(expiry_seconds);
  const auto sig = SasSignature(sr, se, base64_key);
  if (!sig) return sig.error();
  std::string token = "SharedAccessSignature sr=" + sr + "&sig=" + EncodeUriComponentStrict(*sig);
  if (policy_name) token += "&skn=" + EncodeUriComponentStrict(*policy_name);
  return token + "&se=" + se;
}

domain::Result<std::string> MakeServiceSasToken(std::string_view host_name, std::string_view policy,
                                                std::string_view base64_key, std::int64_t expiry) {
  // The service SDK signs the host name as it is (a host name needs no escaping).
  const std::string se = std::to_string(expiry);
  auto sig = SasSignature(host_name, se, base64_key);
  if (!sig) return sig.error();
  return "SharedAccessSignature sr=" + std::string(host_name) + "&sig=" + EncodeUriComponentStrict(*sig) +
         "&skn=" + EncodeUriComponentStrict(policy) + "&se=" + se;
}

domain::Result<std::string> MakeDeviceSasToken(std::string_view host_name, std::string_view device_id,
                                               std::string_view base64_key, std::int64_t expiry,
                                               std::optional<std::string_view> module_id) {
  std::string resource = std::string(host_name) + "/devices/" + std::string(device_id);
  if (module_id) resource += "/modules/" + std::string(*module_id);
  return MakeSasToken(resource, base64_key, expiry);
}

std::int64_t ServiceTokenExpiry(std::chrono::system_clock::time_point now, std::chrono::seconds ttl) {
  // ceil(ms / 1000 + ttl) == ceil(ms / 1000) + ttl for an integral ttl.
  return -FloorDiv(-MillisSinceEpoch(now), 1000) + ttl.count();
}

std::int64_t DeviceTokenExpiry(std::chrono::system_clock::time_point now, std::chrono::seconds ttl) {
  return FloorDiv(MillisSinceEpoch(now), 1000) + ttl.count();
}

}  // namespace offhub::iothub
