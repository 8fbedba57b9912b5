#include "adapters/azure/https_client.hpp"

#include <openssl/ssl.h>

#include <mutex>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace offhub::azure {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using domain::Error;
using domain::ErrorCode;
using Millis = std::chrono::milliseconds;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr Millis kShutdownTimeout{2'000};

// The server closed a kept-alive connection before it saw our request.
bool IsStale(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == asio::ssl::error::stream_truncated;
}

std::string Describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

struct Exchanged {
  beast::error_code ec;
  const char* step = "";
  bool got_some = false;
  HttpResponse response;
};

}  // namespace

class HttpsClient::Impl {
 public:
  explicit Impl(HttpsClientOptions options) : options_(std::move(options)) {
    if (options_.tls) ConfigureTls();
  }
  ~Impl();

  domain::Result<HttpResponse> Send(HttpRequest request, Millis read_timeout);
  domain::Result<HttpResponse> Streamed(HttpRequest request, Millis idle_timeout, Millis duration,
                                        const std::function<bool(std::string_view)>& on_data);

 private:
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;

  void ConfigureTls();
  bool connected() const { return plain_ || secure_; }
  beast::tcp_stream& Lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }
  Error NetworkError(std::string_view step, beast::error_code ec) const;

  asio::awaitable<void> Run(HttpRequest& request, Millis read_timeout);
  asio::awaitable<std::optional<Error>> Connect();
  asio::awaitable<beast::error_code> Resolve(tcp::resolver::results_type& out);
  asio::awaitable<std::optional<Error>> Handshake();
  asio::awaitable<Exchanged> Exchange(HttpRequest& request, Millis read_timeout);
  template <class AsyncStream>
  asio::awaitable<Exchanged> ExchangeOn(AsyncStream& stream, HttpRequest& request, Millis read_timeout);
  template <class AsyncStream>
  asio::awaitable<void> StreamOn(AsyncStream& stream, HttpRequest& request, Millis idle_timeout, Millis duration,
                                 const std::function<bool(std::string_view)>& on_data);
  asio::awaitable<void> Close(bool graceful);
  void Drop();

  HttpsClientOptions options_;
  asio::io_context io_{1};
  asio::ssl::context tls_{asio::ssl::context::tls_client};
  tcp::resolver resolver_{io_};
  asio::steady_timer resolve_timer_{io_};
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> secure_;
  beast::flat_buffer buffer_;
  std::mutex mutex_;
  std::optional<domain::Result<HttpResponse>> outcome_;
};

void HttpsClient::Impl::ConfigureTls() {
  SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);  // IoT Hub requires TLS 1.2+
  tls_.set_verify_mode(asio::ssl::verify_peer);
  beast::error_code ec;
  if (options_.ca_file) {
    tls_.load_verify_file(*options_.ca_file, ec);
  } else {
    tls_.set_default_verify_paths(ec);
  }
  if (ec) {
    throw std::runtime_error("Cannot load the CA certificates " + options_.ca_file.value_or("(system store)") + ": " +
                             ec.message());
  }
}

HttpsClient::Impl::~Impl() {
  if (!connected()) return;
  io_.restart();
  asio::co_spawn(io_, Close(/*graceful=*/true), [](std::exception_ptr) {});
  io_.run();
}

Error HttpsClient::Impl::NetworkError(std::string_view step, beast::error_code ec) const {
  const std::string where = std::string(step) + " " + options_.connect_host + ":" + options_.connect_port + " (hub " +
                            options_.host_name + ")";
  if (ec == beast::error::timeout) return {ErrorCode::GenericTimeout, "offhub: timed out at " + where};
  return {ErrorCode::ServiceUnavailable, "offhub: " + where + " failed: " + ec.message()};
}

domain::Result<HttpResponse> HttpsClient::Impl::Send(HttpRequest request, Millis read_timeout) {
  std::lock_guard lock(mutex_);
  if (read_timeout.count() <= 0) read_timeout = options_.io_timeout;
  outcome_.reset();
  io_.restart();
  asio::co_spawn(io_, Run(request, read_timeout), [this](std::exception_ptr e) {
    if (!e) return;
    Drop();
    outcome_ = Error(ErrorCode::ServerError, "offhub: HTTP client failure: " + Describe(e));
  });
  io_.run();
  if (!outcome_) return Error(ErrorCode::ServerError, "offhub: the HTTP exchange ended without an outcome");
  return std::move(*outcome_);
}

