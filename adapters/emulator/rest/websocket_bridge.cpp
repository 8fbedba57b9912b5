#include "adapters/emulator/rest/websocket_bridge.hpp"

#include <array>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <spdlog/spdlog.h>

namespace offhub::emulator::rest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;

template <class Stream>
class MqttBridge : public std::enable_shared_from_this<MqttBridge<Stream>> {
 public:
  MqttBridge(Stream stream, std::uint16_t broker_port, ConnectionLimit::Slot slot)
      : slot_(std::move(slot)), ws_(std::move(stream)), broker_(ws_.get_executor()), broker_port_(broker_port) {}

  void Start(Request request) {
    ws_.binary(true);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
      response.set(http::field::sec_websocket_protocol, "mqtt");
      response.set(http::field::server, "offhub");
    }));
    request_ = std::move(request);
    ws_.async_accept(request_, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->ConnectBroker();
    });
  }

 private:
  void ConnectBroker() {
    broker_.async_connect({asio::ip::make_address("127.0.0.1"), broker_port_},
                          [self = this->shared_from_this()](beast::error_code ec) {
                            if (ec) {
                              spdlog::warn("MQTT WebSocket: the broker is unreachable: {}", ec.message());
                              return self->Close();
                            }
                            self->broker_.set_option(tcp::no_delay(true));
                            self->ReadDevice();
                            self->ReadBroker();
                          });
  }

  // Device -> broker: one WebSocket message at a time, written whole.
  void ReadDevice() {
    ws_.async_read(from_device_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      asio::async_write(self->broker_, self->from_device_.data(),
                        [self](beast::error_code ec, std::size_t n) {
                          if (ec) return self->Close();
                          self->from_device_.consume(n);
                          self->ReadDevice();
                        });
    });
  }

  // Broker -> device: whatever bytes arrive, as one binary message.
  void ReadBroker() {
    broker_.async_read_some(asio::buffer(from_broker_), [self = this->shared_from_this()](beast::error_code ec,
                                                                                         std::size_t n) {
      if (ec) return self->Close();
      self->ws_.async_write(asio::buffer(self->from_broker_.data(), n), [self](beast::error_code ec, std::size_t) {
        if (ec) return self->Close();
        self->ReadBroker();
      });
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    broker_.shutdown(tcp::socket::shutdown_both, ignored);
    broker_.close(ignored);
    if (ws_.is_open()) ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](beast::error_code) {});
  }

  ConnectionLimit::Slot slot_;  // first: released after both sockets close
  websocket::stream<Stream> ws_;
  tcp::socket broker_;
  std::uint16_t broker_port_;
  Request request_;
  beast::flat_buffer from_device_;
  std::array<char, 16 * 1024> from_broker_{};
  bool closed_ = false;
};

}  // namespace

bool IsMqttWebSocketUpgrade(const Request& request) {
  const auto target = std::string_view(request.target());
  return websocket::is_upgrade(request) && target.substr(0, target.find('?')) == kMqttWebSocketPath;
}

void StartMqttBridge(beast::tcp_stream stream, Request request, std::uint16_t broker_port,
                     ConnectionLimit::Slot slot) {
  std::make_shared<MqttBridge<beast::tcp_stream>>(std::move(stream), broker_port, std::move(slot))
      ->Start(std::move(request));
}

void StartMqttBridge(beast::ssl_stream<beast::tcp_stream> stream, Request request, std::uint16_t broker_port,
                     ConnectionLimit::Slot slot) {
  std::make_shared<MqttBridge<beast::ssl_stream<beast::tcp_stream>>>(std::move(stream), broker_port, std::move(slot))
      ->Start(std::move(request));
}

}  // namespace offhub::emulator::rest
