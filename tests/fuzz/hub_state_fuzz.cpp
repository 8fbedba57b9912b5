// Fuzz target `hub_state`: the control plane's documents. A state document
// (offhub-emulator --seed FILE, PUT /offhub/v1/state) and an identity's
// faults (PUT /offhub/v1/devices/{id}/faults).
//
// Input: byte 0 even: a state document; odd: a faults body; the rest, JSON
// text read as the REST front reads it.
//
// Checks (control/hub_state.hpp, control/device_faults.hpp): a document that
// reads is exported and read back to the same identities, twins' sections
// and faults; a faults body that reads gives, through FaultsJson, the same faults.

#include <cstdint>
#include <random>
#include <string_view>

#include "adapters/emulator/control/device_faults.hpp"
#include "adapters/emulator/control/hub_state.hpp"
#include "domain/json_text.hpp"
#include "domain/twin.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace domain = offhub::domain;
namespace emulator = offhub::emulator;

const domain::UtcTime kNow = *domain::ParseUtc("2026-01-01T12:00:00Z");

void Faults(const nlohmann::json& body) {
  const auto request = emulator::ParseFaultRequest(body);
  if (!request) {
    (void)offhub::fuzz::DumpRegistryError(request.error());
    return;
  }
  const auto again = emulator::ParseFaultRequest(emulator::FaultsJson(request->faults));
  FUZZ_CHECK(again.ok() && again->faults == request->faults && !again->disconnect);
}

void State(const nlohmann::json& document) {
  std::mt19937_64 random(1);
  const auto hub = emulator::StateFromDocument(document, kNow, random);
  if (!hub) {
    (void)offhub::fuzz::DumpRegistryError(hub.error());
    return;
  }
  const auto exported = emulator::DocumentFromState(hub->state, hub->faults);
  (void)domain::DumpJson(exported);
  const auto again = emulator::StateFromDocument(exported, kNow, random);
  FUZZ_CHECK(again.ok() && again->faults == hub->faults && again->state.devices.size() == hub->state.devices.size() &&
             again->state.jobs.size() == hub->state.jobs.size() &&
             again->state.device_jobs.size() == hub->state.device_jobs.size());
  for (std::size_t i = 0; i < hub->state.devices.size(); ++i) {
    const auto& a = hub->state.devices[i];
    const auto& b = again->state.devices[i];
    FUZZ_CHECK(a.identity.key() == b.identity.key() && a.identity.primary_key == b.identity.primary_key &&
               a.identity.status == b.identity.status &&
               domain::ObjectOrEmpty(a.twin.tags) == domain::ObjectOrEmpty(b.twin.tags) &&
               domain::ObjectOrEmpty(a.twin.desired.properties) == domain::ObjectOrEmpty(b.twin.desired.properties) &&
               domain::ObjectOrEmpty(a.twin.reported.properties) == domain::ObjectOrEmpty(b.twin.reported.properties));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool faults = (data[0] & 1) != 0;
  const auto body = offhub::fuzz::ParseJsonAsTheEdge(offhub::fuzz::AsText(data + 1, size - 1));
  if (!body) return 0;
  if (faults) {
    Faults(*body);
  } else {
    State(*body);
  }
  return 0;
}
