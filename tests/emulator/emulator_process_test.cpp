// offhub-emulator as a process, driven with raw clients: HTTP (Beast, SAS
// tokens made here) and MQTT (libmosquitto through MqttConnection). A device
// that listens for another device's method calls must not get them, and
// garbage on every listener leaves the emulator serving others.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

#include "adapters/common/sas_token.hpp"
#include "adapters/emulator/mqtt/broker_process.hpp"
#include "adapters/emulator/mqtt/mqtt_connection.hpp"
#include "adapters/emulator/rest/sas_auth.hpp"

extern char** environ;

using namespace offhub;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using tcp = asio::ip::tcp;

namespace {

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The emulator process on free ports; stopped (SIGTERM) at scope exit.
class EmulatorProcess {
 public:
  EmulatorProcess() : http_port_(emulator::PickFreeLoopbackPort()), mqtt_port_(emulator::PickFreeLoopbackPort()) {
    dir_ = std::filesystem::temp_directory_path() / ("offhub-process-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string out = (dir_ / "stdout").string();
    const std::vector<std::string> args{OFFHUB_EMULATOR_PATH, "--http-port", std::to_string(http_port_),
                                        "--https-port", "0", "--mqtt-port", std::to_string(mqtt_port_),
                                        "--mqtts-port", "0", "--data-dir", dir_.string(), "--log-level", "warn"};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 400 && !Ready(out); ++i) ::usleep(25'000);  // a child process has no event to wait on
    REQUIRE(Ready(out));
  }
  ~EmulatorProcess() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  bool Alive() const { return ::kill(pid_, 0) == 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  int http_port() const { return http_port_; }
  int mqtt_port() const { return mqtt_port_; }

 private:
  static bool Ready(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return false;
    char line[512] = {};
    const bool ready = std::fgets(line, sizeof line, f) && std::string(line).starts_with("IOTHUB_CONNECTION_STRING=");
    std::fclose(f);
    return ready;
  }
  std::filesystem::path dir_;
  int http_port_, mqtt_port_;
  pid_t pid_ = -1;
};

std::string OwnerToken() {
  const auto owner = emulator::rest::WellKnownPolicies().front();
  return common::MakeSasToken("localhost", owner.primary_key, NowSeconds() + 3600, owner.name).value();
}

http::response<http::string_body> Request(int port, http::verb verb, const std::string& target, const std::string& body = "") {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "localhost");
  request.set(http::field::authorization, OwnerToken());
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json; charset=utf-8");
    request.body() = body;
  }
  request.prepare_payload();
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return response;
}

struct Device {
  Device(asio::io_context& io, int port, const std::string& id, const std::string& key) {
    emulator::MqttConnectionOptions options;
    options.port = port;
    options.client_id = id;
    options.username = "localhost/" + id + "/?api-version=2021-04-12";
    options.password = common::MakeSasToken("localhost/devices/" + id, key, NowSeconds() + 3600).value();
    options.clean_session = false;
    emulator::MqttHandlers handlers;
    handlers.on_connect = [this](int rc) { connack = rc; };
    handlers.on_message = [this](std::string_view topic, std::string_view payload, int) {
      received.emplace_back(std::string(topic), std::string(payload));
    };
    handlers.on_subscribe = [this](int, int granted) { granted_qos.push_back(granted); };
    mqtt = std::make_unique<emulator::MqttConnection>(io, options, handlers);
    mqtt->Start();
  }
  std::optional<int> connack;
  std::vector<int> granted_qos;
  std::vector<std::pair<std::string, std::string>> received;
  std::unique_ptr<emulator::MqttConnection> mqtt;
};

// Drives `io` until `done()` or 5 s pass.
template <class Done>
bool RunUntil(asio::io_context& io, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(std::chrono::milliseconds(5));
  return done();
}

std::string CreateDevice(int http_port, const std::string& id) {
  const auto created = Request(http_port, http::verb::put, "/devices/" + id + "?api-version=2021-04-12", R"({"deviceId":")" + id + R"("})");
  REQUIRE(created.result() == http::status::ok);
  return json::parse(created.body())["authentication"]["symmetricKey"]["primaryKey"];
}

}  // namespace

