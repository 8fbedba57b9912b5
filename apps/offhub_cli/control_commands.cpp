// The test-control plane's commands: state export/import, reset, clock, fault, monitor-events.
#include <charconv>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "adapters/iothub/percent_encoding.hpp"
#include "apps/lib/command_line.hpp"
#include "apps/offhub_cli/arguments.hpp"
#include "apps/offhub_cli/commands.hpp"
#include "domain/json_text.hpp"
#include "domain/time.hpp"

namespace offhub::cli {
namespace {

using nlohmann::json;
namespace http = boost::beast::http;

// clock advance answers once the work that fell due has run: each instant may
// wait on devices' method answers (SteerableClock::kQuietWait apiece).
constexpr std::chrono::minutes kAdvanceReadTimeout{10};
// The emulator's limit for one advance: ten years of 366 days.
constexpr double kMaxAdvanceSeconds = 10.0 * 366 * 24 * 3600;

domain::Status WriteJson(const std::string& path, const json& value) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << value.dump(2) << "\n";
  out.close();
  if (!out) return domain::Error::ArgumentInvalid("cannot write " + path);
  return domain::Success();
}

// What a state document holds, counted as PUT /offhub/v1/state answers it.
json StateCounts(const json& state) {
  static const json kNone = json::array();
  const auto array_at = [](const json& doc, const char* key) -> const json& {
    const auto it = doc.find(key);  // end() when `doc` is no object
    return it != doc.end() && it->is_array() ? *it : kNone;
  };
  std::size_t modules = 0;
  for (const auto& device : array_at(state, "devices")) modules += array_at(device, "modules").size();
  return {{"devices", array_at(state, "devices").size()},
          {"modules", modules},
          {"jobs", array_at(state, "jobs").size()}};
}

}  // namespace

void Commands::OnControl(CLI::App* command, ControlCall call) {
  On(command, [this, call = std::move(call)](auto&, auto&) {
    const auto control = ConnectControlPlane(settings_);
    if (!control) {
      apps::PrintError("offhub", control.error());
      return kExitUsage;
    }
    return Show(call(**control));
  });
}

void Commands::RegisterState(CLI::App& app) {
  auto* state = app.add_subcommand("state", "The emulator's whole state (devices, modules, twins, jobs) as JSON");
  state->require_subcommand(1);
  auto* exported = state->add_subcommand("export", "Print the state, or write it to FILE and print what it holds");
  exported->add_option("file", file_, "Where to write it (default: stdout)");
  OnControl(exported, [this](ControlPlane& control) -> domain::Result<json> {
    auto document = control.Call(http::verb::get, "state");
    if (!document || file_.empty()) return document;
    if (auto written = WriteJson(file_, *document); !written) return written.error();
    json counts = StateCounts(*document);
    counts["file"] = file_;
    return counts;
  });
  auto* imported = state->add_subcommand("import", "Replace the emulator's state with FILE's, all or nothing");
  imported->add_option("file", file_, "A document as state export writes it; - for stdin")
      ->required()
      ->check(CLI::ExistingFile | CLI::IsMember({"-"}));
  OnControl(imported, [this](ControlPlane& control) -> domain::Result<json> {
    const auto text = ReadText(file_);
    if (!text) return text.error();
    const auto document = domain::ParseJsonText(*text, file_ == "-" ? "stdin" : file_);
    if (!document) return document.error();
    return control.Call(http::verb::put, "state", *document);
  });
  auto* reset = app.add_subcommand("reset", "Put the emulator back to its --seed state (or empty)");
  OnControl(reset, [](ControlPlane& control) { return control.Call(http::verb::post, "reset"); });
}

void Commands::RegisterClock(CLI::App& app) {
  auto* clock = app.add_subcommand("clock", "The emulator's clock: real time, or frozen and moved by hand");
  clock->require_subcommand(1);
  auto* show = clock->add_subcommand("show", "Print the clock: {\"mode\": \"real\" or \"manual\", \"now\"}");
  OnControl(show, [](ControlPlane& control) { return control.Call(http::verb::get, "clock"); });
  auto* freeze = clock->add_subcommand("freeze", "Stop the clock, at ISO-TIME when given (never before its now)");
  freeze->add_option("iso-time", at_, "e.g. 2030-01-01T00:00:00Z (default: the hub's now)")->check(IsoTime());
  OnControl(freeze, [this](ControlPlane& control) {
    json body = {{"mode", "manual"}};
    if (!at_.empty()) body["now"] = at_;
    return control.Call(http::verb::put, "clock", body);
  });
  auto* advance = clock->add_subcommand(
      "advance", "Move a frozen clock forward and run what falls due on the way (ClockNotManual unless frozen)");
  advance->add_option("seconds", seconds_, "How far (up to ten years)")
      ->required()
      ->check(Between(0, kMaxAdvanceSeconds));
  OnControl(advance, [this](ControlPlane& control) {
    return control.Call(http::verb::post, "clock/advance", json{{"seconds", seconds_}}, kAdvanceReadTimeout);
  });
  auto* resume = clock->add_subcommand("resume", "Run in real time again, on from where the clock stands");
  OnControl(resume, [](ControlPlane& control) {
    return control.Call(http::verb::put, "clock", json{{"mode", "real"}});
  });
}

