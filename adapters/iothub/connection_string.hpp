#pragma once
// IoT Hub connection strings, parsed as the official SDKs read them:
// `;`-separated `Key=Value` pairs, each split at its FIRST '=' (so base64
// padding survives), keys case-sensitive (`HostName`, not `hostname`).
// https://learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas
//
// Where the SDKs differ, offhub takes the stricter reading (C#'s) and says why:
// - empty elements (a trailing ';') are skipped;
// - an element without '=' is an error (C#), where Node silently skips it;
// - a key given twice is an error (C#), where Node keeps the last one;
// - an empty value counts as absent (Node drops empty values);
// - unknown keys are ignored (both SDKs).
// Every failure is 400 ArgumentInvalid whose message names the field.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace offhub::iothub {

// HostName=<hub>;SharedAccessKeyName=<policy>;SharedAccessKey=<base64>
struct ServiceConnectionString {
  std::string host_name;
  std::string key_name;
  std::string key;  // base64, as given (validated to decode)

  bool operator==(const ServiceConnectionString&) const = default;
};

// HostName=..;DeviceId=..;SharedAccessKey=.. (or SharedAccessSignature=..),
// optional ModuleId and GatewayHostName (`host` or `host:port`).
struct DeviceConnectionString {
  std::string host_name;
  std::string device_id;
  std::optional<std::string> module_id;
  std::optional<std::string> key;        // base64; exactly one of key and signature
  std::optional<std::string> signature;  // "SharedAccessSignature sr=..."
  std::optional<std::string> gateway_host;
  std::optional<std::uint16_t> gateway_port;

  bool operator==(const DeviceConnectionString&) const = default;
};

// All three fields are required; the key must be valid base64; the host name
// must be a DNS name (letters, digits, '-', '.', '_'), without a port: the
// SDKs always reach the service on 443.
domain::Result<ServiceConnectionString> ParseServiceConnectionString(std::string_view text);

// HostName and DeviceId (IoT Hub's device-id rule) are required, and exactly
// one of SharedAccessKey (base64) and SharedAccessSignature (must start with
// "SharedAccessSignature "); ModuleId, when given, follows the device-id rule
// too. x509 authentication is not supported here.
domain::Result<DeviceConnectionString> ParseDeviceConnectionString(std::string_view text);

struct HostPort {
  std::string host;
  std::optional<std::uint16_t> port;
};
// "host", "host:port" or "[v6]:port" (port 1..65535), on Boost.URL's
// authority grammar; the host comes back without brackets.
// `field` names the setting in the error.
domain::Result<HostPort> ParseHostPort(std::string_view text, std::string_view field);

// Back to text, in the order the portal writes them.
std::string ToString(const ServiceConnectionString& cs);

}  // namespace offhub::iothub
