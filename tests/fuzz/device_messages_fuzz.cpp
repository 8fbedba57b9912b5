// Fuzz target `device_messages`: what a device publishes, and the hub's
// handling of it, as mqtt_device_channel.cpp (OnDeviceMessage) dispatches it.
//
// Input: byte 0 picks the publisher: even, device `dev1`; odd, module
// `dev1/mod1` (both connected in the seeded FuzzHub). The rest is
// "<topic>\n<payload>". Topics the broker refuses (not UTF-8, U+0000,
// wildcards: MQTT 3.1.1 §1.5.3, §4.7.1) are skipped; payloads are any bytes.
//
// - device_messages.hpp: ClassifyDeviceTopic, TopicQueryValue, MethodAnswerPayload
//   and the answer topics built from the $rid;
// - method_result.hpp: MethodResultText (a raw answer spliced in) reads back
//   through ParseMethodResultText to the same status and payload text; the
//   payload bytes are also read as a hub's answer text;
// - a method answer (`$iothub/methods/res/{status}/?$rid=`) answers a direct
//   method call and, for dev1, a method job: the result as the REST front
//   sends it, the job and its device-job records as queries return them;
// - twin GET, reported patch and telemetry go to the hub's
//   DeviceRequestHandler; answers, errors (DeviceErrorBody) and the twin
//   afterwards are dumped as the edges dump them.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/emulator/mqtt/device_messages.hpp"
#include "domain/json_text.hpp"
#include "domain/method_request.hpp"
#include "domain/method_result.hpp"
#include "tests/fuzz/fuzz_hub.hpp"

