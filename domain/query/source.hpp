#pragma once
// What the query runner reads rows from. The hub implements these over its
// store; tests and the benchmark over vectors. Both are read-only and are
// called on the caller's thread; an implementation holds whatever lock it
// needs for the duration of one ForEachAfter call.

#include <functional>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/twin.hpp"

namespace offhub::domain::query {

class TwinSource {
 public:
  virtual ~TwinSource() = default;

  // Calls `visit` for every twin whose key() (device id, or deviceId/moduleId
  // for module twins) is greater than `after` (every twin when nullopt), in
  // ascending byte-wise key order, until
  // `visit` returns false. Twin references must stay valid, and the twins
  // unchanged, until ForEachAfter returns: the runner evaluates in batches
  // (scan.hpp). Hold a read lock for the call.
  virtual void ForEachAfter(std::optional<std::string_view> after,
                            const std::function<bool(const Twin&)>& visit) const = 0;
};

class DeviceJobSource {
 public:
  virtual ~DeviceJobSource() = default;

  // Calls `visit` with every device-job record, as IoT Hub serves it
  // ({"deviceId","jobId","jobType","status","startTimeUtc",...}), whose key is
  // greater than `after` (all when nullopt), in ascending byte-wise key order,
  // until `visit` returns false. Keys are chosen by the implementation and
  // must be unique and stable (e.g. jobId + '\n' + deviceId); continuation
  // tokens carry them. A record is valid during its call only.
  virtual void ForEachAfter(std::optional<std::string_view> after,
                            const std::function<bool(std::string_view key, const nlohmann::json& record)>& visit)
      const = 0;
};

}  // namespace offhub::domain::query
