#include "adapters/emulator/events/event_feed.hpp"

#include <algorithm>
#include <iterator>

#include "domain/json_text.hpp"

namespace offhub::emulator {
namespace {

std::shared_ptr<const std::string> Message(std::uint64_t sequence, std::string_view name, const nlohmann::json& data) {
  return std::make_shared<const std::string>("id: " + std::to_string(sequence) + "\nevent: " + std::string(name) +
                                             "\ndata: " + domain::DumpJson(data) + "\n\n");
}

// The bytes an event's data holds, roughly: what counts is the bodies.
std::size_t RoughSize(const nlohmann::json& data) {
  std::size_t bytes = 256;
  for (const char* field : {"body", "bodyBase64"}) {
    if (const auto it = data.find(field); it != data.end() && it->is_string()) bytes += it->get_ref<const std::string&>().size();
  }
  return bytes;
}

}  // namespace

const std::shared_ptr<const std::string>& EventFeed::Text(Event& event) {
  if (!event.text) event.text = Message(event.sequence, event.name, event.data);
  return event.text;
}

void EventFeed::Publish(std::string_view name, nlohmann::json data) {
  const std::uint64_t sequence = next_++;
  nlohmann::json stamped = {{"sequence", sequence}, {"time", domain::FormatUtc(clock_.Now())}};
  // A device's answer that is not JSON is spliced raw into IoT Hub's own
  // answers; in an event it is a string, so every event is JSON and no
  // device's text can add fields to it.
  for (auto& [key, value] : data.items()) stamped[key] = domain::RawJsonAsStrings(std::move(value));
  const std::size_t bytes = RoughSize(stamped);
  retained_.push_back({sequence, std::string(name), std::move(stamped), bytes});
  retained_bytes_ += bytes;
  while (retained_.size() > kRetained || (retained_bytes_ > kRetainedBytes && retained_.size() > 1)) {
    retained_bytes_ -= retained_.front().bytes;
    retained_.pop_front();
  }
  if (subscribers_.empty()) return;
  const auto text = Text(retained_.back());
  std::erase_if(subscribers_, [&](const std::weak_ptr<EventSubscriber>& weak) {
    const auto subscriber = weak.lock();
    return !subscriber || !subscriber->Deliver(text);
  });
}

std::size_t EventFeed::subscribers() {
  std::erase_if(subscribers_, [](const std::weak_ptr<EventSubscriber>& weak) { return weak.expired(); });
  return subscribers_.size();
}

void EventFeed::Subscribe(const std::shared_ptr<EventSubscriber>& subscriber, std::optional<std::uint64_t> since) {
  if (since && *since > last_sequence()) {
    // Numbers of an earlier run (a restart): everything of this one is new to the consumer.
    if (!subscriber->Deliver(Message(last_sequence(), "eventsLost", {{"from", 1}, {"to", last_sequence()}}))) return;
  } else if (since && *since < last_sequence()) {
    // The newest retained events after `since`, within kReplayBytes.
    auto first = retained_.end();
    std::size_t bytes = 0;
    while (first != retained_.begin() && std::prev(first)->sequence > *since) {
      bytes += Text(*std::prev(first))->size();
      if (bytes > kReplayBytes && first != retained_.end()) break;
      --first;
    }
    std::uint64_t expected = *since + 1;
    const auto lost = [&](std::uint64_t to) {
      return subscriber->Deliver(Message(to, "eventsLost", nlohmann::json{{"from", expected}, {"to", to}}));
    };
    for (auto event = first; event != retained_.end(); ++event) {
      if (event->sequence > expected && !lost(event->sequence - 1)) return;
      if (!subscriber->Deliver(Text(*event))) return;
      expected = event->sequence + 1;
    }
    if (expected <= last_sequence() && !lost(last_sequence())) return;
  }
  subscribers_.push_back(subscriber);
}

}  // namespace offhub::emulator
