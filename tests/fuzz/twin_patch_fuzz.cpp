// Fuzz target `twin_patch`: twin writes, validation and merge.
//
// Input: a JSON body, read as the REST front and the MQTT channel read it.
// It is applied to a copy of a populated twin three ways: as a service PATCH
// (ApplyServicePatch), as a service PUT (ApplyServiceReplace) and as a
// device's reported patch (ApplyReportedPatch). Each outcome is serialised as
// the edges do: ToJson(twin).dump(), DeviceView(twin).dump(), the desired
// notification's body, or the error envelope.
//
// Checks (twin.hpp): a write that fails changes nothing; a write that succeeds
// leaves every section within IoT Hub's limits; the twin reads back from its
// stored form (TwinFromJson(ToJson(t))) unchanged.

#include <cstdint>
#include <string_view>

#include "domain/twin.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace domain = offhub::domain;
using nlohmann::json;

const domain::UtcTime kCreated = *domain::ParseUtc("2026-01-01T12:00:00Z");
const domain::UtcTime kNow = kCreated.PlusSeconds(60);

const domain::Twin& Populated() {
  static const domain::Twin twin = [] {
    auto t = domain::Twin::Create("dev1", kCreated);
    const json patch = {{"tags", {{"building", "43"}, {"loc", {{"city", "Redmond"}, {"zip", 98052}}}}},
                        {"properties", {{"desired", {{"floor", 3}, {"modes", {"eco", nullptr, 1.5}}}}}}};
    FUZZ_CHECK(domain::ApplyServicePatch(t, patch, kCreated).ok());
    FUZZ_CHECK(domain::ApplyReportedPatch(t, {{"temp", 21.5}, {"fw", {{"version", "1.0"}}}}, kCreated).ok());
    return t;
  }();
  return twin;
}

void CheckStored(const domain::Twin& twin) {
  const json doc = domain::ToJson(twin);
  (void)doc.dump();
  (void)domain::DeviceView(twin).dump();
  const auto back = domain::TwinFromJson(doc);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(domain::ToJson(*back) == doc);
}

void CheckWithinLimits(const domain::Twin& twin) {
  using Limits = domain::TwinLimits;
  FUZZ_CHECK(domain::ValidateSection(twin.tags, "tags", Limits::kMaxTagsBytes).ok());
  FUZZ_CHECK(domain::ValidateSection(twin.desired.properties, "properties.desired", Limits::kMaxDesiredBytes).ok());
  FUZZ_CHECK(domain::ValidateSection(twin.reported.properties, "properties.reported", Limits::kMaxReportedBytes).ok());
}

// Applies `write` to a copy of the populated twin and checks the outcome.
template <class Write>
void Try(Write write) {
  domain::Twin twin = Populated();
  const auto result = write(twin);
  if (!result) {
    (void)offhub::fuzz::DumpRegistryError(result.error());
    (void)offhub::fuzz::DumpDeviceError(result.error());
    FUZZ_CHECK(domain::ToJson(twin) == domain::ToJson(Populated()));
    return;
  }
  CheckWithinLimits(twin);
  CheckStored(twin);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = offhub::fuzz::ParseJsonAsTheEdge(offhub::fuzz::AsText(data, size));
  if (!body) return 0;
  Try([&](domain::Twin& twin) {
    auto result = domain::ApplyServicePatch(twin, *body, kNow);
    if (result && result->notification) (void)result->notification->body.dump();
    return result;
  });
  Try([&](domain::Twin& twin) {
    auto result = domain::ApplyServiceReplace(twin, *body, kNow);
    if (result && result->notification) (void)result->notification->body.dump();
    return result;
  });
  Try([&](domain::Twin& twin) { return domain::ApplyReportedPatch(twin, *body, kNow); });
  return 0;
}
