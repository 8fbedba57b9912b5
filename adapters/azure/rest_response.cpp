#include "adapters/azure/rest_response.hpp"

#include "domain/json_text.hpp"

namespace offhub::azure {
namespace {

using nlohmann::json;

std::string Header(const HttpResponse& response, std::string_view name) {
  const auto it = response.find(name);
  return it == response.end() ? std::string() : std::string(it->value());
}

std::optional<domain::Error> HttpError(const HttpResponse& response) {
  const int status = static_cast<int>(response.result_int());
  if (status >= 200 && status < 300) return std::nullopt;
  return domain::ErrorFromResponse(status, Header(response, "iothub-errorcode"), response.body());
}

domain::Error Unexpected(const HttpResponse& response, std::string_view what) {
  std::string body = response.body().substr(0, 200);
  return {domain::ErrorCode::ServerError, "Unexpected answer from the hub (HTTP " +
                                              std::to_string(response.result_int()) + "): " + std::string(what) + ": " +
                                              body};
}

}  // namespace

domain::Result<json> JsonResult(const HttpResponse& response) {
  if (auto error = HttpError(response)) return *error;
  auto body = domain::ParseJsonText(response.body(), "the body");
  if (!body) return Unexpected(response, body.error().message());
  return body;
}

domain::Status EmptyResult(const HttpResponse& response) {
  if (auto error = HttpError(response)) return *error;
  return domain::Success();
}

domain::Result<ports::QueryPage> PageResult(const HttpResponse& response) {
  auto body = JsonResult(response);
  if (!body) return body.error();
  if (!body->is_array()) return Unexpected(response, "a query answer must be a JSON array");
  ports::QueryPage page;
  page.items = std::move(*body);
  if (auto continuation = Header(response, "x-ms-continuation"); !continuation.empty()) {
    page.continuation = std::move(continuation);
  }
  page.item_type = Header(response, "x-ms-item-type");
  return page;
}

domain::Result<domain::MethodResult> MethodResultOf(const HttpResponse& response) {
  if (auto error = HttpError(response)) return *error;
  // A device's answer that is not JSON arrives spliced in, as the hub sends it.
  auto result = domain::ParseMethodResultText(response.body());
  if (!result) return Unexpected(response, result.error().message());
  return result;
}

}  // namespace offhub::azure
