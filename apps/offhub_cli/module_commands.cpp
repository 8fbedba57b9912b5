// `offhub module ...`: module identities of a device, mirroring `offhub device ...`.
#include "apps/offhub_cli/command_support.hpp"
#include "apps/offhub_cli/commands.hpp"
#include "domain/device.hpp"

namespace offhub::cli {

using nlohmann::json;

void Commands::RegisterModule(CLI::App& app) {
  auto* module = app.add_subcommand("module", "Module identities of a device");
  module->require_subcommand(1);
  const auto add_ids = [this](CLI::App* command) {
    command->add_option("device-id", id_, "The device id")->required();
    command->add_option("module-id", module_, "The module id")->required();
  };

  auto* create = module->add_subcommand("create", "Register a module of a device (keys generated unless given)");
  add_ids(create);
  create->add_option("--primary-key", primary_key_, "base64 key");
  create->add_option("--secondary-key", secondary_key_, "base64 key");
  On(create, [this](auto&, apps::ServiceHub& hub) {
    const json body = {
        {"deviceId", id_},
        {"moduleId", module_.value_or("")},
        {"authentication",
         {{"type", "sas"}, {"symmetricKey", {{"primaryKey", primary_key_}, {"secondaryKey", secondary_key_}}}}}};
    const auto spec = domain::ParseModuleSpec(body, id_, module_.value_or(""));
    if (!spec) return Fail(spec.error());
    return PrintOr(hub.services().registry.PutIdentity(*spec, std::nullopt));
  });

  auto* show = module->add_subcommand("show", "Show a module");
  add_ids(show);
  On(show, [this](auto&, apps::ServiceHub& hub) {
    const auto module = Module();
    if (!module) return Fail(module.error());
    return PrintOr(hub.services().registry.GetIdentity(ports::Identity::Module(id_, **module)));
  });

  auto* connection = module->add_subcommand("connection-string", "Print a module's connection string (primary key)");
  add_ids(connection);
  On(connection, [this](auto&, apps::ServiceHub& hub) {
    const auto module = Module();
    if (!module) return Fail(module.error());
    const auto identity = hub.services().registry.GetIdentity(ports::Identity::Module(id_, **module));
    if (!identity) return Fail(identity.error());
    const auto text = ConnectionString(hub.host_name(), *identity);
    return text ? Print(json{{"connectionString", *text}}) : Fail(text.error());
  });

  auto* list = module->add_subcommand("list", "List a device's modules");
  list->add_option("device-id", id_, "The device id")->required();
  On(list, [this](auto&, apps::ServiceHub& hub) { return PrintOr(hub.services().registry.ListModules(id_)); });

  auto* remove = module->add_subcommand("delete", "Delete a module");
  add_ids(remove);
  remove->add_option("--etag", etag_, "Delete only if the module's etag is this");
  On(remove, [this](auto&, apps::ServiceHub& hub) {
    const auto module = Module();
    if (!module) return Fail(module.error());
    const auto deleted = hub.services().registry.DeleteIdentity(ports::Identity::Module(id_, **module), IfMatch(etag_).value_or("*"));
    return deleted ? Print(json{{"deleted", domain::IdentityKey(id_, **module)}}) : Fail(deleted.error());
  });
}

}  // namespace offhub::cli
