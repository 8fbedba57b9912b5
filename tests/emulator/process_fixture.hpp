#pragma once
// offhub-emulator as a process for black-box tests: started on free ports
// with a data dir, driven with raw clients — HTTP (Beast, SAS tokens made
// here) and MQTT (libmosquitto through MqttConnection).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/iothub/sas_token.hpp"
#include "adapters/emulator/mqtt/broker_process.hpp"
#include "adapters/iothub/mqtt_connection.hpp"
#include "adapters/emulator/rest/sas_auth.hpp"

extern char** environ;

namespace offhub::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;


inline std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The emulator process on free ports with its own data dir; stopped
// (SIGTERM) and the dir removed at scope exit. Kill() and Start() again
// reuse the ports and the data dir, as a restart after a crash does.
// `open_files` > 0 sets the child's RLIMIT_NOFILE, soft and hard (the
// emulator raises its soft limit to the hard one itself).
class EmulatorProcess {
 public:
  explicit EmulatorProcess(std::vector<std::string> extra_args = {}, int open_files = 0)
      : http_port_(emulator::PickFreeLoopbackPort()),
        mqtt_port_(emulator::PickFreeLoopbackPort()),
        extra_args_(std::move(extra_args)),
        open_files_(open_files) {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("offhub-process-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    Start();
  }
  ~EmulatorProcess() {
    Stop(SIGTERM);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts it and waits for its ready line (in a fresh stdout file: the last run's must not count).
  void Start() {
    const std::string out = (dir_ / "stdout").string();
    std::filesystem::remove(out);
    std::vector<std::string> args{OFFHUB_EMULATOR_PATH, "--http-port", std::to_string(http_port_),
                                  "--https-port", "0", "--mqtt-port", std::to_string(mqtt_port_),
                                  "--mqtts-port", "0", "--data-dir", (dir_ / "data").string(), "--log-level", "warn"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    if (open_files_ > 0) {  // the shell execs the emulator: the pid stays the same
      args.insert(args.begin(), {"/bin/sh", "-c", "ulimit -n " + std::to_string(open_files_) + " && exec \"$0\" \"$@\""});
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {  // only async-signal-safe calls until exec; the emulator dies with the test
      const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd < 0 || ::dup2(fd, 1) < 0 || ::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
      ::execve(argv[0], argv.data(), environ);
      ::_exit(127);
    }
    // A 10,000-device seed takes about 11 s to load under ASan (Debug); a loaded CI machine, more.
    for (int i = 0; i < 2400 && !Ready(out) && Alive(); ++i) ::usleep(25'000);  // a child process has no event to wait on
    if (!Ready(out)) Stop(SIGKILL);  // not left behind holding the test's output open
    REQUIRE(Ready(out));
  }
  // SIGKILL, as a crash: nothing of the emulator's runs.
  void Kill() { Stop(SIGKILL); }
  // Sends `signal`, waits; the wait status.
  int Stop(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    // The broker goes with the emulator; give its ports a moment to be free again.
    for (int i = 0; i < 200 && PortTaken(mqtt_port_); ++i) ::usleep(10'000);
    return status;
  }

  bool Alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  pid_t pid() const { return pid_; }
  int http_port() const { return http_port_; }
  int mqtt_port() const { return mqtt_port_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  static bool Ready(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return false;
    char line[512] = {};
    const bool ready = std::fgets(line, sizeof line, f) && std::string(line).starts_with("IOTHUB_CONNECTION_STRING=");
    std::fclose(f);
    return ready;
  }
  static bool PortTaken(int port) {
    asio::io_context io;
    tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
    return !ec;
  }
  std::filesystem::path dir_;
  int http_port_, mqtt_port_;
  std::vector<std::string> extra_args_;
  int open_files_ = 0;
  pid_t pid_ = -1;
};

inline std::string OwnerToken() {
  const auto owner = emulator::rest::WellKnownPolicies().front();
  return iothub::MakeSasToken("localhost", owner.primary_key, NowSeconds() + 3600, owner.name).value();
}

using Response = http::response<http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

// One keep-alive HTTP connection to the emulator, with iothubowner's token unless a header says otherwise.
class HttpClient {
 public:
  explicit HttpClient(int port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  }
  Response Send(http::verb verb, const std::string& target, const std::string& body = "", const Headers& headers = {}) {
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, "localhost");
    request.set(http::field::authorization, OwnerToken());
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json; charset=utf-8");
      request.body() = body;
    }
    request.prepare_payload();
    http::write(socket_, request);
    Response response;
    http::read(socket_, buffer_, response);
    return response;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

inline Response Request(int port, http::verb verb, const std::string& target, const std::string& body = "",
                        const Headers& headers = {}) {
  return HttpClient(port).Send(verb, target, body, headers);
}

// Writes `bytes` as they are and reads one HTTP response; nullopt when the
// emulator closed the connection without answering.
inline std::optional<Response> RawRequest(int port, const std::string& bytes) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  asio::write(socket, asio::buffer(bytes));
  beast::flat_buffer buffer;
  Response response;
  boost::system::error_code ec;
  http::read(socket, buffer, response, ec);
  if (ec) return std::nullopt;
  return response;
}

// MqttConnection options for device `id` of hub "localhost" with its key.
inline iothub::MqttConnectionOptions DeviceOptions(int port, const std::string& id, const std::string& key) {
  iothub::MqttConnectionOptions options;
  options.port = port;
  options.client_id = id;
  options.username = "localhost/" + id + "/?api-version=2021-04-12";
  // A module's id is "{deviceId}/{moduleId}"; its token's resource names the module.
  const auto slash = id.find('/');
  const std::string resource = slash == std::string::npos
                                   ? "localhost/devices/" + id
                                   : "localhost/devices/" + id.substr(0, slash) + "/modules/" + id.substr(slash + 1);
  options.password = iothub::MakeSasToken(resource, key, NowSeconds() + 3600).value();
  return options;
}

struct Device {
  Device(asio::io_context& io, int port, const std::string& id, const std::string& key) {
    auto options = DeviceOptions(port, id, key);
    options.clean_session = false;
    iothub::MqttHandlers handlers;
    handlers.on_connect = [this](int rc) { connack = rc; };
    handlers.on_message = [this](std::string_view topic, std::string_view payload, int) {
      received.emplace_back(std::string(topic), std::string(payload));
    };
    handlers.on_subscribe = [this](int, int granted) { granted_qos.push_back(granted); };
    mqtt = std::make_unique<iothub::MqttConnection>(io, options, handlers);
    mqtt->Start();
  }
  std::optional<int> connack;
  std::vector<int> granted_qos;
  std::vector<std::pair<std::string, std::string>> received;
  std::unique_ptr<iothub::MqttConnection> mqtt;
};

// Drives `io` until `done()` or `timeout` passes.
template <class Done>
bool RunUntil(asio::io_context& io, Done done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(std::chrono::milliseconds(5));
  return done();
}

inline std::string CreateDevice(int http_port, const std::string& id) {
  const auto created = Request(http_port, http::verb::put, "/devices/" + id + "?api-version=2021-04-12", R"({"deviceId":")" + id + R"("})");
  REQUIRE(created.result() == http::status::ok);
  return json::parse(created.body())["authentication"]["symmetricKey"]["primaryKey"];
}


}  // namespace offhub::testing
