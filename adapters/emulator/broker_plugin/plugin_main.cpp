// Mosquitto 2.0 plugin entry points (plugin API v5). Thin by design: each
// callback translates the broker's event into a BrokerCore call and carries
// out what the core queued. All state lives in the PluginContext passed as
// userdata. See broker_core.hpp for the behaviour.

#include <ctime>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "broker_core.hpp"

namespace {

using offhub::broker::AuthResult;
using offhub::broker::BrokerCore;

constexpr char kSinkTopic[] = "$offhub/consumed";

struct PluginContext {
  mosquitto_plugin_id_t* id = nullptr;
  BrokerCore core;
};

std::string_view OrEmpty(const char* text) { return text ? std::string_view(text) : std::string_view(); }

void Flush(PluginContext& ctx) {
  for (const auto& out : ctx.core.TakeOutbox()) {
    const int rc =
        mosquitto_broker_publish_copy(out.client_id.c_str(), out.topic.c_str(), static_cast<int>(out.payload.size()),
                                      out.payload.data(), out.qos, false, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) mosquitto_log_printf(MOSQ_LOG_WARNING, "offhub: cannot publish %s", out.topic.c_str());
  }
  for (const auto& id : ctx.core.TakeKicks()) mosquitto_kick_client_by_clientid(id.c_str(), false);
}

int OnBasicAuth(int, void* event_data, void* userdata) {
  auto& ctx = *static_cast<PluginContext*>(userdata);
  const auto& ed = *static_cast<mosquitto_evt_basic_auth*>(event_data);
  const BrokerCore::Connect connect{ed.client, OrEmpty(mosquitto_client_id(ed.client)), OrEmpty(ed.username),
                                    OrEmpty(ed.password), mosquitto_client_clean_session(ed.client)};
  const AuthResult result = ctx.core.Authenticate(connect, static_cast<std::int64_t>(std::time(nullptr)));
  Flush(ctx);
  if (result == AuthResult::kAccepted) return MOSQ_ERR_SUCCESS;
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "offhub: refused client '%.*s': %.*s",
                       static_cast<int>(connect.client_id.size()), connect.client_id.data(),
                       static_cast<int>(AuthResultName(result).size()), AuthResultName(result).data());
  return MOSQ_ERR_AUTH;
}

BrokerCore::Access ToAccess(int access) {
  switch (access) {
    case MOSQ_ACL_READ: return BrokerCore::Access::kRead;
    case MOSQ_ACL_SUBSCRIBE: return BrokerCore::Access::kSubscribe;
    case MOSQ_ACL_UNSUBSCRIBE: return BrokerCore::Access::kUnsubscribe;
    default: return BrokerCore::Access::kWrite;
  }
}

int OnAclCheck(int, void* event_data, void* userdata) {
  auto& ctx = *static_cast<PluginContext*>(userdata);
  const auto& ed = *static_cast<mosquitto_evt_acl_check*>(event_data);
  const bool allowed = ctx.core.Allow(OrEmpty(mosquitto_client_id(ed.client)), OrEmpty(ed.topic), ToAccess(ed.access));
  Flush(ctx);
  return allowed ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
}

// Every publish is consumed. MQTT 3.1.1 clients still get their PUBACK when
// the original is denied; MQTT 5 clients would see reason 0x87, so for them
// the original is re-pointed at a topic nobody can subscribe to instead.
int OnMessage(int, void* event_data, void* userdata) {
  auto& ctx = *static_cast<PluginContext*>(userdata);
  auto& ed = *static_cast<mosquitto_evt_message*>(event_data);
  const std::string_view payload(static_cast<const char*>(ed.payload), ed.payload ? ed.payloadlen : 0);
  ctx.core.Consume(OrEmpty(mosquitto_client_id(ed.client)), OrEmpty(ed.topic), payload, ed.qos);
  Flush(ctx);
  if (mosquitto_client_protocol_version(ed.client) != 5) return MOSQ_ERR_ACL_DENIED;
  char* sink = mosquitto_strdup(kSinkTopic);
  if (!sink) return MOSQ_ERR_ACL_DENIED;
  mosquitto_free(ed.topic);
  ed.topic = sink;
  ed.retain = false;
  return MOSQ_ERR_SUCCESS;
}

int OnDisconnect(int, void* event_data, void* userdata) {
  auto& ctx = *static_cast<PluginContext*>(userdata);
  const auto& ed = *static_cast<mosquitto_evt_disconnect*>(event_data);
  ctx.core.Disconnected(ed.client, OrEmpty(mosquitto_client_id(ed.client)));
  Flush(ctx);
  return MOSQ_ERR_SUCCESS;
}

void LoadKeysFile(PluginContext& ctx, const std::string& path) {
  std::ifstream file(path);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const std::size_t loaded = ctx.core.LoadKeys(text);
  mosquitto_log_printf(MOSQ_LOG_INFO, "offhub: loaded keys of %zu devices from %s", loaded, path.c_str());
}

}  // namespace

#define OFFHUB_PLUGIN_EXPORT __attribute__((visibility("default")))

extern "C" {

OFFHUB_PLUGIN_EXPORT int mosquitto_plugin_version(int supported_version_count, const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5) return 5;
  }
  return -1;
}

OFFHUB_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                               struct mosquitto_opt* options, int option_count) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < option_count; ++i) pairs.emplace_back(OrEmpty(options[i].key), OrEmpty(options[i].value));
  auto parsed = offhub::broker::ParsePluginOptions(pairs);
  if (!parsed) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "offhub: plugin_opt_hub_username and plugin_opt_hub_password are required");
    return MOSQ_ERR_INVAL;
  }
  const std::string keys_file = parsed->keys_file;
  auto* ctx = new (std::nothrow) PluginContext{identifier, BrokerCore(std::move(*parsed))};
  if (!ctx) return MOSQ_ERR_NOMEM;
  *userdata = ctx;
  if (!keys_file.empty()) LoadKeysFile(*ctx, keys_file);
  const struct {
    int event;
    MOSQ_FUNC_generic_callback callback;
  } kCallbacks[] = {{MOSQ_EVT_BASIC_AUTH, OnBasicAuth},
                    {MOSQ_EVT_ACL_CHECK, OnAclCheck},
                    {MOSQ_EVT_MESSAGE, OnMessage},
                    {MOSQ_EVT_DISCONNECT, OnDisconnect}};
  for (const auto& cb : kCallbacks) {
    const int rc = mosquitto_callback_register(identifier, cb.event, cb.callback, nullptr, ctx);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
  }
  return MOSQ_ERR_SUCCESS;
}

OFFHUB_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  auto* ctx = static_cast<PluginContext*>(userdata);
  if (!ctx) return MOSQ_ERR_SUCCESS;
  mosquitto_callback_unregister(ctx->id, MOSQ_EVT_BASIC_AUTH, OnBasicAuth, nullptr);
  mosquitto_callback_unregister(ctx->id, MOSQ_EVT_ACL_CHECK, OnAclCheck, nullptr);
  mosquitto_callback_unregister(ctx->id, MOSQ_EVT_MESSAGE, OnMessage, nullptr);
  mosquitto_callback_unregister(ctx->id, MOSQ_EVT_DISCONNECT, OnDisconnect, nullptr);
  delete ctx;
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