domain::Result<HttpResponse> HttpsClient::Impl::Streamed(HttpRequest request, Millis idle_timeout, Millis duration,
                                                       const std::function<bool(std::string_view)>& on_data) {
  std::lock_guard lock(mutex_);
  Drop();  // a connection of its own: the stream ends it
  outcome_.reset();
  io_.restart();
  auto run = [&]() -> asio::awaitable<void> {
    if (auto error = co_await Connect()) {
      outcome_ = std::move(*error);
      co_return;
    }
    if (secure_) {
      co_await StreamOn(*secure_, request, idle_timeout, duration, on_data);
    } else {
      co_await StreamOn(*plain_, request, idle_timeout, duration, on_data);
    }
  };
  asio::co_spawn(io_, run(), [this](std::exception_ptr e) {
    if (!e) return;
    outcome_ = Error(ErrorCode::ServerError, "offhub: HTTP client failure: " + Describe(e));
  });
  io_.run();
  Drop();
  if (!outcome_) return Error(ErrorCode::ServerError, "offhub: the HTTP stream ended without an outcome");
  return std::move(*outcome_);
}

template <class AsyncStream>
asio::awaitable<void> HttpsClient::Impl::StreamOn(AsyncStream& stream, HttpRequest& request, Millis idle_timeout,
                                                  Millis duration, const std::function<bool(std::string_view)>& on_data) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = duration.count() > 0 ? std::optional(Clock::now() + duration) : std::nullopt;
  Lowest().expires_after(options_.io_timeout);
  auto [write_ec, written] = co_await http::async_write(stream, request, kUseTuple);
  if (write_ec) {
    outcome_ = NetworkError("write to", write_ec);
    co_return;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  Lowest().expires_after(options_.io_timeout);
  auto [head_ec, head_bytes] = co_await http::async_read_header(stream, buffer_, parser, kUseTuple);
  if (head_ec) {
    outcome_ = NetworkError("read from", head_ec);
    co_return;
  }
  if (parser.get().result() != http::status::ok) {  // an error: its body is IoT Hub's envelope
    Lowest().expires_after(options_.io_timeout);
    auto [read_ec, read] = co_await http::async_read(stream, buffer_, parser, kUseTuple);
    if (read_ec) {
      outcome_ = NetworkError("read from", read_ec);
      co_return;
    }
    outcome_ = parser.release();
    co_return;
  }
  HttpResponse head = parser.release();
  // What came with the head is the body's first bytes.
  std::string first(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  buffer_.consume(buffer_.size());
  if (!first.empty() && !on_data(first)) {
    outcome_ = std::move(head);
    co_return;
  }
  std::array<char, 16384> chunk{};
  for (;;) {
    auto wait = idle_timeout;
    if (deadline) wait = std::min(wait, std::chrono::ceil<Millis>(*deadline - Clock::now()));
    if (wait.count() <= 0) break;
    const bool until_deadline = wait < idle_timeout;  // a timeout then is the end asked for, not silence
    Lowest().expires_after(wait);
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(chunk), kUseTuple);
    if (ec == beast::error::timeout && until_deadline) break;
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) break;  // the server ended it
    if (ec) {
      outcome_ = NetworkError("read from", ec);
      co_return;
    }
    if (!on_data(std::string_view(chunk.data(), n))) break;
  }
  outcome_ = std::move(head);
}

asio::awaitable<void> HttpsClient::Impl::Run(HttpRequest& request, Millis read_timeout) {
  const bool reused = connected();
  if (!reused) {
    if (auto error = co_await Connect()) {
      outcome_ = std::move(*error);
      co_return;
    }
  }
  auto exchanged = co_await Exchange(request, read_timeout);
  if (exchanged.ec && reused && !exchanged.got_some && IsStale(exchanged.ec)) {
    Drop();
    if (auto error = co_await Connect()) {
      outcome_ = std::move(*error);
      co_return;
    }
    exchanged = co_await Exchange(request, read_timeout);
  }
  if (exchanged.ec) {
    Drop();
    outcome_ = NetworkError(exchanged.step, exchanged.ec);
    co_return;
  }
  if (!exchanged.response.keep_alive()) co_await Close(/*graceful=*/true);
  outcome_ = std::move(exchanged.response);
}

