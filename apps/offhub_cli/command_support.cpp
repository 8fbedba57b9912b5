#include "apps/offhub_cli/command_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <stdexcept>

#include "adapters/azure/rest_request.hpp"
#include "adapters/azure/rest_response.hpp"
#include "adapters/azure/rest_hub_service.hpp"
#include "apps/lib/command_line.hpp"
#include "apps/lib/door_lock.hpp"
#include "domain/device.hpp"
#include "domain/job.hpp"
#include "domain/json_text.hpp"
#include "domain/query/paging.hpp"

namespace offhub::cli {

using nlohmann::json;

namespace {

constexpr std::string_view kUserAgent = "offhub-cli";
// How the REST adapter's HTTPS client starts the messages of the failures it
// makes when no answer came (adapters/azure/https_client.cpp, NetworkError).
constexpr std::string_view kLocalFailurePrefix = "offhub: ";

// The REST adapter's timeouts and token lifetime, for the control plane too.
const azure::RestHubOptions& RestDefaults() {
  static const azure::RestHubOptions kDefaults;
  return kDefaults;
}

// Members of a document from the hub, read without trusting its shape.
const json& ObjectAt(const json& doc, const char* key) {
  static const json kEmpty = json::object();
  if (!doc.is_object()) return kEmpty;
  const auto it = doc.find(key);
  return it != doc.end() && it->is_object() ? *it : kEmpty;
}

std::string StringAt(const json& doc, const char* key) {
  if (!doc.is_object()) return "";
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

std::int64_t CountAt(const json& stats, const char* key) {
  const auto it = stats.find(key);
  return it != stats.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

// "[##########----------]  50%"
std::string Bar(std::int64_t finished, std::int64_t total) {
  constexpr int kWidth = 30;
  const int filled = total <= 0 ? kWidth : static_cast<int>(std::min(finished, total) * kWidth / total);
  const int percent = total <= 0 ? 100 : static_cast<int>(std::min(finished, total) * 100 / total);
  return "[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] " + std::to_string(percent) + "%";
}

// A string literal of IoT Hub's query language (domain/query/lexer.hpp).
std::string QueryString(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// "device d1/m1 failed: JobRunPreconditionFailed: <description>", from a devices.jobs record.
std::string FailedDevice(const json& record) {
  const std::string who = domain::IdentityKey(StringAt(record, "deviceId"), StringAt(record, "moduleId"));
  const json& error = ObjectAt(record, "error");
  const std::string why = error.empty() ? "outcome " + ObjectAt(record, "outcome").dump()
                                        : StringAt(error, "code") + ": " + StringAt(error, "description");
  return "device " + who + " failed: " + why;
}

// FollowJob's state: polls on the hub's clock until the job is final or the deadline passes.
class JobFollower {
 public:
  JobFollower(apps::ServiceHub& hub, const Output& output, std::string job_id, const FollowOptions& options)
      : hub_(hub),
        output_(output),
        job_id_(std::move(job_id)),
        options_(options),
        terminal_(::isatty(STDERR_FILENO) == 1) {
    if (options_.timeout_seconds) deadline_ = hub_.clock().Now().PlusSeconds(*options_.timeout_seconds);
  }

  int Run(boost::asio::io_context& io) {
    Poll();
    RunUntil(io, done_);
    return code_;
  }

 private:
  void Poll() {
    const auto job = hub_.services().jobs.GetJob(job_id_);
    if (!job) {
      EndProgress();
      return Finish(Fail(job.error()));
    }
    ShowProgress(*job);
    const auto status = domain::ParseJobStatus(StringAt(*job, "status"));
    if (status && domain::IsFinal(*status)) return Finish(Final(*job, *status));
    const auto now = hub_.clock().Now();
    if (deadline_ && now >= *deadline_) return Finish(TimedOut(*job));
    const auto next = now.PlusSeconds(options_.poll_seconds);
    hub_.clock().CallAt(deadline_ ? std::min(next, *deadline_) : next, [this] { Poll(); });
  }

  void Finish(int code) {
    code_ = code;
    done_ = true;
  }

  int Final(const json& job, domain::JobStatus status) {
    EndProgress();
    output_.Document(job);
    const std::int64_t failed = CountAt(ObjectAt(job, "deviceJobStatistics"), "failedCount");
    if (status == domain::JobStatus::kCompleted && failed == 0) return kExitOk;
    std::string summary = "offhub: job " + job_id_ + " " + std::string(domain::ToString(status));
    if (failed > 0) summary += " with " + std::to_string(failed) + " failed device(s)";
    if (const auto reason = StringAt(job, "failureReason"); !reason.empty()) summary += ": " + reason;
    std::cerr << summary << "\n";
    ReportFailedDevices();
    return kExitFailed;
  }

  void ReportFailedDevices() {
    const std::string sql = "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = " + QueryString(job_id_) +
                            " AND devices.jobs.status = 'failed'";
    const auto records = CollectPages([&](const auto& page) { return hub_.services().queries.Query(sql, page); });
    if (!records) {
      Fail(records.error());
      return;
    }
    for (const auto& record : records->items) std::cerr << "offhub: " << FailedDevice(record) << "\n";
  }

  int TimedOut(const json& job) {
    EndProgress();
    output_.Document(job);
    std::cerr << "offhub: job " << job_id_ << " is still " << StringAt(job, "status") << " after --timeout "
              << *options_.timeout_seconds << " s\n";
    return kExitTimedOut;
  }

  void ShowProgress(const json& job) {
    if (!options_.progress) return;
    const json& stats = ObjectAt(job, "deviceJobStatistics");
    const std::string line = Bar(CountAt(stats, "succeededCount") + CountAt(stats, "failedCount"),
                                 CountAt(stats, "deviceCount")) +
                             "  " + apps::ProgressLine(job);
    if (terminal_) {
      std::cerr << "\r" << line << "   " << std::flush;
      drawn_ = true;
    } else if (line != last_line_) {
      std::cerr << line << std::endl;  // a log gets each change once, without carriage returns
    }
    last_line_ = line;
  }

  // Ends a progress line drawn in place, so what follows starts on a line of its own.
  void EndProgress() {
    if (drawn_) std::cerr << "\n";
    drawn_ = false;
  }

  apps::ServiceHub& hub_;
  const Output& output_;
  const std::string job_id_;
  const FollowOptions options_;
  const bool terminal_;
  std::optional<domain::UtcTime> deadline_;
  std::string last_line_;
  bool drawn_ = false;
  bool done_ = false;
  int code_ = kExitFailed;
};

}  // namespace

int ExitCodeFor(const domain::Error& error) {
  using domain::ErrorCode;
  const bool no_answer = error.code() == ErrorCode::ServiceUnavailable || error.code() == ErrorCode::GenericTimeout;
  if (no_answer && error.message().starts_with(kLocalFailurePrefix)) return kExitUnreachable;
  const bool offline =
      error.code() == ErrorCode::DeviceNotOnline || error.code() == ErrorCode::DeviceConnectionClosedRemotely;
  if (error.http_status() == 404 && !offline) return kExitNotFound;
  return kExitFailed;
}

int Fail(const domain::Error& error) {
  apps::PrintError("offhub", error);
  return ExitCodeFor(error);
}

void RunUntil(boost::asio::io_context& io, const bool& done) {
  io.restart();
  while (!done && io.run_one() > 0) {
  }
}

domain::Result<json> ParseJsonArgument(const std::string& text, const char* what) {
  auto value = domain::ParseJsonText(text, what);
  if (!value) return domain::Error::ArgumentInvalid(value.error().message() + ": " + text);
  return value;
}

std::optional<std::string_view> IfMatch(const std::string& etag) {
  if (etag.empty()) return std::nullopt;
  return std::string_view(etag);
}

domain::Result<std::string> ConnectionString(std::string_view host_name, const json& identity) {
  const std::string device_id = StringAt(identity, "deviceId");
  const std::string module_id = StringAt(identity, "moduleId");
  const std::string key = StringAt(ObjectAt(ObjectAt(identity, "authentication"), "symmetricKey"), "primaryKey");
  if (key.empty()) {
    const std::string who = module_id.empty() ? "device '" + device_id + "'" : "module '" + module_id + "'";
    return domain::Error::ArgumentInvalid("the " + who + " has no symmetric key to connect with");
  }
  std::string text = "HostName=" + std::string(host_name) + ";DeviceId=" + device_id;
  if (!module_id.empty()) text += ";ModuleId=" + module_id;
  return text + ";SharedAccessKey=" + key;
}

domain::Result<Collected> CollectPages(const PageSource& page_of, std::size_t top, std::size_t page_size) {
  Collected collected;
  ports::QueryPageRequest page{page_size > 0 ? page_size : std::min(top, domain::query::kMaxPageSize), std::nullopt};
  for (;;) {
    const auto result = page_of(page);
    if (!result) return result.error();
    collected.item_type = result->item_type;
    for (const auto& item : result->items) {
      if (top > 0 && collected.items.size() == top) {
        collected.more = true;
        return collected;
      }
      collected.items.push_back(item);
    }
    page.continuation = result->continuation;
    if (!page.continuation) return collected;
    if (top > 0 && collected.items.size() == top) break;
  }
  // At `top` with a token left: one item of the next page says whether more exist.
  page.max_item_count = 1;
  const auto next = page_of(page);
  if (!next) return next.error();
  collected.more = !next->items.empty();
  return collected;
}

void NoteMore(const Collected& collected, std::int64_t top) {
  if (!collected.more) return;
  std::cerr << "offhub: showing the first " << top << " results (--top " << top << "); the hub has more\n";
}

int FollowJob(boost::asio::io_context& io, apps::ServiceHub& hub, const Output& output, const std::string& job_id,
              const FollowOptions& options) {
  return JobFollower(hub, output, job_id, options).Run(io);
}

ControlPlane::ControlPlane(const iothub::ServiceConnectionString& connection, azure::HttpsClientOptions options)
    : host_name_(connection.host_name),
      tokens_(connection, RestDefaults().token_ttl, RestDefaults().token_renew_before),
      client_(std::move(options)) {}

domain::Result<json> ControlPlane::Call(boost::beast::http::verb verb, std::string_view path,
                                        const std::optional<json>& body, std::chrono::milliseconds read_timeout) {
  auto token = tokens_.Token();
  if (!token) return token.error();
  azure::RestCall call;
  call.verb = verb;
  call.target = "/offhub/v1/" + std::string(path);
  if (body) call.body = body->dump();
  call.read_timeout = read_timeout;
  const azure::ConnectionHeaders headers{host_name_, std::move(*token), azure::NewRequestId(), std::string(kUserAgent)};
  auto response = client_.Send(azure::ToHttpRequest(call, headers), call.read_timeout);
  if (!response) return response.error();
  if (response->result() == boost::beast::http::status::no_content) {  // DELETE .../faults: nothing left
    if (auto done = azure::EmptyResult(*response); !done) return done.error();
    return json::object();
  }
  return azure::JsonResult(*response);
}

domain::Status ControlPlane::Stream(std::string_view path, std::chrono::milliseconds duration,
                                    const std::function<bool(std::string_view)>& on_data) {
  auto token = tokens_.Token();
  if (!token) return token.error();
  azure::RestCall call;
  call.verb = boost::beast::http::verb::get;
  call.target = "/offhub/v1/" + std::string(path);
  const azure::ConnectionHeaders headers{host_name_, std::move(*token), azure::NewRequestId(), std::string(kUserAgent)};
  auto response = client_.Stream(azure::ToHttpRequest(call, headers), std::chrono::minutes(1), duration, on_data);
  if (!response) return response.error();
  return azure::EmptyResult(*response);
}

domain::Result<std::unique_ptr<ControlPlane>> ConnectControlPlane(const apps::ServiceSettings& settings) {
  if (settings.hub == "embedded") {
    return domain::Error::ArgumentInvalid(
        "the embedded hub has no test-control plane: state, reset and clock talk to offhub-emulator");
  }
  if (settings.connection_string.empty()) {
    return domain::Error::ArgumentInvalid(
        "no service connection string: set IOTHUB_CONNECTION_STRING or --connection-string");
  }
  auto connection = iothub::ParseServiceConnectionString(settings.connection_string);
  if (!connection) return connection.error();
  azure::HttpsClientOptions options;
  options.host_name = options.connect_host = connection->host_name;
  options.connect_timeout = RestDefaults().connect_timeout;
  options.io_timeout = RestDefaults().request_timeout;
  options.max_response_bytes = kMaxStateDocumentBytes;  // a whole hub's export
  if (!settings.ca_file.empty()) options.ca_file = settings.ca_file;
  if (!settings.endpoint.empty()) {
    auto endpoint = apps::ParseEndpoint(settings.endpoint, "https", "http", "--endpoint");
    if (!endpoint) return endpoint.error();
    auto host_port = iothub::ParseHostPort(endpoint->host_port, "--endpoint");
    if (!host_port) return host_port.error();
    options.tls = endpoint->tls;
    options.connect_host = host_port->host;
    options.connect_port = host_port->port ? std::to_string(*host_port->port) : endpoint->tls ? "443" : "80";
  }
  try {
    return std::make_unique<ControlPlane>(*connection, std::move(options));
  } catch (const std::exception& e) {  // the CA file cannot be loaded
    return domain::Error::ArgumentInvalid(e.what());
  }
}


}  // namespace offhub::cli
