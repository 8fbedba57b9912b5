// Mosquitto 2.0 plugin entry points (plugin API v5). Thin by design: each
// callback translates the broker's event into a BrokerCore call and carries
// out what the core queued. All state lives in the PluginContext passed as
// userdata. See broker_core.hpp for the behaviour.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "broker_core.hpp"

namespace {

using offhub::broker::AuthResult;
using offhub::broker::BrokerCore;
using offhub::broker::KickReasonName;

constexpr char kSinkTopic[] = "$offhub/consumed";

struct PluginContext {
  mosquitto_plugin_id_t* id = nullptr;
  BrokerCore core;
  std::string sessions_file;  // empty: persistent sessions are not kept across restarts
};

std::string_view OrEmpty(const char* text) { return text ? std::string_view(text) : std::string_view(); }

std::int64_t NowSeconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Flush(PluginContext& ctx) {
  for (const auto& out : ctx.core.TakeOutbox()) {
    const int rc =
        mosquitto_broker_publish_copy(out.client_id.c_str(), out.topic.c_str(), static_cast<int>(out.payload.size()),
                                      out.payload.data(), out.qos, false, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) mosquitto_log_printf(MOSQ_LOG_WARNING, "offhub: cannot publish %s", out.topic.c_str());
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

// Written beside and renamed over the old one, so a kill never leaves half a file.
void SaveSessions(PluginContext& ctx) {
  if (ctx.sessions_file.empty()) return;
  const auto document = ctx.core.TakeSessionsSnapshot();
  if (!document) return;
  const std::string temporary = ctx.sessions_file + ".new";
  std::ofstream(temporary, std::ios::trunc) << *document;
  if (std::rename(temporary.c_str(), ctx.sessions_file.c_str()) != 0) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "offhub: cannot write %s", ctx.sessions_file.c_str());
  }
}

// Persistence on: the sessions document now, and mosquitto's database at the
// start of its next main-loop pass. SIGUSR1 is mosquitto's documented "save
// the database now" (mosquitto(8)); its handler only sets a flag.
void SavePersistentState(PluginContext& ctx) {
  if (ctx.sessions_file.empty()) return;
  SaveSessions(ctx);
  std::raise(SIGUSR1);
}

// Kicks are carried out only here, never inside a client's own packet: on
// 2.0.11, kicking the client whose PUBLISH is being handled makes the broker
// go on with a torn-down client (a second disconnect event, without a client
// id). The tick runs at the end of every main-loop pass, so the delay is
// only the rest of that pass; the core refuses the client's traffic meanwhile.
int OnTick(int, void*, void* userdata) {
  auto& ctx = *static_cast<PluginContext*>(userdata);
  // The event's own time fields are left zero by 2.0.11.
  ctx.core.ExpireTokens(NowSeconds());
  for (const auto& kick : ctx.core.TakeKicks()) {
    const std::string_view why = KickReasonName(kick.reason);
    // Warnings: the broker's default log level, so a user sees why a device went.
    mosquitto_log_printf(MOSQ_LOG_WARNING, "offhub: disconnecting client '%s': %.*s", kick.client_id.c_str(),
                         static_cast<int>(why.size()), why.data());
    mosquitto_kick_client_by_clientid(kick.client_id.c_str(), false);
  }
  Flush(ctx);
  if (ctx.core.SaveDue(NowMillis())) SavePersistentState(ctx);
  return MOSQ_ERR_SUCCESS;
}

int OnBasicAuth(int, void* event_data, void* userdata) {
  auto& ctx = *static_cast<PluginContext*>(userdata);
  const auto& ed = *static_cast<mosquitto_evt_basic_auth*>(event_data);
  const BrokerCore::Connect connect{ed.client, OrEmpty(mosquitto_client_id(ed.client)), OrEmpty(ed.username),
                                    OrEmpty(ed.password), mosquitto_client_clean_session(ed.client)};
  const AuthResult result = ctx.core.Authenticate(connect, NowSeconds());
  Flush(ctx);
  if (result == AuthResult::kAccepted) return MOSQ_ERR_SUCCESS;
  mosquitto_log_printf(MOSQ_LOG_WARNING, "offhub: refused client '%.*s': %.*s",
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
// 2.0.11 raises this event for a QoS 2 PUBLISH when it arrives, before
// PUBREC/PUBREL; a denied one is never stored, so PUBREL releases nothing.
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
  const std::size_t loaded = ctx.core.LoadKeys(ReadFile(path));
  mosquitto_log_printf(MOSQ_LOG_INFO, "offhub: loaded keys of %zu devices from %s", loaded, path.c_str());
}

void LoadSessionsFile(PluginContext& ctx) {
  if (ctx.sessions_file.empty()) return;
  const std::size_t loaded = ctx.core.LoadSessions(ReadFile(ctx.sessions_file));
  mosquitto_log_printf(MOSQ_LOG_INFO, "offhub: %zu persistent sessions from %s", loaded, ctx.sessions_file.c_str());
}

struct Callback {
  int event;
  MOSQ_FUNC_generic_callback function;
};
// The last-resort guard: nothing may unwind into the broker's C code. A
// callback that throws logs and refuses (auth, ACL, message) or does nothing.
template <int (*Fn)(int, void*, void*), int kOnError>
int Guarded(int event, void* event_data, void* userdata) noexcept {
  try {
    return Fn(event, event_data, userdata);
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "offhub: unexpected error: %s", e.what());
  } catch (...) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "offhub: unexpected error");
  }
  return kOnError;
}

constexpr Callback kCallbacks[] = {{MOSQ_EVT_BASIC_AUTH, Guarded<OnBasicAuth, MOSQ_ERR_AUTH>},
                                   {MOSQ_EVT_ACL_CHECK, Guarded<OnAclCheck, MOSQ_ERR_ACL_DENIED>},
                                   {MOSQ_EVT_MESSAGE, Guarded<OnMessage, MOSQ_ERR_ACL_DENIED>},
                                   {MOSQ_EVT_DISCONNECT, Guarded<OnDisconnect, MOSQ_ERR_SUCCESS>},
                                   {MOSQ_EVT_TICK, Guarded<OnTick, MOSQ_ERR_SUCCESS>}};

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
  std::string sessions_file = parsed->sessions_file;
  auto* ctx = new (std::nothrow) PluginContext{identifier, BrokerCore(std::move(*parsed)), std::move(sessions_file)};
  if (!ctx) return MOSQ_ERR_NOMEM;
  *userdata = ctx;
  if (!keys_file.empty()) LoadKeysFile(*ctx, keys_file);
  LoadSessionsFile(*ctx);
  for (const auto& cb : kCallbacks) {
    const int rc = mosquitto_callback_register(identifier, cb.event, cb.function, nullptr, ctx);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
  }
  return MOSQ_ERR_SUCCESS;
}

OFFHUB_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  auto* ctx = static_cast<PluginContext*>(userdata);
  if (!ctx) return MOSQ_ERR_SUCCESS;
  for (const auto& cb : kCallbacks) mosquitto_callback_unregister(ctx->id, cb.event, cb.function, nullptr);
  SaveSessions(*ctx);
  delete ctx;
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
