#pragma once
// Runs jobs v2 to completion on the hub's event loop.
//
// - A created job is `queued`; with a future start time it becomes
//   `scheduled`. At its start time the query condition is evaluated once:
//   the device set is fixed then (devices matching later are not included)
//   and each device gets a `pending` record.
// - The device set comes from the queries port ("SELECT deviceId FROM devices
//   WHERE {queryCondition}", paged), so a job targets exactly what a query
//   with that condition returns. A condition "FROM devices.modules WHERE ..."
//   targets modules: each gets its own record (deviceId and moduleId), its
//   method call on its own connection, its own twin patch
//   (domain::query::JobTargetQuery).
// - Method jobs call each device through the method dispatcher (the one owner
//   of calls and of the list of calls waiting for a device) with the job's
//   response timeout, at most `max_in_flight` sends at a time per job. An
//   offline device stays pending and is called when it subscribes to methods
//   within the job window; when many such devices come back at once, their
//   calls go out together, beyond that bound.
// - Twin jobs apply the patch to each twin (its etag, usually "*") through the
//   twins port, whose owner stores it and notifies connected devices; they
//   need no device online.
// - Nothing re-enters: device operations run in batches of at most
//   kDevicesPerTurn, and at most kTurnBudget of work (real time, whatever
//   the hub's clock says: a slow store must not hold REST requests up), per
//   turn of the event loop; the next batch, and every
//   device's completion, is posted (Clock::CallAt now), never called from the
//   completion that made room. A job over 1,000,000 twins neither grows the
//   stack nor holds the loop for long.
// - Starting runs in steps on the event loop too, so a job over 100,000
//   devices does not hold REST and MQTT traffic up: kPagesPerTurn pages of
//   its target query per turn, then its device records, kRecordsPerTurn per
//   turn and store transaction (StateStore::SaveDeviceJobs), then the job
//   itself as `running`. The job shows queued/scheduled until then. A crash
//   leaves the job either not started (its stored records are leftovers: it
//   starts again at restart, matching devices then) or started with all its
//   records. If the store refuses, the job fails with the reason.
// - When the window closes, unfinished records are closed in steps as well
//   (kRecordsPerTurn per turn and transaction), then the job ends; a crash
//   in between closes the rest at restart, the window being past.
// - A crash during a method job: calls that were in flight (records
//   `running`) are sent again after the restart, within the job window —
//   at-least-once delivery, as the records show them still running.
// - A record the store refuses (e.g. an answer it cannot hold) is recorded as
//   failed with the store's error instead; the hub goes on.
// - The job ends `completed` when every record is final, or at
//   startTime + maxExecutionTimeInSeconds (pending records fail with
//   JobRunPreconditionFailed, calls waiting or in flight are canceled);
//   `failed` when the job cannot run (its query condition does not parse).
// - A cancelled job sends nothing more: its calls waiting for a device are
//   dropped; answers to calls already sent are still recorded.
// - A jobId already used (by any job, finished or not) is refused with 409
//   JobAlreadyExists: IoT Hub documents no answer; offhub never overwrites a
//   job's history. Cancel rules are the domain's (domain/job.hpp).

#include <chrono>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/emulator/hub/hub_events.hpp"
#include "adapters/emulator/hub/method_dispatcher.hpp"
#include "domain/device_job.hpp"
#include "domain/job.hpp"
#include "domain/job_request.hpp"
#include "domain/query/source.hpp"
#include "domain/tier_limits.hpp"
#include "ports/clock.hpp"
#include "ports/job_service.hpp"
#include "ports/query_service.hpp"
#include "ports/state_store.hpp"
#include "ports/twin_service.hpp"

namespace offhub::emulator {

class JobEngine final : public ports::JobService {
 public:
  // Device operations started per turn of the event loop.
  static constexpr std::size_t kDevicesPerTurn = 256;
  static constexpr std::chrono::milliseconds kTurnBudget{10};
  // While a job starts: target query pages (of 100), and records stored, per turn.
  static constexpr std::size_t kPagesPerTurn = 10;
  static constexpr std::size_t kRecordsPerTurn = 2000;

  // What the engine works through; all must outlive it.
  struct Parts {
    ports::Clock& clock;
    ports::StateStore& store;
    ports::QueryService& queries;
    ports::TwinService& twins;
    MethodDispatcher& methods;
    HubEvents* events = nullptr;  // optional: told of job and record changes (hub_events.hpp)
  };

  // `tier` (optional: none limits nothing) caps the jobs active at once (the
  // next CreateJob is 429 ThrottlingMaxActiveJobCountExceeded, 429004) and
  // paces the device operations of
  // all jobs together, on the hub's clock.
  JobEngine(Parts parts, std::size_t max_in_flight, const domain::TierLimits* tier = nullptr);
  // Stops the engine's timers and drops its method calls.
  ~JobEngine() override;
  JobEngine(const JobEngine&) = delete;
  JobEngine& operator=(const JobEngine&) = delete;

