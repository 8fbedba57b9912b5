#pragma once
// The offhub CLI's subcommands: each parses its arguments (CLI11), calls the
// service ports (or the emulator's test-control plane), prints the result as
// JSON and returns the exit code (command_support.hpp: kExit...).

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <optional>
#include <string>

#include "apps/lib/hub_switch.hpp"
#include "apps/offhub_cli/command_support.hpp"

namespace offhub::cli {

class Commands {
 public:
  // `settings`, filled while the command line is parsed, name the hub the
  // control-plane commands (state, reset, clock) reach.
  explicit Commands(const apps::ServiceSettings& settings) : settings_(settings) {}

  // Adds every subcommand to `app`; the one the user picked runs in Run().
  void Register(CLI::App& app);
  int Run(boost::asio::io_context& io, apps::ServiceHub& hub);

 private:
  void RegisterDevice(CLI::App& app);
  void RegisterModule(CLI::App& app);  // module_commands.cpp
  void RegisterTwin(CLI::App& app);
  void RegisterQuery(CLI::App& app);
  void RegisterMethod(CLI::App& app);
  void RegisterJob(CLI::App& app);
  void RegisterFollow(CLI::App& job);  // job wait, job watch
  void RegisterState(CLI::App& app);   // state export/import, reset
  void RegisterClock(CLI::App& app);
  void RegisterFault(CLI::App& app);   // fault set/show/clear
  void RegisterMonitor(CLI::App& app);  // monitor-events
  // /offhub/v1/devices/{id}[/modules/{m}]/faults for the device and --module given.
  domain::Result<std::string> FaultsPath() const;
  // The PUT body `fault set` builds from its flags (or --json).
  domain::Result<nlohmann::json> FaultBody() const;

  // The validated module id when one was given (module commands, --module);
  // nullopt addresses the device itself.
  domain::Result<std::optional<std::string>> Module() const;

  using Action = std::function<int(boost::asio::io_context&, apps::ServiceHub&)>;
  void On(CLI::App* command, Action action);
  // Runs `call` on the control plane and prints its answer; kExitUsage when
  // the settings name no control plane (--hub embedded).
  using ControlCall = std::function<domain::Result<nlohmann::json>(ControlPlane&)>;
  void OnControl(CLI::App* command, ControlCall call);

  const apps::ServiceSettings& settings_;
  std::vector<std::pair<CLI::App*, Action>> actions_;
  // Arguments, filled by CLI11.
  std::string id_, method_, payload_ = "null", patch_, etag_, sql_, status_ = "enabled", type_, job_type_, job_status_,
                        start_, primary_key_, secondary_key_, file_, at_;
  std::optional<std::string> module_;
  struct FaultFlags {
    std::string connect, desired, method = "*";
    std::optional<std::string> payload, json;
    std::optional<int> status, reported_status;
    std::optional<std::int64_t> latency_ms;
    bool drop = false, disconnect = false;
  } fault_;
  std::optional<std::int64_t> wait_timeout_;
  std::int64_t top_ = 0, timeout_ = 30, monitor_seconds_ = 0, connect_timeout_ = 0, max_execution_ = 3600, poll_ = 2;
  double seconds_ = 0;
  std::size_t page_size_ = 0;
  bool replace_ = false, all_pages_ = false, properties_ = false;
};

}  // namespace offhub::cli
