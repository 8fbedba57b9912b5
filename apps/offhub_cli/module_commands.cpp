// `offhub module ...`: module identities of a device, mirroring `offhub device ...`.
#include "apps/offhub_cli/arguments.hpp"
#include "apps/offhub_cli/command_support.hpp"
#include "apps/offhub_cli/commands.hpp"
#include "domain/device.hpp"

namespace offhub::cli {

using nlohmann::json;

void Commands::RegisterModule(CLI::App& app) {
  auto* module = app.add_subcommand("module", "Module identities of a device");
  module->require_subcommand(1);

  auto* create = module->add_subcommand("create", "Register a module of a device (keys generated unless given)");
  AddIdentityArguments(create, true);
  create->add_option("--primary-key", primary_key_, "base64 key (16 to 64 bytes)")->check(SymmetricKey());
  create->add_option("--secondary-key", secondary_key_, "base64 key (16 to 64 bytes)")->check(SymmetricKey());
  On(create, [this](auto&, apps::ServiceHub& hub) {
    const json body = {
        {"deviceId", id_},
        {"moduleId", module_.value_or("")},
        {"authentication",
         {{"type", "sas"}, {"symmetricKey", {{"primaryKey", primary_key_}, {"secondaryKey", secondary_key_}}}}}};
    const auto spec = domain::ParseModuleSpec(body, id_, module_.value_or(""));
    if (!spec) return Fail(spec.error());
    return Show(hub.services().registry.PutIdentity(*spec, std::nullopt));
  });

  auto* show = module->add_subcommand("show", "Show a module");
  AddIdentityArguments(show, true);
  On(show, [this](auto&, apps::ServiceHub& hub) { return Show(hub.services().registry.GetIdentity(Target())); });

  RegisterRegenerateKey(*module, true);

  auto* connection = module->add_subcommand(
      "connection-string", "Print a module's connection string (primary key): bare text, or JSON with --output json");
  AddIdentityArguments(connection, true);
  On(connection, [this](auto&, apps::ServiceHub& hub) { return ShowConnectionString(hub); });

  auto* list = module->add_subcommand("list", "List a device's modules");
  AddIdentityArguments(list);
  On(list, [this](auto&, apps::ServiceHub& hub) {
    const auto modules = hub.services().registry.ListModules(id_);
    return modules ? output_.List(*modules, ModuleColumns()) : Fail(modules.error());
  });

  auto* remove = module->add_subcommand("delete", "Delete a module");
  AddIdentityArguments(remove, true);
  remove->add_option("--etag", etag_, "Delete only if the module's etag is this");
  On(remove, [this](auto&, apps::ServiceHub& hub) {
    const auto deleted = hub.services().registry.DeleteIdentity(Target(), IfMatch(etag_).value_or("*"));
    return deleted ? output_.Document(json{{"deleted", Target().key()}}) : Fail(deleted.error());
  });
}

}  // namespace offhub::cli
