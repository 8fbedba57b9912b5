#pragma once
// The offhub CLI's subcommands: each parses its arguments (CLI11, checked by
// arguments.hpp's validators), calls the service ports (or the emulator's
// test-control plane), prints the result through Output and returns the exit
// code (command_support.hpp: kExit...).

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <optional>
#include <string>

#include "apps/lib/hub_switch.hpp"
#include "apps/offhub_cli/command_support.hpp"
#include "apps/offhub_cli/output.hpp"

namespace offhub::cli {

class Commands {
 public:
  // `settings`, filled while the command line is parsed, name the hub the
  // control-plane commands (state, reset, clock) reach.
  explicit Commands(const apps::ServiceSettings& settings) : settings_(settings) {}

  // Adds every subcommand, and --output, to `app`; the one the user picked runs in Run().
  void Register(CLI::App& app);
  int Run(boost::asio::io_context& io, apps::ServiceHub& hub);

 private:
  void RegisterDevice(CLI::App& app);  // device_commands.cpp
  void RegisterDeviceUpdate(CLI::App& device);
  void RegisterModule(CLI::App& app);  // module_commands.cpp
  void RegisterTwin(CLI::App& app);
  void RegisterQuery(CLI::App& app);
  void RegisterMethod(CLI::App& app);
  void RegisterJob(CLI::App& app);     // job_commands.cpp
  void RegisterJobCreate(CLI::App& job);
  // The PUT /jobs/v2/{id} body job create's flags make.
  domain::Result<nlohmann::json> JobBody() const;
  void RegisterFollow(CLI::App& job);  // job wait, job watch
  void RegisterState(CLI::App& app);   // control_commands.cpp: state export/import, reset
  void RegisterClock(CLI::App& app);
  void RegisterFault(CLI::App& app);    // fault set/show/clear
  void RegisterMonitor(CLI::App& app);  // monitor-events

  // The device-id argument; with `module`, the module-id argument after it.
  void AddIdentityArguments(CLI::App* command, bool module = false);
  // --module: the command addresses that module of the device instead.
  void AddModuleOption(CLI::App* command, const std::string& description);
  // The device, or the module of it the arguments name.
  ports::Identity Target() const;

  // --patch, or --desired and --tags (exclusive of --patch), as twin update
  // and twin jobs take them; returns the three options.
  std::vector<CLI::Option*> AddTwinPatchOptions(CLI::App* command);
  // Throws CLI::ValidationError (exit 2) unless one of them was given.
  void RequireTwinPatch() const;
  // The patch they give: --patch, or {"tags":..,"properties":{"desired":..}}.
  domain::Result<nlohmann::json> TwinPatch() const;

  // /offhub/v1/devices/{id}[/modules/{m}]/faults for the device and --module given.
  std::string FaultsPath() const;
  // `regenerate-key` under `parent` (device, or module with `module`).
  void RegisterRegenerateKey(CLI::App& parent, bool module);
  // The PUT body `fault set` builds from its flags (or --json).
  domain::Result<nlohmann::json> FaultBody() const;

  // A document, or the error's exit code.
  int Show(const domain::Result<nlohmann::json>& result) const;
  // The identity's connection string: bare text unless --output was given.
  int ShowConnectionString(apps::ServiceHub& hub) const;
  // Reads the identity Target() names, lets `change` edit what a PUT sends,
  // and writes it back with If-Match: --etag, else the etag just read (an
  // update in between fails with 412 rather than being lost).
  int UpdateIdentity(apps::ServiceHub& hub, const std::function<domain::Status(domain::DeviceSpec&)>& change) const;

  using Action = std::function<int(boost::asio::io_context&, apps::ServiceHub&)>;
  void On(CLI::App* command, Action action);
  // Runs `call` on the control plane and prints its answer; kExitUsage when
  // the settings name no control plane (--hub embedded).
  using ControlCall = std::function<domain::Result<nlohmann::json>(ControlPlane&)>;
  void OnControl(CLI::App* command, ControlCall call);

  const apps::ServiceSettings& settings_;
  Output output_;
  std::vector<std::pair<CLI::App*, Action>> actions_;
  // Arguments, filled by CLI11.
  std::string id_, method_, payload_ = "null", patch_, desired_, tags_, etag_, sql_, type_, job_type_, job_status_,
      start_, primary_key_, secondary_key_, file_, at_, key_;
  std::optional<std::string> module_, status_, status_reason_;
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
  bool replace_ = false, properties_ = false;
};

}  // namespace offhub::cli
