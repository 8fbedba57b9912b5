// The REST front on real sockets: HTTP and HTTPS (a CA and server certificate
// generated on first start, host-name verification on the client), and
// garbage on the wire answered without harming other clients.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <filesystem>
#include <thread>

#include "adapters/emulator/rest/http_server.hpp"
#include "adapters/emulator/tls_material.hpp"
#include "tests/emulator/hub_fixture.hpp"

using namespace offhub;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct TempDir {
  TempDir() : path(std::filesystem::temp_directory_path() / ("offhub-test-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

// Runs the server's io_context on a thread while the test acts as a client.
struct Server {
  Server(asio::ssl::context* tls)
      : router(hub.hub->services(), hub.clock, emulator::rest::SasAuthorizer("localhost", emulator::rest::WellKnownPolicies())),
        server(emulator::rest::StartHttpServer(io, router, "127.0.0.1", 0, tls)),
        work(asio::make_work_guard(io)),
        thread([this] { io.run(); }) {}
  ~Server() {
    asio::post(io, [this] { server->Stop(); work.reset(); io.stop(); });
    thread.join();
  }
  testing::HubFixture hub;
  asio::io_context io;
  emulator::rest::Router router;
  std::unique_ptr<emulator::rest::HttpServer> server;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
};

template <class Stream>
http::response<http::string_body> Get(Stream& stream, const std::string& target) {
  http::request<http::string_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "localhost");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response;
}

}  // namespace

TEST_CASE("plain HTTP: health, and garbage bytes get a 400 while others are served") {
  Server s(nullptr);
  asio::io_context client;
  tcp::socket good(client);
  good.connect({asio::ip::make_address("127.0.0.1"), s.server->port()});
  CHECK(Get(good, "/health").result() == http::status::ok);

  tcp::socket bad(client);
  bad.connect({asio::ip::make_address("127.0.0.1"), s.server->port()});
  asio::write(bad, asio::buffer(std::string("\x16\x03garbage\r\n\r\n", 13)));
  beast::flat_buffer buffer;
  http::response<http::string_body> answer;
  beast::error_code ec;
  http::read(bad, buffer, answer, ec);
  CHECK(answer.result() == http::status::bad_request);

  CHECK(Get(good, "/health").result() == http::status::ok);  // keep-alive still works
  CHECK(Get(good, "/devices").result() == http::status::unauthorized);
}

TEST_CASE("HTTPS with a generated CA: the client verifies the chain and the host name") {
  TempDir dir;
  const auto material = emulator::EnsureTlsMaterial(dir.path, "offhub.local");
  CHECK(std::filesystem::exists(material.ca_certificate));
  const auto ca_before = std::filesystem::last_write_time(material.ca_certificate);
  emulator::EnsureTlsMaterial(dir.path, "offhub.local");  // kept, not regenerated
  CHECK(std::filesystem::last_write_time(material.ca_certificate) == ca_before);

  asio::ssl::context server_tls(asio::ssl::context::tls_server);
  server_tls.use_certificate_chain_file(material.server_certificate.string());
  server_tls.use_private_key_file(material.server_key.string(), asio::ssl::context::pem);
  Server s(&server_tls);

  const auto connect = [&](const std::string& host) {
    asio::io_context client;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.load_verify_file(material.ca_certificate.string());
    tls.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<tcp::socket> stream(client, tls);
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    stream.set_verify_callback(asio::ssl::host_name_verification(host));
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), s.server->port()});
    stream.handshake(asio::ssl::stream_base::client);
    return Get(stream, "/health").result();
  };
  CHECK(connect("localhost") == http::status::ok);
  CHECK(connect("offhub.local") == http::status::ok);
  CHECK(connect("127.0.0.1") == http::status::ok);
  CHECK_THROWS(connect("elsewhere.example"));

  // A plain-text client on the TLS port is dropped; the server goes on.
  asio::io_context client;
  tcp::socket plain(client);
  plain.connect({asio::ip::make_address("127.0.0.1"), s.server->port()});
  beast::error_code ec;
  asio::write(plain, asio::buffer(std::string("GET /health HTTP/1.1\r\n\r\n")), ec);
  char byte;
  plain.read_some(asio::buffer(&byte, 1), ec);
  CHECK(ec);
  CHECK(connect("localhost") == http::status::ok);
}
