#include "apps/offhub_cli/commands.hpp"

#include <iostream>
#include <optional>

#include "apps/offhub_cli/arguments.hpp"
#include "domain/method_request.hpp"

namespace offhub::cli {
using nlohmann::json;

void Commands::On(CLI::App* command, Action action) { actions_.emplace_back(command, std::move(action)); }

void Commands::Register(CLI::App& app) {
  app.fallthrough();  // global flags (--output, --hub, ...) after the subcommand too, as az takes them
  output_.AddOption(app);
  RegisterDevice(app);
  RegisterModule(app);
  RegisterTwin(app);
  RegisterQuery(app);
  RegisterMethod(app);
  RegisterJob(app);
  RegisterState(app);
  RegisterClock(app);
  RegisterFault(app);
  RegisterMonitor(app);
}

int Commands::Run(boost::asio::io_context& io, apps::ServiceHub& hub) {
  for (auto& [command, action] : actions_) {
    if (command->parsed()) return action(io, hub);
  }
  std::cerr << "offhub: no command given (see --help)\n";
  return kExitUsage;
}

void Commands::AddIdentityArguments(CLI::App* command, bool module) {
  command->add_option("device-id", id_, "The device id")->required()->check(DeviceId());
  if (module) command->add_option("module-id", module_, "The module id")->required()->check(ModuleId());
}

void Commands::AddModuleOption(CLI::App* command, const std::string& description) {
  command->add_option("--module", module_, description)->check(ModuleId());
}

ports::Identity Commands::Target() const {
  return module_ ? ports::Identity::Module(id_, *module_) : ports::Identity::Device(id_);
}

int Commands::Show(const domain::Result<json>& result) const {
  return result ? output_.Document(*result) : Fail(result.error());
}

int Commands::ShowConnectionString(apps::ServiceHub& hub) const {
  const auto identity = hub.services().registry.GetIdentity(Target());
  if (!identity) return Fail(identity.error());
  const auto text = ConnectionString(hub.host_name(), *identity);
  if (!text) return Fail(text.error());
  if (output_.chosen()) return output_.Document(json{{"connectionString", *text}});
  std::cout << *text << std::endl;  // bare, for $(offhub device connection-string ID)
  return kExitOk;
}

std::vector<CLI::Option*> Commands::AddTwinPatchOptions(CLI::App* command) {
  auto* patch = command
                    ->add_option("--patch", patch_,
                                 R"(The patch as JSON or @FILE, e.g. '{"properties":{"desired":{"floor":3}}}')")
                    ->transform(JsonArgument());
  auto* desired =
      command->add_option("--desired", desired_, R"(Desired properties as JSON or @FILE, e.g. '{"floor":3}')")
          ->transform(JsonArgument())
          ->excludes(patch);
  auto* tags = command->add_option("--tags", tags_, R"(Tags as JSON or @FILE, e.g. '{"site":"a"}')")
                   ->transform(JsonArgument())
                   ->excludes(patch);
  return {patch, desired, tags};
}

void Commands::RequireTwinPatch() const {
  if (patch_.empty() && desired_.empty() && tags_.empty()) Usage("--patch", "required, or --desired and/or --tags");
}

domain::Result<json> Commands::TwinPatch() const {
  if (!patch_.empty()) return ParseJsonArgument(patch_, "--patch");
  json patch = json::object();
  if (!tags_.empty()) {
    auto tags = ParseJsonArgument(tags_, "--tags");
    if (!tags) return tags.error();
    patch["tags"] = std::move(*tags);
  }
  if (!desired_.empty()) {
    auto desired = ParseJsonArgument(desired_, "--desired");
    if (!desired) return desired.error();
    patch["properties"] = {{"desired", std::move(*desired)}};
  }
  return patch;
}

void Commands::RegisterTwin(CLI::App& app) {
  auto* twin = app.add_subcommand("twin", "Device and module twins");
  twin->require_subcommand(1);
  auto* show = twin->add_subcommand("show", "Show a device's (or with --module, a module's) twin");
  AddIdentityArguments(show);
  AddModuleOption(show, "The module of the device whose twin to show");
  On(show, [this](auto&, apps::ServiceHub& hub) { return Show(hub.services().twins.GetTwin(Target())); });
  auto* update = twin->add_subcommand(
      "update", "Patch (or with --replace, replace) tags and desired properties: --patch, or --desired and/or --tags");
  AddIdentityArguments(update);
  AddModuleOption(update, "Update this module's twin instead of the device's");
  AddTwinPatchOptions(update);
  update->add_option("--etag", etag_, "Update only if the twin's etag is this");
  update->add_flag("--replace", replace_, "Tags and desired properties become exactly those given (PUT)");
  update->callback([this] { RequireTwinPatch(); });
  On(update, [this](auto&, apps::ServiceHub& hub) {
    const auto patch = TwinPatch();
    if (!patch) return Fail(patch.error());
    auto& twins = hub.services().twins;
    // Without --etag a patch sends If-Match: * and a replace none: both apply whatever the twin's etag.
    const ports::IfMatch if_match = replace_ ? IfMatch(etag_) : ports::IfMatch(IfMatch(etag_).value_or("*"));
    return Show(replace_ ? twins.ReplaceTwin(Target(), *patch, if_match) : twins.PatchTwin(Target(), *patch, if_match));
  });
}

void Commands::RegisterQuery(CLI::App& app) {
  auto* query = app.add_subcommand(
      "query", "Run a query: SELECT ... FROM devices | devices.modules | devices.jobs ...; every page of results");
  query->add_option("sql", sql_, "The query")->required()->check(NonBlank());
  query->add_option("--top", top_, "At most this many results (stderr says when the hub had more)")->check(AtLeast(1));
  query->add_option("--page-size", page_size_, "Results per request (x-ms-max-item-count, 1..100)")
      ->check(CLI::Range(1, 100));
  On(query, [this](auto&, apps::ServiceHub& hub) {
    const auto query_page = [&](const ports::QueryPageRequest& page) {
      return hub.services().queries.Query(sql_, page);
    };
    const auto collected = CollectPages(query_page, static_cast<std::size_t>(top_), page_size_);
    if (!collected) return Fail(collected.error());
    NoteMore(*collected, top_);
    return output_.List(collected->items, QueryColumns(collected->item_type));
  });
}

void Commands::RegisterMethod(CLI::App& app) {
  auto* method = app.add_subcommand("method", "Direct methods");
  method->require_subcommand(1);
  auto* invoke = method->add_subcommand("invoke", "Call a direct method on a device or module and print its answer");
  AddIdentityArguments(invoke);
  invoke->add_option("method-name", method_, "The method")->required()->check(MethodName());
  AddModuleOption(invoke, "Call the method on this module of the device");
  invoke->add_option("--payload", payload_, "The payload as JSON or @FILE")
      ->capture_default_str()
      ->transform(JsonArgument(true));
  invoke->add_option("--timeout", timeout_, "Seconds to wait for the answer (responseTimeoutInSeconds, 5..300)")
      ->capture_default_str()
      ->check(CLI::Range(domain::kMinResponseTimeoutSeconds, domain::kMaxResponseTimeoutSeconds));
  invoke->add_option("--connect-timeout", connect_timeout_, "Seconds to wait for the device to connect (0..300)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, domain::kMaxConnectTimeoutSeconds));
  On(invoke, [this](boost::asio::io_context& io, apps::ServiceHub& hub) {
    const auto payload = ParseJsonArgument(payload_, "--payload");
    if (!payload) return Fail(payload.error());
    const auto request = domain::ParseMethodRequest({{"methodName", method_}, {"payload", *payload},
                                                     {"responseTimeoutInSeconds", timeout_},
                                                     {"connectTimeoutInSeconds", connect_timeout_}});
    if (!request) return Fail(request.error());
    bool done = false;
    int code = kExitFailed;
    hub.services().methods.InvokeMethod(Target(), *request, [&](domain::Result<domain::MethodResult> result) {
      code = result ? output_.Document(domain::ToJson(*result)) : Fail(result.error());
      done = true;
    });
    RunUntil(io, done);
    return code;
  });
}

}  // namespace offhub::cli
