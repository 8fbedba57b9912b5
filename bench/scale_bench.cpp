// The scale benchmark (issue 10): jobs at the tutorial's own scale, with the
// device fleet in separate offhub-fleet processes and the emulator in this
// process (so identities are created on its thread through the hub's own
// API: the fastest honest way; the fleets then read their keys over REST).
// Prints one figure per line, with its target and PASS/MISS:
//   (a) raw broker round trip: direct method calls straight through the
//       broker to the fleet and back, no job engine;
//   (b) method job over N connected devices: create -> completed, calls/s,
//       and its ratio to (a);
//   (c) method job over 2N connected devices: completes, each device called once;
//   (d) twin job over T twins with N connected: create -> completed, one
//       desired notification per connected device, and the slowest GET
//       /twins/{id} over REST while it runs;
//   (e) emulator RSS (hub + broker) with N connected devices, and with R twins.
//   scale_bench [--quick] [--scenario a,b,c,d,e ...] [--devices N] [--large-devices M] [--twins T] [--rss-twins R]
//               [--data-dir DIR]   (the hub's state on SQLite, as offhub-emulator --data-dir)
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "adapters/azure/rest_hub_service.hpp"
#include "adapters/iothub/connection_string.hpp"
#include "apps/lib/command_line.hpp"
#include "bench/fleet_process.hpp"
#include "bench/scale_hub.hpp"

