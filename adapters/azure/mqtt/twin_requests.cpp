#include "adapters/azure/mqtt/twin_requests.hpp"

#include <boost/asio/post.hpp>

namespace offhub::azure::mqtt {

TwinRequests::TwinRequests(boost::asio::io_context& io, std::chrono::milliseconds timeout)
    : io_(io), timeout_(timeout) {}

TwinRequests::~TwinRequests() {
  for (auto& [rid, pending] : pending_) pending.timer->cancel();
}

std::string TwinRequests::Add(Done done) {
  std::string rid = std::to_string(next_rid_++);
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, timeout_);
  timer->async_wait([alive = std::weak_ptr<bool>(alive_), this, rid](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    Finish(rid, domain::Error(domain::ErrorCode::GenericTimeout, "no answer from the hub in time"));
  });
  pending_.emplace(rid, Pending{std::move(done), std::move(timer)});
  return rid;
}

bool TwinRequests::Complete(std::string_view rid, TwinAnswer answer) {
  if (pending_.find(rid) == pending_.end()) return false;
  Finish(rid, std::move(answer));
  return true;
}

void TwinRequests::Fail(std::string_view rid, domain::Error error) { Finish(rid, std::move(error)); }

void TwinRequests::FailAll(const domain::Error& error) {
  while (!pending_.empty()) Finish(pending_.begin()->first, error);
}

void TwinRequests::Finish(std::string_view rid, domain::Result<TwinAnswer> result) {
  const auto it = pending_.find(rid);
  if (it == pending_.end()) return;
  it->second.timer->cancel();
  auto done = std::move(it->second.done);
  pending_.erase(it);
  boost::asio::post(io_, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

}  // namespace offhub::azure::mqtt
