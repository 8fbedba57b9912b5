#pragma once
// The contract harness for the Azure REST adapter: a LocalHub behind the
// emulator's REST front (Router + StartHttpServer) on a background thread
// running its io_context, reached over HTTPS (the generated CA, host-name
// verification for "localhost", endpoint_override 127.0.0.1:<port>) or
// plain HTTP.
//
// Threads: the hub, its manual clock and the fake devices live on the server
// thread; the harness reaches them by posting there and waiting. The test
// thread makes the (blocking) REST calls.
//
// Clock while a direct method waits: the REST call blocks the test thread,
// so for the duration of Invoke the server runs an "auto-advance" timer that
// moves the manual clock on by 100 ms every 1 ms of real time. Outcomes stay
// deterministic (10 ms scripted latency answers on the first step; a 5 s
// response timeout expires after 50 steps) while only the real duration varies.
//
// Tokens: the SAS token is dated by a fixed clock (the hub's start + 1 day),
// so it stays valid for the manual clock whatever the real date is.

#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "adapters/azure/rest_hub_service.hpp"
#include "adapters/emulator/rest/http_server.hpp"
#include "adapters/emulator/tls_material.hpp"
#include "tests/contract/harness.hpp"
#include "tests/emulator/hub_fixture.hpp"

namespace offhub::contract {

inline const emulator::TlsMaterial& ContractTlsMaterial() {
  struct Dir {
    Dir() : path(std::filesystem::temp_directory_path() / ("offhub-contract-" + std::to_string(::getpid()))) {}
    ~Dir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
  };
  static Dir dir;
  static const emulator::TlsMaterial material = emulator::EnsureTlsMaterial(dir.path, "localhost");
  return material;
}

inline std::string OwnerKey() {
  for (const auto& policy : emulator::rest::WellKnownPolicies()) {
    if (policy.name == "iothubowner") return policy.primary_key;
  }
  return {};
}

class RestHarness : public Harness {
 public:
  explicit RestHarness(bool tls)
      : router_(fixture_.hub->services(), fixture_.clock,
                emulator::rest::SasAuthorizer("localhost", emulator::rest::WellKnownPolicies())) {
    spdlog::set_level(spdlog::level::warn);  // the request log would drown the test output
    if (tls) {
      const auto& material = ContractTlsMaterial();
      server_tls_.use_certificate_chain_file(material.server_certificate.string());
      server_tls_.use_private_key_file(material.server_key.string(), boost::asio::ssl::context::pem);
    }
    server_ = emulator::rest::StartHttpServer(io_, router_, "127.0.0.1", 0, tls ? &server_tls_ : nullptr);
    thread_ = std::thread([this] { io_.run(); });
    client_ = azure::MakeRestHubService(ClientOptions(tls));
  }

  ~RestHarness() override {
    client_.reset();  // closes its connection while the server still serves
    boost::asio::post(io_, [this] {
      ticker_.cancel();
      server_->Stop();
      work_.reset();
      io_.stop();
    });
    thread_.join();
  }

  ports::HubServices services() override { return client_->services(); }

  void ConnectFakeDevice(const std::string& id, emulator::DeviceScript script) override {
    OnServer([&] {
      fixture_.devices.Script(id, std::move(script));
      fixture_.devices.Connect(id);
    });
  }
  std::size_t CallsReceived(const std::string& id) override {
    return OnServer([&] { return fixture_.devices.device(id).calls.size(); });
  }
  void Advance(std::int64_t seconds) override {
    OnServer([&] { fixture_.clock.AdvanceSeconds(seconds); });
  }
  domain::UtcTime Now() override {
    return OnServer([&] { return fixture_.clock.Now(); });
  }

  domain::Result<domain::MethodResult> Invoke(std::string_view device_id,
                                              const domain::MethodRequest& request) override {
    OnServer([&] {
      auto_advance_ = true;
      Tick();
    });
    std::optional<domain::Result<domain::MethodResult>> out;
    int calls = 0;
    client_->InvokeMethod(IdentityOf(device_id), request, [&](domain::Result<domain::MethodResult> r) {
      ++calls;
      out.emplace(std::move(r));
    });
    OnServer([&] {
      auto_advance_ = false;
      ticker_.cancel();
    });
    CHECK(calls == 1);
    REQUIRE(out.has_value());
    return std::move(*out);
  }

 private:
  azure::RestHubOptions ClientOptions(bool tls) const {
    azure::RestHubOptions options;
    options.connection = {"localhost", "iothubowner", OwnerKey()};
    if (tls) options.ca_file = ContractTlsMaterial().ca_certificate.string();
    options.endpoint_override = "127.0.0.1:" + std::to_string(server_->port());
    options.tls = tls;
    const auto dated = std::chrono::system_clock::time_point(std::chrono::seconds(testing::kT0.seconds() + 86400));
    options.now = [dated] { return dated; };
    return options;
  }

  // Runs `fn` on the server thread and waits for its result.
  template <class F>
  auto OnServer(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  void Tick() {
    if (!auto_advance_) return;
    fixture_.clock.AdvanceMillis(100);
    ticker_.expires_after(std::chrono::milliseconds(1));
    ticker_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }

  testing::HubFixture fixture_;
  boost::asio::io_context io_;
  boost::asio::ssl::context server_tls_{boost::asio::ssl::context::tls_server};
  emulator::rest::Router router_;
  std::unique_ptr<emulator::rest::HttpServer> server_;
  boost::asio::steady_timer ticker_{io_};
  bool auto_advance_ = false;  // server thread only
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<ports::Hub> client_;
};

struct RestHttpsHarness final : RestHarness {
  RestHttpsHarness() : RestHarness(/*tls=*/true) {}
};
struct RestHttpHarness final : RestHarness {
  RestHttpHarness() : RestHarness(/*tls=*/false) {}
};

}  // namespace offhub::contract

DOCTEST_TYPE_TO_STRING_AS("REST over HTTPS", offhub::contract::RestHttpsHarness);
DOCTEST_TYPE_TO_STRING_AS("REST over HTTP", offhub::contract::RestHttpHarness);
