#include "apps/offhub_fleet/method_replies.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "domain/json_text.hpp"
#include "domain/method_request.hpp"

namespace offhub::fleet {
namespace {

using nlohmann::json;

constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;
constexpr int kMaxLatencyMs = 300'000;

domain::Error Invalid(std::string message) { return domain::Error::ArgumentInvalid(std::move(message)); }

domain::Status CheckName(std::string_view name) {
  if (name == kAnyMethod) return domain::Success();
  if (auto valid = domain::ValidateMethodName(name); !valid) {
    return Invalid("method name '" + std::string(name) + "': " + valid.error().message());
  }
  return domain::Success();
}

domain::Error OutOfRange(const std::string& what, int min, int max, std::string_view given) {
  return Invalid(what + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max) + ", not '" +
                 std::string(given) + "'");
}

domain::Result<int> ParseInt(std::string_view text, int min, int max, const std::string& what) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return OutOfRange(what, min, max, text);
  }
  return value;
}

domain::Result<int> IntMember(const json& value, int min, int max, const std::string& what) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < min || value.get<std::int64_t>() > max) {
    return OutOfRange(what, min, max, value.dump());
  }
  return value.get<int>();
}

domain::Result<std::string> CheckPayload(const json& payload, const std::string& name) {
  std::string text = payload.dump();
  if (text.size() > domain::kMaxPayloadBytes) {
    return Invalid("payload of method '" + name + "' is over " + std::to_string(domain::kMaxPayloadBytes) + " bytes");
  }
  return text;
}

domain::Result<std::string> ParsePayload(std::string_view text, const std::string& name) {
  const auto payload = domain::ParseJsonText(text, "payload");
  if (!payload) return Invalid("payload of method '" + name + "' is not JSON: " + std::string(text));
  return CheckPayload(*payload, name);
}

// Splits "a:b:rest" into at most three fields; the last keeps its ':'s.
std::vector<std::string_view> SplitReply(std::string_view text) {
  std::vector<std::string_view> fields;
  while (fields.size() < 2) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) break;
    fields.push_back(text.substr(0, colon));
    text.remove_prefix(colon + 1);
  }
  fields.push_back(text);
  return fields;
}

domain::Result<MethodReply> ReplyFromJson(const json& body, const std::string& name) {
  if (!body.is_object()) return Invalid("the reply of method '" + name + "' must be a JSON object");
  MethodReply reply;
  for (const auto& [key, value] : body.items()) {
    if (key == "payload") {
      auto payload = CheckPayload(value, name);
      if (!payload) return payload.error();
      reply.payload = *payload;
      continue;
    }
    const bool status = key == "status";
    if (!status && key != "latencyMs") {
      return Invalid("method '" + name + "': unknown member '" + key + "' (status, latencyMs, payload)");
    }
    auto number = IntMember(value, status ? kMinStatus : 0, status ? kMaxStatus : kMaxLatencyMs,
                            "the " + key + " of method '" + name + "'");
    if (!number) return number.error();
    (status ? reply.status : reply.latency_ms) = *number;
  }
  return reply;
}

}  // namespace

MethodReplies::MethodReplies() {
  replies_.emplace(std::string(kAnyMethod), MethodReply{});
  not_implemented_.status = 501;
  not_implemented_.payload = R"({"message":"offhub-fleet: no reply configured for this method"})";
}

void MethodReplies::Set(std::string name, MethodReply reply) {
  if (defaults_) replies_.clear();
  defaults_ = false;
  replies_.insert_or_assign(std::move(name), std::move(reply));
}

const MethodReply& MethodReplies::For(std::string_view name) const {
  if (auto it = replies_.find(name); it != replies_.end()) return it->second;
  if (auto it = replies_.find(kAnyMethod); it != replies_.end()) return it->second;
  return not_implemented_;
}

std::string MethodReplies::Describe() const {
  std::string out;
  for (const auto& [name, reply] : replies_) {
    if (!out.empty()) out += ", ";
    out += name + "=" + std::to_string(reply.status) + ":" + std::to_string(reply.latency_ms) + ":" + reply.payload;
  }
  return out;
}

domain::Result<std::pair<std::string, MethodReply>> ParseMethodSpec(std::string_view spec) {
  const auto equals = spec.find('=');
  std::string name(spec.substr(0, equals));
  if (auto valid = CheckName(name); !valid) return valid.error();
  MethodReply reply;
  if (equals == std::string_view::npos) return std::pair{std::move(name), reply};
  const auto fields = SplitReply(spec.substr(equals + 1));
  auto status = ParseInt(fields[0], kMinStatus, kMaxStatus, "the status of method '" + name + "'");
  if (!status) return status.error();
  reply.status = *status;
  if (fields.size() > 1) {
    auto latency = ParseInt(fields[1], 0, kMaxLatencyMs, "the latency (ms) of method '" + name + "'");
    if (!latency) return latency.error();
    reply.latency_ms = *latency;
  }
  if (fields.size() > 2) {
    auto payload = ParsePayload(fields[2], name);
    if (!payload) return payload.error();
    reply.payload = std::move(*payload);
  }
  return std::pair{std::move(name), reply};
}

domain::Result<MethodReplies> ParseMethodsJson(std::string_view text) {
  const auto parsed = domain::ParseJsonText(text, "methods");
  const json body = parsed.ok() ? *parsed : json();
  if (!body.is_object()) return Invalid("not a JSON object of method name -> reply");
  MethodReplies replies;
  for (const auto& [name, value] : body.items()) {
    if (auto valid = CheckName(name); !valid) return valid.error();
    auto reply = ReplyFromJson(value, name);
    if (!reply) return reply.error();
    replies.Set(name, *reply);
  }
  return replies;
}

}  // namespace offhub::fleet
