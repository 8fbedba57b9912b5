// `offhub device ...`: device identities in the registry, and what devices
// and modules share (regenerate-key, read-modify-write of an identity).
#include <utility>

#include "adapters/iothub/crypto.hpp"
#include "apps/offhub_cli/arguments.hpp"
#include "apps/offhub_cli/commands.hpp"
#include "domain/device.hpp"

namespace offhub::cli {
namespace {

using nlohmann::json;

// IoT Hub's key regeneration on a spec about to be PUT back: a new primary
// or secondary key (or both), or the two swapped.
domain::Status NewKeys(domain::DeviceSpec& spec, const std::string& which) {
  if (spec.authentication_type != "sas") {
    return domain::Error::ArgumentInvalid("'" + domain::IdentityKey(spec.device_id, spec.module_id) + "' uses " +
                                          spec.authentication_type + " authentication, not symmetric keys");
  }
  if (which == "swap") std::swap(spec.primary_key, spec.secondary_key);
  if (which == "primary" || which == "both") spec.primary_key = iothub::NewSymmetricKey();
  if (which == "secondary" || which == "both") spec.secondary_key = iothub::NewSymmetricKey();
  return domain::Success();
}

}  // namespace

int Commands::UpdateIdentity(apps::ServiceHub& hub,
                             const std::function<domain::Status(domain::DeviceSpec&)>& change) const {
  const auto target = Target();
  auto& registry = hub.services().registry;
  const auto identity = registry.GetIdentity(target);
  if (!identity) return Fail(identity.error());
  auto spec = target.is_module() ? domain::ParseModuleSpec(*identity, target.device_id, target.module_id)
                                 : domain::ParseDeviceSpec(*identity, target.device_id);
  if (!spec) return Fail(spec.error());
  if (auto changed = change(*spec); !changed) return Fail(changed.error());
  const std::string etag = etag_.empty() ? identity->value("etag", std::string("*")) : etag_;
  return Show(registry.PutIdentity(*spec, etag));
}

void Commands::RegisterRegenerateKey(CLI::App& parent, bool module) {
  auto* regenerate = parent.add_subcommand(
      "regenerate-key", std::string("New random symmetric keys for a ") + (module ? "module" : "device") +
                            ", or its two keys swapped; prints the identity with its keys");
  AddIdentityArguments(regenerate, module);
  regenerate->add_option("--key", key_, "primary, secondary, both (new random keys) or swap (exchange the two)")
      ->required()
      ->transform(Choice({"primary", "secondary", "both", "swap"}));
  regenerate->add_option("--etag", etag_, "Update only if the identity's etag is this (default: the etag just read)");
  On(regenerate, [this](auto&, apps::ServiceHub& hub) {
    return UpdateIdentity(hub, [this](domain::DeviceSpec& spec) { return NewKeys(spec, key_); });
  });
}

void Commands::RegisterDeviceUpdate(CLI::App& device) {
  auto* update = device.add_subcommand("update", "Enable or disable a device (--status), say why (--status-reason)");
  AddIdentityArguments(update);
  auto* status = update->add_option("--status", status_, "enabled or disabled (a disabled device cannot connect)")
                     ->transform(Choice({"enabled", "disabled"}));
  auto* reason = update->add_option("--status-reason", status_reason_, "Why (the device's statusReason)");
  update->add_option("--etag", etag_, "Update only if the device's etag is this (default: the etag just read)");
  update->callback([status, reason] {
    if (status->count() == 0 && reason->count() == 0) Usage("--status", "give --status and/or --status-reason");
  });
  On(update, [this](auto&, apps::ServiceHub& hub) {
    return UpdateIdentity(hub, [this](domain::DeviceSpec& spec) {
      if (status_) spec.status = domain::ParseDeviceStatus(*status_).value_or(spec.status);
      if (status_reason_) spec.status_reason = *status_reason_;
      return domain::Success();
    });
  });
}

void Commands::RegisterDevice(CLI::App& app) {
  auto* device = app.add_subcommand("device", "Device identities in the registry");
  device->require_subcommand(1);
  auto* create = device->add_subcommand("create", "Register a device (keys generated unless given)");
  AddIdentityArguments(create);
  create->add_option("--status", status_, "enabled (default) or disabled")->transform(Choice({"enabled", "disabled"}));
  create->add_option("--status-reason", status_reason_, "Why (the device's statusReason)");
  create->add_option("--primary-key", primary_key_, "base64 key (16 to 64 bytes)")->check(SymmetricKey());
  create->add_option("--secondary-key", secondary_key_, "base64 key (16 to 64 bytes)")->check(SymmetricKey());
  On(create, [this](auto&, apps::ServiceHub& hub) {
    const json keys = {{"primaryKey", primary_key_}, {"secondaryKey", secondary_key_}};
    json body = {{"deviceId", id_},
                 {"status", status_.value_or("enabled")},
                 {"authentication", {{"type", "sas"}, {"symmetricKey", keys}}}};
    if (status_reason_) body["statusReason"] = *status_reason_;
    const auto spec = domain::ParseDeviceSpec(body, id_);
    if (!spec) return Fail(spec.error());
    return Show(hub.services().registry.PutIdentity(*spec, std::nullopt));
  });
  auto* show = device->add_subcommand("show", "Show a device");
  AddIdentityArguments(show);
  On(show, [this](auto&, apps::ServiceHub& hub) { return Show(hub.services().registry.GetIdentity(Target())); });
  RegisterDeviceUpdate(*device);
  RegisterRegenerateKey(*device, false);
  auto* connection = device->add_subcommand(
      "connection-string", "Print a device's connection string (primary key): bare text, or JSON with --output json");
  AddIdentityArguments(connection);
  On(connection, [this](auto&, apps::ServiceHub& hub) { return ShowConnectionString(hub); });
  auto* list = device->add_subcommand("list", "List devices");
  list->add_option("--top", top_, "At most this many (1..1000; default 1000)")->check(CLI::Range(1, 1000));
  On(list, [this](auto&, apps::ServiceHub& hub) {
    const auto devices = hub.services().registry.ListDevices(static_cast<std::size_t>(top_));
    return devices ? output_.List(*devices, DeviceColumns()) : Fail(devices.error());
  });
  auto* remove = device->add_subcommand("delete", "Delete a device");
  AddIdentityArguments(remove);
  remove->add_option("--etag", etag_, "Delete only if the device's etag is this");
  On(remove, [this](auto&, apps::ServiceHub& hub) {
    const auto deleted = hub.services().registry.DeleteIdentity(Target(), IfMatch(etag_).value_or("*"));
    return deleted ? output_.Document(json{{"deleted", id_}}) : Fail(deleted.error());
  });
}

}  // namespace offhub::cli
