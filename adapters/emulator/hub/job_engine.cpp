#include "adapters/emulator/hub/job_engine.hpp"

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>

#include "domain/base64.hpp"
#include "domain/job_filter.hpp"
#include "domain/job_json.hpp"
#include "domain/query/paging.hpp"
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

JobEngine::JobEngine(Parts parts, std::size_t max_in_flight, const domain::TierLimits* tier)
    : clock_(parts.clock),
      store_(parts.store),
      queries_(parts.queries),
      twins_(parts.twins),
      methods_(parts.methods),
      events_(parts.events),
      max_in_flight_(max_in_flight == 0 ? 1 : max_in_flight) {
  if (tier) {
    max_active_jobs_ = tier->max_active_jobs;
    const double rate = tier->job_device_operations_per_second;
    device_operations_.emplace(domain::Throttle{rate, std::max(rate, 1.0)});
  }
}

JobEngine::~JobEngine() { Clear(); }

void JobEngine::Clear() {
  for (auto& [id, entry] : jobs_) {
    if (entry.start_timer) clock_.Cancel(*entry.start_timer);
    if (entry.deadline_timer) clock_.Cancel(*entry.deadline_timer);
    if (entry.run.pump) clock_.Cancel(*entry.run.pump);
    if (entry.starting && entry.starting->step) clock_.Cancel(*entry.starting->step);
    if (entry.run.close_step) clock_.Cancel(*entry.run.close_step);
    CancelCalls(entry, /*waiting_only=*/false);
  }
  jobs_.clear();
}

std::pair<std::vector<domain::Job>, std::vector<domain::DeviceJob>> JobEngine::Snapshot() const {
  std::pair<std::vector<domain::Job>, std::vector<domain::DeviceJob>> out;
  for (const auto& [id, entry] : jobs_) {
    out.first.push_back(entry.job);
    for (const auto& [key, record] : entry.records) out.second.push_back(record);
  }
  return out;
}

