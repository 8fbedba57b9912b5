#include "apps/offhub_cli/commands.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "apps/lib/door_lock.hpp"
#include "apps/lib/command_line.hpp"
#include "domain/device.hpp"
#include "domain/job_request.hpp"
#include "domain/json_text.hpp"
#include "domain/method_request.hpp"
#include "domain/time.hpp"

namespace offhub::cli {
namespace {

using nlohmann::json;
namespace http = boost::beast::http;

}  // namespace

void Commands::On(CLI::App* command, Action action) { actions_.emplace_back(command, std::move(action)); }

void Commands::Register(CLI::App& app) {
  RegisterDevice(app);
  RegisterModule(app);
  RegisterTwin(app);
  RegisterQuery(app);
  RegisterMethod(app);
  RegisterJob(app);
  RegisterState(app);
  RegisterClock(app);
  RegisterFault(app);
  RegisterMonitor(app);
}

domain::Result<std::optional<std::string>> Commands::Module() const {
  if (!module_) return std::optional<std::string>();
  if (auto valid = domain::ValidateModuleId(*module_); !valid) return valid.error();
  return module_;
}

int Commands::Run(boost::asio::io_context& io, apps::ServiceHub& hub) {
  for (auto& [command, action] : actions_) {
    if (command->parsed()) return action(io, hub);
  }
  std::cerr << "offhub: no command given (see --help)\n";
  return kExitUsage;
}

void Commands::RegisterDevice(CLI::App& app) {
  auto* device = app.add_subcommand("device", "Device identities in the registry");
  device->require_subcommand(1);
  auto* create = device->add_subcommand("create", "Register a device (keys generated unless given)");
  create->add_option("device-id", id_, "The device id")->required();
  create->add_option("--status", status_, "enabled or disabled")->capture_default_str();
  create->add_option("--primary-key", primary_key_, "base64 key");
  create->add_option("--secondary-key", secondary_key_, "base64 key");
  On(create, [this](auto&, apps::ServiceHub& hub) {
    json body = {{"deviceId", id_}, {"status", status_},
                 {"authentication", {{"type", "sas"}, {"symmetricKey", {{"primaryKey", primary_key_}, {"secondaryKey", secondary_key_}}}}}};
    const auto spec = domain::ParseDeviceSpec(body, id_);
    if (!spec) return Fail(spec.error());
    return PrintOr(hub.services().registry.PutIdentity(*spec, std::nullopt));
  });
  auto* show = device->add_subcommand("show", "Show a device");
  show->add_option("device-id", id_, "The device id")->required();
  On(show, [this](auto&, apps::ServiceHub& hub) { return PrintOr(hub.services().registry.GetIdentity(ports::Identity::Device(id_))); });
  auto* connection = device->add_subcommand("connection-string", "Print a device's connection string (primary key)");
  connection->add_option("device-id", id_, "The device id")->required();
  On(connection, [this](auto&, apps::ServiceHub& hub) {
    const auto device = hub.services().registry.GetIdentity(ports::Identity::Device(id_));
    if (!device) return Fail(device.error());
    const auto text = ConnectionString(hub.host_name(), *device);
    return text ? Print(json{{"connectionString", *text}}) : Fail(text.error());
  });
  auto* list = device->add_subcommand("list", "List devices");
  list->add_option("--top", top_, "At most this many (1..1000)");
  On(list, [this](auto&, apps::ServiceHub& hub) { return PrintOr(hub.services().registry.ListDevices(static_cast<std::size_t>(top_))); });
  auto* remove = device->add_subcommand("delete", "Delete a device");
  remove->add_option("device-id", id_, "The device id")->required();
  remove->add_option("--etag", etag_, "Delete only if the device's etag is this");
  On(remove, [this](auto&, apps::ServiceHub& hub) {
    const auto deleted = hub.services().registry.DeleteIdentity(ports::Identity::Device(id_), etag_.empty() ? std::optional<std::string_view>("*") : IfMatch(etag_));
    return deleted ? Print(json{{"deleted", id_}}) : Fail(deleted.error());
  });
}

void Commands::RegisterTwin(CLI::App& app) {
  auto* twin = app.add_subcommand("twin", "Device and module twins");
  twin->require_subcommand(1);
  auto* show = twin->add_subcommand("show", "Show a device's (or with --module, a module's) twin");
  show->add_option("device-id", id_, "The device id")->required();
  show->add_option("--module", module_, "The module of the device whose twin to show");
  On(show, [this](auto&, apps::ServiceHub& hub) {
    const auto module = Module();
    if (!module) return Fail(module.error());
    return PrintOr(*module ? hub.services().twins.GetTwin(ports::Identity::Module(id_, **module)) : hub.services().twins.GetTwin(ports::Identity::Device(id_)));
  });
  auto* update = twin->add_subcommand("update", "Patch (or with --replace, replace) tags and desired properties");
  update->add_option("device-id", id_, "The device id")->required();
  update->add_option("--module", module_, "Update this module's twin instead of the device's");
  update->add_option("--patch", patch_, R"(JSON, e.g. '{"properties":{"desired":{"floor":3}}}')")->required();
  update->add_option("--etag", etag_, "Update only if the twin's etag is this");
  update->add_flag("--replace", replace_, "Replace tags and desired properties wholesale (PUT)");
  On(update, [this](auto&, apps::ServiceHub& hub) {
    const auto module = Module();
    if (!module) return Fail(module.error());
    const auto patch = ParseJsonArgument(patch_, "--patch");
    if (!patch) return Fail(patch.error());
    const auto service = hub.services();
    // Without --etag a patch sends If-Match: * and a replace none: both apply whatever the twin's etag.
    const ports::IfMatch if_match = replace_ ? IfMatch(etag_) : ports::IfMatch(IfMatch(etag_).value_or("*"));
    if (*module) {
      return PrintOr(replace_ ? service.twins.ReplaceTwin(ports::Identity::Module(id_, **module), *patch, if_match)
                              : service.twins.PatchTwin(ports::Identity::Module(id_, **module), *patch, if_match));
    }
    return PrintOr(replace_ ? service.twins.ReplaceTwin(ports::Identity::Device(id_), *patch, if_match) : service.twins.PatchTwin(ports::Identity::Device(id_), *patch, if_match));
  });
}

void Commands::RegisterQuery(CLI::App& app) {
  auto* query = app.add_subcommand("query", "Run a query: SELECT ... FROM devices | devices.jobs ...");
  query->add_option("sql", sql_, "The query")->required();
  query->add_option("--page-size", page_size_, "Items per page (x-ms-max-item-count)");
  query->add_flag("--all", all_pages_, "Follow continuation tokens to the last page");
  On(query, [this](auto&, apps::ServiceHub& hub) {
    const auto query_page = [&](const ports::QueryPageRequest& page) {
      return hub.services().queries.Query(sql_, page);
    };
    return PrintOr(CollectPages(query_page, {page_size_, std::nullopt}, all_pages_));
  });
}

void Commands::RegisterMethod(CLI::App& app) {
  auto* method = app.add_subcommand("method", "Direct methods");
  method->require_subcommand(1);
  auto* invoke = method->add_subcommand("invoke", "Call a direct method on a device or module and print its answer");
  invoke->add_option("device-id", id_, "The device id")->required();
  invoke->add_option("method-name", method_, "The method")->required();
  invoke->add_option("--module", module_, "Call the method on this module of the device");
  invoke->add_option("--payload", payload_, "JSON payload")->capture_default_str();
  invoke->add_option("--timeout", timeout_, "responseTimeoutInSeconds (5..300)")->capture_default_str();
  invoke->add_option("--connect-timeout", connect_timeout_, "connectTimeoutInSeconds (0..300)")->capture_default_str();
  On(invoke, [this](boost::asio::io_context& io, apps::ServiceHub& hub) {
    const auto module = Module();
    if (!module) return Fail(module.error());
    const auto payload = ParseJsonArgument(payload_, "--payload");
    if (!payload) return Fail(payload.error());
    const auto request = domain::ParseMethodRequest({{"methodName", method_}, {"payload", *payload},
                                                     {"responseTimeoutInSeconds", timeout_},
                                                     {"connectTimeoutInSeconds", connect_timeout_}});
    if (!request) return Fail(request.error());
    bool done = false;
    int code = 1;
    auto answer = [&](domain::Result<domain::MethodResult> result) {
      code = result ? Print(domain::ToJson(*result)) : Fail(result.error());
      done = true;
    };
    if (*module) {
      hub.services().methods.InvokeMethod(ports::Identity::Module(id_, **module), *request, answer);
    } else {
      hub.services().methods.InvokeMethod(ports::Identity::Device(id_), *request, answer);
    }
    RunUntil(io, done);
    return code;
  });
}

void Commands::RegisterJob(CLI::App& app) {
  auto* job = app.add_subcommand("job", "Jobs: direct methods and twin updates over a device query");
  job->require_subcommand(1);
  auto* create = job->add_subcommand("create", "Schedule a job");
  create->add_option("job-id", id_, "The job id")->required();
  create->add_option("--type", type_, "method or twin")->required()->check(CLI::IsMember({"method", "twin"}));
  create->add_option("--query", sql_, "Query condition, e.g. \"deviceId IN ['d1']\" or \"*\"")->required();
  create->add_option("--method", method_, "Method name (method jobs)");
  create->add_option("--payload", payload_, "Method payload as JSON (method jobs)")->capture_default_str();
  create->add_option("--timeout", timeout_, "responseTimeoutInSeconds (method jobs)")->capture_default_str();
  create->add_option("--patch", patch_,
                     R"(Twin patch as JSON (twin jobs), e.g. '{"properties":{"desired":{"floor":3}}}'; etag "*" is added when absent, as IoT Hub requires it)");
  create->add_option("--start", start_,
                     "Start time, ISO-8601 UTC (default: now by this machine's clock, not a frozen emulator's)");
  create->add_option("--max-execution", max_execution_, "maxExecutionTimeInSeconds")->capture_default_str();
  On(create, [this](auto&, apps::ServiceHub& hub) {
    json body = {{"jobId", id_}, {"queryCondition", sql_}, {"maxExecutionTimeInSeconds", max_execution_}};
    body["startTime"] = start_.empty() ? json(nullptr) : json(start_);
    if (type_ == "method") {
      const auto payload = ParseJsonArgument(payload_, "--payload");
      if (!payload) return Fail(payload.error());
      body["type"] = "scheduleDeviceMethod";
      body["cloudToDeviceMethod"] = {{"methodName", method_}, {"payload", *payload}, {"responseTimeoutInSeconds", timeout_}};
    } else {
      const auto patch = ParseJsonArgument(patch_.empty() ? "null" : patch_, "--patch");
      if (!patch) return Fail(patch.error());
      body["type"] = "scheduleUpdateTwin";
      body["updateTwin"] = *patch;
      // IoT Hub applies a job's patch as a forced update and wants it said.
      if (patch->is_object() && !patch->contains("etag")) body["updateTwin"]["etag"] = "*";
    }
    const auto request = domain::ParseJobRequest(id_, body, hub.clock().Now());
    if (!request) return Fail(request.error());
    return PrintOr(hub.services().jobs.CreateJob(*request));
  });
  auto* show = job->add_subcommand("show", "Show a job");
  show->add_option("job-id", id_, "The job id")->required();
  On(show, [this](auto&, apps::ServiceHub& hub) { return PrintOr(hub.services().jobs.GetJob(id_)); });
  auto* cancel = job->add_subcommand("cancel", "Cancel a job that has not started");
  cancel->add_option("job-id", id_, "The job id")->required();
  On(cancel, [this](auto&, apps::ServiceHub& hub) { return PrintOr(hub.services().jobs.CancelJob(id_)); });
  auto* list = job->add_subcommand("list", "List jobs");
  list->add_option("--type", job_type_, "scheduleDeviceMethod or scheduleUpdateTwin");
  list->add_option("--status", job_status_, "queued, scheduled, running, completed, failed or cancelled");
  On(list, [this](auto&, apps::ServiceHub& hub) {
    ports::JobListFilter filter;
    if (!job_type_.empty()) filter.job_type = job_type_;
    if (!job_status_.empty()) filter.job_status = job_status_;
    const auto jobs_page = [&](const ports::QueryPageRequest& page) {
      return hub.services().jobs.ListJobs(filter, page);
    };
    return PrintOr(CollectPages(jobs_page));
  });
  RegisterFollow(*job);
}

void Commands::RegisterFollow(CLI::App& job) {
  auto* wait = job.add_subcommand("wait", "Wait until a job is final, print it; exit 1 if it failed, was cancelled or "
                                          "has failed devices (named on stderr), 3 on --timeout");
  auto* watch = job.add_subcommand("watch", "As wait, with a progress line on stderr (redrawn on a terminal, a line "
                                            "per change otherwise)");
  for (auto* command : {wait, watch}) {
    command->add_option("job-id", id_, "The job id")->required();
    command->add_option("--timeout", wait_timeout_, "Give up after this many seconds, exit code 3 (default: never)")
        ->check(AtLeast(0));
    command->add_option("--poll", poll_, "Seconds between polls")->capture_default_str()->check(AtLeast(1));
    On(command, [this, progress = command == watch](boost::asio::io_context& io, apps::ServiceHub& hub) {
      return FollowJob(io, hub, id_, {.poll_seconds = poll_, .timeout_seconds = wait_timeout_, .progress = progress});
    });
  }
}

}  // namespace offhub::cli
