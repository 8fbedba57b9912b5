#include "adapters/emulator/control/device_faults.hpp"

#include <array>
#include <utility>

#include "adapters/emulator/control/document_fields.hpp"
#include "domain/json_text.hpp"

namespace offhub::emulator {
namespace {

using domain::Error;
using domain::ErrorCode;
using nlohmann::json;

// The statuses a reported patch may be answered with, each with IoT Hub's error for it.
constexpr std::array<std::pair<int, ErrorCode>, 10> kReportedErrors{{
    {400, ErrorCode::ArgumentInvalid},
    {401, ErrorCode::IotHubUnauthorized},
    {403, ErrorCode::IotHubQuotaExceeded},
    {404, ErrorCode::DeviceNotFound},
    {412, ErrorCode::PreconditionFailed},
    {413, ErrorCode::MessageTooLarge},
    {429, ErrorCode::ThrottlingException},
    {500, ErrorCode::ServerError},
    {503, ErrorCode::ServiceUnavailable},
    {504, ErrorCode::GatewayTimeout},
}};

bool IsInteger(const json& value) { return value.is_number_integer() || value.is_number_unsigned(); }

domain::Result<MethodFault> ParseMethodFault(const json& body, const std::string& path) {
  if (!body.is_object()) return At(path, "must be an object {\"latencyMs\"?,\"status\"?,\"payload\"?,\"drop\"?}");
  if (auto s = OnlyFields(body, path, {"latencyMs", "status", "payload", "drop"}); !s) return s.error();
  MethodFault fault;
  if (const auto it = body.find("latencyMs"); it != body.end()) {
    if (!IsInteger(*it) || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > kMaxFaultLatencyMs) {
      return At(path + ".latencyMs", "must be an integer from 0 to " + std::to_string(kMaxFaultLatencyMs));
    }
    fault.latency_ms = it->get<std::int64_t>();
  }
  if (const auto it = body.find("status"); it != body.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < INT32_MIN || it->get<std::int64_t>() > INT32_MAX) {
      return At(path + ".status", "must be a 32-bit integer (the status a device would answer)");
    }
    fault.status = static_cast<int>(it->get<std::int64_t>());
  }
  if (const auto it = body.find("payload"); it != body.end()) {
    if (!fault.status) return At(path + ".payload", "needs \"status\" (an answer for the device)");
    if (domain::DumpJson(*it).size() > kMaxFaultPayloadBytes) {
      return At(path + ".payload", "is over IoT Hub's 128 KB method payload limit");
    }
    fault.payload = *it;
  }
  if (const auto it = body.find("drop"); it != body.end()) {
    if (!it->is_boolean()) return At(path + ".drop", "must be true or false");
    fault.drop = it->get<bool>();
    if (fault.drop && fault.status) return At(path + ".drop", "excludes \"status\": a dropped call has no answer");
  }
  return fault;
}

}  // namespace

const MethodFault* DeviceFaults::ForMethod(std::string_view method) const {
  if (const auto it = methods.find(method); it != methods.end()) return &it->second;
  if (const auto it = methods.find("*"); it != methods.end()) return &it->second;
  return nullptr;
}

domain::Result<FaultRequest> ParseFaultRequest(const json& body, const std::string& path) {
  if (!body.is_object()) {
    return At(path, "faults must be a JSON object {\"connect\"?,\"disconnect\"?,\"methods\"?,\"desired\"?,\"reported\"?}");
  }
  if (auto s = OnlyFields(body, path, {"connect", "disconnect", "methods", "desired", "reported"}); !s) return s.error();
  FaultRequest request;
  auto& faults = request.faults;
  if (const auto it = body.find("connect"); it != body.end()) {
    if (*it != "refuse") return At(path + ".connect", "must be \"refuse\"");
    faults.refuse_connect = true;
  }
  if (const auto it = body.find("disconnect"); it != body.end()) {
    if (!it->is_boolean()) return At(path + ".disconnect", "must be true or false");
    request.disconnect = it->get<bool>();
  }
  if (const auto it = body.find("methods"); it != body.end()) {
    if (!it->is_object()) return At(path + ".methods", "must be an object of method name (or \"*\") to fault");
    for (const auto& [name, value] : it->items()) {
      const std::string method_path = path + ".methods[" + domain::DumpJson(name) + "]";
      if (name.empty() || name.size() > 128) return At(method_path, "a method name has 1 to 128 characters");
      auto fault = ParseMethodFault(value, method_path);
      if (!fault) return fault.error();
      faults.methods.emplace(name, std::move(*fault));
    }
  }
  if (const auto it = body.find("desired"); it != body.end()) {
    if (*it != "drop") return At(path + ".desired", "must be \"drop\"");
    faults.drop_desired = true;
  }
  if (const auto it = body.find("reported"); it != body.end()) {
    const std::string reported_path = path + ".reported";
    if (!it->is_object()) return At(reported_path, "must be an object {\"status\":N}");
    if (auto s = OnlyFields(*it, reported_path, {"status"}); !s) return s.error();
    const auto status = it->find("status");
    const auto known = [&]() -> const std::pair<int, ErrorCode>* {
      if (status == it->end() || !status->is_number_integer()) return nullptr;
      for (const auto& entry : kReportedErrors) {
        if (*status == entry.first) return &entry;
      }
      return nullptr;
    }();
    if (!known) return At(reported_path + ".status", "must be one of 400, 401, 403, 404, 412, 413, 429, 500, 503, 504");
    faults.reported_error = known->second;
  }
  return request;
}

json FaultsJson(const DeviceFaults& faults) {
  json out = json::object();
  if (faults.refuse_connect) out["connect"] = "refuse";
  if (!faults.methods.empty()) {
    json& methods = out["methods"] = json::object();
    for (const auto& [name, fault] : faults.methods) {
      json entry = json::object();
      if (fault.latency_ms) entry["latencyMs"] = fault.latency_ms;
      if (fault.status) entry["status"] = *fault.status;
      if (fault.status && !fault.payload.is_null()) entry["payload"] = fault.payload;
      if (fault.drop) entry["drop"] = true;
      methods[name] = std::move(entry);
    }
  }
  if (faults.drop_desired) out["desired"] = "drop";
  if (faults.reported_error) out["reported"] = {{"status", static_cast<int>(*faults.reported_error) / 1000}};
  return out;
}

}  // namespace offhub::emulator
