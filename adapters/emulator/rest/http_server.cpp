#include "adapters/emulator/rest/http_server.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "adapters/emulator/rest/websocket_bridge.hpp"
#include "domain/errors.hpp"
#include "domain/json_text.hpp"
#include "domain/time.hpp"

namespace offhub::emulator::rest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(120);
constexpr auto kHeaderTimeout = std::chrono::seconds(30);
constexpr auto kBodyTimeout = std::chrono::seconds(120);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
constexpr std::size_t kFirstReadBytes = 4096;

// Plain or TLS: the session is the same but for the handshake and shutdown.
// Idle (evictable by the connection limit) until a request is in hand.
// An event stream's consumer may fall this far behind before it is cut off;
// a comment line goes out this often so a dead consumer is noticed.
constexpr std::size_t kMaxUnsentEventBytes = 4u << 20;
constexpr std::size_t kEventWriteBatch = 64;  // messages per write at most
constexpr auto kEventHeartbeat = std::chrono::seconds(15);

template <class Stream>
class Session : public ConnectionLimit::Evictable,
                public EventSubscriber,
                public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(Router& router, std::uint16_t mqtt_bridge_port, ConnectionLimit::Slot slot, Args&&... args)
      : router_(router),
        mqtt_bridge_port_(mqtt_bridge_port),
        slot_(std::move(slot)),
        stream_(std::forward<Args>(args)...) {}

  void Start() {
    slot_.SetIdle(this);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      DoRead();
    } else {
      beast::get_lowest_layer(stream_).expires_after(kHandshakeTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // a client that can't do TLS: nothing to answer
                                self->DoRead();
                              });
    }
  }

  void Evict() override {
    slot_.Release();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);  // pending reads end with operation_aborted
  }

 private:
  // Waits for the next request's first bytes (a keep-alive connection may
  // wait long), then gives the request kHeaderTimeout for its headers.
  void DoRead() {
    slot_.SetIdle(this);
    parser_.emplace();
    // Beast checks a Content-Length against the limit with the header: the
    // largest any request may carry until the header says which request it is.
    parser_->body_limit(kMaxStateBytes + 1);
    if (buffer_.size() > 0) return DoReadHeader();  // pipelined: it has begun already
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->OnRead(ec);
                              self->buffer_.commit(n);
                              self->DoReadHeader();
                            });
  }

  void DoReadHeader() {
    beast::get_lowest_layer(stream_).expires_after(kHeaderTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->OnRead(ec);
                              self->DoReadBody();
                            });
  }

  void DoReadBody() {
    if (!router_.AllowsLargeBody(parser_->get())) {
      // The router answers 413 for one byte over; more is refused unread.
      const auto length = parser_->content_length();
      if (length && *length > kMaxBodyBytes + 1) {
        slot_.SetIdle(nullptr);
        request_ = {};
        started_ = std::chrono::steady_clock::now();
        return Reject(domain::Error::MessageTooLarge("The request body is too large"));
      }
      parser_->body_limit(kMaxBodyBytes + 1);
    }
    beast::get_lowest_layer(stream_).expires_after(kBodyTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    // The client went away (TLS clients often skip close_notify): nothing to answer.
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::ssl::error::stream_truncated || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::bad_descriptor ||  // evicted
        (ec == http::error::partial_message && parser_->get().method() == http::verb::unknown && buffer_.size() == 0)) {
      return Close();
    }
    slot_.SetIdle(nullptr);
    request_ = {};
    started_ = std::chrono::steady_clock::now();
    if (ec == http::error::body_limit) return Reject(domain::Error::MessageTooLarge("The request body is too large"));
    if (ec) return Reject(domain::Error::BadRequest("The request is not valid HTTP/1.1: " + ec.message()));
    request_ = parser_->release();
    started_ = std::chrono::steady_clock::now();
    if (mqtt_bridge_port_ != 0 && IsMqttWebSocketUpgrade(request_)) {
      spdlog::info("{} {} -> MQTT over WebSocket", std::string(request_.method_string()), std::string(request_.target()));
      beast::get_lowest_layer(stream_).expires_never();
      slot_.Grow(1);  // its socket to the broker
      return StartMqttBridge(std::move(stream_), std::move(request_), mqtt_bridge_port_, std::move(slot_));
    }
    beast::get_lowest_layer(stream_).expires_never();  // a direct method may take minutes
    router_.Handle(
        request_, [self = this->shared_from_this()](Response response) { self->Write(std::move(response)); },
        this->shared_from_this());
  }

  // EventSubscriber: queued, written in batches; a consumer more
  // than kMaxUnsentEventBytes behind is cut off (the hub never waits for it).
  bool Deliver(const std::shared_ptr<const std::string>& message) override {
    if (stream_closed_) return false;
    if (unsent_bytes_ + message->size() > kMaxUnsentEventBytes) {
      spdlog::warn("event stream: a consumer {} bytes behind is cut off", unsent_bytes_);
      CloseEventStream();
      return false;
    }
    unsent_bytes_ += message->size();
    unsent_.push_back(message);
    if (!writing_) WriteNextEvent();
    return true;
  }

  // A request the router never sees, answered in IoT Hub's envelope all the same.
  void Reject(const domain::Error& error) {
    Response response{static_cast<http::status>(error.http_status()), 11};
    response.set(http::field::content_type, "application/json; charset=utf-8");
    response.set("iothub-errorcode", std::string(error.name()));
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    const domain::ErrorContext context{
        std::string(32, '0'),
        domain::FormatUtc(domain::UtcTime::FromMillis(
            std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count()))};
    response.body() = domain::DumpJson(domain::RegistryEnvelope(error, context));
    response.keep_alive(false);
    response.prepare_payload();
    Write(std::move(response));
  }

  void Write(Response response) {
    if (response.result() == http::status::ok && response[http::field::content_type] == kEventStreamType) {
      return StartEventStream(response);
    }
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    spdlog::info("{} {} {} {:.1f} ms", std::string(request_.method_string()), std::string(request_.target()),
                 response.result_int(), ms);
    response_ = std::make_shared<Response>(std::move(response));
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_write(stream_, *response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->response_->keep_alive()) return self->Close();
      self->DoRead();
    });
  }

  // The head as the router made it; the feed's messages follow until either side closes.
  void StartEventStream(const Response& head) {
    spdlog::info("{} {} -> event stream", std::string(request_.method_string()), std::string(request_.target()));
    std::string text = "HTTP/1.1 200 OK\r\n";
    for (const auto& field : head) text += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
    text += "\r\n";
    auto message = std::make_shared<const std::string>(std::move(text));
    unsent_bytes_ += message->size();
    unsent_.push_front(std::move(message));
    WriteNextEvent();
    WatchEventStream();
    heartbeat_.emplace(stream_.get_executor());
    Heartbeat();
  }

  // Everything queued (up to kEventWriteBatch messages) in one gathered write:
  // a burst costs a few system calls, not one per event.
  void WriteNextEvent() {
    if (stream_closed_ || unsent_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto batch = std::make_shared<std::vector<std::shared_ptr<const std::string>>>(
        unsent_.begin(), unsent_.begin() + static_cast<std::ptrdiff_t>(std::min(unsent_.size(), kEventWriteBatch)));
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(batch->size());
    for (const auto& message : *batch) buffers.push_back(asio::buffer(*message));
    // `batch` keeps the texts alive while they are written, whatever happens to the queue.
    asio::async_write(stream_, buffers, [self = this->shared_from_this(), batch](beast::error_code ec, std::size_t) {
      // Closed meanwhile (cut off by Deliver): the queue is gone already.
      if (ec || self->stream_closed_) return self->CloseEventStream();
      for (const auto& message : *batch) {
        self->unsent_bytes_ -= message->size();
        self->unsent_.pop_front();
      }
      self->WriteNextEvent();
    });
  }

  // A consumer sends nothing; a read ends when it goes away.
  void WatchEventStream() {
    stream_.async_read_some(asio::buffer(watch_buffer_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->CloseEventStream();
      self->WatchEventStream();
    });
  }

  void Heartbeat() {
    static const auto kComment = std::make_shared<const std::string>(": keep-alive\n\n");
    heartbeat_->expires_after(kEventHeartbeat);
    heartbeat_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->stream_closed_) return;
      if (self->Deliver(kComment)) self->Heartbeat();
    });
  }

  void CloseEventStream() {
    if (stream_closed_) return;
    stream_closed_ = true;
    unsent_.clear();
    if (heartbeat_) heartbeat_->cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  void Close() {
    slot_.SetIdle(this);
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    }
  }

  Router& router_;
  std::uint16_t mqtt_bridge_port_;
  ConnectionLimit::Slot slot_;  // before the stream: released after the socket closes
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request request_;
  std::shared_ptr<Response> response_;
  std::chrono::steady_clock::time_point started_;
  // An event stream (GET /offhub/v1/events), once the router opened one.
  std::deque<std::shared_ptr<const std::string>> unsent_;
  std::size_t unsent_bytes_ = 0;
  bool writing_ = false;
  bool stream_closed_ = false;
  std::array<char, 256> watch_buffer_{};
  std::optional<asio::steady_timer> heartbeat_;
};

