#pragma once
// The emulator in the benchmark's process, on a thread of its own, with
// what scale_bench does to it: identities created through the hub's own API
// on its thread, direct method calls without the job engine, jobs followed
// to the end, and the RSS of the hub and its broker.
// Threading: call from one thread other than the hub's; each call blocks
// until the hub's thread has done the work.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "adapters/emulator/emulator.hpp"

namespace offhub::bench {

class ScaleHub {
 public:
  static constexpr const char* kPrefix = "scale-";

  // An empty data_dir keeps the hub's state in memory; else in <data_dir>/state.db (SQLite).
  ScaleHub(std::size_t max_in_flight_per_job, std::filesystem::path data_dir);
  ~ScaleHub();
  ScaleHub(const ScaleHub&) = delete;
  ScaleHub& operator=(const ScaleHub&) = delete;

  std::string ServiceConnectionString() const { return connection_string_; }
  std::string RestEndpoint() const;  // http://127.0.0.1:<port>
  std::string MqttEndpoint() const;  // mqtt://127.0.0.1:<port>

  // Creates identities scale-<n> up to n = count - 1 (those not yet made);
  // returns the seconds it took.
  double CreateIdentities(int count);

  // `devices` direct method calls ("rawPing", scale-0 ..), `in_flight` at a time.
  struct CallRun {
    int succeeded = 0;  // answered 200
    double seconds = 0;
  };
  CallRun RawMethodCalls(int devices, std::size_t in_flight);

  // A job over every identity ("*"): "method" calls "reboot", "twin" sets a
  // desired property. Polls it to its end (or 600 s), calling `meanwhile`
  // (when given) at each poll while the job runs.
  struct JobRun {
    std::string status;
    int succeeded = 0;
    double seconds = 0;       // the job's endTime - createdTime
    double wall_seconds = 0;  // as seen by polling
  };
  JobRun RunJob(const std::string& type, int expected_devices, const std::function<void()>& meanwhile = nullptr);

  struct Rss {
    double hub_mb = 0;     // this whole process: the hub and the benchmark's own small state
    double broker_mb = 0;  // the mosquitto child
  };
  Rss Memory() const;

 private:
  template <class Fn>
  auto OnHub(Fn fn);

  boost::asio::io_context io_;
  std::unique_ptr<emulator::Emulator> emulator_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::string connection_string_;
  int created_ = 0;
  int jobs_ = 0;
};

}  // namespace offhub::bench
