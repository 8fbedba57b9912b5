// The control plane at 10,000 devices (issue 14): the emulator in this
// process seeded with N devices (tags, desired and reported on each twin),
// then over REST, as a test would call them: POST /offhub/v1/reset,
// GET /offhub/v1/state and PUT /offhub/v1/state of the whole hub.
// Prints one figure per line with its target and PASS/MISS.
//   control_bench [--devices N] [--data-dir DIR] [--rounds R]
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "adapters/emulator/control/hub_state.hpp"
#include "adapters/emulator/emulator.hpp"
#include "adapters/emulator/mqtt/broker_process.hpp"
#include "adapters/emulator/rest/sas_auth.hpp"
#include "adapters/iothub/sas_token.hpp"
#include "apps/lib/command_line.hpp"

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;

namespace {

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Answer {
  int status = 0;
  std::size_t bytes = 0;
  double ms = 0;
};

Answer Call(int port, http::verb verb, const std::string& target, const std::string& body = "") {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  const auto owner = offhub::emulator::rest::WellKnownPolicies().front();
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "localhost");
  request.set(http::field::authorization,
              offhub::iothub::MakeSasToken("localhost", owner.primary_key, NowSeconds() + 3600, owner.name).value());
  request.body() = body;
  request.prepare_payload();
  const auto started = std::chrono::steady_clock::now();
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ULL << 30);
  http::read(socket, buffer, parser);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return {static_cast<int>(parser.get().result_int()), parser.get().body().size(), ms};
}

json SeedDocument(int devices) {
  json list = json::array();
  for (int i = 0; i < devices; ++i) {
    list.push_back({{"deviceId", "bench-" + std::to_string(i)},
                    {"tags", {{"site", "s" + std::to_string(i % 50)}, {"rack", i % 7}}},
                    {"desired", {{"mode", "locked"}, {"interval", 30}}},
                    {"reported", {{"fw", "1.2.3"}, {"battery", 90}}}});
  }
  return {{"devices", list}};
}

void Figure(const std::string& what, double ms, double target_ms) {
  std::printf("%-72s %9.1f ms   (target <= %.0f ms) %s\n", what.c_str(), ms, target_ms, ms <= target_ms ? "PASS" : "MISS");
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 10'000;
  int rounds = 5;
  std::string data_dir;
  CLI::App app{"control_bench: reset, export and import of a hub of N devices over /offhub/v1/"};
  app.add_option("--devices", devices, "Devices in the seed")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  app.add_option("--rounds", rounds, "Resets timed (the best and the worst are printed)")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--data-dir", data_dir, "Keep the hub's state in DIR/state.db (SQLite); default: in memory");
  if (const auto exit_code = offhub::apps::ParseCommandLine(app, argc, argv)) return *exit_code;
  spdlog::set_level(spdlog::level::warn);

  offhub::emulator::EmulatorConfig config;
  config.http_port = offhub::emulator::PickFreeLoopbackPort();
  config.https_port = 0;
  config.mqtts_port = 0;
  config.mqtt_port = offhub::emulator::PickFreeLoopbackPort();
  config.plugin_path = OFFHUB_BROKER_PLUGIN_PATH;
  config.data_dir = data_dir;
  std::mt19937_64 random(1);
  const json document = SeedDocument(devices);
  auto seed = offhub::emulator::StateFromDocument(document, offhub::domain::UtcTime{638'000'000'000'000'000}, random);
  if (!seed) {
    std::fprintf(stderr, "control_bench: %s\n", seed.error().message().c_str());
    return 1;
  }
  config.seed = std::move(*seed);

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::unique_ptr<offhub::emulator::Emulator> emulator;
  std::promise<void> ready;
  std::thread hub([&] {
    emulator = std::make_unique<offhub::emulator::Emulator>(io, config);
    emulator->WhenReady([&] { ready.set_value(); });
    io.run();
  });
  ready.get_future().get();
  const int port = emulator->http_port();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("control_bench: %d devices with tags, desired and reported; state %s\n", devices,
              data_dir.empty() ? "in memory" : (data_dir + "/state.db").c_str());

  double best = 1e18, worst = 0;
  for (int i = 0; i < rounds; ++i) {
    (void)Call(port, http::verb::put, "/devices/extra-" + std::to_string(i) + "?api-version=2021-04-12", "{}");
    const Answer reset = Call(port, http::verb::post, "/offhub/v1/reset");
    if (reset.status != 200) std::printf("reset answered %d\n", reset.status);
    best = std::min(best, reset.ms);
    worst = std::max(worst, reset.ms);
  }
  Figure("POST /offhub/v1/reset, " + std::to_string(devices) + " devices: best of " + std::to_string(rounds), best, 100);
  Figure("POST /offhub/v1/reset, " + std::to_string(devices) + " devices: worst of " + std::to_string(rounds), worst, 100);
  const Answer exported = Call(port, http::verb::get, "/offhub/v1/state");
  std::printf("%-72s %9.1f ms   (%zu bytes)\n", "GET /offhub/v1/state", exported.ms, exported.bytes);
  const Answer imported = Call(port, http::verb::put, "/offhub/v1/state", document.dump());
  std::printf("%-72s %9.1f ms   (status %d)\n", "PUT /offhub/v1/state (the seed document)", imported.ms, imported.status);

  asio::post(io, [&] {
    emulator->Stop();
    work.reset();
    io.stop();
  });
  hub.join();
  emulator.reset();
  return 0;
}
