// Hub-side device topics, the broker configuration text and the Asio clock.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include "adapters/asio/asio_clock.hpp"
#include "domain/json_text.hpp"
#include "adapters/emulator/mqtt/broker_process.hpp"
#include "adapters/emulator/mqtt/device_messages.hpp"

using namespace offhub::emulator;
using nlohmann::json;

TEST_CASE("classifying device topics") {
  const auto answer = ClassifyDeviceTopic("d1", "$iothub/methods/res/404/?$rid=17");
  CHECK(answer.kind == DeviceMessageKind::kMethodResponse);
  CHECK(answer.status == 404);
  CHECK(answer.rid == "17");
  CHECK(ClassifyDeviceTopic("d1", "$iothub/twin/GET/?$rid=abc").kind == DeviceMessageKind::kTwinGet);
  CHECK(ClassifyDeviceTopic("d1", "$iothub/twin/GET/?$rid=abc").rid == "abc");
  CHECK(ClassifyDeviceTopic("d1", "$iothub/twin/PATCH/properties/reported/?$rid=9&x=1").kind ==
        DeviceMessageKind::kReportedPatch);
  CHECK(ClassifyDeviceTopic("d1", "devices/d1/messages/events/a=b").kind == DeviceMessageKind::kTelemetry);
  CHECK(ClassifyDeviceTopic("d1", "devices/d2/messages/events/").kind == DeviceMessageKind::kOther);
  CHECK(ClassifyDeviceTopic("d1/m", "devices/d1/modules/m/messages/events/").kind == DeviceMessageKind::kTelemetry);
  CHECK(ClassifyDeviceTopic("d1/m", "devices/d1/messages/events/").kind == DeviceMessageKind::kOther);
  CHECK(ClassifyDeviceTopic("d1", "$iothub/methods/res/abc/?$rid=1").kind == DeviceMessageKind::kOther);
  CHECK(ClassifyDeviceTopic("d1", "$iothub/methods/res/").kind == DeviceMessageKind::kOther);
  CHECK(ClassifyDeviceTopic("d1", "").kind == DeviceMessageKind::kOther);
  CHECK(ClassifyDeviceTopic("d1", "$iothub/twin/GET/").rid.empty());
}

TEST_CASE("query values") {
  CHECK(TopicQueryValue("t/?$rid=1&$version=5", "$version") == std::optional<std::string>("5"));
  CHECK(TopicQueryValue("t/?$rid=", "$rid") == std::optional<std::string>(""));
  CHECK(TopicQueryValue("t/?a", "a") == std::optional<std::string>(""));
  CHECK_FALSE(TopicQueryValue("t/?a=1", "$rid"));
  CHECK_FALSE(TopicQueryValue("t/$rid=1", "$rid"));
}

TEST_CASE("method answers and requests") {
  CHECK(MethodAnswerPayload("").is_null());
  CHECK(MethodAnswerPayload("null").is_null());
  CHECK(MethodAnswerPayload(R"({"a":1})") == json{{"a", 1}});
  CHECK(MethodAnswerPayload("\"foo\"") == json("foo"));
  CHECK(offhub::domain::RawJsonText(MethodAnswerPayload("not json")) == "not json");  // passed on as sent
  CHECK(MethodRequestTopic("lockDoor", 42) == std::optional<std::string>("$iothub/methods/POST/lockDoor/?$rid=42"));
  for (const std::string_view bad : {"", "a/b", "a?b", "a+b", "a#b", "a\nb"}) CHECK_FALSE(MethodRequestTopic(bad, 1));
  CHECK(TwinResponseTopic(200, "r") == "$iothub/twin/res/200/?$rid=r");
  CHECK(TwinPatchResponseTopic("r", 7) == "$iothub/twin/res/204/?$rid=r&$version=7");
  CHECK(DesiredPatchTopic(3) == "$iothub/twin/PATCH/properties/desired/?$version=3");
}

TEST_CASE("the generated mosquitto.conf") {
  BrokerConfig config;
  config.plugin_path = "/x/offhub_broker_plugin.so";
  config.hub_username = "hub";
  config.hub_password = "s3cret";
  config.tls = BrokerTlsListener{0, "/c.pem", "/k.pem"};
  config.run_as_user = "someone";
  const std::string text = RenderBrokerConfig(config, 1883, 8883);
  for (const std::string_view line :
       {"per_listener_settings false\n", "allow_anonymous false\n", "persistence false\n", "set_tcp_nodelay true\n",
        "max_queued_messages 100000\n", "max_inflight_messages 0\n", "max_inflight_bytes 67108864\n", "plugin /x/offhub_broker_plugin.so\n",
        "plugin_opt_hub_username hub\n", "plugin_opt_hub_password s3cret\n", "listener 1883 127.0.0.1\n",
        "listener 8883 127.0.0.1\ncertfile /c.pem\nkeyfile /k.pem\n", "user someone\n"}) {
    CHECK(text.find(line) != std::string::npos);
  }
  CHECK(text.find("max_queued_messages 0") == std::string::npos);
  CHECK(MakeRunSecret().size() == 32);
  CHECK(MakeRunSecret() != MakeRunSecret());
}

TEST_CASE("the Asio clock runs timers in time order, equal instants in call order") {
  boost::asio::io_context io;
  auto clock = offhub::MakeAsioClock(io);
  const auto start = clock->Now();
  std::vector<int> order;
  const auto later = start.PlusMillis(20);
  clock->CallAt(later, [&] { order.push_back(3); });
  clock->CallAt(later, [&] { order.push_back(4); });
  clock->CallAt(start.PlusMillis(5), [&] { order.push_back(2); });
  clock->CallAt(start.PlusSeconds(-10), [&] { order.push_back(1); });
  const auto cancelled = clock->CallAt(start.PlusMillis(10), [&] { order.push_back(99); });
  clock->Cancel(cancelled);
  clock->Cancel(cancelled);
  clock->Cancel(12345);
  CHECK(order.empty());  // never from inside CallAt
  io.run_for(std::chrono::seconds(2));
  CHECK(order == std::vector<int>{1, 2, 3, 4});
  CHECK(clock->Now() >= later);
  SUBCASE("a timer set from a timer") {
    io.restart();
    bool ran = false;
    clock->CallAfterSeconds(0, [&] { clock->CallAt(clock->Now(), [&] { ran = true; }); });
    io.run_for(std::chrono::seconds(1));
    CHECK(ran);
  }
}
