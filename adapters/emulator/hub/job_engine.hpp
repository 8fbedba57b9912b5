#pragma once
// Runs jobs v2 to completion on the hub's event loop.
//
// - A created job is `queued`; with a future start time it becomes
//   `scheduled`. At its start time the query condition is evaluated once:
//   the device set is fixed then (devices matching later are not included)
//   and each device gets a `pending` record.
// - Method jobs call each device with the job's response timeout, at most
//   `max_in_flight` calls at a time per job. An offline device stays pending
//   and is called when it subscribes to methods within the job window.
// - Twin jobs apply the patch to each twin (its etag, usually "*") through the
//   registry, the one twin writer, which notifies connected devices; they need
//   no device online.
// - Nothing re-enters: device operations run in batches of at most
//   kDevicesPerTurn per turn of the event loop; the next batch, and every
//   device's completion, is posted (Clock::CallAt now), never called from the
//   completion that made room. A job over 1,000,000 twins neither grows the
//   stack nor holds the loop for long.
// - Starting is one store transaction (the job `running` and every device
//   record, StateStore::SaveJobStart): a crash leaves the job either not
//   started (it starts again at restart, matching devices then) or started
//   with all its records. If the store refuses, the job fails with the reason.
// - A crash during a method job: calls that were in flight (records
//   `running`) are sent again after the restart, within the job window —
//   at-least-once delivery, as the records show them still running.
// - A record the store refuses (e.g. an answer it cannot hold) is recorded as
//   failed with the store's error instead; the hub goes on.
// - The job ends `completed` when every record is final, or at
//   startTime + maxExecutionTimeInSeconds (pending records fail with
//   JobRunPreconditionFailed, calls in flight are canceled); `failed` when the
//   job cannot run (its query condition does not parse).
// - A jobId already used (by any job, finished or not) is refused with 409
//   JobAlreadyExists: IoT Hub documents no answer; offhub never overwrites a
//   job's history. Cancel rules are the domain's (domain/job.hpp).

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/emulator/hub/hub_state.hpp"
#include "adapters/emulator/hub/method_dispatcher.hpp"
#include "adapters/emulator/hub/registry.hpp"
#include "domain/job_request.hpp"
#include "ports/hub_services.hpp"

namespace offhub::emulator {

class JobEngine {
 public:
  // Device operations started per turn of the event loop.
  static constexpr std::size_t kDevicesPerTurn = 256;

  JobEngine(HubState& state, MethodDispatcher& dispatcher, Registry& registry, std::size_t max_in_flight)
      : state_(state),
        dispatcher_(dispatcher),
        registry_(registry),
        max_in_flight_(max_in_flight == 0 ? 1 : max_in_flight) {}

  domain::Result<nlohmann::json> Create(const domain::JobRequest& request);
  domain::Result<nlohmann::json> Get(std::string_view job_id);
  domain::Result<nlohmann::json> Cancel(std::string_view job_id);
  domain::Result<ports::QueryPage> List(const ports::JobListFilter& filter, const ports::QueryPageRequest& page);

  // Re-arms timers of loaded jobs that are not final (after a restart).
  void Resume();
  // Presence: the device subscribed to methods; pending calls of running jobs go out.
  void OnDeviceReachable(const std::string& device_id);

 private:
  void ArmStart(JobEntry& entry);
  void Start(const std::string& job_id);
  void Pump(JobEntry& entry);
  // Posts a Pump of the job to the event loop, once.
  void PostPump(JobEntry& entry);
  void RunDevice(JobEntry& entry, const std::string& device_id);
  void RunTwinUpdate(JobEntry& entry, const std::string& device_id);
  void RunMethod(JobEntry& entry, const std::string& device_id);
  // Applies `event` to the record; false if the record was already final.
  bool UpdateRecord(JobEntry& entry, const std::string& device_id, const domain::DeviceJobEvent& event);
  void OnDeviceFinished(const std::string& job_id);
  void OnDeadline(const std::string& job_id);
  void ApplyJobEvent(JobEntry& entry, const domain::JobEvent& event);
  nlohmann::json JobJson(const JobEntry& entry) const;

  HubState& state_;
  MethodDispatcher& dispatcher_;
  Registry& registry_;
  std::size_t max_in_flight_;
};

}  // namespace offhub::emulator