  // Jobs and records a store loaded; re-arms what is not final (after a restart).
  void Load(std::vector<domain::Job> jobs, std::vector<domain::DeviceJob> records);
  // Forgets every job: its timers stop, its calls are dropped (before a Load of another state).
  void Clear();
  // Every job and every record, as a store keeps them (a job still starting shows queued or scheduled, with no records).
  std::pair<std::vector<domain::Job>, std::vector<domain::DeviceJob>> Snapshot() const;

  domain::Result<nlohmann::json> CreateJob(const domain::JobRequest& request) override;
  domain::Result<nlohmann::json> GetJob(std::string_view job_id) override;
  domain::Result<nlohmann::json> CancelJob(std::string_view job_id) override;
  domain::Result<ports::QueryPage> ListJobs(const ports::JobListFilter& filter,
                                            const ports::QueryPageRequest& page) override;

  // Every device-job record, for `devices.jobs` queries.
  const domain::query::DeviceJobSource& records() const { return records_; }

 private:
  struct PlacedCall {
    MethodDispatcher::CallId id = 0;
    bool sent = false;  // false: waiting for the device
  };
  // What the engine needs while a job runs; rebuilt, not stored.
  struct Run {
    std::deque<std::string> ready;                       // identity keys to start next
    std::map<std::string, PlacedCall, std::less<>> calls;  // method calls placed, by identity key
    std::size_t in_flight = 0;                           // calls sent, not answered
    std::size_t unfinished = 0;                          // records not final yet: the job ends at 0
    std::optional<ports::Clock::TimerId> pump;           // a Pump posted to the event loop
    // The window has closed: unfinished records are being closed, in steps
    // after `closed_after` (an identity key; "" = from the first).
    std::optional<std::string> closed_after;
    std::optional<ports::Clock::TimerId> close_step;
    std::chrono::steady_clock::time_point announced{};  // the last jobChanged (progress pacing)
  };
  // A job between its start time and `running`: selecting, then storing records.
  struct Starting {
    domain::Job running;  // what the job becomes once every record is stored
    domain::UtcTime at;   // the start: the records' start time
    std::string query;    // the job's target query
    ports::QueryPageRequest page;
    bool selected = false;
    std::vector<ports::Identity> targets{};
    std::vector<domain::DeviceJob> records{};  // stored so far
    std::optional<ports::Clock::TimerId> step{};
  };
  struct JobEntry {
    domain::Job job;
    Run run;
    std::optional<Starting> starting;
    std::map<std::string, domain::DeviceJob, std::less<>> records;  // by identity key
    std::optional<ports::Clock::TimerId> start_timer;
    std::optional<ports::Clock::TimerId> deadline_timer;
  };
  using JobMap = std::map<std::string, JobEntry, std::less<>>;

  // Keys are jobId + '\n' + deviceId: '\n' sorts below every id character,
  // so key order is (jobId, identity key) order.
  class Records final : public domain::query::DeviceJobSource {
   public:
    explicit Records(const JobMap& jobs) : jobs_(jobs) {}
    void ForEachAfter(std::optional<std::string_view> after,
                      const std::function<bool(std::string_view, const nlohmann::json&)>& visit) const override;

   private:
    const JobMap& jobs_;
  };

  JobEntry* FindJob(std::string_view id);
  void ArmStart(JobEntry& entry);
  void Start(const std::string& job_id);
  void PostStartStep(JobEntry& entry);
  void StartStep(const std::string& job_id);
  void StartFailed(JobEntry& entry, std::string why);
  void Pump(JobEntry& entry);
  // Posts a Pump of the job to the event loop, once.
  void PostPump(JobEntry& entry, std::optional<domain::UtcTime> at = std::nullopt);
  void RunTwinUpdate(JobEntry& entry, const std::string& key);
  void RunMethod(JobEntry& entry, const std::string& key);
  void OnMethodSent(const std::string& job_id, const std::string& key);
  void OnMethodDone(const std::string& job_id, const std::string& key,
                    domain::Result<domain::MethodResult> result);
  // Drops the job's calls: all of them, or only those still waiting for a device.
  void CancelCalls(JobEntry& entry, bool waiting_only);
  // Applies `events` to the record in turn and stores the result once; false
  // if the record was already final or an event does not apply.
  bool UpdateRecord(JobEntry& entry, const std::string& key, std::initializer_list<domain::DeviceJobEvent> events);
  void OnDeviceFinished(const std::string& job_id);
  void OnDeadline(const std::string& job_id);
  // Closes up to kRecordsPerTurn unfinished records in one store transaction;
  // the job ends once none is left.
  void CloseStep(const std::string& job_id);
  void ApplyJobEvent(JobEntry& entry, const domain::JobEvent& event);
  // jobChanged: always when `status_changed`, else at most every hub_event::kProgressEvery.
  void Announce(JobEntry& entry, bool status_changed);
  nlohmann::json JobJson(const JobEntry& entry) const;

  ports::Clock& clock_;
  ports::StateStore& store_;
  ports::QueryService& queries_;
  ports::TwinService& twins_;
  MethodDispatcher& methods_;
  HubEvents* events_;
  std::size_t max_in_flight_;
  std::optional<std::size_t> max_active_jobs_;
  std::optional<domain::TokenBucket> device_operations_;
  JobMap jobs_;
  Records records_{jobs_};
};

}  // namespace offhub::emulator