std::string Commands::FaultsPath() const {
  std::string path = "devices/" + iothub::EncodeUriComponentStrict(id_);
  if (module_) path += "/modules/" + iothub::EncodeUriComponentStrict(*module_);
  return path + "/faults";
}

domain::Result<json> Commands::FaultBody() const {
  const auto& f = fault_;  // the flags' combinations are checked as they are parsed (RegisterFault)
  if (f.json) return ParseJsonArgument(*f.json, "--json");
  json body = json::object();
  if (!f.connect.empty()) body["connect"] = f.connect;
  if (f.disconnect) body["disconnect"] = true;
  if (!f.desired.empty()) body["desired"] = f.desired;
  if (f.reported_status) body["reported"] = {{"status", *f.reported_status}};
  json method = json::object();
  if (f.latency_ms) method["latencyMs"] = *f.latency_ms;
  if (f.status) method["status"] = *f.status;
  if (f.payload) {
    auto payload = ParseJsonArgument(*f.payload, "--payload");
    if (!payload) return payload.error();
    method["payload"] = std::move(*payload);
  }
  if (f.drop) method["drop"] = true;
  if (!method.empty()) body["methods"] = {{f.method, std::move(method)}};
  return body;
}

void Commands::RegisterFault(CLI::App& app) {
  auto* fault = app.add_subcommand("fault", "Make a device or module misbehave, as the emulator's hub applies it");
  fault->require_subcommand(1);
  auto* set = fault->add_subcommand(
      "set", "Replace the identity's faults with those given (none given: clear them); print what is now set");
  const std::vector<CLI::Option*> flags = {
      set->add_option("--connect", fault_.connect, "refuse: CONNECT refused (CONNACK 5), a live connection closed")
          ->transform(Choice({"refuse"})),
      set->add_flag("--disconnect", fault_.disconnect, "Close the live connection now, once"),
      set->add_option("--method", fault_.method, "The method the --status/--payload/--latency-ms/--drop rule is for")
          ->capture_default_str()
          ->check(NonBlank()),
      set->add_option("--status", fault_.status, "Answer calls with this status for the device, without reaching it"),
      set->add_option("--payload", fault_.payload, "With --status: the answer's payload (JSON or @FILE)")
          ->transform(JsonArgument(true)),
      set->add_option("--latency-ms", fault_.latency_ms, "Delay calls (or the --status answer) by this much hub time")
          ->check(CLI::Range(std::int64_t{0}, std::int64_t{3'600'000})),
      set->add_flag("--drop", fault_.drop, "Calls reach no one: callers get IoT Hub's timeout"),
      set->add_option("--desired", fault_.desired, "drop: desired-property notifications are not delivered")
          ->transform(Choice({"drop"})),
      set->add_option("--reported-status", fault_.reported_status, "Refuse reported patches with this status")
          ->check(CLI::IsMember({400, 401, 403, 404, 412, 413, 429, 500, 503, 504}))};
  auto* status = flags[3];
  flags[4]->needs(status);    // --payload: the answer given for the device
  flags[6]->excludes(status);  // --drop: a dropped call has no answer
  auto* every =
      set->add_option("--json", fault_.json, "Every fault as one JSON object (or @FILE), as fault show prints it")
          ->transform(JsonArgument());
  for (auto* flag : flags) every->excludes(flag);
  auto* show = fault->add_subcommand("show", "Print the identity's faults ({} when none)");
  auto* clear = fault->add_subcommand("clear", "Clear the identity's faults");
  for (auto* command : {set, show, clear}) {
    AddIdentityArguments(command);
    AddModuleOption(command, "The device's module instead of the device");
  }
  OnControl(set, [this](ControlPlane& control) -> domain::Result<json> {
    const auto body = FaultBody();
    if (!body) return body.error();
    return control.Call(http::verb::put, FaultsPath(), *body);
  });
  OnControl(show, [this](ControlPlane& control) { return control.Call(http::verb::get, FaultsPath()); });
  OnControl(clear, [this](ControlPlane& control) { return control.Call(http::verb::delete_, FaultsPath()); });
}