namespace {

using offhub::bench::FleetProcess;
using offhub::bench::FleetProgress;
using offhub::bench::ScaleHub;
using nlohmann::json;

struct Args {
  std::set<std::string> scenarios{"a", "b", "c", "d", "e"};
  bool quick = false;
  int devices = 10'000;
  int large_devices = 20'000;
  int twins = 100'000;
  int rss_twins = 1'000'000;
  std::size_t in_flight = 256;
  int devices_per_worker = 0;
  std::string fleet;
  std::string data_dir;
};

std::string BesideThisProgram(const char* name) {
  std::error_code ec;
  return (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / name).string();
}

std::optional<Args> Parse(int argc, char** argv, int& exit_code) {
  Args a;
  a.fleet = BesideThisProgram("offhub-fleet");
  CLI::App app{"scale_bench: method and twin jobs at 10,000-1,000,000 devices, the fleet in offhub-fleet processes"};
  app.add_option("--scenario", a.scenarios, "a raw round trip, b method job, c large method job, d twin job, e RSS")
      ->delimiter(',')
      ->check(CLI::IsMember({"a", "b", "c", "d", "e"}))
      ->capture_default_str();
  app.add_flag("--quick", a.quick, "Every size divided by 10");
  app.add_option("--devices", a.devices, "Connected devices of (a), (b), (d), (e)")->check(CLI::Range(10, 1'000'000))->capture_default_str();
  app.add_option("--large-devices", a.large_devices, "Connected devices of (c)")->check(CLI::Range(10, 1'000'000))->capture_default_str();
  app.add_option("--twins", a.twins, "Twins of (d)")->check(CLI::Range(10, 10'000'000))->capture_default_str();
  app.add_option("--rss-twins", a.rss_twins, "Twins of (e)'s second figure")->check(CLI::Range(10, 10'000'000))->capture_default_str();
  app.add_option("--in-flight", a.in_flight, "Calls in flight: per job, and in (a)")->check(CLI::Range(1, 100'000))->capture_default_str();
  app.add_option("--devices-per-worker", a.devices_per_worker, "Passed to offhub-fleet (default: its own choice)");
  app.add_option("--data-dir", a.data_dir, "Keep the hub's state in DIR/state.db (SQLite), as offhub-emulator --data-dir does; default: in memory");
  app.add_option("--fleet", a.fleet, "The offhub-fleet program")->check(CLI::ExistingFile)->capture_default_str();
  if (const auto code = offhub::apps::ParseCommandLine(app, argc, argv)) {
    exit_code = *code;
    return std::nullopt;
  }
  if (a.quick) {
    for (int* size : {&a.devices, &a.large_devices, &a.twins, &a.rss_twins}) *size = std::max(10, *size / 10);
  }
  a.large_devices = std::max(a.large_devices, a.devices);
  return a;
}

int misses = 0;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One figure per line; without a target, `ok` says only whether it could be measured.
void Figure(const std::string& what, const std::string& value, const std::string& target, bool ok) {
  if (!ok) ++misses;
  const char* verdict = ok ? "PASS" : "MISS";
  if (target.empty()) {
    std::printf("%-58s %-16s %s\n", what.c_str(), value.c_str(), ok ? "" : "MISS");
  } else {
    std::printf("%-58s %-16s target %-10s %s\n", what.c_str(), value.c_str(), target.c_str(), verdict);
  }
  std::fflush(stdout);
}

void Note(const std::string& text) {
  std::printf("  %s\n", text.c_str());
  std::fflush(stdout);
}

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// The broker must hold every fleet connection: raise this process's limit
// (the broker inherits it) as far as the kernel allows. Returns the limit it started with.
rlimit RaiseFileLimit(rlimit& raised) {
  rlimit original{};
  getrlimit(RLIMIT_NOFILE, &original);
  raised = {1 << 20, 1 << 20};
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    raised = {original.rlim_max, original.rlim_max};
    setrlimit(RLIMIT_NOFILE, &raised);
  }
  getrlimit(RLIMIT_NOFILE, &raised);
  std::printf("open files: this process and the broker %llu, each offhub-fleet process %llu (soft) / %llu (hard)\n",
              static_cast<unsigned long long>(raised.rlim_cur), static_cast<unsigned long long>(original.rlim_cur),
              static_cast<unsigned long long>(original.rlim_max));
  return original;
}

struct Bench {
  Args args;
  rlimit user_files;            // each fleet's: what a user's shell gives (this program's at its start)
  std::uint64_t broker_files;  // the broker's RLIMIT_NOFILE (this process's)
  int broker_capacity;         // fleet connections it can hold: a hundred descriptors kept for the rest
  ScaleHub hub;
  double raw_rate = 0;  // (a), calls/s
  int method_jobs = 0;  // method jobs fleet A's devices went through

  std::unique_ptr<FleetProcess> StartFleet(int first, int count) {
    std::vector<std::string> fleet_args = {
        "--prefix", ScaleHub::kPrefix, "--first-index", std::to_string(first), "--devices", std::to_string(count),
        "--connection-string", hub.ServiceConnectionString(), "--endpoint", hub.RestEndpoint(),
        "--device-endpoint", hub.MqttEndpoint(), "--progress-interval", "100", "--output", "json",
        "--register-concurrency", "4"};
    if (args.devices_per_worker > 0) {
      fleet_args.insert(fleet_args.end(), {"--devices-per-worker", std::to_string(args.devices_per_worker)});
    }
    const auto start = std::chrono::steady_clock::now();
    auto fleet = std::make_unique<FleetProcess>(args.fleet, fleet_args, user_files);
    const auto n = static_cast<std::uint64_t>(count);
    // Its first count line comes once every key is known: registration over.
    fleet->WaitFor([&](const FleetProgress& p) { return p.devices == n; }, std::chrono::seconds(600));
    const double registered = SecondsSince(start);
    const bool up = fleet->WaitFor([&](const FleetProgress& p) { return p.devices == n && p.connected == n; },
                                   std::chrono::seconds(600));
    Note("offhub-fleet " + std::to_string(first) + ".." + std::to_string(first + count - 1) + ": " +
         std::to_string(fleet->progress().connected) + " connected " + Format("%.1f s", SecondsSince(start)) +
         " after start (" + Format("%.1f s", registered) + " to read the keys over REST, then MQTT connects)");
    if (!up) {
      Note("the fleet did not connect every device:\n" + fleet->Tail());
      throw std::runtime_error("fleet not connected");
    }
    return fleet;
  }

  // The ceiling: the best of three passes over every device, with the job's
  // own bound on calls in flight, four times that (more in flight may fill
  // the broker path better), and the bound again (the first pass warms up).
  void RawRoundTrip() {
    for (const std::size_t in_flight : {args.in_flight, args.in_flight * 4, args.in_flight}) {
      const auto run = hub.RawMethodCalls(args.devices, in_flight);
      const double rate = run.succeeded / run.seconds;
      Note("(a) " + std::to_string(run.succeeded) + " of " + std::to_string(args.devices) + " answered in " +
           Format("%.3f s", run.seconds) + Format(" = %.0f calls/s", rate) + ", " + std::to_string(in_flight) +
           " in flight");
      if (run.succeeded == args.devices) raw_rate = std::max(raw_rate, rate);
    }
    Figure("(a) raw round trip (direct methods, no job engine)", Format("%.0f calls/s", raw_rate), "", raw_rate > 0);
  }

  void MethodJob(const std::string& label, int devices, bool timed) {
    const auto job = hub.RunJob("method", devices);
    ++method_jobs;
    const bool all = job.succeeded == devices && job.status == "completed";
    Note(label + ": " + job.status + ", " + std::to_string(job.succeeded) + " of " + std::to_string(devices) +
         " succeeded, " + Format("%.3f s", job.seconds) + " by the job's createdTime/endTime (" +
         Format("%.3f s", job.wall_seconds) + " seen by polling)");
    if (!timed) return Figure(label + ": every device answered", std::to_string(job.succeeded), std::to_string(devices), all);
    const double rate = job.succeeded / job.seconds;
    Figure(label + ": create -> completed", Format("%.3f s", job.seconds), "<= 1.0 s", all && job.seconds <= 1.0);
    Figure(label + ": calls/s", Format("%.0f calls/s", rate), "", all);
    if (raw_rate > 0) {
      Figure(label + ": calls/s vs (a)", Format("%.0f %%", 100 * rate / raw_rate), ">= 50 %",
             rate >= raw_rate / 2);
    }
  }

  static bool ExactlyOnce(const json& summary, const json::json_pointer& at, std::uint64_t times, std::uint64_t devices) {
    const json expected = {{"received", times * devices}, {"perDevice", {{"min", times}, {"max", times}}}};
    return summary.contains(at) && summary[at] == expected;
  }

  void LargeMethodJob() {
    if (args.large_devices > broker_capacity) {
      Note("(c) the broker's " + std::to_string(broker_files) + " file descriptors hold " +
           std::to_string(broker_capacity) + " devices, not " + std::to_string(args.large_devices) +
           " (RLIMIT_NOFILE could not be raised: no CAP_SYS_RESOURCE); (c) runs with " +
           std::to_string(broker_capacity));
      args.large_devices = broker_capacity;
    }
    hub.CreateIdentities(args.large_devices);
    auto fleet_b = StartFleet(args.devices, args.large_devices - args.devices);
    MethodJob("(c) method job, " + std::to_string(args.large_devices) + " devices", args.large_devices, false);
    const auto summary = fleet_b->Stop();
    const bool once = summary && ExactlyOnce(*summary, json::json_pointer("/methodCalls/byMethod/reboot"), 1,
                                             args.large_devices - args.devices);
    Figure("(c) each device called exactly once (second fleet)", once ? "yes" : "no", "yes", once);
    if (!once) Note("second fleet's summary: " + (summary ? summary->dump() : std::string("none")));
  }

  void TwinJob() {
    hub.CreateIdentities(args.twins);
    // A service reading one twin over REST while the job runs, as a user's back end would.
    offhub::azure::RestHubOptions options;
    options.connection = *offhub::iothub::ParseServiceConnectionString(hub.ServiceConnectionString());
    options.endpoint_override = hub.RestEndpoint().substr(std::string_view("http://").size());
    options.tls = false;
    const auto rest = offhub::azure::MakeRestHubService(options);
    const auto probe_twin = offhub::ports::Identity::Device(std::string(ScaleHub::kPrefix) + "7");
    double worst_ms = 0;
    int reads = 0, failed_reads = 0;
    const auto job = hub.RunJob("twin", args.twins, [&] {
      const auto started = std::chrono::steady_clock::now();
      const bool ok = rest->services().twins.GetTwin(probe_twin).ok();
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      ++reads;
      failed_reads += !ok;
      worst_ms = std::max(worst_ms, ms);
    });
    const bool all = job.succeeded == args.twins && job.status == "completed";
    Note("(d) twin job: " + job.status + ", " + std::to_string(job.succeeded) + " of " + std::to_string(args.twins) +
         " twins, " + Format("%.3f s", job.wall_seconds) + " seen by polling");
    Figure("(d) twin job, " + std::to_string(args.twins) + " twins (" + std::to_string(args.devices) +
               " connected): create -> completed",
           Format("%.3f s", job.seconds), "<= 3 s", all && job.seconds <= 3.0);
    Figure("(d) GET /twins/{id} over REST while the twin job runs: slowest of " + std::to_string(reads) +
               (failed_reads ? " (" + std::to_string(failed_reads) + " failed)" : std::string()),
           Format("%.1f ms", worst_ms), "<= 100 ms", reads > 0 && failed_reads == 0 && worst_ms <= 100.0);
  }

  void CheckFleetA(FleetProcess& fleet_a) {
    if (args.scenarios.contains("d")) {
      fleet_a.WaitFor([&](const FleetProgress& p) { return p.desired_seen >= static_cast<std::uint64_t>(args.devices); },
                      std::chrono::seconds(60));
    }
    const auto summary = fleet_a.Stop();
    if (!summary) return Note("the first fleet gave no summary:\n" + fleet_a.Tail());
    const auto n = static_cast<std::uint64_t>(args.devices);
    if (args.scenarios.contains("c")) {
      const bool once = ExactlyOnce(*summary, json::json_pointer("/methodCalls/byMethod/reboot"), method_jobs, n);
      Figure("(c) each device called exactly once per job (first fleet)", once ? "yes" : "no", "yes", once);
    }
    if (args.scenarios.contains("d")) {
      const bool once = ExactlyOnce(*summary, json::json_pointer("/desiredPatches"), 1, n);
      Figure("(d) each connected device got exactly one desired patch", once ? "yes" : "no", "yes", once);
      if (!once) Note("first fleet's desired patches: " + (*summary)["desiredPatches"].dump());
    }
  }

  void Memory(const std::string& label, double limit_mb) {
    const auto rss = hub.Memory();
    Figure("(e) emulator + broker RSS " + label, Format("%.0f MB", rss.hub_mb + rss.broker_mb),
           Format("<= %.0f MB", limit_mb), rss.hub_mb + rss.broker_mb <= limit_mb);
    Note(Format("hub (this process) %.0f MB", rss.hub_mb) + Format(" + broker %.0f MB", rss.broker_mb));
  }

  void Run() {
    RunWithFleet();
    if (args.scenarios.contains("e")) {
      const double took = hub.CreateIdentities(args.rss_twins);
      Note(std::to_string(args.rss_twins) + " identities in total, the last ones created in " + Format("%.1f s", took));
      Memory(std::to_string(args.rss_twins) + " twins", 1536);
    }
  }

  void RunWithFleet() {
    const double took = hub.CreateIdentities(args.devices);
    Note(std::to_string(args.devices) + " identities created in process (LocalHub::PutDevice on the hub's thread) in " +
         Format("%.1f s", took));
    auto fleet_a = StartFleet(0, args.devices);
    if (args.scenarios.contains("e")) Memory(std::to_string(args.devices) + " connected", 300);
    if (args.scenarios.contains("a")) RawRoundTrip();
    if (args.scenarios.contains("b")) {
      MethodJob("(b) method job, " + std::to_string(args.devices) + " devices", args.devices, true);
    }
    if (args.scenarios.contains("c")) LargeMethodJob();
    if (args.scenarios.contains("d")) TwinJob();
    CheckFleetA(*fleet_a);
  }
};

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto parsed = Parse(argc, argv, exit_code);
  if (!parsed) return exit_code;
  spdlog::set_level(spdlog::level::warn);
  rlimit raised{};
  const rlimit user_files = RaiseFileLimit(raised);
  try {
    const auto broker_files = static_cast<std::uint64_t>(raised.rlim_cur);
    Bench bench{*parsed, user_files, broker_files,
                static_cast<int>(std::min<std::uint64_t>(broker_files - 100, 1'000'000)), ScaleHub(parsed->in_flight, parsed->data_dir)};
    std::printf("scale_bench: emulator in this process (REST %s, MQTT %s, state %s), %zu calls in flight per job, fleet %s\n",
                bench.hub.RestEndpoint().c_str(), bench.hub.MqttEndpoint().c_str(),
                parsed->data_dir.empty() ? "in memory" : (parsed->data_dir + "/state.db").c_str(), parsed->in_flight,
                parsed->fleet.c_str());
    std::ifstream load("/proc/loadavg");
    std::string one, five;
    load >> one >> five;
    std::printf("load average before the run: %s (1 min), %s (5 min) on %u cores: other work shares the CPU\n",
                one.c_str(), five.c_str(), std::thread::hardware_concurrency());
    bench.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scale_bench: %s\n", e.what());
    return 1;
  }
  std::printf("%d target(s) missed\n", misses);
  return 0;
}