JobEngine::JobEntry* JobEngine::FindJob(std::string_view id) {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

void JobEngine::Records::ForEachAfter(
    std::optional<std::string_view> after,
    const std::function<bool(std::string_view, const nlohmann::json&)>& visit) const {
  std::string_view after_job, after_device;
  if (after) {
    const auto nl = after->find('\n');
    after_job = after->substr(0, nl);
    after_device = nl == std::string_view::npos ? std::string_view{} : after->substr(nl + 1);
  }
  for (auto job = after ? jobs_.lower_bound(after_job) : jobs_.begin(); job != jobs_.end(); ++job) {
    const bool same_job = after && job->first == after_job;
    auto rec = same_job ? job->second.records.upper_bound(after_device) : job->second.records.begin();
    for (; rec != job->second.records.end(); ++rec) {
      const std::string key = job->first + '\n' + rec->first;
      if (!visit(key, domain::ToJson(rec->second))) return;
    }
  }
}

void JobEngine::Load(std::vector<domain::Job> jobs, std::vector<domain::DeviceJob> records) {
  for (auto& job : jobs) {
    std::string id = job.id();
    jobs_.emplace(std::move(id), JobEntry{std::move(job), {}, {}, {}, {}, {}});
  }
  for (auto& record : records) {
    JobEntry* job = FindJob(record.job_id);
    // A job not started yet keeps no records: these are what an interrupted start left.
    if (job && (job->job.status == domain::JobStatus::kQueued || job->job.status == domain::JobStatus::kScheduled)) {
      continue;
    }
    if (job) {
      std::string key = record.key();
      job->records.emplace(std::move(key), std::move(record));
    }
  }
  for (auto& [id, entry] : jobs_) {
    using S = domain::JobStatus;
    if (entry.job.status == S::kQueued || entry.job.status == S::kScheduled) ArmStart(entry);
    if (entry.job.status != S::kRunning) continue;
    for (const auto& [key, record] : entry.records) {
      if (domain::IsFinal(record.status)) continue;
      entry.run.ready.push_back(key);
      entry.run.unfinished += 1;
    }
    // `id = id`: clang 14 cannot capture a structured binding by name.
    entry.deadline_timer = clock_.CallAt(entry.job.request.Deadline(), [this, id = id] { OnDeadline(id); });
    PostPump(entry);
  }
}

domain::Result<nlohmann::json> JobEngine::CreateJob(const domain::JobRequest& request) {
  if (FindJob(request.job_id)) {
    return Error(ErrorCode::JobAlreadyExists, "A job with id '" + request.job_id + "' already exists");
  }
  if (max_active_jobs_) {
    std::size_t active = 0;
    for (const auto& [id, entry] : jobs_) active += domain::IsFinal(entry.job.status) ? 0 : 1;
    if (active >= *max_active_jobs_) {
      return Error(ErrorCode::ThrottlingMaxActiveJobCountExceeded,
                   "The hub's tier allows " + std::to_string(*max_active_jobs_) + " active job(s) at once");
    }
  }
  JobEntry entry{domain::MakeJob(request, clock_.Now()), {}, {}, {}, {}, {}};
  auto accepted = domain::Transition(entry.job, jev::Accepted{}, clock_.Now());
  if (!accepted) return accepted.error();
  // The create answer shows `queued`, as IoT Hub's does, whatever comes next.
  const nlohmann::json created = domain::CreatedJobJson(entry.job);
  entry.job = std::move(*accepted);
  if (auto s = store_.SaveJob(entry.job); !s) return s.error();
  auto& stored = jobs_.emplace(request.job_id, std::move(entry)).first->second;
  Announce(stored, true);
  ArmStart(stored);
  return created;
}

domain::Result<nlohmann::json> JobEngine::GetJob(std::string_view job_id) {
  const JobEntry* entry = FindJob(job_id);
  if (!entry) return JobNotFound(job_id);
  return JobJson(*entry);
}

domain::Result<nlohmann::json> JobEngine::CancelJob(std::string_view job_id) {
  JobEntry* entry = FindJob(job_id);
  if (!entry) return JobNotFound(job_id);
  auto cancelled = domain::Transition(entry->job, jev::CancelRequested{}, clock_.Now());
  if (!cancelled) return cancelled.error();
  if (auto s = store_.SaveJob(*cancelled); !s) return s.error();
  entry->job = std::move(*cancelled);
  Announce(*entry, true);
  if (entry->start_timer) clock_.Cancel(*entry->start_timer);
  entry->start_timer.reset();
  CancelCalls(*entry, /*waiting_only=*/true);
  return JobJson(*entry);
}

domain::Result<ports::QueryPage> JobEngine::ListJobs(const ports::JobListFilter& filter,
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
  auto it = after.empty() ? jobs_.begin() : jobs_.upper_bound(after);
  for (; it != jobs_.end(); ++it) {
    if (!match.Matches(it->second.job)) continue;
    if (result.items.size() == limit) {
      result.continuation = domain::Base64Encode(std::string(kJobTokenPrefix) + result.items.back()["jobId"].get<std::string>());
      break;
    }
    result.items.push_back(JobJson(it->second));
  }
  return result;
}

void JobEngine::ArmStart(JobEntry& entry) {
  const auto when = std::max(entry.job.request.start_time, clock_.Now());
  entry.start_timer = clock_.CallAt(when, [this, id = entry.job.id()] { Start(id); });
}

void JobEngine::ApplyJobEvent(JobEntry& entry, const domain::JobEvent& event) {
  auto next = domain::Transition(entry.job, event, clock_.Now());
  if (!next) return;  // e.g. cancelled in the meantime: the event no longer applies
  if (auto saved = store_.SaveJob(*next); !saved) {
    // Memory stays as the store has it; the window's end tries again.
    spdlog::error("job {}: the store refused a status change: {}", entry.job.id(), saved.error().message());
    return;
  }
  entry.job = std::move(*next);
  Announce(entry, true);
  if (domain::IsFinal(entry.job.status) && entry.deadline_timer) {
    clock_.Cancel(*entry.deadline_timer);
    entry.deadline_timer.reset();
  }
}

void JobEngine::Start(const std::string& job_id) {
  JobEntry* entry = FindJob(job_id);
  if (!entry) return;
  entry->start_timer.reset();
  if (domain::IsFinal(entry->job.status) || entry->starting) return;
  const auto now = clock_.Now();
  auto running = domain::Transition(entry->job, jev::StartTimeReached{}, now);
  if (!running) return;
  auto query = domain::query::JobTargetQuery(entry->job.request.query_condition);
  if (!query) return ApplyJobEvent(*entry, jev::RunFailed{"Invalid query condition: " + query.error().message()});
  // Records a start that a crash interrupted left behind.
  if (auto cleared = store_.DeleteDeviceJobs(job_id); !cleared) {
    return ApplyJobEvent(*entry, jev::RunFailed{"The job could not be started: " + cleared.error().message()});
  }
  entry->starting.emplace(Starting{.running = std::move(*running),
                                   .at = now,
                                   .query = std::move(*query),
                                   .page = {domain::query::kMaxPageSize, std::nullopt}});
  StartStep(job_id);
}

void JobEngine::PostStartStep(JobEntry& entry) {
  entry.starting->step = clock_.CallAt(clock_.Now(), [this, id = entry.job.id()] { StartStep(id); });
}

void JobEngine::StartFailed(JobEntry& entry, std::string why) {
  entry.starting.reset();
  (void)store_.DeleteDeviceJobs(entry.job.id());
  ApplyJobEvent(entry, jev::RunFailed{std::move(why)});
}

// One step of a job's start: kPagesPerTurn pages of targets, or
// kRecordsPerTurn records stored, or, at the end, the job stored `running`.
void JobEngine::StartStep(const std::string& job_id) {
  JobEntry* entry = FindJob(job_id);
  if (!entry || !entry->starting) return;
  Starting& s = *entry->starting;
  s.step.reset();
  if (domain::IsFinal(entry->job.status)) {  // canceled while it started
    entry->starting.reset();
    (void)store_.DeleteDeviceJobs(job_id);
    return;
  }
  if (!s.selected) {
    for (std::size_t i = 0; i < kPagesPerTurn && !s.selected; ++i) {
      auto result = queries_.Query(s.query, s.page);
      if (!result) return StartFailed(*entry, "The job's devices could not be selected: " + result.error().message());
      for (const auto& item : result->items) {
        const auto device = item.find("deviceId");
        if (device == item.end() || !device->is_string()) continue;
        const auto module = item.find("moduleId");
        s.targets.push_back({device->get<std::string>(),
                             module != item.end() && module->is_string() ? module->get<std::string>() : std::string()});
      }
      s.page.continuation = std::move(result->continuation);
      s.selected = !s.page.continuation;
    }
    return PostStartStep(*entry);
  }
  if (s.records.size() < s.targets.size()) {
    const std::size_t end = std::min(s.records.size() + kRecordsPerTurn, s.targets.size());
    std::vector<domain::DeviceJob> batch;
    batch.reserve(end - s.records.size());
    for (std::size_t i = s.records.size(); i < end; ++i) {
      batch.push_back(domain::MakeDeviceJob(s.running, std::move(s.targets[i].device_id), s.at,
                                            std::move(s.targets[i].module_id)));
    }
    if (auto saved = store_.SaveDeviceJobs(batch); !saved) {
      return StartFailed(*entry, "The job could not be started: " + saved.error().message());
    }
    std::move(batch.begin(), batch.end(), std::back_inserter(s.records));
    return PostStartStep(*entry);
  }
  // Every record is stored: the job is `running` once the store says so.
  auto fixed = domain::Transition(s.running, jev::DeviceSetFixed{static_cast<std::int64_t>(s.records.size())}, s.at);
  if (!fixed) return StartFailed(*entry, "The job could not be started");
  if (auto saved = store_.SaveJob(*fixed); !saved) {
    return StartFailed(*entry, "The job could not be started: " + saved.error().message());
  }
  entry->job = std::move(*fixed);
  Announce(*entry, true);
  for (auto& record : s.records) {
    std::string key = record.key();
    entry->run.ready.push_back(key);
    entry->records.emplace(std::move(key), std::move(record));
  }
  entry->starting.reset();
  entry->run.unfinished = entry->records.size();
  if (domain::IsFinal(entry->job.status)) return;
  entry->deadline_timer = clock_.CallAt(entry->job.request.Deadline(), [this, job_id] { OnDeadline(job_id); });
  PostPump(*entry);
}

void JobEngine::PostPump(JobEntry& entry, std::optional<domain::UtcTime> at) {
  if (entry.run.pump) return;
  entry.run.pump = clock_.CallAt(at.value_or(clock_.Now()), [this, id = entry.job.id()] {
    JobEntry* e = FindJob(id);
    if (!e) return;
    e->run.pump.reset();
    Pump(*e);
  });
}

void JobEngine::Pump(JobEntry& entry) {
  if (entry.run.closed_after) return;  // the window has closed
  const bool twins = entry.job.request.type == domain::JobType::kScheduleUpdateTwin;
  const auto turn_end = std::chrono::steady_clock::now() + kTurnBudget;
  for (std::size_t started = 0; entry.run.in_flight < max_in_flight_ && !entry.run.ready.empty() &&
                                entry.job.status == domain::JobStatus::kRunning;
       ++started) {
    const bool spent = started == kDevicesPerTurn || (started > 0 && std::chrono::steady_clock::now() >= turn_end);
    if (spent) return PostPump(entry);  // the rest on a later turn of the loop
    if (device_operations_ && !device_operations_->Take(clock_.Now())) {
      return PostPump(entry, device_operations_->ReadyAt(clock_.Now()));  // the tier's pace
    }
    std::string key = std::move(entry.run.ready.front());
    entry.run.ready.pop_front();
    if (twins) {
      RunTwinUpdate(entry, key);
    } else {
      RunMethod(entry, key);
    }
  }
  if (entry.job.status == domain::JobStatus::kRunning && entry.run.unfinished == 0) {
    ApplyJobEvent(entry, jev::AllDevicesFinished{});
  }
}

void JobEngine::RunMethod(JobEntry& entry, const std::string& key) {
  const std::string job_id = entry.job.id();
  auto placed = methods_.Place(
      key, *entry.job.request.method, /*connect_timeout_seconds=*/std::nullopt,
      [this, job_id, key] { OnMethodSent(job_id, key); },
      [this, job_id, key](domain::Result<domain::MethodResult> result) {
        OnMethodDone(job_id, key, std::move(result));
      });
  if (!placed.id) return;  // answered at once (the device is gone): the record is final already
  entry.run.calls.insert_or_assign(key, PlacedCall{*placed.id, placed.sent});
  if (!placed.sent) return;  // stays pending until the device subscribes or the window closes
  entry.run.in_flight += 1;
  UpdateRecord(entry, key, {dev::Started{}});
}

void JobEngine::OnMethodSent(const std::string& job_id, const std::string& key) {
  JobEntry* entry = FindJob(job_id);
  if (!entry) return;
  const auto call = entry->run.calls.find(key);
  if (call == entry->run.calls.end() || call->second.sent) return;
  call->second.sent = true;
  entry->run.in_flight += 1;
  UpdateRecord(*entry, key, {dev::Started{}});
}

void JobEngine::OnMethodDone(const std::string& job_id, const std::string& key,
                             domain::Result<domain::MethodResult> result) {
  JobEntry* entry = FindJob(job_id);
  if (!entry) return;
  if (const auto call = entry->run.calls.find(key); call != entry->run.calls.end()) {
    if (call->second.sent) entry->run.in_flight -= 1;
    entry->run.calls.erase(call);
  }
  bool updated = false;
  if (result) {
    updated = UpdateRecord(*entry, key, {dev::Answered{std::move(*result)}});
  } else if (result.error().code() == ErrorCode::GatewayTimeout) {
    updated = UpdateRecord(*entry, key, {dev::ResponseTimedOut{}});
  } else {
    updated = UpdateRecord(*entry, key, {dev::Failed{domain::ToDeviceJobError(result.error())}});
  }
  if (updated) OnDeviceFinished(job_id);
}

void JobEngine::CancelCalls(JobEntry& entry, bool waiting_only) {
  for (auto it = entry.run.calls.begin(); it != entry.run.calls.end();) {
    if (waiting_only && it->second.sent) {
      ++it;
      continue;
    }
    methods_.Cancel(it->second.id);
    if (it->second.sent) entry.run.in_flight -= 1;
    it = entry.run.calls.erase(it);
  }
}

// One record write per device: started and done (or failed) together.
void JobEngine::RunTwinUpdate(JobEntry& entry, const std::string& key) {
  const nlohmann::json& patch = *entry.job.request.update_twin;
  const auto etag = patch.find("etag");
  const ports::IfMatch if_match =
      etag != patch.end() && etag->is_string() ? ports::IfMatch(etag->get_ref<const std::string&>()) : std::nullopt;
  const auto& record = entry.records.at(key);
  const auto written = twins_.ApplyTwinPatch({record.device_id, record.module_id}, patch, if_match);
  if (written) {
    UpdateRecord(entry, key, {dev::Started{}, dev::TwinUpdated{}});
  } else {
    UpdateRecord(entry, key, {dev::Started{}, dev::Failed{domain::ToDeviceJobError(written.error())}});
  }
  OnDeviceFinished(entry.job.id());
}

bool JobEngine::UpdateRecord(JobEntry& entry, const std::string& key,
                             std::initializer_list<domain::DeviceJobEvent> events) {
  const auto it = entry.records.find(key);
  if (it == entry.records.end() || domain::IsFinal(it->second.status)) return false;
  const auto now = clock_.Now();
  domain::Result<domain::DeviceJob> next = it->second;
  for (const auto& event : events) {
    next = domain::Transition(*next, event, now);
    if (!next) return false;
  }
  if (auto saved = store_.SaveDeviceJob(*next); !saved) {
    // What the store cannot hold fails the device's record, not the hub.
    auto failed = domain::Transition(it->second, dev::Failed{domain::ToDeviceJobError(saved.error())}, now);
    if (!failed || !store_.SaveDeviceJob(*failed)) {
      spdlog::error("job {}: the store refused the record of {}: {}", entry.job.id(), key,
                    saved.error().message());
      return false;
    }
    next = std::move(failed);
  }
  it->second = std::move(*next);
  if (domain::IsFinal(it->second.status)) entry.run.unfinished -= 1;
  if (Wanted(events_)) {
    events_->Publish(hub_event::kDeviceJobChanged, domain::ToJson(it->second));
    Announce(entry, false);
  }
  return true;
}

void JobEngine::Announce(JobEntry& entry, bool status_changed) {
  if (!events_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!status_changed && now - entry.run.announced < hub_event::kProgressEvery) return;
  if (!Wanted(events_)) return;
  entry.run.announced = now;
  events_->Publish(hub_event::kJobChanged, JobJson(entry));
}

// Posted, never called: the completion that made room must not run the next device itself.
void JobEngine::OnDeviceFinished(const std::string& job_id) {
  JobEntry* entry = FindJob(job_id);
  if (!entry || entry->job.status != domain::JobStatus::kRunning) return;
  PostPump(*entry);
}

void JobEngine::OnDeadline(const std::string& job_id) {
  JobEntry* entry = FindJob(job_id);
  if (!entry) return;
  entry->deadline_timer.reset();
  CancelCalls(*entry, /*waiting_only=*/false);
  if (entry->run.pump) clock_.Cancel(*entry->run.pump);
  const std::size_t unfinished = entry->run.unfinished;
  entry->run = {};
  entry->run.unfinished = unfinished;
  entry->run.closed_after = "";
  CloseStep(job_id);
}

void JobEngine::CloseStep(const std::string& job_id) {
  JobEntry* entry = FindJob(job_id);
  if (!entry || !entry->run.closed_after) return;
  entry->run.close_step.reset();
  const auto now = clock_.Now();
  std::vector<domain::DeviceJob> batch;
  auto it = entry->records.upper_bound(*entry->run.closed_after);
  for (; it != entry->records.end() && batch.size() < kRecordsPerTurn; ++it) {
    if (domain::IsFinal(it->second.status)) continue;
    if (auto closed = domain::Transition(it->second, dev::WindowClosed{}, now)) batch.push_back(std::move(*closed));
  }
  if (store_.SaveDeviceJobs(batch)) {
    for (auto& record : batch) entry->records.at(record.key()) = std::move(record);
    entry->run.unfinished -= batch.size();
  } else {
    for (const auto& record : batch) UpdateRecord(*entry, record.key(), {dev::WindowClosed{}});  // one by one
  }
  if (it != entry->records.end()) {
    entry->run.closed_after = std::prev(it)->first;
    entry->run.close_step = clock_.CallAt(now, [this, job_id] { CloseStep(job_id); });
    return;
  }
  entry->run = {};
  ApplyJobEvent(*entry, jev::MaxExecutionTimeReached{});
}

nlohmann::json JobEngine::JobJson(const JobEntry& entry) const {
  domain::DeviceJobStatistics stats;
  for (const auto& [id, record] : entry.records) domain::AddToStatistics(stats, record.status);
  return domain::ToJson(entry.job, stats);
}

}  // namespace offhub::emulator
