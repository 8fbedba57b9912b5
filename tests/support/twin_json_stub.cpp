// TEMPORARY, test and bench code only: minimal definitions of the twin
// functions the query module calls (ToJson, Twin::etag) until the branch
// merges main's domain/twin.cpp. Delete this file (and its mentions in
// tests/domain/CMakeLists.txt and bench/CMakeLists.txt) after that merge.

#include <string>

#include "domain/twin.hpp"

namespace offhub::domain {

std::string Twin::etag() const {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned char bytes[9] = {};
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(etag_counter >> (56 - 8 * i));
  std::string out;
  for (int i = 0; i < 9; i += 3) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  out.back() = '=';
  return out;
}

nlohmann::json ToJson(const Twin& twin) {
  nlohmann::json desired = twin.desired.properties;
  desired["$version"] = twin.desired.version;
  nlohmann::json reported = twin.reported.properties;
  reported["$version"] = twin.reported.version;
  return {{"deviceId", twin.device_id},
          {"etag", twin.etag()},
          {"status", twin.status == DeviceStatus::kEnabled ? "enabled" : "disabled"},
          {"connectionState", twin.connection_state == ConnectionState::kConnected ? "Connected" : "Disconnected"},
          {"version", twin.version()},
          {"tags", twin.tags},
          {"properties", {{"desired", desired}, {"reported", reported}}}};
}

}  // namespace offhub::domain
