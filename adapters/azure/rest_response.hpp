#pragma once
// IoT Hub REST answers read back into the service ports' results: the one place the
// Azure adapter translates HTTP into domain errors. Internal.
//
// - Status >= 300: domain::ErrorFromResponse(status, iothub-errorcode, body),
//   which reads both of IoT Hub's error envelopes.
// - A 2xx whose body is not the JSON expected: 500001 ServerError naming
//   what was wrong (the hub, or whatever answered for it, misbehaved).
// - Query pages: the bare JSON array, x-ms-continuation (an empty header is
//   read as "no more pages", so a sloppy server cannot make us loop) and
//   x-ms-item-type.

#include <nlohmann/json.hpp>

#include "adapters/azure/rest_request.hpp"
#include "domain/method_result.hpp"
#include "ports/hub_services.hpp"

namespace offhub::azure {

domain::Result<nlohmann::json> JsonResult(const HttpResponse& response);
domain::Status EmptyResult(const HttpResponse& response);
domain::Result<ports::QueryPage> PageResult(const HttpResponse& response);
domain::Result<domain::MethodResult> MethodResultOf(const HttpResponse& response);

}  // namespace offhub::azure
