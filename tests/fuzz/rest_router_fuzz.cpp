// Fuzz target `rest_router`: request bytes as a client sends them on one
// connection, read by Beast's request_parser as the REST session reads them
// (http_server.cpp: body limit kMaxBodyBytes + 1, parse errors answered with
// the registry envelope) and handed to Router::Handle over the seeded FuzzHub.
//
// Input: byte 0 picks the mode: even, the requests as given (unauthenticated
// unless they carry a token); odd, each request gets a valid iothubowner
// `Authorization: SharedAccessSignature ...` for the hub, so the handlers are
// reached. The rest: up to kMaxRequests pipelined HTTP/1.1 requests.
//
// Checks: every request is answered exactly once once the clock has run
// kSettleSeconds; the answer serialises into exactly one well-formed HTTP
// response (no header injection); a JSON answer body parses back.
// FUZZ_VERBOSE=1 in the environment prints every answer.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>

#include "adapters/iothub/sas_token.hpp"
#include "adapters/emulator/rest/router.hpp"
#include "adapters/emulator/rest/sas_auth.hpp"
#include "tests/fuzz/fuzz_hub.hpp"

namespace {

namespace http = boost::beast::http;
namespace rest = offhub::emulator::rest;
using offhub::fuzz::FuzzHub;

constexpr std::string_view kHostName = "localhost";  // the emulator's default host name
constexpr int kMaxRequests = 4;

// A token the well-known iothubowner policy signs, valid for a day of hub time.
const std::string& OwnerToken() {
  static const std::string token = [] {
    for (const auto& policy : rest::WellKnownPolicies()) {
      if (policy.name != "iothubowner") continue;
      auto made = offhub::iothub::MakeSasToken(kHostName, policy.primary_key,
                                               offhub::fuzz::kHubStart.seconds() + 86400, policy.name);
      FUZZ_CHECK(made.ok());
      return *made;
    }
    FUZZ_CHECK(!"the well-known policies name iothubowner");
    return std::string();
  }();
  return token;
}

// The answer as the session writes it, and what a client reads back.
void CheckAnswer(const rest::Response& response) {
  std::ostringstream wire;
  wire << response;
  const std::string bytes = wire.str();
  if (std::getenv("FUZZ_VERBOSE") != nullptr) std::fprintf(stderr, "%s\n\n", bytes.c_str());
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(bytes.size());
  boost::beast::error_code ec;
  const auto used = parser.put(boost::asio::buffer(bytes), ec);
  FUZZ_CHECK(!ec && parser.is_done() && used == bytes.size());
  const auto type = response.find(http::field::content_type);
  if (type != response.end() && type->value().starts_with("application/json") && !response.body().empty()) {
    FUZZ_CHECK(nlohmann::json::accept(response.body()));
  }
}

// What the session answers when the bytes are not HTTP (http_server.cpp, Reject).
void AnswerUnreadable(const boost::beast::error_code& ec) {
  const auto error = ec == http::error::body_limit
                         ? offhub::domain::Error::MessageTooLarge("The request body is too large")
                         : offhub::domain::Error::BadRequest("The request is not valid HTTP/1.1: " + ec.message());
  (void)offhub::fuzz::DumpRegistryError(error);
}

void Answer(rest::Router& router, FuzzHub& hub, const rest::Request& request) {
  auto answers = std::make_shared<int>(0);
  router.Handle(request, [answers](rest::Response response) {
    ++*answers;
    CheckAnswer(response);
  });
  hub.Settle();
  FUZZ_CHECK(*answers == 1);
}

// Reads one request off the front of `bytes`; false when the session would
// answer an error (or close) and stop reading the connection.
bool ReadRequest(std::string_view& bytes, rest::Request& out) {
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(rest::kMaxBodyBytes + 1);
  boost::beast::error_code ec;
  while (!parser.is_done() && !ec) {
    // Input used up: the client closed the connection.
    if (bytes.empty()) {
      parser.put_eof(ec);
      break;
    }
    const auto used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == http::error::need_more) ec = used > 0 ? boost::beast::error_code() : http::error::partial_message;
  }
  if (!ec && !parser.is_done()) ec = http::error::partial_message;
  if (ec) {
    if (parser.got_some() || !bytes.empty()) AnswerUnreadable(ec);
    return false;
  }
  out = parser.release();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || offhub::fuzz::SkippedAsNonAscii(offhub::fuzz::AsText(data, size))) return 0;
  const bool authorised = (data[0] & 1) != 0;
  std::string_view bytes = offhub::fuzz::AsText(data + 1, size - 1);
  FuzzHub hub;
  rest::Router router(hub.hub->services(), hub.clock, rest::SasAuthorizer(std::string(kHostName), rest::WellKnownPolicies()));
  for (int i = 0; i < kMaxRequests && !bytes.empty(); ++i) {
    rest::Request request;
    if (!ReadRequest(bytes, request)) break;
    if (authorised) request.set(http::field::authorization, OwnerToken());
    Answer(router, hub, request);
    if (!request.keep_alive()) break;
  }
  return 0;
}