asio::awaitable<beast::error_code> HttpsClient::Impl::Resolve(tcp::resolver::results_type& out) {
  // The resolver has no deadline of its own: a timer cancels it.
  resolve_timer_.expires_after(options_.connect_timeout);
  resolve_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) resolver_.cancel();
  });
  auto [ec, results] = co_await resolver_.async_resolve(options_.connect_host, options_.connect_port, kUseTuple);
  const bool timed_out = resolve_timer_.expiry() <= asio::steady_timer::clock_type::now();
  resolve_timer_.cancel();
  if (ec == asio::error::operation_aborted && timed_out) co_return beast::error::timeout;
  out = std::move(results);
  co_return ec;
}

asio::awaitable<std::optional<Error>> HttpsClient::Impl::Connect() {
  tcp::resolver::results_type endpoints;
  if (const auto ec = co_await Resolve(endpoints)) co_return NetworkError("resolve", ec);
  if (options_.tls) {
    secure_ = std::make_unique<TlsStream>(io_, tls_);
  } else {
    plain_ = std::make_unique<beast::tcp_stream>(io_);
  }
  buffer_.clear();
  Lowest().expires_after(options_.connect_timeout);
  auto [ec, endpoint] = co_await Lowest().async_connect(endpoints, kUseTuple);
  if (ec) {
    Drop();
    co_return NetworkError("connect to", ec);
  }
  if (options_.tls) co_return co_await Handshake();
  co_return std::nullopt;
}

asio::awaitable<std::optional<Error>> HttpsClient::Impl::Handshake() {
  // SNI and the certificate's name are the hub's, wherever we connected.
  if (!SSL_set_tlsext_host_name(secure_->native_handle(), options_.host_name.c_str())) {
    Drop();
    co_return NetworkError("TLS SNI for", beast::error_code(asio::error::invalid_argument));
  }
  secure_->set_verify_callback(asio::ssl::host_name_verification(options_.host_name));
  Lowest().expires_after(options_.connect_timeout);
  auto [ec] = co_await secure_->async_handshake(asio::ssl::stream_base::client, kUseTuple);
  if (ec) {
    Drop();
    co_return NetworkError("TLS handshake with", ec);
  }
  co_return std::nullopt;
}

asio::awaitable<Exchanged> HttpsClient::Impl::Exchange(HttpRequest& request, Millis read_timeout) {
  if (secure_) co_return co_await ExchangeOn(*secure_, request, read_timeout);
  co_return co_await ExchangeOn(*plain_, request, read_timeout);
}

template <class AsyncStream>
asio::awaitable<Exchanged> HttpsClient::Impl::ExchangeOn(AsyncStream& stream, HttpRequest& request, Millis read_timeout) {
  Exchanged out;
  Lowest().expires_after(options_.io_timeout);
  auto [write_ec, written] = co_await http::async_write(stream, request, kUseTuple);
  if (write_ec) {
    out.ec = write_ec;
    out.step = "write to";
    co_return out;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  Lowest().expires_after(read_timeout);
  auto [read_ec, read] = co_await http::async_read(stream, buffer_, parser, kUseTuple);
  out.got_some = parser.got_some();
  if (read_ec) {
    out.ec = read_ec;
    out.step = "read from";
    co_return out;
  }
  out.response = parser.release();
  co_return out;
}

asio::awaitable<void> HttpsClient::Impl::Close(bool graceful) {
  if (secure_ && graceful) {
    Lowest().expires_after(kShutdownTimeout);
    // stream_truncated (the peer closed without close_notify) is fine here.
    [[maybe_unused]] auto [ec] = co_await secure_->async_shutdown(kUseTuple);
  }
  Drop();
}

void HttpsClient::Impl::Drop() {
  if (connected()) {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().socket().close(ignored);
  }
  secure_.reset();
  plain_.reset();
  buffer_.clear();
}

HttpsClient::HttpsClient(HttpsClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpsClient::~HttpsClient() = default;

domain::Result<HttpResponse> HttpsClient::Stream(HttpRequest request, std::chrono::milliseconds idle_timeout,
                                                 std::chrono::milliseconds duration,
                                                 const std::function<bool(std::string_view)>& on_data) {
  return impl_->Streamed(std::move(request), idle_timeout, duration, on_data);
}

domain::Result<HttpResponse> HttpsClient::Send(HttpRequest request, std::chrono::milliseconds read_timeout) {
  return impl_->Send(std::move(request), read_timeout);
}

}  // namespace offhub::azure
