// `offhub job ...`: scheduled method and twin jobs (jobs v2), and following one to its end.
#include <iostream>

#include "apps/offhub_cli/arguments.hpp"
#include "apps/offhub_cli/commands.hpp"
#include "domain/job_request.hpp"
#include "domain/time.hpp"

namespace offhub::cli {
namespace {

using nlohmann::json;

constexpr std::string_view kMethodJob = "scheduleDeviceMethod";
// A --start this close behind this machine's clock still means "now": the
// time a script took between `date` and the call.
constexpr std::int64_t kStartGraceSeconds = 60;

// IoT Hub applies a job's patch as a forced update and wants it said (domain/job_request.hpp).
json ForcedPatch(json patch) {
  if (patch.is_object() && !patch.contains("etag")) patch["etag"] = "*";
  return patch;
}

// Flags given that belong to the other type of job: a usage error naming the first.
void RefuseFlags(const std::vector<CLI::Option*>& flags, const std::string& why) {
  for (const auto* flag : flags) {
    if (flag->count() > 0) Usage(flag->get_name(), why);
  }
}

// What ParseJobRequest would refuse in a job's patch, said of the flag that gave it.
void CheckJobPatch(const domain::Result<json>& patch) {
  const char* flag = "--patch";
  if (!patch) Usage(flag, patch.error().message());
  if (const auto valid = domain::ParseUpdateTwin(*patch); !valid) {
    Usage(flag, InPlainWords(InPlainWords(valid.error().message(), "updateTwin: ", ""), "updateTwin", "the patch"));
  }
  if (patch->value("etag", json("*")) != "*") {
    Usage(flag, "a job's patch takes etag \"*\" or none: it updates every twin it targets");
  }
}

void CheckStart(const std::string& start) {
  if (start.empty()) return;
  const auto now = SystemNow();
  if (*domain::ParseUtc(start) >= now.PlusSeconds(-kStartGraceSeconds)) return;
  Usage("--start", start + " is in the past (this machine's clock says " + domain::FormatUtc(now) +
                       "); leave --start out to start the job now");
}

}  // namespace

void Commands::RegisterJobCreate(CLI::App& job) {
  auto* create = job.add_subcommand(
      "create", "Schedule a job: a direct method (--type method) or a twin update (--type twin) on the devices --query "
                "matches when it starts");
  create->add_option("job-id", id_, "The job id")->required()->check(JobId());
  create->add_option("--type", type_, "method or twin (or IoT Hub's scheduleDeviceMethod, scheduleUpdateTwin)")
      ->required()
      ->transform(JobTypeToCreate());
  create->add_option("--query", sql_, "Query condition, e.g. \"deviceId IN ['d1']\" or \"*\"")
      ->required()
      ->check(NonBlank());
  const std::vector<CLI::Option*> method_flags = {
      create->add_option("--method", method_, "Method name (method jobs)")->check(MethodName()),
      create->add_option("--payload", payload_, "Method payload as JSON or @FILE (method jobs; default null)")
          ->transform(JsonArgument(true)),
      create->add_option("--timeout", timeout_, "Seconds each device has to answer (method jobs, 5..300; default 30)")
          ->check(CLI::Range(domain::kMinResponseTimeoutSeconds, domain::kMaxResponseTimeoutSeconds)),
      create
          ->add_option("--connect-timeout", connect_timeout_,
                       "Seconds to wait for a device to connect (method jobs, 0..300)")
          ->check(CLI::Range(std::int64_t{0}, domain::kMaxConnectTimeoutSeconds))};
  const std::vector<CLI::Option*> twin_flags = AddTwinPatchOptions(create);
  create->add_option("--start", start_,
                     "Start time, ISO-8601 (default: now by this machine's clock, not a frozen emulator's)")
      ->check(IsoTime());
  create->add_option("--max-execution", max_execution_, "maxExecutionTimeInSeconds (1..2592000)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, domain::kMaxMaxExecutionTimeSeconds));
  create->callback([this, method_flags, twin_flags] {
    if (type_ == kMethodJob) {
      RefuseFlags(twin_flags, "only twin jobs (--type twin) take it; a method job takes --method and --payload");
      if (method_flags.front()->count() == 0) Usage("--method", "a method job (--type method) needs the method's name");
    } else {
      RefuseFlags(method_flags,
                  "only method jobs (--type method) take it; a twin job takes --patch, or --desired/--tags");
      RequireTwinPatch();
      CheckJobPatch(TwinPatch());
    }
    CheckStart(start_);
  });
  On(create, [this](auto&, apps::ServiceHub& hub) {
    const auto body = JobBody();
    if (!body) return Fail(body.error());
    const auto request = domain::ParseJobRequest(id_, *body, hub.clock().Now());
    if (!request) return Fail(request.error());
    return Show(hub.services().jobs.CreateJob(*request));
  });
}

domain::Result<json> Commands::JobBody() const {
  json body = {
      {"jobId", id_}, {"queryCondition", sql_}, {"maxExecutionTimeInSeconds", max_execution_}, {"type", type_}};
  body["startTime"] = start_.empty() ? json(nullptr) : json(start_);
  if (type_ != kMethodJob) {
    const auto patch = TwinPatch();
    if (!patch) return patch.error();
    body["updateTwin"] = ForcedPatch(*patch);
    return body;
  }
  const auto payload = ParseJsonArgument(payload_, "--payload");
  if (!payload) return payload.error();
  body["cloudToDeviceMethod"] = {{"methodName", method_},
                                 {"payload", *payload},
                                 {"responseTimeoutInSeconds", timeout_},
                                 {"connectTimeoutInSeconds", connect_timeout_}};
  return body;
}

void Commands::RegisterJob(CLI::App& app) {
  auto* job = app.add_subcommand("job", "Jobs: direct methods and twin updates over a device query");
  job->require_subcommand(1);
  RegisterJobCreate(*job);
  auto* show = job->add_subcommand("show", "Show a job");
  show->add_option("job-id", id_, "The job id")->required()->check(JobId());
  On(show, [this](auto&, apps::ServiceHub& hub) { return Show(hub.services().jobs.GetJob(id_)); });
  auto* cancel = job->add_subcommand("cancel", "Cancel a job that has not started");
  cancel->add_option("job-id", id_, "The job id")->required()->check(JobId());
  On(cancel, [this](auto&, apps::ServiceHub& hub) { return Show(hub.services().jobs.CancelJob(id_)); });
  auto* list = job->add_subcommand("list", "List jobs");
  list->add_option("--type", job_type_, "method, twin, or an IoT Hub job type (scheduleDeviceMethod, ...)")
      ->transform(JobTypeFilter());
  list->add_option("--status", job_status_, "An IoT Hub job status: queued, scheduled, running, completed, ...")
      ->transform(JobStatusFilter());
  list->add_option("--top", top_, "At most this many jobs (stderr says when the hub had more)")->check(AtLeast(1));
  On(list, [this](auto&, apps::ServiceHub& hub) {
    ports::JobListFilter filter;
    if (!job_type_.empty()) filter.job_type = job_type_;
    if (!job_status_.empty()) filter.job_status = job_status_;
    const auto jobs_page = [&](const ports::QueryPageRequest& page) {
      return hub.services().jobs.ListJobs(filter, page);
    };
    const auto collected = CollectPages(jobs_page, static_cast<std::size_t>(top_));
    if (!collected) return Fail(collected.error());
    NoteMore(*collected, top_);
    return output_.List(collected->items, JobColumns());
  });
  RegisterFollow(*job);
}

void Commands::RegisterFollow(CLI::App& job) {
  auto* wait = job.add_subcommand("wait", "Wait until a job is final, print it; exit 1 if it failed, was cancelled or "
                                          "has failed devices (named on stderr), 5 on --timeout");
  auto* watch = job.add_subcommand("watch", "As wait, with a progress line on stderr (redrawn on a terminal, a line "
                                            "per change otherwise)");
  for (auto* command : {wait, watch}) {
    command->add_option("job-id", id_, "The job id")->required()->check(JobId());
    command->add_option("--timeout", wait_timeout_, "Give up after this many seconds, exit code 5 (default: never)")
        ->check(AtLeast(1));
    command->add_option("--poll", poll_, "Seconds between polls")->capture_default_str()->check(AtLeast(1));
    On(command, [this, progress = command == watch](boost::asio::io_context& io, apps::ServiceHub& hub) {
      return FollowJob(io, hub, output_, id_,
                       {.poll_seconds = poll_, .timeout_seconds = wait_timeout_, .progress = progress});
    });
  }
}

}  // namespace offhub::cli
