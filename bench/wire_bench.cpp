// The first wire benchmark: N lean MQTT devices (libmosquitto clients on one
// event loop, not the Node SDK) connect to the emulator through its broker
// and plugin, then method jobs run over all of them. Prints connect time, job
// create -> completed time and calls/s.
//   wire_bench [--devices N] [--jobs J] [--in-flight K]
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "adapters/iothub/sas_token.hpp"
#include "adapters/emulator/emulator.hpp"
#include "adapters/emulator/mqtt/broker_process.hpp"
#include "adapters/iothub/mqtt_connection.hpp"
#include "apps/lib/command_line.hpp"
#include "domain/job_request.hpp"

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Args {
  int devices = 1000;
  int jobs = 3;
  std::size_t in_flight = 256;
  int connect_concurrency = 100;  // mosquitto 2.0.11's listen backlog is 100
};

// nullopt after --help (exit 0) or bad arguments (exit 2); CLI11 has printed why.
std::optional<Args> Parse(int argc, char** argv, int& exit_code) {
  Args a;
  CLI::App app{"Method jobs over N simulated MQTT devices against the emulator in process; prints connect time, "
               "job create -> completed time and calls/s."};
  app.add_option("--devices", a.devices, "simulated devices")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  app.add_option("--jobs", a.jobs, "method jobs to run, one after another")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--in-flight", a.in_flight, "method calls in flight per job")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  if (const auto code = offhub::apps::ParseCommandLine(app, argc, argv)) {
    exit_code = *code;
    return std::nullopt;
  }
  return a;
}

offhub::domain::UtcTime Now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return offhub::domain::UtcTime::FromMillis(std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Runs `fn` on the emulator's thread and waits for its result.
template <class Fn>
auto OnHub(asio::io_context& hub_io, Fn fn) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  asio::post(hub_io, [&task] { task(); });
  return result.get();
}

