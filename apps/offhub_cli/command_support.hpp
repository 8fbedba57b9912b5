#pragma once
// What the offhub CLI's subcommands share: JSON on stdout, IoT Hub's errors
// on stderr, and the checks of arguments the hub cannot check for us.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::cli {

// Prints "offhub: <Name> (<number>): <message>" on stderr; returns exit code 1.
int Fail(const domain::Error& error);
// Prints `value` as indented JSON on stdout; returns exit code 0.
int Print(const nlohmann::json& value);

template <class T>
int PrintOr(const domain::Result<T>& result) {
  return result ? Print(*result) : Fail(result.error());
}

// `text` as JSON; 400 ArgumentInvalid naming the option `what` otherwise.
domain::Result<nlohmann::json> ParseJsonArgument(const std::string& text, const char* what);

// An --etag value as If-Match: empty means no header.
std::optional<std::string_view> IfMatch(const std::string& etag);

// "HostName=..;DeviceId=..[;ModuleId=..];SharedAccessKey=<primary key>" for a
// device or module identity as GET /devices/{id}[/modules/{m}] returns it;
// 400 ArgumentInvalid when the identity has no symmetric key (x509 or none).
domain::Result<std::string> ConnectionString(std::string_view host_name, const nlohmann::json& identity);

}  // namespace offhub::cli
