#include "bench/scale_hub.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "adapters/emulator/mqtt/broker_process.hpp"
#include "domain/job_request.hpp"
#include "domain/time.hpp"

namespace offhub::bench {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kIdentityBatch = 2000;  // per task on the hub's thread, so it stays responsive
constexpr auto kPollInterval = std::chrono::milliseconds(25);

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

domain::UtcTime Now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return domain::UtcTime::FromMillis(std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

// VmRSS of /proc/<pid>/status, in MB.
double RssMb(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// The pid of this process's mosquitto child, or "".
std::string BrokerPid() {
  const std::string self = std::to_string(::getpid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string pid, comm, state, ppid;
    if (!(stat >> pid >> comm >> state >> ppid)) continue;
    if (ppid == self && comm == "(mosquitto)") return pid;
  }
  return "";
}

json JobBody(const std::string& type, int serial) {
  json body = {{"queryCondition", "*"}, {"maxExecutionTimeInSeconds", 3600}};
  if (type == "method") {
    body["type"] = "scheduleDeviceMethod";
    body["cloudToDeviceMethod"] = {{"methodName", "reboot"}, {"payload", nullptr}, {"responseTimeoutInSeconds", 30}};
  } else {
    body["type"] = "scheduleUpdateTwin";
    body["updateTwin"] = {{"etag", "*"}, {"properties", {{"desired", {{"scaleRun", serial}}}}}};
  }
  return body;
}

double JobSeconds(const json& job) {
  const auto created = domain::ParseUtc(job.value("createdTime", ""));
  const auto ended = domain::ParseUtc(job.value("endTime", ""));
  if (!created || !ended) return 0;
  return static_cast<double>(ended->ticks - created->ticks) / domain::UtcTime::kTicksPerSecond;
}

}  // namespace

template <class Fn>
auto ScaleHub::OnHub(Fn fn) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  asio::post(io_, [&task] { task(); });
  return result.get();
}

ScaleHub::ScaleHub(std::size_t max_in_flight_per_job, std::filesystem::path data_dir)
    : work_(asio::make_work_guard(io_)) {
  emulator::EmulatorConfig config;
  config.data_dir = std::move(data_dir);
  config.http_port = emulator::PickFreeLoopbackPort();
  config.https_port = 0;
  config.mqtts_port = 0;
  config.mqtt_port = emulator::PickFreeLoopbackPort();
  config.plugin_path = OFFHUB_BROKER_PLUGIN_PATH;
  config.max_in_flight_per_job = max_in_flight_per_job;
  emulator_ = std::make_unique<emulator::Emulator>(io_, config);
  thread_ = std::thread([this] { io_.run(); });
  std::promise<void> ready;
  asio::post(io_, [&] { emulator_->WhenReady([&] { ready.set_value(); }); });
  ready.get_future().get();
  connection_string_ = emulator_->ServiceConnectionString();
}

ScaleHub::~ScaleHub() {
  asio::post(io_, [this] {
    emulator_->Stop();
    work_.reset();
    io_.stop();
  });
  thread_.join();
}

std::string ScaleHub::RestEndpoint() const { return "http://127.0.0.1:" + std::to_string(emulator_->http_port()); }
std::string ScaleHub::MqttEndpoint() const { return "mqtt://127.0.0.1:" + std::to_string(emulator_->mqtt_port()); }

double ScaleHub::CreateIdentities(int count) {
  const auto start = Clock::now();
  while (created_ < count) {
    const int end = std::min(count, created_ + kIdentityBatch);
    OnHub([&] {
      for (int i = created_; i < end; ++i) {
        auto spec = domain::ParseDeviceSpec(json::object(), kPrefix + std::to_string(i));
        if (!spec || !emulator_->hub().PutIdentity(*spec, std::nullopt)) throw std::runtime_error("PutDevice failed");
      }
      return 0;
    });
    created_ = end;
  }
  return Seconds(Clock::now() - start);
}

// Direct method calls through the hub's method dispatcher and the broker to
// the fleet and back: everything a method job's call goes through except the
// job engine, with the same bound on calls in flight. The honest ceiling for
// a method job (a job can only add work), measured in the same run.
ScaleHub::CallRun ScaleHub::RawMethodCalls(int devices, std::size_t in_flight) {
  struct State {
    int next = 0, done = 0, succeeded = 0;
    std::size_t running = 0;
    Clock::time_point start, end;
    std::promise<void> finished;
    std::function<void()> launch;
  };
  auto state = std::make_shared<State>();
  // A connect timeout, as a job waits for a device not subscribed yet (the
  // fleet counts a device once its SUBACKs are in; the hub may learn it a moment later).
  domain::MethodRequest request{"rawPing", nullptr, 30, 5};
  state->launch = [this, state, devices, in_flight, request] {
    while (state->running < in_flight && state->next < devices) {
      ++state->running;
      emulator_->hub().InvokeMethod(offhub::ports::Identity::Device(kPrefix + std::to_string(state->next++)), request, [this, state, devices](domain::Result<domain::MethodResult> result) {
        --state->running;
        if (result && result->status == 200) ++state->succeeded;
        if (++state->done == devices) {
          state->end = Clock::now();
          return state->finished.set_value();
        }
        asio::post(io_, [state] { state->launch(); });  // never from inside the hub's completion
      });
    }
  };
  auto finished = state->finished.get_future();
  asio::post(io_, [state] {
    state->start = Clock::now();
    state->launch();
  });
  finished.get();
  asio::post(io_, [state] { state->launch = nullptr; });  // breaks the cycle state -> launch -> state
  return {state->succeeded, Seconds(state->end - state->start)};
}

ScaleHub::JobRun ScaleHub::RunJob(const std::string& type, int expected_devices,
                                  const std::function<void()>& meanwhile) {
  const std::string id = "scale-" + type + "-" + std::to_string(++jobs_);
  const auto start = Clock::now();
  const bool created = OnHub([&] {
    auto request = domain::ParseJobRequest(id, JobBody(type, jobs_), Now());
    return request && emulator_->hub().CreateJob(*request).ok();
  });
  if (!created) throw std::runtime_error("the hub refused job " + id);
  json job;
  for (;;) {
    job = OnHub([&] { return *emulator_->hub().GetJob(id); });
    const std::string status = job.value("status", "");
    if (status == "completed" || status == "failed" || status == "cancelled") break;
    if (Clock::now() - start > std::chrono::seconds(600)) break;
    if (meanwhile) meanwhile();
    std::this_thread::sleep_for(kPollInterval);
  }
  JobRun run;
  run.wall_seconds = Seconds(Clock::now() - start);
  run.status = job.value("status", "?");
  run.succeeded = job["deviceJobStatistics"].value("succeededCount", 0);
  run.seconds = JobSeconds(job);
  (void)expected_devices;
  return run;
}

ScaleHub::Rss ScaleHub::Memory() const {
  const std::string broker = BrokerPid();
  return {RssMb("self"), broker.empty() ? 0 : RssMb(broker)};
}

}  // namespace offhub::bench