class Listener final : public HttpServer, public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, Router& router, tcp::endpoint endpoint, asio::ssl::context* tls,
           std::uint16_t mqtt_bridge_port, std::shared_ptr<ConnectionLimit> limit)
      : router_(router),
        acceptor_(io),
        pause_(io),
        tls_(tls),
        mqtt_bridge_port_(mqtt_bridge_port),
        limit_(std::move(limit)) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  std::uint16_t port() const override { return acceptor_.local_endpoint().port(); }
  void Stop() override {
    beast::error_code ignored;
    acceptor_.close(ignored);
    pause_.cancel();
  }

  void DoAccept() {
    acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (ec) return self->PauseAccepting(ec);
      self->OnAccepted(std::move(s));
      self->DoAccept();
    });
  }

 private:
  // Out of descriptors (EMFILE, ENFILE) or any other failure: retrying at
  // once would fail again at once, for ever. Wait a moment; free a
  // descriptor for the next accept if an idle connection holds one.
  void PauseAccepting(const beast::error_code& ec) {
    if (++failed_accepts_ == 1) spdlog::warn("accept failed: {}; pausing {} ms", ec.message(), kAcceptPause.count());
    if (ec == asio::error::no_descriptors || ec.value() == ENFILE) limit_->EvictOldestIdle();
    pause_.expires_after(kAcceptPause);
    pause_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->DoAccept();
    });
  }

  void OnAccepted(tcp::socket socket) {
    if (failed_accepts_ > 0) spdlog::info("accepting again after {} failed accepts", std::exchange(failed_accepts_, 0));
    if (!limit_->MakeRoom()) {
      if (++refused_ % 100 == 1) spdlog::warn("refused a connection: all {} connections are busy", limit_->max());
      return;  // the socket closes here
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls_) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(router_, mqtt_bridge_port_, limit_->Take(),
                                                                      std::move(socket), *tls_)
          ->Start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(router_, mqtt_bridge_port_, limit_->Take(), std::move(socket))
          ->Start();
    }
  }

  Router& router_;
  tcp::acceptor acceptor_;
  asio::steady_timer pause_;
  asio::ssl::context* tls_;
  std::uint16_t mqtt_bridge_port_;
  std::shared_ptr<ConnectionLimit> limit_;
  std::uint64_t failed_accepts_ = 0;
  std::uint64_t refused_ = 0;
};

// The app holds a unique_ptr; the accept loop holds the listener alive too.
class ListenerHandle final : public HttpServer {
 public:
  explicit ListenerHandle(std::shared_ptr<Listener> listener) : listener_(std::move(listener)) {}
  ~ListenerHandle() override { listener_->Stop(); }
  std::uint16_t port() const override { return listener_->port(); }
  void Stop() override { listener_->Stop(); }

 private:
  std::shared_ptr<Listener> listener_;
};

}  // namespace

std::unique_ptr<HttpServer> StartHttpServer(asio::io_context& io, Router& router, const std::string& address,
                                            std::uint16_t port, asio::ssl::context* tls,
                                            std::uint16_t mqtt_bridge_port, std::shared_ptr<ConnectionLimit> limit) {
  const tcp::endpoint endpoint(asio::ip::make_address(address), port);
  if (!limit) limit = ConnectionLimit::ForOpenFiles();
  auto listener = std::make_shared<Listener>(io, router, endpoint, tls, mqtt_bridge_port, std::move(limit));
  listener->DoAccept();
  return std::make_unique<ListenerHandle>(std::move(listener));
}

}  // namespace offhub::emulator::rest
