// The event feed in process, with a subscriber that records what it is given:
// resumes bounded by kReplayBytes, a resume from an earlier run of the hub,
// device text that is not JSON, and who counts as subscribed.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/emulator/events/event_feed.hpp"
#include "domain/json_text.hpp"
#include "tests/fakes/manual_clock.hpp"

using namespace offhub;
using nlohmann::json;

namespace {

struct Recorder : emulator::EventSubscriber {
  std::vector<std::string> messages;
  std::size_t bytes = 0;
  bool Deliver(const std::shared_ptr<const std::string>& message) override {
    messages.push_back(*message);
    bytes += message->size();
    return true;
  }
  // The event's name and its data.
  std::pair<std::string, json> At(std::size_t i) const {
    const auto& m = messages.at(i);
    const auto name_at = m.find("event: ") + 7;
    const auto data_at = m.find("data: ") + 6;
    return {m.substr(name_at, m.find('\n', name_at) - name_at), json::parse(m.substr(data_at))};
  }
};

struct Feed {
  fakes::ManualClock clock{domain::UtcTime{}};
  emulator::EventFeed feed{clock};
  std::shared_ptr<Recorder> watcher = std::make_shared<Recorder>();  // keeps events built
  Feed() { feed.Subscribe(watcher, std::nullopt); }
};

}  // namespace

TEST_CASE("a resume replays at most kReplayBytes of the newest events after `since`; eventsLost says what it skipped") {
  Feed f;
  const std::string body(64 * 1024, 'x');
  for (int i = 0; i < 100; ++i) f.feed.Publish("telemetry", {{"deviceId", "d"}, {"body", body}});  // 6.4 MiB retained
  auto resumed = std::make_shared<Recorder>();
  f.feed.Subscribe(resumed, 0);
  CHECK(resumed->bytes <= emulator::EventFeed::kReplayBytes + 1024);
  REQUIRE(resumed->messages.size() > 2);
  const auto [name, lost] = resumed->At(0);
  CHECK(name == "eventsLost");
  CHECK(lost["from"] == 1);
  const std::uint64_t first_replayed = resumed->At(1).second["sequence"];
  CHECK(lost["to"] == first_replayed - 1);
  CHECK(resumed->At(resumed->messages.size() - 1).second["sequence"] == 100);  // up to the newest
  // A small resume is replayed whole.
  auto near = std::make_shared<Recorder>();
  f.feed.Subscribe(near, 97);
  REQUIRE(near->messages.size() == 3);
  CHECK(near->At(0).second["sequence"] == 98);
}

TEST_CASE("a `since` past the last event (an earlier run of the hub) gets eventsLost from 1, then live events") {
  Feed f;
  f.feed.Publish("deviceConnected", {{"deviceId", "a"}});
  auto stale = std::make_shared<Recorder>();
  f.feed.Subscribe(stale, 1323);
  REQUIRE(stale->messages.size() == 1);
  CHECK(stale->At(0).first == "eventsLost");
  CHECK(stale->At(0).second == json{{"from", 1}, {"to", 1}});
  f.feed.Publish("deviceConnected", {{"deviceId", "b"}});
  REQUIRE(stale->messages.size() == 2);
  CHECK(stale->At(1).second["deviceId"] == "b");
}

TEST_CASE("a device's answer that is not JSON is a string in the event: valid JSON, no field of its own") {
  Feed f;
  const std::string spoof = R"(null}},"deviceId":"victim","x":{"y":{"z":null)";
  f.feed.Publish("deviceJobChanged",
                 {{"jobId", "j"}, {"deviceId", "d"}, {"outcome", {{"deviceMethodResponse", {{"status", 200}, {"payload", domain::RawJson(spoof)}}}}}});
  const auto [name, data] = f.watcher->At(0);
  CHECK(data["deviceId"] == "d");
  CHECK(data["outcome"]["deviceMethodResponse"]["payload"] == spoof);
}

TEST_CASE("subscribers() counts only those still there") {
  Feed f;
  CHECK(f.feed.subscribers() == 1);
  {
    auto gone = std::make_shared<Recorder>();
    f.feed.Subscribe(gone, std::nullopt);
    CHECK(f.feed.subscribers() == 2);
  }
  CHECK(f.feed.subscribers() == 1);
}
