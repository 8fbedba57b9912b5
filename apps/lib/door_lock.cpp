#include "apps/lib/door_lock.hpp"

#include <memory>

#include "domain/job_request.hpp"

namespace offhub::apps {
namespace {

using nlohmann::json;

bool IsFinal(const json& job) {
  const std::string status = job.value("status", "");
  return status == "completed" || status == "failed" || status == "cancelled";
}

// The PUT bodies the tutorial sends, validated as the hub will.
domain::Result<domain::JobRequest> MethodJobRequest(const DoorLockJobsOptions& o, const std::string& id,
                                                    domain::UtcTime now) {
  return domain::ParseJobRequest(
      id,
      {{"jobId", id},
       {"type", "scheduleDeviceMethod"},
       {"cloudToDeviceMethod",
        {{"methodName", "lockDoor"}, {"payload", nullptr}, {"responseTimeoutInSeconds", o.response_timeout_seconds}}},
       {"queryCondition", o.query_condition},
       {"startTime", domain::FormatUtc(now)},
       {"maxExecutionTimeInSeconds", o.max_execution_seconds}},
      now);
}

domain::Result<domain::JobRequest> TwinJobRequest(const DoorLockJobsOptions& o, const std::string& id,
                                                  domain::UtcTime now) {
  return domain::ParseJobRequest(
      id,
      {{"jobId", id},
       {"type", "scheduleUpdateTwin"},
       {"updateTwin", {{"etag", "*"}, {"properties", {{"desired", {{"building", "43"}, {"floor", 3}}}}}}},
       {"queryCondition", o.query_condition},
       {"startTime", domain::FormatUtc(now)},
       {"maxExecutionTimeInSeconds", o.max_execution_seconds}},
      now);
}

struct Monitor : std::enable_shared_from_this<Monitor> {
  ports::JobService& hub;
  ports::Clock& clock;
  DoorLockJobsOptions options;
  std::function<void(const std::string&)> progress;
  std::function<void(DoorLockJobsOutcome)> done;
  std::string method_id, twin_id;
  DoorLockJobsOutcome outcome;

  Monitor(ports::JobService& h, ports::Clock& c, DoorLockJobsOptions o, std::function<void(const std::string&)> p,
          std::function<void(DoorLockJobsOutcome)> d)
      : hub(h), clock(c), options(std::move(o)), progress(std::move(p)), done(std::move(d)) {}

  void Finish(std::optional<domain::Error> error = std::nullopt) {
    outcome.error = std::move(error);
    auto finish = std::move(done);
    done = nullptr;
    if (finish) finish(std::move(outcome));
  }

  void Schedule() {
    method_id = "lockDoor" + options.job_id_suffix;
    twin_id = "updateTwin" + options.job_id_suffix;
    const auto now = clock.Now();
    for (auto request : {MethodJobRequest(options, method_id, now), TwinJobRequest(options, twin_id, now)}) {
      if (!request) return Finish(request.error());
      const auto created = hub.CreateJob(*request);
      if (!created) return Finish(created.error());
    }
    Poll();
  }

  void Poll() {
    for (auto* slot : {&outcome.method_job, &outcome.twin_job}) {
      const auto job = hub.GetJob(slot == &outcome.method_job ? method_id : twin_id);
      if (!job) return Finish(job.error());
      *slot = *job;
      progress(ProgressLine(*job));
    }
    if (IsFinal(outcome.method_job) && IsFinal(outcome.twin_job)) return Finish();
    clock.CallAfterSeconds(options.poll_interval_seconds, [self = shared_from_this()] { self->Poll(); });
  }
};

}  // namespace

bool DoorLockJobsOutcome::succeeded() const {
  if (error) return false;
  for (const json* job : {&method_job, &twin_job}) {
    if (job->value("status", "") != "completed") return false;
    const json stats = job->value("deviceJobStatistics", json::object());
    if (stats.value("failedCount", 0) != 0) return false;
  }
  return true;
}

std::string ProgressLine(const json& job) {
  const json stats = job.value("deviceJobStatistics", json::object());
  const auto count = [&](const char* key) { return std::to_string(stats.value(key, 0)); };
  return job.value("jobId", "?") + " " + job.value("status", "?") + "  " + count("deviceCount") +
         " device(s): " + count("succeededCount") + " succeeded, " + count("failedCount") + " failed, " +
         count("runningCount") + " running, " + count("pendingCount") + " pending";
}

void RunDoorLockJobs(ports::JobService& jobs, ports::Clock& clock, DoorLockJobsOptions options,
                     std::function<void(const std::string&)> progress, std::function<void(DoorLockJobsOutcome)> done) {
  auto monitor = std::make_shared<Monitor>(jobs, clock, std::move(options), std::move(progress), std::move(done));
  monitor->Schedule();
}

void RunDoorLockDevice(ports::DeviceTransport& device, std::function<void(const std::string&)> print) {
  device.OnMethod("lockDoor", [print](const json&, ports::DeviceTransport::Respond respond) {
    print("Locking Door!");
    respond(200, json{{"result", "locking door"}});
  });
  device.OnDesiredChange([&device, print](const json& patch, std::int64_t version) {
    print("Desired properties (version " + std::to_string(version) + "): " + patch.dump());
    device.PatchReported(patch, [print](domain::Result<std::int64_t> reported) {
      if (reported) {
        print("Reported properties acknowledged (version " + std::to_string(*reported) + ")");
      } else {
        print("Reporting properties failed: " + std::string(reported.error().name()) + " " + reported.error().message());
      }
    });
  });
  device.OnConnectionChange([&device, print](ports::DeviceConnection state, const std::string& reason) {
    print(state == ports::DeviceConnection::kConnected ? "Connected" : "Disconnected: " + reason);
    if (state != ports::DeviceConnection::kConnected) return;
    // Changes made while the device was away are not pushed: read them.
    device.GetTwin([print](domain::Result<json> twin) {
      if (twin) print("Desired properties: " + (*twin)["desired"].dump());
    });
  });
}

}  // namespace offhub::apps
