#include "apps/offhub_cli/commands.hpp"

#include <iostream>
#include <memory>
#include <optional>

#include "apps/lib/door_lock.hpp"
#include "apps/offhub_cli/command_support.hpp"
#include "domain/device.hpp"
#include "domain/job_request.hpp"
#include "domain/method_request.hpp"

namespace offhub::cli {
namespace {

using nlohmann::json;

// Runs the event loop until `done` is set (the embedded hub answers on it).
void RunUntil(boost::asio::io_context& io, const bool& done) {
  io.restart();
  while (!done && io.run_one() > 0) {
  }
}

// "[##########----------]  50%"
std::string Bar(std::int64_t finished, std::int64_t total) {
  constexpr int kWidth = 30;
  const int filled = total == 0 ? kWidth : static_cast<int>(finished * kWidth / total);
  const int percent = total == 0 ? 100 : static_cast<int>(finished * 100 / total);
  return "[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] " + std::to_string(percent) + "%";
}

}  // namespace

void Commands::On(CLI::App* command, Action action) { actions_.emplace_back(command, std::move(action)); }

void Commands::Register(CLI::App& app) {
  RegisterDevice(app);
  RegisterModule(app);
  RegisterTwin(app);
  RegisterQuery(app);
  RegisterMethod(app);
  RegisterJob(app);
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
  return 2;
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
    json items = json::array();
    ports::QueryPageRequest page{page_size_, std::nullopt};
    do {
      const auto result = hub.services().queries.Query(sql_, page);
      if (!result) return Fail(result.error());
      for (const auto& item : result->items) items.push_back(item);
      page.continuation = result->continuation;
    } while (all_pages_ && page.continuation);
    return Print(items);
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
  create->add_option("--start", start_, "Start time, ISO-8601 UTC (default: now)");
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
    json items = json::array();
    ports::QueryPageRequest page;
    do {
      const auto result = hub.services().jobs.ListJobs(filter, page);
      if (!result) return Fail(result.error());
      for (const auto& item : result->items) items.push_back(item);
      page.continuation = result->continuation;
    } while (page.continuation);
    return Print(items);
  });
  auto* watch = job->add_subcommand("watch", "Follow a job to its end with a progress bar; prints the final job");
  watch->add_option("job-id", id_, "The job id")->required();
  watch->add_option("--poll", poll_, "Seconds between polls")->capture_default_str();
  On(watch, [this](boost::asio::io_context& io, apps::ServiceHub& hub) { return Watch(io, hub); });
}

int Commands::Watch(boost::asio::io_context& io, apps::ServiceHub& hub) {
  bool done = false;
  int code = 1;
  std::function<void()> poll = [&] {
    const auto job = hub.services().jobs.GetJob(id_);
    if (!job) {
      std::cerr << "\n";
      code = Fail(job.error());
      done = true;
      return;
    }
    const json stats = job->value("deviceJobStatistics", json::object());
    const std::int64_t total = stats.value("deviceCount", 0);
    const std::int64_t finished = stats.value("succeededCount", 0) + stats.value("failedCount", 0);
    std::cerr << "\r" << Bar(finished, total) << "  " << apps::ProgressLine(*job) << "   " << std::flush;
    const std::string status = job->value("status", "");
    if (status == "completed" || status == "failed" || status == "cancelled") {
      std::cerr << "\n";
      code = Print(*job);
      done = true;
      return;
    }
    hub.clock().CallAfterSeconds(poll_, poll);
  };
  poll();
  RunUntil(io, done);
  return code;
}

}  // namespace offhub::cli
