// The REST adapter's connection on real loopback sockets: what goes on the
// wire, reuse and transparent reconnects, and network failures as typed
// errors (never exceptions) naming the step that failed.
#include <doctest/doctest.h>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "adapters/azure/rest_hub_service.hpp"
#include "adapters/emulator/rest/http_server.hpp"
#include "adapters/emulator/tls_material.hpp"
#include "tests/emulator/hub_fixture.hpp"

using namespace offhub;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using domain::ErrorCode;
using namespace std::chrono_literals;

namespace {

constexpr const char* kKey = "b2ZmaHViLWxvY2FsLWlvdGh1Ym93bmVyLWtleS0wMDE=";

// A scripted plain-TCP server on its own thread for `connections` connections.
class RawServer {
 public:
  enum class Mode { kAnswerThenClose, kSilent };

  RawServer(Mode mode, int connections) : mode_(mode) {
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) Serve();
    });
  }
  ~RawServer() { thread_.join(); }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<http::request<http::string_body>> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    tcp::socket socket = acceptor_.accept();
    beast::error_code ec;
    if (mode_ == Mode::kSilent) {  // read whatever comes until the client gives up
      char buffer[1024];
      while (!ec) socket.read_some(asio::buffer(buffer), ec);
      return;
    }
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) return;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    http::response<http::string_body> response{http::status::ok, 11};
    response.set(http::field::content_type, "application/json; charset=utf-8");
    response.body() = R"({"totalDeviceCount":0,"enabledDeviceCount":0,"disabledDeviceCount":0})";
    response.keep_alive(true);  // ...and then close anyway, as an idle server does
    response.prepare_payload();
    http::write(socket, response, ec);
    socket.close(ec);
  }

  Mode mode_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::mutex mutex_;
  std::vector<http::request<http::string_body>> requests_;
  std::thread thread_;
};

azure::RestHubOptions Options(std::uint16_t port, bool tls) {
  azure::RestHubOptions options;
  options.connection = {"localhost", "iothubowner", kKey};
  options.endpoint_override = "127.0.0.1:" + std::to_string(port);
  options.tls = tls;
  options.connect_timeout = 300ms;
  options.request_timeout = 300ms;
  return options;
}

std::uint16_t ClosedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();  // closed when we return
}

std::string Header(const http::request<http::string_body>& request, std::string_view name) {
  const auto it = request.find(name);
  return it == request.end() ? "" : std::string(it->value());
}

// The emulator's REST front over TLS, for certificate checks.
struct TlsEmulator {
  TlsEmulator()
      : dir(std::filesystem::temp_directory_path() / ("offhub-azure-test-" + std::to_string(::getpid()))),
        material(emulator::EnsureTlsMaterial(dir, "localhost")),
        router(hub.hub->services(), hub.clock, emulator::rest::SasAuthorizer("localhost", emulator::rest::WellKnownPolicies())) {
    spdlog::set_level(spdlog::level::warn);
    tls.use_certificate_chain_file(material.server_certificate.string());
    tls.use_private_key_file(material.server_key.string(), asio::ssl::context::pem);
    server = emulator::rest::StartHttpServer(io, router, "127.0.0.1", 0, &tls);
    thread = std::thread([this] { io.run(); });
  }
  ~TlsEmulator() {
    asio::post(io, [this] {
      server->Stop();
      io.stop();
    });
    thread.join();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  emulator::TlsMaterial material;
  testing::HubFixture hub;
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  emulator::rest::Router router;
  std::unique_ptr<emulator::rest::HttpServer> server;
  std::thread thread;
};

}  // namespace