namespace {

namespace domain = offhub::domain;
namespace emulator = offhub::emulator;
using nlohmann::json;
using offhub::fuzz::FuzzHub;

struct Publisher {
  std::string key;  // the client id: "dev1" or "dev1/mod1"
  std::string device_id;
  std::string module_id;
};

bool BrokerAccepts(std::string_view topic) {
  return !topic.empty() && topic.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos &&
         offhub::fuzz::IsUtf8(topic);
}

void DumpTwin(FuzzHub& hub, const Publisher& who) {
  const auto twin = who.module_id.empty() ? hub.hub->GetTwin(offhub::ports::Identity::Device(who.device_id))
                                          : hub.hub->GetTwin(offhub::ports::Identity::Module(who.device_id, who.module_id));
  FUZZ_CHECK(twin.ok());
  (void)twin->dump();
  const auto page = hub.hub->Query(who.module_id.empty() ? "SELECT * FROM devices" : "SELECT * FROM devices.modules", {});
  FUZZ_CHECK(page.ok());
  (void)page->items.dump();
}

// The REST front's answer text reads back (as the Azure adapter reads it) to
// the same status, and to the same payload unless splicing a raw answer made
// the whole text JSON of another shape (`1,"x":2` spliced reads as payload 1,
// on IoT Hub as here: the splice is ambiguous by nature), bar the raw text's
// surrounding whitespace.
void CheckAnswerText(const domain::MethodResult& result) {
  const std::string text = domain::MethodResultText(result);
  const auto back = domain::ParseMethodResultText(text);
  FUZZ_CHECK(back.ok() && back->status == result.status);
  const auto raw = domain::RawJsonText(result.payload);
  if (raw && domain::ParseJsonText(text, "the answer").ok()) return;
  std::string_view expected = raw ? *raw : std::string_view();
  const std::string dumped = raw ? std::string() : domain::DumpJson(result.payload);
  if (!raw) expected = dumped;
  // The reader cannot tell a raw answer's leading and trailing JSON whitespace from the hub's own.
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (raw && !expected.empty() && blank(expected.front())) expected.remove_prefix(1);
  while (raw && !expected.empty() && blank(expected.back())) expected.remove_suffix(1);
  FUZZ_CHECK(domain::DumpJson(back->payload) == expected);
}

// The device answers every call with this status and payload.
void AnswerMethods(FuzzHub& hub, const Publisher& who, int status, std::string_view payload) {
  // The same bytes as a hub's answer to the Azure adapter.
  if (const auto hub_answer = domain::ParseMethodResultText(payload)) CheckAnswerText(*hub_answer);
  hub.devices.Script(who.key, {status, emulator::MethodAnswerPayload(payload), 10, false});
  const domain::MethodRequest call{"lockDoor", nullptr, 30, 0};
  auto answered = std::make_shared<bool>(false);
  auto done = [answered](domain::Result<domain::MethodResult> result) {
    *answered = true;
    if (result) return CheckAnswerText(*result);
    (void)domain::DumpJson(domain::MethodEnvelope(result.error(), offhub::fuzz::FixedErrorContext(), json::object()));
  };
  if (who.module_id.empty()) {
    hub.hub->InvokeMethod(offhub::ports::Identity::Device(who.device_id), call, done);
    const auto job = domain::ParseJobRequest(
        "answers", {{"type", "scheduleDeviceMethod"}, {"cloudToDeviceMethod", {{"methodName", "lockDoor"}}},
                    {"queryCondition", "deviceId = 'dev1'"}},
        hub.clock.Now());
    FUZZ_CHECK(job.ok() && hub.hub->CreateJob(*job).ok());
  } else {
    hub.hub->InvokeMethod(offhub::ports::Identity::Module(who.device_id, who.module_id), call, done);
  }
  hub.Settle();
  FUZZ_CHECK(*answered);
  const auto records = hub.hub->Query("SELECT * FROM devices.jobs", {});
  FUZZ_CHECK(records.ok());
  (void)domain::DumpJson(records->items);
  const auto job = hub.hub->GetJob("answers");
  if (job) (void)job->dump();
}

void ReportedPatch(FuzzHub& hub, const Publisher& who, std::string_view payload) {
  const auto patch = offhub::fuzz::ParseJsonAsTheEdge(payload);
  if (!patch) {
    (void)offhub::fuzz::DumpDeviceError(domain::Error::ArgumentInvalid("The reported properties patch is not JSON"));
    return;
  }
  const auto version = hub.hub->OnReportedPatch(who.key, *patch);
  if (!version) (void)offhub::fuzz::DumpDeviceError(version.error());
  DumpTwin(hub, who);
}

void Dispatch(FuzzHub& hub, const Publisher& who, std::string_view topic, std::string_view payload) {
  const auto message = emulator::ClassifyDeviceTopic(who.key, topic);
  (void)emulator::TopicQueryValue(topic, "$version");
  switch (message.kind) {
    case emulator::DeviceMessageKind::kMethodResponse:
      return AnswerMethods(hub, who, message.status, payload);
    case emulator::DeviceMessageKind::kTwinGet: {
      if (message.rid.empty()) return;
      (void)emulator::TwinResponseTopic(200, message.rid);
      const auto view = hub.hub->OnTwinGet(who.key);
      FUZZ_CHECK(view.ok());
      (void)view->dump();
      return;
    }
    case emulator::DeviceMessageKind::kReportedPatch:
      if (message.rid.empty()) return;
      (void)emulator::TwinPatchResponseTopic(message.rid, 2);
      return ReportedPatch(hub, who, payload);
    case emulator::DeviceMessageKind::kTelemetry:
      hub.hub->OnTelemetry(who.key, topic, payload);
      return DumpTwin(hub, who);
    case emulator::DeviceMessageKind::kOther:
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || offhub::fuzz::SkippedAsNonAscii(offhub::fuzz::AsText(data, size))) return 0;
  const Publisher who = (data[0] & 1) != 0 ? Publisher{"dev1/mod1", "dev1", "mod1"} : Publisher{"dev1", "dev1", ""};
  const auto [topic, payload] = offhub::fuzz::SplitLine(offhub::fuzz::AsText(data + 1, size - 1));
  if (!BrokerAccepts(topic)) return 0;
  FuzzHub hub;
  Dispatch(hub, who, topic, payload);
  return 0;
}
