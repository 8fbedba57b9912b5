#pragma once
// Test helpers for offhub-emulator as a child process: start it with given
// flags (it dies with the test, PR_SET_PDEATHSIG), wait for its ready line,
// stop it; HTTP requests with the well-known owner token; an MQTT device
// speaking IoT Hub's username and SAS token through MqttConnection.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "adapters/common/sas_token.hpp"
#include "adapters/emulator/mqtt/child_process.hpp"
#include "adapters/emulator/mqtt/mqtt_connection.hpp"
#include "adapters/emulator/rest/sas_auth.hpp"

namespace offhub::testing {

inline std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// offhub-emulator `flags...`, its stdout in `log`; ready() once it printed
// its connection string.
class EmulatorChild {
 public:
  EmulatorChild(const std::string& binary, const std::vector<std::string>& flags, std::filesystem::path log)
      : log_(std::move(log)) {
    std::string command = "exec " + binary;
    for (const auto& flag : flags) command += " '" + flag + "'";
    command += " >'" + log_.string() + "'";
    pid_ = emulator::SpawnOrphanProof({"/bin/sh", "-c", command});
  }
  ~EmulatorChild() { Stop(); }
  EmulatorChild(const EmulatorChild&) = delete;
  EmulatorChild& operator=(const EmulatorChild&) = delete;

  // Polls the log (a child process has no event to wait on) for up to 20 s.
  bool WaitReady() {
    for (int i = 0; i < 400; ++i) {
      std::ifstream in(log_);
      std::string line;
      if (std::getline(in, line) && line.starts_with("IOTHUB_CONNECTION_STRING=")) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // SIGTERM (a clean stop) and wait; the exit status.
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// One request to 127.0.0.1:port with the iothubowner token for host "localhost".
inline HttpResponse HttpRequest(int port, boost::beast::http::verb verb, const std::string& target,
                                const std::string& body = "") {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  const auto owner = emulator::rest::WellKnownPolicies().front();
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "localhost");
  request.set(http::field::authorization,
              common::MakeSasToken("localhost", owner.primary_key, UnixNow() + 3600, owner.name).value());
  if (!body.empty()) request.set(http::field::content_type, "application/json; charset=utf-8");
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  HttpResponse response;
  http::read(socket, buffer, response);
  return response;
}

// MqttConnection options for device `id` of hub "localhost" with its key.
inline emulator::MqttConnectionOptions DeviceOptions(int port, const std::string& id, const std::string& key) {
  emulator::MqttConnectionOptions options;
  options.port = port;
  options.client_id = id;
  options.username = "localhost/" + id + "/?api-version=2021-04-12";
  options.password = common::MakeSasToken("localhost/devices/" + id, key, UnixNow() + 3600).value();
  return options;
}

// Drives `io` until `done()` or `timeout`.
template <class Done>
bool RunUntil(boost::asio::io_context& io, Done done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(std::chrono::milliseconds(5));
  return done();
}

}  // namespace offhub::testing
