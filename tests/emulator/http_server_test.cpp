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
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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
  explicit TempDir(const std::string& name = "")
      : path(std::filesystem::temp_directory_path() / ("offhub-test-" + std::to_string(::getpid()) + name)) {
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

// Runs the server's io_context on a thread while the test acts as a client.
struct Server {
  explicit Server(asio::ssl::context* tls, std::shared_ptr<emulator::rest::ConnectionLimit> limit = nullptr)
      : router(hub.hub->services(), hub.clock, emulator::rest::SasAuthorizer("localhost", emulator::rest::WellKnownPolicies())),
        server(emulator::rest::StartHttpServer(io, router, "127.0.0.1", 0, tls, 0, std::move(limit))),
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

tcp::socket Connect(asio::io_context& io, int port) {
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  return socket;
}

// True when `socket` has something to read (bytes, end of file, an error) within `timeout`.
bool Readable(tcp::socket& socket, std::chrono::milliseconds timeout) {
  pollfd fd{socket.native_handle(), POLLIN, 0};
  return ::poll(&fd, 1, static_cast<int>(timeout.count())) == 1;
}

// True when the server has closed `socket` (end of file or reset) within `timeout`.
bool ClosedByServer(tcp::socket& socket, std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) {
  if (!Readable(socket, timeout)) return false;
  char byte;
  return ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

double ProcessCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
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

TEST_CASE("one TLS folder, several host names: a server certificate each, all from one CA; the folder must be ours alone") {
  TempDir dir;
  const auto local = emulator::EnsureTlsMaterial(dir.path, "localhost");
  const auto named = emulator::EnsureTlsMaterial(dir.path, "hub.example");
  const auto ip = emulator::EnsureTlsMaterial(dir.path, "10.1.2.3");
  CHECK(local.server_certificate.filename() == "server.pem");
  CHECK(named.server_certificate.filename() == "server-hub.example.pem");
  CHECK(ip.server_key.filename() == "server-10.1.2.3.key");
  CHECK(local.ca_certificate == named.ca_certificate);
  const auto read = [](const std::filesystem::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "r");
    REQUIRE(f != nullptr);
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    REQUIRE(cert != nullptr);
    return std::unique_ptr<X509, decltype(&X509_free)>(cert, X509_free);
  };
  const auto ca = read(local.ca_certificate);
  for (const auto* m : {&local, &named, &ip}) CHECK(X509_verify(read(m->server_certificate).get(), X509_get0_pubkey(ca.get())) == 1);
  CHECK(X509_check_host(read(named.server_certificate).get(), "hub.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(read(local.server_certificate).get(), "hub.example", 0, 0, nullptr) != 1);
  CHECK(X509_check_ip_asc(read(ip.server_certificate).get(), "10.1.2.3", 0) == 1);  // an IP name, not a DNS one
  // A new CA (its files removed): every host's certificate is made again, from it.
  std::filesystem::remove(local.ca_certificate);
  emulator::EnsureTlsMaterial(dir.path, "hub.example");
  CHECK(X509_verify(read(named.server_certificate).get(), X509_get0_pubkey(read(local.ca_certificate).get())) == 1);
  // A folder others may write is refused.
  TempDir planted("-planted");
  std::filesystem::create_directories(planted.path);
  std::filesystem::permissions(planted.path, std::filesystem::perms::all);
  CHECK_THROWS_WITH(emulator::EnsureTlsMaterial(planted.path, "localhost"), doctest::Contains("writable by no one else"));
}

TEST_CASE("beyond the connection limit the connection idle longest is closed; busy ones are kept") {
  Server s(nullptr, emulator::rest::ConnectionLimit::Make(4));
  const int port = s.server->port();
  asio::io_context client;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(Connect(client, port));
  // Half a request counts as idle too: it has not reached the router.
  tcp::socket partial = Connect(client, port);
  asio::write(partial, asio::buffer(std::string("GET /health HTTP/1.1\r\nHost: local")));

  tcp::socket fresh = Connect(client, port);  // the fifth: the oldest idle one goes
  CHECK(Get(fresh, "/health").result() == http::status::ok);
  CHECK(ClosedByServer(idle[0]));
  tcp::socket another = Connect(client, port);
  CHECK(Get(another, "/health").result() == http::status::ok);
  CHECK(ClosedByServer(idle[1]));
  CHECK(Get(fresh, "/health").result() == http::status::ok);  // kept alive
}

TEST_CASE("out of file descriptors, the server pauses accepting instead of spinning, and recovers") {
  Server s(nullptr, emulator::rest::ConnectionLimit::Make(1000));
  asio::io_context client;
  tcp::socket socket(client);
  socket.open(tcp::v4());  // the client's descriptors (and its io_context's), before they run out
  rlimit original{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &original) == 0);
  std::size_t in_use = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) (void)entry, ++in_use;
  rlimit lowered = original;
  lowered.rlim_cur = in_use + 32;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);

  std::vector<int> filler;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filler.push_back(fd);
  // Completes in the kernel's backlog; the server's accept() finds no descriptor for it.
  socket.connect({asio::ip::make_address("127.0.0.1"), s.server->port()});
  asio::write(socket, asio::buffer(std::string("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")));

  const double cpu_before = ProcessCpuSeconds();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double cpu_used = ProcessCpuSeconds() - cpu_before;

  for (int i = 0; i < 4; ++i) {
    ::close(filler.back());
    filler.pop_back();
  }
  const auto freed_at = std::chrono::steady_clock::now();
  const bool readable = Readable(socket, std::chrono::seconds(2));
  beast::flat_buffer buffer;
  http::response<http::string_body> answer;
  beast::error_code ec;
  if (readable) http::read(socket, buffer, answer, ec);
  const auto waited = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - freed_at).count();
  for (const int fd : filler) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &original);

  // Reported only now: the test framework's own reporting needs descriptors too.
  MESSAGE("CPU while accept() fails with EMFILE: " << cpu_used << " s in 1 s");
  CHECK(cpu_used < 0.2);
  MESSAGE("answered " << waited << " ms after descriptors were freed");
  REQUIRE(readable);
  CHECK(!ec);
  CHECK(answer.result() == http::status::ok);
  CHECK(waited < 1000);
}
