// File-descriptor exhaustion (hardening finding F1): offhub-emulator under a
// 256 open-file limit with 300 idle TCP connections held to its HTTP port.
// GET /health on a new connection answers at once, the emulator does not spin
// (accept() failing in a tight loop), and the connections idle longest are the
// ones closed to make room.
#include "tests/emulator/process_fixture.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <fstream>
#include <sstream>

using namespace offhub;
using namespace offhub::testing;

namespace {

constexpr int kOpenFiles = 256;
constexpr int kIdleConnections = 300;

// User + system CPU time of `pid`, from /proc/<pid>/stat (fields 14 and 15).
double CpuSeconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stol(field);
  }
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// GET /health on a new connection; nullopt when there is no answer within `timeout`.
std::optional<Response> Health(int port, std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  http::request<http::string_body> request{http::verb::get, "/health", 11};
  request.set(http::field::host, "localhost");
  beast::flat_buffer buffer;
  Response response;
  boost::system::error_code result = asio::error::timed_out;
  stream.async_connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)},
                       [&](boost::system::error_code ec) {
                         if (ec) return void(result = ec);
                         http::async_write(stream, request, [&](boost::system::error_code ec, std::size_t) {
                           if (ec) return void(result = ec);
                           http::async_read(stream, buffer, response,
                                            [&](boost::system::error_code ec, std::size_t) { result = ec; });
                         });
                       });
  io.run();
  if (result) return std::nullopt;
  return response;
}

// True when the server has closed `socket` (end of file or reset) within 200 ms.
bool ClosedByServer(tcp::socket& socket) {
  pollfd fd{socket.native_handle(), POLLIN, 0};
  if (::poll(&fd, 1, 200) != 1) return false;
  char byte;
  return ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

}  // namespace

TEST_CASE("300 idle connections under a 256 open-file limit: /health answers, the emulator does not spin") {
  EmulatorProcess hub({}, kOpenFiles);
  asio::io_context io;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < kIdleConnections; ++i) {
    idle.emplace_back(io);
    idle.back().connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(hub.http_port())});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the emulator takes them on

  const double cpu_before = CpuSeconds(hub.pid());
  const auto asked = std::chrono::steady_clock::now();
  const auto health = Health(hub.http_port(), std::chrono::seconds(2));
  const double latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - asked).count();
  REQUIRE(health);
  CHECK(health->result() == http::status::ok);
  CHECK(latency_ms < 1000);
  MESSAGE("/health answered in " << latency_ms << " ms beside " << kIdleConnections << " idle connections");

  std::this_thread::sleep_for(std::chrono::seconds(3));
  const double cpu_used = CpuSeconds(hub.pid()) - cpu_before;
  MESSAGE("emulator CPU over 3 s: " << cpu_used << " s");
  CHECK(cpu_used < 0.5);

  // Room was made by closing the oldest idle connections, not the newest.
  CHECK(ClosedByServer(idle.front()));
  CHECK_FALSE(ClosedByServer(idle.back()));
  CHECK(Health(hub.http_port(), std::chrono::seconds(2)).has_value());
  CHECK(hub.Alive());
}