TEST_CASE("on the wire: Node's headers; a connection the server closed is replaced transparently") {
  RawServer server(RawServer::Mode::kAnswerThenClose, 2);
  auto hub = azure::MakeRestHubService(Options(server.port(), /*tls=*/false));
  REQUIRE(hub->GetRegistryStatistics().ok());
  REQUIRE(hub->GetRegistryStatistics().ok());  // the kept-alive connection is gone by now
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  const auto& first = requests[0];
  CHECK(first.target() == "/statistics/devices?api-version=2021-04-12");
  CHECK(Header(first, "Host") == "localhost");
  CHECK(Header(first, "Authorization").starts_with("SharedAccessSignature sr=localhost&sig="));
  CHECK(Header(first, "Authorization").find("&skn=iothubowner&se=") != std::string::npos);
  CHECK(Header(first, "User-Agent") == "offhub/0.1.0");
  CHECK(Header(first, "Request-Id").size() == 36);
  CHECK(Header(first, "Request-Id") != Header(requests[1], "Request-Id"));
  CHECK(Header(first, "Connection") == "keep-alive");
}

TEST_CASE("nothing listening: 503 ServiceUnavailable naming the connect step; done runs once") {
  auto hub = azure::MakeRestHubService(Options(ClosedPort(), /*tls=*/false));
  const auto got = hub->GetIdentity(offhub::ports::Identity::Device("d"));
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().code() == ErrorCode::ServiceUnavailable);
  CHECK(got.error().message().find("connect to 127.0.0.1:") != std::string::npos);
  int calls = 0;
  hub->InvokeMethod(offhub::ports::Identity::Device("d"), {"m", nullptr, 5, 0}, [&](domain::Result<domain::MethodResult> r) {
    ++calls;
    CHECK(r.error().code() == ErrorCode::ServiceUnavailable);
  });
  CHECK(calls == 1);
}

TEST_CASE("a server that never answers: 500008 GenericTimeout at the read") {
  RawServer server(RawServer::Mode::kSilent, 1);
  auto hub = azure::MakeRestHubService(Options(server.port(), /*tls=*/false));
  const auto got = hub->GetTwin(offhub::ports::Identity::Device("d"));
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().code() == ErrorCode::GenericTimeout);
  CHECK(got.error().message().find("read") != std::string::npos);
}

TEST_CASE("a TLS handshake that never completes: GenericTimeout at the handshake") {
  RawServer server(RawServer::Mode::kSilent, 1);
  auto hub = azure::MakeRestHubService(Options(server.port(), /*tls=*/true));
  const auto got = hub->GetServiceStatistics();
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().code() == ErrorCode::GenericTimeout);
  CHECK(got.error().message().find("TLS handshake") != std::string::npos);
}

TEST_CASE("TLS: the right CA and name pass; another name or an untrusted CA fail as 503") {
  TlsEmulator emulator;
  auto options = Options(emulator.server->port(), /*tls=*/true);
  options.ca_file = emulator.material.ca_certificate.string();
  options.connection.key = emulator::rest::WellKnownPolicies()[0].primary_key;
  CHECK(azure::MakeRestHubService(options)->GetRegistryStatistics().ok());

  auto wrong_name = options;
  wrong_name.connection.host_name = "elsewhere.example";
  const auto refused = azure::MakeRestHubService(wrong_name)->GetRegistryStatistics();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code() == ErrorCode::ServiceUnavailable);
  CHECK(refused.error().message().find("TLS handshake") != std::string::npos);

  auto system_store = options;
  system_store.ca_file.reset();
  const auto untrusted = azure::MakeRestHubService(system_store)->GetRegistryStatistics();
  REQUIRE_FALSE(untrusted.ok());
  CHECK(untrusted.error().code() == ErrorCode::ServiceUnavailable);
}

TEST_CASE("inconsistent options are start-up failures") {
  auto plain_to_hub = Options(443, /*tls=*/false);
  plain_to_hub.endpoint_override.reset();
  CHECK_THROWS_AS(azure::MakeRestHubService(plain_to_hub), std::invalid_argument);
  auto bad_endpoint = Options(443, /*tls=*/true);
  bad_endpoint.endpoint_override = "127.0.0.1:0";
  CHECK_THROWS_AS(azure::MakeRestHubService(bad_endpoint), std::invalid_argument);
  auto missing_ca = Options(443, /*tls=*/true);
  missing_ca.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(azure::MakeRestHubService(missing_ca), std::runtime_error);
}