// One simulated device: answers every method with 200 at once.
struct Device {
  std::string id;
  std::unique_ptr<offhub::iothub::MqttConnection> mqtt;
  bool subscribed = false;
};

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto parsed = Parse(argc, argv, exit_code);
  if (!parsed) return exit_code;
  const Args& args = *parsed;
  spdlog::set_level(spdlog::level::warn);  // one line per device connect would drown the figures
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  // libmosquitto takes 3 descriptors per client; the hub and broker need some too.
  const int max_devices = static_cast<int>((files.rlim_cur - 200) / 3);
  if (args.devices > max_devices) {
    std::fprintf(stderr, "wire_bench: at most %d devices fit this process's %llu file descriptors\n", max_devices,
                 static_cast<unsigned long long>(files.rlim_cur));
    return 2;
  }

  asio::io_context hub_io;
  offhub::emulator::EmulatorConfig config;
  config.http_port = 0;
  config.https_port = 0;
  config.mqtts_port = 0;
  config.mqtt_port = offhub::emulator::PickFreeLoopbackPort();
  config.plugin_path = OFFHUB_BROKER_PLUGIN_PATH;
  config.max_in_flight_per_job = args.in_flight;
  offhub::emulator::Emulator emulator(hub_io, config);
  auto work = asio::make_work_guard(hub_io);
  std::thread hub_thread([&] { hub_io.run(); });

  std::printf("wire_bench: %d devices, %d method jobs, %zu calls in flight per job, broker port %d\n", args.devices,
              args.jobs, args.in_flight, emulator.mqtt_port());
  std::vector<std::pair<std::string, std::string>> ids_and_keys = OnHub(hub_io, [&] {
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < args.devices; ++i) {
      const std::string id = "bench-" + std::to_string(i);
      auto spec = offhub::domain::ParseDeviceSpec(json::object(), id);
      auto created = emulator.hub().PutIdentity(*spec, std::nullopt);
      out.emplace_back(id, (*created)["authentication"]["symmetricKey"]["primaryKey"].get<std::string>());
    }
    return out;
  });

  asio::io_context io;
  std::vector<Device> devices(ids_and_keys.size());
  int subscribed = 0, started = 0;
  const auto expiry = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 3600;
  std::function<void()> start_next = [&] {
    if (started >= args.devices) return;
    Device& d = devices[started];
    const auto& [id, key] = ids_and_keys[started++];
    d.id = id;
    offhub::iothub::MqttConnectionOptions options;
    options.port = emulator.mqtt_port();
    options.client_id = id;
    options.username = "localhost/" + id + "/?api-version=2021-04-12";
    options.password = *offhub::iothub::MakeSasToken("localhost/devices/" + id, key, expiry);
    options.clean_session = false;
    options.keepalive_seconds = 600;
    options.reconnect = true;
    d.mqtt = std::make_unique<offhub::iothub::MqttConnection>(io, options, offhub::iothub::MqttHandlers{
        .on_connect = [&d](int rc) { if (rc == 0) d.mqtt->Subscribe("$iothub/methods/POST/#", 0); },
        .on_disconnect = nullptr,
        .on_message = [&d](std::string_view topic, std::string_view, int) {
          const auto rid = topic.find("?$rid=");
          if (rid == std::string_view::npos) return;
          d.mqtt->Publish("$iothub/methods/res/200/" + std::string(topic.substr(rid)), "null", 0);
        },
        .on_publish = nullptr,
        .on_subscribe = [&](int, int) {
          if (devices.empty()) return;
          ++subscribed;
          if (subscribed % 1000 == 0) std::fprintf(stderr, "  %d devices subscribed\n", subscribed);
          start_next();
        }});
    d.mqtt->Start();
  };
  const auto connect_start = Clock::now();
  for (int i = 0; i < args.connect_concurrency; ++i) start_next();
  while (subscribed < args.devices && io.run_one() > 0) {
  }
  const double connect_s = Seconds(Clock::now() - connect_start);
  std::printf("connect+subscribe: %d devices in %.3f s (%.0f devices/s)\n", args.devices, connect_s,
              args.devices / connect_s);

  for (int j = 0; j < args.jobs; ++j) {
    const std::string job_id = "bench-job-" + std::to_string(j);
    const auto job_start = Clock::now();
    OnHub(hub_io, [&] {
      auto request = offhub::domain::ParseJobRequest(job_id, {{"type", "scheduleDeviceMethod"}, {"queryCondition", "*"},
          {"cloudToDeviceMethod", {{"methodName", "lockDoor"}, {"payload", nullptr}, {"responseTimeoutInSeconds", 30}}},
          {"maxExecutionTimeInSeconds", 600}}, Now());
      return emulator.hub().CreateJob(*request).ok();
    });
    json job;
    asio::steady_timer poll(io);
    bool finished = false;
    std::function<void()> check = [&] {
      job = OnHub(hub_io, [&] { return *emulator.hub().GetJob(job_id); });
      if (job["status"] == "completed" || job["status"] == "failed") {
        finished = true;
        return;
      }
      poll.expires_after(std::chrono::milliseconds(2));
      poll.async_wait([&](auto) { check(); });
    };
    check();
    while (!finished && io.run_one() > 0) {
    }
    const double job_s = Seconds(Clock::now() - job_start);
    const auto& stats = job["deviceJobStatistics"];
    std::printf("method job %d: %s, %d succeeded, %d failed, create -> completed %.3f s, %.0f calls/s\n", j,
                job["status"].get<std::string>().c_str(), stats["succeededCount"].get<int>(),
                stats["failedCount"].get<int>(), job_s, stats["succeededCount"].get<int>() / job_s);
  }

  for (auto& d : devices) d.mqtt->Stop();
  devices.clear();
  io.run_for(std::chrono::milliseconds(100));
  asio::post(hub_io, [&] { emulator.Stop(); work.reset(); hub_io.stop(); });
  hub_thread.join();
  return 0;
}
