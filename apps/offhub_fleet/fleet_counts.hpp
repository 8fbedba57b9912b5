#pragma once
// What a fleet worker counts, and the fleet's totals: workers send their
// counts to the parent as one JSON line each (the shape of ToJson), the
// parent combines them into the progress line and the final summary.
//
// JSON shape (camelCase as IoT Hub's documents):
//   {"devices":N,"connected":N,"refused":N,"disconnects":N,
//    "methodCalls":{"received":N,"answered":N,"perDevice":{"min":N,"max":N},
//                   "byMethod":{"<name>":{"received":N,"perDevice":{"min":N,"max":N}}}},
//    "desiredPatches":{"received":N,"perDevice":{"min":N,"max":N}},
//    "reportedPatches":{"sent":N,"acknowledged":N,"failed":N}}
// perDevice min/max are over every device of the worker (of the fleet, once
// combined): min == max == 1 means each device saw exactly one.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/result.hpp"

namespace offhub::fleet {

// Events of one kind over a set of devices.
struct PerDevice {
  std::uint64_t received = 0;
  std::uint64_t min = 0;  // fewest seen by one device
  std::uint64_t max = 0;  // most seen by one device

  bool operator==(const PerDevice&) const = default;
};

// Per-device counters of one kind, kept by a worker (index = the worker's device index).
class DeviceTally {
 public:
  explicit DeviceTally(std::size_t devices = 0) : counts_(devices, 0) {}
  void Add(std::size_t device) {
    ++counts_[device];
    ++received_;
  }
  PerDevice Summary() const;

 private:
  std::vector<std::uint32_t> counts_;
  std::uint64_t received_ = 0;
};

struct FleetCounts {
  std::uint64_t devices = 0;
  std::uint64_t connected = 0;    // connected and subscribed right now
  std::uint64_t refused = 0;      // CONNACKs that refused a device (bad key, unknown device, ...)
  std::uint64_t disconnects = 0;  // connections lost after they were up
  PerDevice method_calls;         // received, over all method names
  std::uint64_t answered = 0;     // method responses published
  std::map<std::string, PerDevice, std::less<>> by_method;
  PerDevice desired;              // desired-property notifications
  std::uint64_t reported_sent = 0;
  std::uint64_t reported_acknowledged = 0;  // 2xx twin answers
  std::uint64_t reported_failed = 0;        // other twin answers

  bool operator==(const FleetCounts&) const = default;
};

nlohmann::json ToJson(const FleetCounts& counts);
// The inverse of ToJson; a 400 FormatError for anything else.
domain::Result<FleetCounts> FleetCountsFromJson(const nlohmann::json& body);

// Sums counters, takes min of mins and max of maxes; a method one part never
// saw counts as min 0 for that part's devices.
FleetCounts Combine(const std::vector<FleetCounts>& parts);

// "12/20 connected, 0 refused | methods: 40 received, 40 answered | desired: 20 seen, 20 reported"
std::string ProgressLine(const FleetCounts& counts);

}  // namespace offhub::fleet

namespace offhub::fleet {

// A worker's live counts: what its devices report as things happen. One
// event loop, so no locking.
class WorkerTallies {
 public:
  explicit WorkerTallies(std::size_t devices) : devices_(devices), calls_(devices), desired_(devices) {}

  void Connected() { ++connected_; }
  // A connection that was up ended: lost, or closed by the device itself
  // (to renew its token, or when stopping).
  void Disconnected(bool lost) {
    --connected_;
    if (lost) ++disconnects_;
  }
  void Refused() { ++refused_; }
  void MethodReceived(std::size_t device, std::string_view name);
  void Answered() { ++answered_; }
  void DesiredReceived(std::size_t device) { desired_.Add(device); }
  void ReportedSent() { ++reported_sent_; }
  void ReportedAnswer(bool acknowledged) { ++(acknowledged ? reported_acknowledged_ : reported_failed_); }

  FleetCounts Snapshot() const;

 private:
  std::size_t devices_;
  std::uint64_t connected_ = 0, refused_ = 0, disconnects_ = 0, answered_ = 0;
  std::uint64_t reported_sent_ = 0, reported_acknowledged_ = 0, reported_failed_ = 0;
  DeviceTally calls_;
  std::map<std::string, DeviceTally, std::less<>> by_method_;
  DeviceTally desired_;
};

}  // namespace offhub::fleet
