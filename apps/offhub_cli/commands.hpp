#pragma once
// The offhub CLI's subcommands: each parses its arguments (CLI11), calls the
// service ports, prints the result as JSON and returns the exit code.

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <optional>
#include <string>

#include "apps/lib/hub_switch.hpp"

namespace offhub::cli {

class Commands {
 public:
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

  int Watch(boost::asio::io_context& io, apps::ServiceHub& hub);
  // The validated module id when one was given (module commands, --module);
  // nullopt addresses the device itself.
  domain::Result<std::optional<std::string>> Module() const;

  using Action = std::function<int(boost::asio::io_context&, apps::ServiceHub&)>;
  void On(CLI::App* command, Action action);

  std::vector<std::pair<CLI::App*, Action>> actions_;
  // Arguments, filled by CLI11.
  std::string id_, method_, payload_ = "null", patch_, etag_, sql_, status_ = "enabled", type_, job_type_, job_status_,
                        start_, primary_key_, secondary_key_;
  std::optional<std::string> module_;
  std::int64_t top_ = 0, timeout_ = 30, connect_timeout_ = 0, max_execution_ = 3600, poll_ = 2;
  std::size_t page_size_ = 0;
  bool replace_ = false, all_pages_ = false;
};

}  // namespace offhub::cli
