#pragma once
// What the offhub CLI's subcommands share: IoT Hub's errors on stderr and the
// exit codes they mean, collecting query pages, following a job to its end
// (job wait, job watch) and the emulator's test-control plane (state, reset,
// clock, fault, events).

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "adapters/azure/https_client.hpp"
#include "adapters/azure/service_token.hpp"
#include "apps/lib/hub_switch.hpp"
#include "apps/offhub_cli/output.hpp"
#include "domain/result.hpp"

namespace offhub::cli {

// The exit codes, as `offhub --help` lists them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // the hub refused, or a job did not complete cleanly
inline constexpr int kExitUsage = 2;        // bad arguments or settings
inline constexpr int kExitNotFound = 3;     // the hub has no such device, module, job, ...
inline constexpr int kExitUnreachable = 4;  // no answer from the hub: network, TLS, timeout
inline constexpr int kExitTimedOut = 5;     // job wait/watch: --timeout passed first

// The largest state document the emulator takes (PUT /offhub/v1/state), and so the largest the CLI reads.
inline constexpr std::size_t kMaxStateDocumentBytes = 256 * 1024 * 1024;

// The exit code for `error`: kExitNotFound for IoT Hub's 404s that say a
// thing does not exist (DeviceNotFound, ModuleNotFound, JobNotFound, ...; not
// DeviceNotOnline, whose device exists); kExitUnreachable for the failures
// the REST adapter makes itself when no answer came (503001
// ServiceUnavailable and 500008 GenericTimeout whose message it starts with
// "offhub: ", see adapters/azure/https_client.hpp); kExitFailed otherwise.
int ExitCodeFor(const domain::Error& error);
// Prints "offhub: <Name> (<number>): <message>" on stderr; returns ExitCodeFor(error).
int Fail(const domain::Error& error);

// Runs the event loop until `done` is set (the embedded hub answers on it).
void RunUntil(boost::asio::io_context& io, const bool& done);

// `text` (checked by JsonArgument already) as JSON; 400 ArgumentInvalid naming the option `what` otherwise.
domain::Result<nlohmann::json> ParseJsonArgument(const std::string& text, const char* what);

// An --etag value as If-Match: empty means no header.
std::optional<std::string_view> IfMatch(const std::string& etag);

// "HostName=..;DeviceId=..[;ModuleId=..];SharedAccessKey=<primary key>" for a
// device or module identity as GET /devices/{id}[/modules/{m}] returns it;
// 400 ArgumentInvalid when the identity has no symmetric key (x509 or none).
domain::Result<std::string> ConnectionString(std::string_view host_name, const nlohmann::json& identity);

// What CollectPages gathered: the items, their x-ms-item-type, and whether
// the hub had more than `top` let through.
struct Collected {
  nlohmann::json items = nlohmann::json::array();
  std::string item_type;
  bool more = false;
};

// The items of every page `page_of` answers, following continuation tokens
// to the last page, or up to `top` items (0: no limit); `page_size` is
// x-ms-max-item-count (0: the hub's default). The first error, if any.
using PageSource = std::function<domain::Result<ports::QueryPage>(const ports::QueryPageRequest&)>;
domain::Result<Collected> CollectPages(const PageSource& page_of, std::size_t top = 0, std::size_t page_size = 0);
// Says on stderr that --top `top` cut the results short, when it did.
void NoteMore(const Collected& collected, std::int64_t top);

// How `job wait` and `job watch` follow a job.
struct FollowOptions {
  std::int64_t poll_seconds = 2;
  std::optional<std::int64_t> timeout_seconds;  // nullopt: until the job is final
  // A progress line on stderr: redrawn in place on a terminal, a new line
  // each time it changes otherwise.
  bool progress = false;
};

// Polls GET /jobs/v2/{job_id} (the hub's JobService) until the job is final or
// the timeout has passed, then prints the last job seen on stdout (`output`).
// Returns kExitOk when it completed with no failed device; kExitFailed when it
// failed, was cancelled or has failed devices (each named on stderr with its
// error, from a devices.jobs query); kExitTimedOut when the timeout passed
// first; Fail's code when the hub answered with an error.
int FollowJob(boost::asio::io_context& io, apps::ServiceHub& hub, const Output& output, const std::string& job_id,
              const FollowOptions& options);

// The emulator's test-control plane, /offhub/v1/... on the service endpoint
// (GET/PUT state, POST reset, GET/PUT clock, POST clock/advance,
// GET/PUT/DELETE devices/{id}[/modules/{m}]/faults), reached
// with the service connection string's SAS token: the emulator wants a
// policy with RegistryWrite and ServiceConnect (iothubowner).
// Failures as the rest of the CLI sees them: the hub's answer read by
// domain::ErrorFromResponse (a real IoT hub answers 404), 503001/500008 for
// the network. Blocks the calling thread; one keep-alive connection.
class ControlPlane {
 public:
  ControlPlane(const iothub::ServiceConnectionString& connection, azure::HttpsClientOptions options);

  // `verb` on /offhub/v1/`path` with `body` as JSON (nullopt: no body); the
  // answer's JSON ({} for 204 No Content). `read_timeout` 0: the client's default.
  domain::Result<nlohmann::json> Call(boost::beast::http::verb verb, std::string_view path,
                                      const std::optional<nlohmann::json>& body = std::nullopt,
                                      std::chrono::milliseconds read_timeout = std::chrono::milliseconds(0));

  // GET /offhub/v1/`path` as an event stream: `on_data` gets the body's
  // bytes as they arrive, until the hub ends it, `on_data` returns false or
  // `duration` (0: none) passes. An error: the hub's refusal, or the network's
  // (including a minute without a byte: the hub sends a comment every 15 s).
  domain::Status Stream(std::string_view path, std::chrono::milliseconds duration,
                        const std::function<bool(std::string_view)>& on_data);

 private:
  std::string host_name_;
  azure::ServiceTokenSource tokens_;
  azure::HttpsClient client_;
};

// The control plane at the hub `settings` name (as ConnectServiceHub reads
// them); 400 ArgumentInvalid for --hub embedded (it has none) or a bad setting.
domain::Result<std::unique_ptr<ControlPlane>> ConnectControlPlane(const apps::ServiceSettings& settings);

}  // namespace offhub::cli