namespace {

// One telemetry event of the stream as `az iot hub monitor-events` prints a
// message: {"event":{"origin","module","payload","properties"?:{"system","application"}}};
// the payload is JSON when the body parses as JSON, else its text (or base64).
json MonitorLine(const json& data, bool with_properties) {
  json event = {{"origin", data.value("deviceId", "")}, {"module", data.value("moduleId", "")}};
  if (const auto body = data.find("body"); body != data.end() && body->is_string()) {
    const auto parsed = domain::ParseJsonText(body->get_ref<const std::string&>(), "the body");  // a device's bytes
    event["payload"] = parsed.ok() ? *parsed : *body;
  } else {
    event["payload"] = data.value("bodyBase64", "");
  }
  if (with_properties) {
    json system = json::object(), application = json::object();
    const json properties = data.value("properties", json::object());
    for (const auto& [name, value] : properties.items()) {
      (name.starts_with("$.") || name.starts_with("iothub-") ? system : application)[name] = value;
    }
    event["properties"] = {{"system", std::move(system)}, {"application", std::move(application)}};
  }
  return {{"event", std::move(event)}};
}

}  // namespace

void Commands::RegisterMonitor(CLI::App& app) {
  auto* monitor = app.add_subcommand(
      "monitor-events", "Print devices' telemetry as it arrives, one JSON object per line (the emulator's event stream)");
  auto* device = monitor->add_option("--device", id_, "Only this device's messages")->check(DeviceId());
  monitor->add_option("--module", module_, "Only this module's messages (with --device)")
      ->check(ModuleId())
      ->needs(device);
  monitor->add_flag("--properties", properties_, "Show each message's system and application properties");
  monitor->add_option("--timeout", monitor_seconds_, "Stop after this many seconds (0: run until interrupted)")
      ->capture_default_str()
      ->check(AtLeast(0));
  monitor->footer("Always one JSON object per line, whatever --output says. When the hub ends the stream (it cuts "
                  "off a reader that falls 4 MiB behind), it resumes after the last event it saw; events the hub "
                  "no longer has are named on stderr. Exit codes: 0 the timeout passed; 1 the hub refused; 2 usage; "
                  "4 the hub cannot be reached.");
  On(monitor, [this](auto&, auto&) {
    const auto control = ConnectControlPlane(settings_);
    if (!control) {
      apps::PrintError("offhub", control.error());
      return kExitUsage;
    }
    std::string pending;
    std::optional<std::uint64_t> last_id;
    const auto on_data = [&](std::string_view bytes) {
      pending.append(bytes);
      for (auto end = pending.find("\n\n"); end != std::string::npos; end = pending.find("\n\n")) {
        const std::string block = pending.substr(0, end);
        pending.erase(0, end + 2);
        if (block.starts_with("id: ")) {
          std::uint64_t id = 0;
          const auto digits = std::string_view(block).substr(4);
          if (std::from_chars(digits.data(), digits.data() + digits.size(), id).ec == std::errc()) last_id = id;
        }
        const auto data_at = block.find("\ndata: ");
        if (data_at == std::string::npos) continue;
        const bool lost = block.find("\nevent: eventsLost\n") != std::string::npos;
        if (!lost && block.find("\nevent: telemetry\n") == std::string::npos) continue;
        const auto parsed = domain::ParseJsonText(block.substr(data_at + 7), "an event");
        if (!parsed.ok() || !parsed->is_object()) continue;
        const json& data = *parsed;
        if (lost) {
          std::cerr << "offhub: events " << data.value("from", 0) << " to " << data.value("to", 0)
                    << " are lost (the hub no longer has them)" << std::endl;
          continue;
        }
        if (!id_.empty() && data.value("deviceId", "") != id_) continue;
        if (module_ && data.value("moduleId", "") != *module_) continue;
        std::cout << domain::DumpJson(MonitorLine(data, properties_)) << std::endl;
      }
      return true;
    };
    using Clock = std::chrono::steady_clock;
    const auto deadline = monitor_seconds_ > 0 ? Clock::now() + std::chrono::seconds(monitor_seconds_) : Clock::time_point::max();
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (monitor_seconds_ > 0 && left.count() <= 0) return kExitOk;
      pending.clear();
      const std::string path = last_id ? "events?since=" + std::to_string(*last_id) : "events";
      const auto streamed = (*control)->Stream(path, monitor_seconds_ > 0 ? left : std::chrono::milliseconds(0), on_data);
      if (!streamed) return Fail(streamed.error());
      if (monitor_seconds_ > 0 && Clock::now() >= deadline) return kExitOk;
      std::cerr << "offhub: the hub ended the event stream; resuming" << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
}

}  // namespace offhub::cli
