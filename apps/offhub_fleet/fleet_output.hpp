#pragma once
// What offhub-fleet prints: progress on stderr (a live line rewritten in
// place on a terminal, a plain line per report otherwise) and the summary
// on stdout (text, or one JSON object: the FleetCounts shape of
// fleet_counts.hpp plus "workers", "failedWorkers", "seconds" and
// "registration": {"existing","created","seconds"}).

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/offhub_fleet/fleet_counts.hpp"
#include "apps/offhub_fleet/registration.hpp"
#include "apps/offhub_fleet/supervisor.hpp"

namespace offhub::fleet {

class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}
  ~ProgressPrinter() { End(); }
  // "offhub-fleet: <line>"
  void Show(const std::string& line);
  // Ends the live line (a newline on a terminal).
  void End();

 private:
  std::ostream& out_;
  bool terminal_;
  bool open_ = false;
};

struct FleetSummary {
  std::string first_id, last_id;
  std::size_t workers = 0;
  Registration registration;  // without its device list
  SupervisorOutcome outcome;
};

nlohmann::json SummaryJson(const FleetSummary& summary);
std::string SummaryText(const FleetSummary& summary);

// "registering 1200/10000 devices (300 created)"
std::string RegistrationLine(const RegistrationProgress& progress);

}  // namespace offhub::fleet
