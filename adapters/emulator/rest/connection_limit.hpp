#pragma once
// The REST front's budget of open connections, shared by its listeners (HTTP
// and HTTPS), so that a flood of connections can neither use up the process's
// file descriptors nor keep GET /health from answering.
//
// - A connection counts from its accept until its socket closes (its Slot is
//   released or destroyed). A WebSocket bridged to the broker counts twice: it
//   holds a second socket, to the broker.
// - A connection is idle while no request of it is in the router's hands:
//   during the TLS handshake, while it waits for a request and while it reads
//   one. MakeRoom(), before a new connection is taken on, evicts the
//   connections idle longest until the count is under the limit; it returns
//   false when every connection is busy (the new one is then refused). A
//   bridged WebSocket is never idle. EvictOldestIdle() evicts one, e.g. to
//   free a descriptor when accept() fails for want of one.
// - ForOpenFiles(): RLIMIT_NOFILE's soft limit less kReservedFiles (the hub
//   core's broker connection, SQLite's files, the listeners, the event loop,
//   the log and files opened for a moment), and at least kMinConnections.
// - Called on the io_context's thread only. The limit outlives its slots
//   (they hold it by shared_ptr).

#include <cstddef>
#include <list>
#include <memory>
#include <optional>

namespace offhub::emulator::rest {

class ConnectionLimit : public std::enable_shared_from_this<ConnectionLimit> {
 public:
  static constexpr std::size_t kReservedFiles = 64;
  static constexpr std::size_t kMinConnections = 16;

  // What the limit can close: a connection, while it is idle.
  class Evictable {
   public:
    virtual ~Evictable() = default;
    // Closes the socket now (its descriptor is free on return) and releases the slot.
    virtual void Evict() = 0;
  };

  // One counted connection. Movable; releases its count when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept { *this = std::move(other); }
    Slot& operator=(Slot&& other) noexcept;
    ~Slot() { Release(); }

    // `who` non-null: idle from now on (the newest idle one, unless it already
    // was idle); null: busy.
    void SetIdle(Evictable* who);
    void Grow(std::size_t units);  // a second socket, e.g. a WebSocket's to the broker
    void Release();                // the socket is closed: counts no more

   private:
    friend class ConnectionLimit;
    std::shared_ptr<ConnectionLimit> limit_;
    std::size_t units_ = 0;
    std::optional<std::list<Evictable*>::iterator> idle_;
  };

  static std::shared_ptr<ConnectionLimit> Make(std::size_t max_connections);
  static std::shared_ptr<ConnectionLimit> ForOpenFiles();

  bool MakeRoom();
  bool EvictOldestIdle();  // false when no connection is idle
  Slot Take();  // counts one connection (after MakeRoom() said yes)
  std::size_t open() const { return open_; }
  std::size_t max() const { return max_; }

 private:
  explicit ConnectionLimit(std::size_t max_connections) : max_(max_connections) {}

  std::size_t max_;
  std::size_t open_ = 0;
  std::list<Evictable*> idle_;  // oldest first
};

}  // namespace offhub::emulator::rest