TEST_CASE("a device cannot read another device's method calls; the called device answers") {
  EmulatorProcess emulator;
  const std::string key_a = CreateDevice(emulator.http_port(), "device-a");
  const std::string key_b = CreateDevice(emulator.http_port(), "device-b");

  asio::io_context io;
  Device a(io, emulator.mqtt_port(), "device-a", key_a);
  Device b(io, emulator.mqtt_port(), "device-b", key_b);
  REQUIRE(RunUntil(io, [&] { return a.connack && b.connack; }));
  CHECK(*a.connack == 0);
  CHECK(*b.connack == 0);
  a.mqtt->Subscribe("$iothub/methods/POST/#", 0);
  b.mqtt->Subscribe("$iothub/methods/POST/#", 0);
  b.mqtt->Subscribe("$offhub/#", 0);           // the hub's own topics: refused
  b.mqtt->Subscribe("devices/device-a/#", 0);  // another device's topics: refused
  REQUIRE(RunUntil(io, [&] { return a.granted_qos.size() == 1 && b.granted_qos.size() == 3; }));
  CHECK(b.granted_qos[1] == 128);
  CHECK(b.granted_qos[2] == 128);

  // The call is made over HTTP on another thread while this one answers as device-a.
  std::optional<http::response<http::string_body>> answer;
  std::thread caller([&] {
    answer = Request(emulator.http_port(), http::verb::post, "/twins/device-a/methods?api-version=2021-04-12",
                     R"({"methodName":"lockDoor","payload":{"door":1},"responseTimeoutInSeconds":5})");
  });
  REQUIRE(RunUntil(io, [&] { return !a.received.empty(); }));
  const auto& [topic, payload] = a.received.front();
  CHECK(topic.starts_with("$iothub/methods/POST/lockDoor/?$rid="));
  CHECK(json::parse(payload) == json{{"door", 1}});
  a.mqtt->Publish("$iothub/methods/res/200/" + topic.substr(topic.find("?$rid=")), R"({"locked":true})", 0);
  RunUntil(io, [&] { return false; });  // keep serving device-a's socket while the answer travels
  caller.join();
  REQUIRE(answer);
  CHECK(answer->result() == http::status::ok);
  CHECK(json::parse(answer->body()) == json::parse(R"({"status":200,"payload":{"locked":true}})"));
  CHECK(b.received.empty());

  // device-b answering device-a's call does not count: the rid is not its own.
  b.mqtt->Publish("$iothub/methods/res/500/?$rid=1", "{}", 0);
  CHECK(emulator.Alive());
}

TEST_CASE("wrong credentials and garbage on every listener: refused or dropped, the emulator keeps serving") {
  EmulatorProcess emulator;
  const std::string key = CreateDevice(emulator.http_port(), "device-c");
  asio::io_context io;
  Device wrong(io, emulator.mqtt_port(), "device-c", "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktMDE=");
  Device impostor(io, emulator.mqtt_port(), "device-x", key);  // another id with device-c's key
  REQUIRE(RunUntil(io, [&] { return wrong.connack && impostor.connack; }));
  CHECK(*wrong.connack == 5);
  CHECK(*impostor.connack == 5);

  for (int port : {emulator.http_port(), emulator.mqtt_port()}) {
    asio::io_context raw;
    tcp::socket socket(raw);
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(std::string("\x10\xff\xff\xff\xff\x7f garbage \x00\x01\r\n\r\n", 22)), ec);
    char byte;
    socket.read_some(asio::buffer(&byte, 1), ec);  // an answer or a close, never a hang
  }
  CHECK(Request(emulator.http_port(), http::verb::get, "/health").result() == http::status::ok);
  CHECK(Request(emulator.http_port(), http::verb::get, "/devices/device-c").result() == http::status::ok);
  Device right(io, emulator.mqtt_port(), "device-c", key);
  REQUIRE(RunUntil(io, [&] { return right.connack.has_value(); }));
  CHECK(*right.connack == 0);
  CHECK(emulator.Alive());
}
