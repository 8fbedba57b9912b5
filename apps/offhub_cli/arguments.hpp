#pragma once
// The offhub CLI's checks of its arguments, as CLI11 validators: a bad value
// stops the parse before any hub is reached, with exit code 2 and a message
// that names the flag ("--top: ..."), not the REST field behind it. Checks
// across flags (a method flag on a twin job) throw CLI::ValidationError from
// the command's callback (Usage below), with the same outcome.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/result.hpp"
#include "domain/time.hpp"

namespace offhub::cli {

// A number no smaller than `minimum` (seconds may have a fraction).
CLI::Validator AtLeast(std::int64_t minimum);
// A number from `minimum` to `maximum`.
CLI::Validator Between(double minimum, double maximum);

// One of `names`, compared case-insensitively; the value becomes the
// spelling given here. Each pair is {accepted name, canonical name}, so
// aliases map to the hub's own ("method" -> "scheduleDeviceMethod").
CLI::Validator Choice(std::vector<std::pair<std::string, std::string>> names);
CLI::Validator Choice(std::initializer_list<std::string> names);

// IoT Hub's job types and statuses as GET /jobs/v2/query filters by them
// (https://learn.microsoft.com/rest/api/iothub/service/jobs/get-scheduled-job),
// plus `method` and `twin` for the two a CLI user schedules.
CLI::Validator JobTypeFilter();
CLI::Validator JobStatusFilter();
// What `job create --type` takes: method, twin or their IoT Hub names.
CLI::Validator JobTypeToCreate();

// IoT Hub's id rules (domain/device.hpp, domain/job_request.hpp).
CLI::Validator DeviceId();
CLI::Validator ModuleId();
CLI::Validator JobId();
// A direct method's name (domain/method_request.hpp).
CLI::Validator MethodName();
// Text with something other than blanks in it.
CLI::Validator NonBlank();
// A symmetric key as IoT Hub takes it: base64 of 16 to 64 bytes.
CLI::Validator SymmetricKey();
// An ISO-8601 time such as 2030-01-01T00:00:00Z.
CLI::Validator IsoTime();

// JSON text, or @FILE (@- for stdin) replaced by that file's text; it must
// parse, and be an object unless `any_value`.
CLI::Validator JsonArgument(bool any_value = false);

// A domain error's `message` with the REST field it starts with (`field`,
// e.g. "methodName") put as a CLI user knows it (`instead`, "a method name").
std::string InPlainWords(std::string message, std::string_view field, std::string_view instead);

// A file's text; "-" reads stdin.
domain::Result<std::string> ReadText(const std::string& path);

// Stops the parse as a bad value of `flag` does: exit code 2, "flag: message".
[[noreturn]] void Usage(const std::string& flag, const std::string& message);

// This machine's clock (the CLI's checks run before any hub is reached).
domain::UtcTime SystemNow();

}  // namespace offhub::cli
