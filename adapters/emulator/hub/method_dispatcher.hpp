#pragma once
// Direct-method calls, and their only owner: every call to a device or
// module, direct or from a job, waits in one list for an offline identity
// and is timed here (connect timeout while waiting, response timeout once
// sent). Implements the methods port; the job engine places its calls with
// Place(), which also tells it when a waiting call goes out and lets it
// cancel what its window no longer allows.
//
// Threading: the hub's event loop only. `done` never runs after Cancel() or
// the dispatcher's destruction; it may run inside Place()/InvokeMethod() when
// the answer is known at once (unknown identity, offline with no connect
// timeout).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/emulator/hub/registry.hpp"
#include "domain/method_request.hpp"
#include "domain/method_result.hpp"
#include "domain/result.hpp"
#include "ports/clock.hpp"
#include "ports/device_channel.hpp"
#include "ports/method_service.hpp"

namespace offhub::emulator {

class MethodDispatcher final : public ports::MethodService {
 public:
  using CallId = std::uint64_t;
  using Done = MethodCallback;

  MethodDispatcher(ports::Clock& clock, ports::DeviceChannel& channel, const Registry& registry)
      : clock_(clock), channel_(channel), registry_(registry) {}
  // Stops every timer and tells the channel to forget calls in flight.
  ~MethodDispatcher() override;
  MethodDispatcher(const MethodDispatcher&) = delete;
  MethodDispatcher& operator=(const MethodDispatcher&) = delete;

  // Sends now if the identity is reachable; else waits up to the request's
  // connect timeout for it to subscribe (404103 DeviceNotOnline after that,
  // at once when the timeout is 0). Then 504101 GatewayTimeout if no answer
  // comes within the response timeout.
  void InvokeMethod(const ports::Identity& identity, const domain::MethodRequest& request, Done done) override;

  struct Placed {
    std::optional<CallId> id;  // nullopt: `done` has run already
    bool sent = false;         // false: waiting for the identity to subscribe
  };
  // The same call by identity key. `connect_timeout_seconds` nullopt: wait
  // until cancelled. `on_sent` runs when a waiting call goes out.
  Placed Place(std::string key, const domain::MethodRequest& request,
               std::optional<std::int64_t> connect_timeout_seconds, std::function<void()> on_sent, Done done);
  // Drops a waiting or sent call; its `done` never runs, a late answer is ignored.
  void Cancel(CallId id);

  // Presence: the identity subscribed to methods; its waiting calls go out.
  void OnDeviceReachable(std::string_view key);

  // Ends every call to an identity the registry no longer has (404, as for a
  // call placed now): after the registry's state was replaced.
  void EndCallsOfRemoved();

  // Calls sent to a device and not answered, timed out or cancelled yet.
  std::size_t awaiting_answer() const { return calls_.size() - waiting_.size(); }

 private:
  struct Call {
    std::string key;
    domain::MethodRequest request;
    std::function<void()> on_sent;
    Done done;
    std::optional<ports::Clock::TimerId> timer;
    bool sent = false;
  };
  // Sends a call the channel can deliver now; false if it could not after all.
  bool Send(CallId id, Call& call);
  // Whichever comes first, the answer or a timeout, finishes the call.
  void Finish(CallId id, domain::Result<domain::MethodResult> result);
  // Forgets a call: its timer and its place in the waiting list.
  void Remove(std::map<CallId, Call>::iterator it);

  ports::Clock& clock_;
  ports::DeviceChannel& channel_;
  const Registry& registry_;
  CallId next_id_ = 0;
  std::map<CallId, Call> calls_;
  std::multimap<std::string, CallId, std::less<>> waiting_;  // identity key -> calls waiting for it
};

}  // namespace offhub::emulator
