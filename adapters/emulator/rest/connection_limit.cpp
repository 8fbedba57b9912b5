#include "adapters/emulator/rest/connection_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <utility>

namespace offhub::emulator::rest {

std::shared_ptr<ConnectionLimit> ConnectionLimit::Make(std::size_t max_connections) {
  return std::shared_ptr<ConnectionLimit>(new ConnectionLimit(std::max<std::size_t>(max_connections, 1)));
}

std::shared_ptr<ConnectionLimit> ConnectionLimit::ForOpenFiles() {
  rlimit files{};
  std::size_t soft = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    soft = files.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(files.rlim_cur);
  }
  const std::size_t usable = soft > kReservedFiles ? soft - kReservedFiles : 0;
  return Make(std::max(usable, kMinConnections));
}

bool ConnectionLimit::MakeRoom() {
  while (open_ >= max_ && EvictOldestIdle()) {
  }
  return open_ < max_;
}

bool ConnectionLimit::EvictOldestIdle() {
  if (idle_.empty()) return false;
  Evictable* oldest = idle_.front();
  oldest->Evict();  // releases its slot, which takes it off the list
  return idle_.empty() || idle_.front() != oldest;  // one that did not would be evicted for ever
}

ConnectionLimit::Slot ConnectionLimit::Take() {
  Slot slot;
  slot.limit_ = shared_from_this();
  slot.units_ = 1;
  ++open_;
  return slot;
}

ConnectionLimit::Slot& ConnectionLimit::Slot::operator=(Slot&& other) noexcept {
  if (this == &other) return *this;
  Release();
  limit_ = std::move(other.limit_);
  units_ = std::exchange(other.units_, 0);
  idle_ = std::exchange(other.idle_, std::nullopt);
  return *this;
}

void ConnectionLimit::Slot::SetIdle(Evictable* who) {
  if (!limit_) return;
  if (who && !idle_) idle_ = limit_->idle_.insert(limit_->idle_.end(), who);
  if (!who && idle_) {
    limit_->idle_.erase(*idle_);
    idle_.reset();
  }
}

void ConnectionLimit::Slot::Grow(std::size_t units) {
  if (!limit_) return;
  units_ += units;
  limit_->open_ += units;
}

void ConnectionLimit::Slot::Release() {
  if (!limit_) return;
  SetIdle(nullptr);
  limit_->open_ -= units_;
  units_ = 0;
  limit_.reset();
}

}  // namespace offhub::emulator::rest
