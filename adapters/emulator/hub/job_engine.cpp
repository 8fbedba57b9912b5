#include "adapters/emulator/hub/job_engine.hpp"

#include <spdlog/spdlog.h>

#include "domain/base64.hpp"
#include "domain/job_filter.hpp"
#include "domain/job_json.hpp"
#include "domain/query/eval.hpp"
#include "domain/query/query.hpp"
#include "domain/twin.hpp"

namespace offhub::emulator {
namespace {

using domain::Error;
using domain::ErrorCode;
namespace jev = domain::job_event;
namespace dev = domain::device_job_event;

constexpr std::size_t kDefaultJobPage = 100;
constexpr std::string_view kJobTokenPrefix = "offhub-jobs\n";

Error JobNotFound(std::string_view id) { return {ErrorCode::JobNotFound, "Job " + std::string(id) + " not found"}; }

}  // namespace

domain::Result<nlohmann::json> JobEngine::Create(const domain::JobRequest& request) {
  if (state_.FindJob(request.job_id)) {
    return Error(ErrorCode::JobAlreadyExists, "A job with id '" + request.job_id + "' already exists");
  }
  JobEntry entry{domain::MakeJob(request, state_.clock.Now())};
  auto accepted = domain::Transition(entry.job, jev::Accepted{}, state_.clock.Now());
  if (!accepted) return accepted.error();
  // The create answer shows `queued`, as IoT Hub's does, whatever comes next.
  const nlohmann::json created = domain::CreatedJobJson(entry.job);
  entry.job = std::move(*accepted);
  if (auto s = state_.store.SaveJob(entry.job); !s) return s.error();
  auto& stored = state_.jobs.emplace(request.job_id, std::move(entry)).first->second;
  ArmStart(stored);
  return created;
}

domain::Result<nlohmann::json> JobEngine::Get(std::string_view job_id) {
  const JobEntry* entry = state_.FindJob(job_id);
  if (!entry) return JobNotFound(job_id);
  return JobJson(*entry);
}

domain::Result<nlohmann::json> JobEngine::Cancel(std::string_view job_id) {
  JobEntry* entry = state_.FindJob(job_id);
  if (!entry) return JobNotFound(job_id);
  auto cancelled = domain::Transition(entry->job, jev::CancelRequested{}, state_.clock.Now());
  if (!cancelled) return cancelled.error();
  if (auto s = state_.store.SaveJob(*cancelled); !s) return s.error();
  entry->job = std::move(*cancelled);
  if (entry->start_timer) state_.clock.Cancel(*entry->start_timer);
  entry->start_timer.reset();
  return JobJson(*entry);
}

domain::Result<ports::QueryPage> JobEngine::List(const ports::JobListFilter& filter,
                                                  const ports::QueryPageRequest& page) {
  std::string after;
  if (page.continuation) {
    const auto decoded = domain::Base64Decode(*page.continuation);
    if (!decoded || !decoded->starts_with(kJobTokenPrefix)) {
      return Error::BadRequest("The continuation token is not valid for this query");
    }
    after = decoded->substr(kJobTokenPrefix.size());
  }
  const domain::JobFilter match(filter.job_type, filter.job_status);
  const std::size_t limit = page.max_item_count == 0 ? kDefaultJobPage : page.max_item_count;
  ports::QueryPage result;
  result.item_type = "jobResponse";
  auto it = after.empty() ? state_.jobs.begin() : state_.jobs.upper_bound(after);
  for (; it != state_.jobs.end(); ++it) {
    if (!match.Matches(it->second.job)) continue;
    if (result.items.size() == limit) {
      result.continuation = domain::Base64Encode(std::string(kJobTokenPrefix) + result.items.back()["jobId"].get<std::string>());
      break;
    }
    result.items.push_back(JobJson(it->second));
  }
  return result;
}

void JobEngine::Resume() {
  for (auto& [id, entry] : state_.jobs) {
    using S = domain::JobStatus;
    if (entry.job.status == S::kQueued || entry.job.status == S::kScheduled) ArmStart(entry);
    if (entry.job.status != S::kRunning) continue;
    for (const auto& [device_id, record] : entry.records) {
      if (domain::IsFinal(record.status)) continue;
      entry.run.ready.push_back(device_id);
      entry.run.unfinished += 1;
    }
    // `id = id`: clang 14 cannot capture a structured binding by name.
    entry.deadline_timer = state_.clock.CallAt(entry.job.request.Deadline(), [this, id = id] { OnDeadline(id); });
    PostPump(entry);
  }
}

void JobEngine::ArmStart(JobEntry& entry) {
  const auto when = std::max(entry.job.request.start_time, state_.clock.Now());
  entry.start_timer = state_.clock.CallAt(when, [this, id = entry.job.id()] { Start(id); });
}

void JobEngine::ApplyJobEvent(JobEntry& entry, const domain::JobEvent& event) {
  auto next = domain::Transition(entry.job, event, state_.clock.Now());
  if (!next) return;  // e.g. cancelled in the meantime: the event no longer applies
  if (auto saved = state_.store.SaveJob(*next); !saved) {
    // Memory stays as the store has it; the window's end tries again.
    spdlog::error("job {}: the store refused a status change: {}", entry.job.id(), saved.error().message());
    return;
  }
  entry.job = std::move(*next);
  if (domain::IsFinal(entry.job.status) && entry.deadline_timer) {
    state_.clock.Cancel(*entry.deadline_timer);
    entry.deadline_timer.reset();
  }
}

void JobEngine::Start(const std::string& job_id) {
  JobEntry* entry = state_.FindJob(job_id);
  if (!entry) return;
  entry->start_timer.reset();
  if (domain::IsFinal(entry->job.status)) return;
  const auto now = state_.clock.Now();
  auto running = domain::Transition(entry->job, jev::StartTimeReached{}, now);
  if (!running) return;
  const auto condition = domain::query::ParseCondition(entry->job.request.query_condition);
  if (!condition) return ApplyJobEvent(*entry, jev::RunFailed{"Invalid query condition: " + condition.error().message()});
  // The device set is fixed now: the job, running, and every record go to the store in one transaction.
  std::vector<domain::DeviceJob> records;
  for (const auto& [device_id, device] : state_.devices) {
    if (domain::query::Matches(*condition, device.twin)) records.push_back(domain::MakeDeviceJob(*running, device_id, now));
  }
  auto fixed = domain::Transition(*running, jev::DeviceSetFixed{static_cast<std::int64_t>(records.size())}, now);
  if (!fixed) return;
  if (auto saved = state_.store.SaveJobStart(*fixed, records); !saved) {
    return ApplyJobEvent(*entry, jev::RunFailed{"The job could not be started: " + saved.error().message()});
  }
  entry->job = std::move(*fixed);
  for (auto& record : records) {
    entry->run.ready.push_back(record.device_id);
    std::string device_id = record.device_id;
    entry->records.emplace(std::move(device_id), std::move(record));
  }
  entry->run.unfinished = entry->records.size();
  if (domain::IsFinal(entry->job.status)) return;
  entry->deadline_timer = state_.clock.CallAt(entry->job.request.Deadline(), [this, job_id] { OnDeadline(job_id); });
  PostPump(*entry);
}

void JobEngine::PostPump(JobEntry& entry) {
  if (entry.run.pump_posted) return;
  entry.run.pump_posted = true;
  state_.clock.CallAt(state_.clock.Now(), [this, id = entry.job.id()] {
    JobEntry* e = state_.FindJob(id);
    if (!e) return;
    e->run.pump_posted = false;
    Pump(*e);
  });
}

void JobEngine::Pump(JobEntry& entry) {
  for (std::size_t started = 0; entry.run.in_flight < max_in_flight_ && !entry.run.ready.empty() &&
                                entry.job.status == domain::JobStatus::kRunning;
       ++started) {
    if (started == kDevicesPerTurn) return PostPump(entry);  // the rest on a later turn of the loop
    std::string device_id = std::move(entry.run.ready.front());
    entry.run.ready.pop_front();
    RunDevice(entry, device_id);
  }
  if (entry.job.status == domain::JobStatus::kRunning && entry.run.unfinished == 0) {
    ApplyJobEvent(entry, jev::AllDevicesFinished{});
  }
}

void JobEngine::RunDevice(JobEntry& entry, const std::string& device_id) {
  if (entry.job.request.type == domain::JobType::kScheduleUpdateTwin) return RunTwinUpdate(entry, device_id);
  const DeviceEntry* device = state_.FindDevice(device_id);
  if (!device) {
    UpdateRecord(entry, device_id, dev::Failed{domain::ToDeviceJobError(Error::DeviceNotFound(device_id))});
    return OnDeviceFinished(entry.job.id());
  }
  if (!device->ReachableForMethods()) {
    entry.run.waiting.insert(device_id);  // stays pending until it subscribes or the window closes
    return;
  }
  RunMethod(entry, device_id);
}

void JobEngine::RunMethod(JobEntry& entry, const std::string& device_id) {
  const std::string job_id = entry.job.id();
  auto on_done = [this, job_id, device_id](domain::Result<domain::MethodResult> result) {
    JobEntry* e = state_.FindJob(job_id);
    if (!e) return;
    bool updated = false;
    if (result) {
      updated = UpdateRecord(*e, device_id, dev::Answered{std::move(*result)});
    } else if (result.error().code() == ErrorCode::GatewayTimeout) {
      updated = UpdateRecord(*e, device_id, dev::ResponseTimedOut{});
    } else {
      updated = UpdateRecord(*e, device_id, dev::Failed{domain::ToDeviceJobError(result.error())});
    }
    if (!updated) return;  // the window closed first: the record is already final
    e->run.in_flight -= 1;
    OnDeviceFinished(job_id);
  };
  if (!dispatcher_.Send(device_id, *entry.job.request.method, on_done)) {
    entry.run.waiting.insert(device_id);
    return;
  }
  entry.run.in_flight += 1;
  UpdateRecord(entry, device_id, dev::Started{});
}

void JobEngine::RunTwinUpdate(JobEntry& entry, const std::string& device_id) {
  UpdateRecord(entry, device_id, dev::Started{});
  const nlohmann::json& patch = *entry.job.request.update_twin;
  const auto etag = patch.find("etag");
  const ports::IfMatch if_match =
      etag != patch.end() && etag->is_string() ? ports::IfMatch(etag->get_ref<const std::string&>()) : std::nullopt;
  const auto written = registry_.ApplyTwinWrite(device_id, patch, if_match, /*replace=*/false);
  if (written) {
    UpdateRecord(entry, device_id, dev::TwinUpdated{});
  } else {
    UpdateRecord(entry, device_id, dev::Failed{domain::ToDeviceJobError(written.error())});
  }
  OnDeviceFinished(entry.job.id());
}

bool JobEngine::UpdateRecord(JobEntry& entry, const std::string& device_id, const domain::DeviceJobEvent& event) {
  const auto it = entry.records.find(device_id);
  if (it == entry.records.end() || domain::IsFinal(it->second.status)) return false;
  const auto now = state_.clock.Now();
  auto next = domain::Transition(it->second, event, now);
  if (!next) return false;
  if (auto saved = state_.store.SaveDeviceJob(*next); !saved) {
    // What the store cannot hold fails the device's record, not the hub.
    auto failed = domain::Transition(it->second, dev::Failed{domain::ToDeviceJobError(saved.error())}, now);
    if (!failed || !state_.store.SaveDeviceJob(*failed)) {
      spdlog::error("job {}: the store refused device {}'s record: {}", entry.job.id(), device_id,
                    saved.error().message());
      return false;
    }
    next = std::move(failed);
  }
  it->second = std::move(*next);
  if (domain::IsFinal(it->second.status)) entry.run.unfinished -= 1;
  return true;
}

// Posted, never called: the completion that made room must not run the next device itself.
void JobEngine::OnDeviceFinished(const std::string& job_id) {
  JobEntry* entry = state_.FindJob(job_id);
  if (!entry || entry->job.status != domain::JobStatus::kRunning) return;
  PostPump(*entry);
}

void JobEngine::OnDeadline(const std::string& job_id) {
  JobEntry* entry = state_.FindJob(job_id);
  if (!entry) return;
  entry->deadline_timer.reset();
  for (const auto& [device_id, record] : entry->records) {
    if (!domain::IsFinal(record.status)) UpdateRecord(*entry, device_id, dev::WindowClosed{});
  }
  entry->run = {};
  ApplyJobEvent(*entry, jev::MaxExecutionTimeReached{});
}

void JobEngine::OnDeviceReachable(const std::string& device_id) {
  for (auto& [id, entry] : state_.jobs) {
    if (entry.job.status != domain::JobStatus::kRunning) continue;
    if (entry.run.waiting.erase(device_id) == 0) continue;
    entry.run.ready.push_back(device_id);
    PostPump(entry);
  }
}

nlohmann::json JobEngine::JobJson(const JobEntry& entry) const {
  domain::DeviceJobStatistics stats;
  for (const auto& [id, record] : entry.records) domain::AddToStatistics(stats, record.status);
  return domain::ToJson(entry.job, stats);
}

}  // namespace offhub::emulator
