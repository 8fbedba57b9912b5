#pragma once
// A device on its own thread that answers every direct method
// 200 {"answered":"<name>"} (or, made silent, none), counts desired notifications and keeps its twin
// answers; with `reconnect`, it comes back after the hub closes it, and
// subscribes again on every connection.

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

#include "tests/emulator/process_fixture.hpp"

namespace offhub::testing {

class AnsweringDevice {
 public:
  // `answer` false: calls are counted, never answered.
  AnsweringDevice(int port, const std::string& id, std::string_view key, bool reconnect = false, bool answer = true)
      : work_(asio::make_work_guard(io_)) {
    auto options = DeviceOptions(port, id, std::string(key));
    options.reconnect = reconnect;
    options.reconnect_delay = std::chrono::milliseconds(50);
    options.max_reconnect_delay = std::chrono::milliseconds(200);
    iothub::MqttHandlers handlers;
    handlers.on_connect = [this](int rc) {
      connack = rc;
      if (rc != 0) return;
      ++connects;
      mqtt_->Subscribe("$iothub/methods/POST/#", 0);
      mqtt_->Subscribe("$iothub/twin/PATCH/properties/desired/#", 0);
      mqtt_->Subscribe("$iothub/twin/res/#", 0);
    };
    handlers.on_subscribe = [this](int, int) { ++subscriptions; };
    handlers.on_message = [this, answer](std::string_view topic, std::string_view payload, int) {
      if (topic.starts_with("$iothub/twin/PATCH/properties/desired/")) {
        ++desired;
        return;
      }
      if (topic.starts_with("$iothub/twin/res/")) {
        std::lock_guard lock(mutex_);
        twin_answers_.emplace_back(std::string(topic), std::string(payload));
        return;
      }
      // $iothub/methods/POST/{name}/?$rid={rid}
      const auto name_start = std::string_view("$iothub/methods/POST/").size();
      const auto name = topic.substr(name_start, topic.find('/', name_start) - name_start);
      const auto rid = topic.substr(topic.find("$rid=") + 5);
      if (!answer) {
        ++calls;
        return;
      }
      mqtt_->Publish("$iothub/methods/res/200/?$rid=" + std::string(rid), R"({"answered":")" + std::string(name) + "\"}", 0);
      ++calls;
    };
    handlers.on_disconnect = [this](int) { disconnects += 1; };
    mqtt_ = std::make_unique<iothub::MqttConnection>(io_, options, handlers);
    mqtt_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~AnsweringDevice() {
    asio::post(io_, [this] {
      mqtt_->Stop();
      work_.reset();
    });
    thread_.join();
  }
  AnsweringDevice(const AnsweringDevice&) = delete;
  AnsweringDevice& operator=(const AnsweringDevice&) = delete;

  // Connected and subscribed to methods, desired patches and twin answers (3 per connection).
  bool WaitSubscribed(int connection = 1) {
    for (int i = 0; i < 500 && subscriptions < 3 * connection; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return subscriptions >= 3 * connection;
  }

  void Publish(const std::string& topic, const std::string& payload) {
    asio::post(io_, [this, topic, payload] { mqtt_->Publish(topic, payload, 0); });
  }
  // Disconnects (and stays away).
  void Stop() {
    std::promise<void> done;
    asio::post(io_, [this, &done] {
      mqtt_->Stop();
      done.set_value();
    });
    done.get_future().wait();
  }

  // Publishes a reported patch with $rid `rid`; the twin answer's topic, or "" after 5 s.
  std::string ReportPatch(const std::string& patch, int rid) {
    asio::post(io_, [this, patch, rid] {
      mqtt_->Publish("$iothub/twin/PATCH/properties/reported/?$rid=" + std::to_string(rid), patch, 0);
    });
    const std::string wanted = std::to_string(rid);
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mutex_);
        for (const auto& [topic, payload] : twin_answers_) {
          const auto at = topic.find("$rid=");
          if (at == std::string::npos) continue;
          const auto value = topic.substr(at + 5, topic.find('&', at) - (at + 5));
          if (value == wanted) return topic;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "";
  }

  std::atomic<int> connack{-1};
  std::atomic<int> connects{0};
  std::atomic<int> subscriptions{0};
  std::atomic<int> calls{0};
  std::atomic<int> desired{0};
  std::atomic<int> disconnects{0};

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<iothub::MqttConnection> mqtt_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> twin_answers_;
};

}  // namespace offhub::testing
