#include "apps/offhub_fleet/fleet_output.hpp"

#include <cstdio>
#include <sstream>

namespace offhub::fleet {
namespace {

std::string Fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

std::string PerDeviceText(const PerDevice& p) {
  return std::to_string(p.received) + " received (" + std::to_string(p.min) + ".." + std::to_string(p.max) +
         " per device)";
}

}  // namespace

void ProgressPrinter::Show(const std::string& line) {
  if (terminal_) {
    out_ << "\r\033[Koffhub-fleet: " << line << std::flush;
    open_ = true;
  } else {
    out_ << "offhub-fleet: " << line << std::endl;
  }
}

void ProgressPrinter::End() {
  if (open_) out_ << "\n" << std::flush;
  open_ = false;
}

nlohmann::json SummaryJson(const FleetSummary& s) {
  nlohmann::json out = ToJson(s.outcome.counts);
  out["firstDeviceId"] = s.first_id;
  out["lastDeviceId"] = s.last_id;
  out["workers"] = s.workers;
  out["failedWorkers"] = s.outcome.failures;
  out["seconds"] = s.outcome.ran.count();
  out["registration"] = {{"existing", s.registration.existing},
                         {"created", s.registration.created},
                         {"seconds", s.registration.took.count()}};
  return out;
}

std::string SummaryText(const FleetSummary& s) {
  const FleetCounts& c = s.outcome.counts;
  std::ostringstream out;
  out << "offhub-fleet: " << c.devices << " devices (" << s.first_id << " .. " << s.last_id << ") on " << s.workers
      << " worker process(es) for " << Fixed(s.outcome.ran.count()) << " s\n";
  out << "  registration: " << s.registration.existing << " existing, " << s.registration.created << " created in "
      << Fixed(s.registration.took.count()) << " s\n";
  out << "  connected when stopped: " << c.connected << ", refused " << c.refused << ", connections lost "
      << c.disconnects << "\n";
  out << "  method calls: " << PerDeviceText(c.method_calls) << ", " << c.answered << " answered\n";
  for (const auto& [name, calls] : c.by_method) out << "    " << name << ": " << PerDeviceText(calls) << "\n";
  out << "  desired patches: " << PerDeviceText(c.desired) << "; reported " << c.reported_sent << ", acknowledged "
      << c.reported_acknowledged << ", failed " << c.reported_failed << "\n";
  for (const auto& failure : s.outcome.failures) out << "  FAILED: " << failure << "\n";
  return out.str();
}

std::string RegistrationLine(const RegistrationProgress& p) {
  return "registering " + std::to_string(p.done) + "/" + std::to_string(p.total) + " devices (" +
         std::to_string(p.created) + " created)";
}

}  // namespace offhub::fleet
