#pragma once
// The hub's events (hub/hub_events.hpp) as a feed for GET /offhub/v1/events:
// numbered from 1, stamped with the hub's clock, each handed to every
// subscriber as one Server-Sent Events message
//
//   id: <sequence>
//   event: <name>
//   data: {"sequence":<n>,"time":"<ISO 8601 UTC>", ...the event's data}
//
// Events are built only while a subscriber is connected (the rest are
// numbered, not built: a hub nobody watches pays nothing). Of those, the
// last kRetained (at most kRetainedBytes, roughly) are kept, so a subscriber
// can resume after the last sequence it saw; for each stretch it cannot get
// (dropped, or never built) it gets an `eventsLost` message
// {"from":<first lost>,"to":<last lost>} in its place.
//
// Subscribers are held weakly: one that is gone, or that refuses a message
// (its reader is too slow, see EventSubscriber), is forgotten. Publishing
// never waits for a subscriber and never calls back into the hub.
// Threading: the hub's event loop.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/emulator/hub/hub_events.hpp"
#include "ports/clock.hpp"

namespace offhub::emulator {

class EventSubscriber {
 public:
  virtual ~EventSubscriber() = default;
  // Takes one message's text (shared by every subscriber: never modified).
  // False: the subscriber is closed or cut off, and wants no more.
  virtual bool Deliver(const std::shared_ptr<const std::string>& message) = 0;
};

class EventFeed final : public HubEvents {
 public:
  static constexpr std::size_t kRetained = 10'000;
  static constexpr std::size_t kRetainedBytes = 64u << 20;
  // A resume replays at most this much of the newest retained events (the
  // older ones are announced as `eventsLost`): well under what a consumer
  // may have unsent before the REST front cuts it off (4 MiB), so a
  // resuming consumer is never cut off by its own replay.
  static constexpr std::size_t kReplayBytes = 1u << 20;
  // At most this many streams at once (the next is 429): event streams are
  // long-lived connections the REST front cannot reclaim, and must leave
  // room for everything else (/health, the API).
  static constexpr std::size_t kMaxSubscribers = 100;

  explicit EventFeed(ports::Clock& clock) : clock_(clock) {}

  void Publish(std::string_view name, nlohmann::json data) override;
  // Events are built only while someone watches; the others are numbered
  // and lost (a resume across them gets `eventsLost`).
  bool watched() const override { return !subscribers_.empty(); }
  void Skip() override { ++next_; }

  // Adds a subscriber. With `since`, it first gets the retained events after
  // that sequence number, at most kReplayBytes of the newest (live ones
  // follow); without, only new events. A `since` past the last event (the
  // consumer followed an earlier run of the hub) gets `eventsLost` from 1.
  void Subscribe(const std::shared_ptr<EventSubscriber>& subscriber, std::optional<std::uint64_t> since);

  std::uint64_t last_sequence() const { return next_ - 1; }
  // Subscribers still connected.
  std::size_t subscribers();

 private:
  struct Event {
    std::uint64_t sequence;
    std::string name;
    nlohmann::json data;  // with sequence and time; raw device text as strings (valid JSON)
    std::size_t bytes;    // roughly, for the retention bound
    std::shared_ptr<const std::string> text{};  // rendered on first delivery
  };
  const std::shared_ptr<const std::string>& Text(Event& event);

  ports::Clock& clock_;
  std::uint64_t next_ = 1;
  std::deque<Event> retained_;
  std::size_t retained_bytes_ = 0;
  std::vector<std::weak_ptr<EventSubscriber>> subscribers_;
};

}  // namespace offhub::emulator
