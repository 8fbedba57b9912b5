#pragma once
// The door-lock tutorial's logic ("schedule and broadcast jobs"), written
// once against the ports so it runs on a real hub, the emulator or the
// embedded hub: the service schedules a lockDoor method job and a twin job
// and follows them to the end; the device answers lockDoor and reports back
// the desired properties it received.
// https://learn.microsoft.com/azure/iot-hub/schedule-jobs-node

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "domain/errors.hpp"
#include "ports/clock.hpp"
#include "ports/device_transport.hpp"
#include "ports/job_service.hpp"

namespace offhub::apps {

struct DoorLockJobsOptions {
  std::string query_condition = "deviceId IN ['myDeviceId']";
  std::string job_id_suffix;  // makes job ids unique per run, e.g. a timestamp
  std::int64_t max_execution_seconds = 300;
  std::int64_t response_timeout_seconds = 15;
  std::int64_t poll_interval_seconds = 2;
};

struct DoorLockJobsOutcome {
  nlohmann::json method_job;  // the final job documents, as the hub serves them
  nlohmann::json twin_job;
  std::optional<domain::Error> error;  // the hub refused something

  // Both jobs completed with no failed device.
  bool succeeded() const;
};

// Schedules both jobs (start now), then polls them every poll interval on
// `clock`; `progress` gets one line per poll ("lockDoor ... running 0/1 ...").
// `done` runs once, when both jobs are completed, failed or cancelled, or at
// the first error. Runs on the clock's event loop.
void RunDoorLockJobs(ports::JobService& jobs, ports::Clock& clock, DoorLockJobsOptions options,
                     std::function<void(const std::string&)> progress, std::function<void(DoorLockJobsOutcome)> done);

// The tutorial's device: answers lockDoor with 200 (printing "Locking Door!"),
// prints the desired properties on each connect and every change after, and
// reports changes back as reported properties. `print` gets every line.
void RunDoorLockDevice(ports::DeviceTransport& device, std::function<void(const std::string&)> print);

// "lockDoor completed  1 device(s): 1 succeeded, 0 failed, 0 running, 0 pending"
std::string ProgressLine(const nlohmann::json& job);

}  // namespace offhub::apps
