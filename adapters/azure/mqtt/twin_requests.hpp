#pragma once
// TwinRequests: the twin GETs and reported PATCHes waiting for their
// $iothub/twin/res answer, keyed by $rid, each with its own timeout.
//
// Contract
// - Add() returns a fresh rid ("1", "2", ...); the request completes exactly
//   once: Complete() with the hub's answer, Fail()/FailAll() with an error,
//   or 504 GenericTimeout when `timeout` passes first.
// - Completion callbacks run on the io_context and never inside Add, Fail,
//   FailAll or Complete (they are posted), so callers may re-enter freely.
// - An answer for an unknown rid (late, duplicate, or never asked) is
//   dropped: Complete() returns false.
// - Destroying the table drops pending requests without calling them.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "domain/result.hpp"

namespace offhub::azure::mqtt {

struct TwinAnswer {
  int status = 0;
  std::optional<std::int64_t> version;  // $version of the response topic
  std::string body;
};

class TwinRequests {
 public:
  using Done = std::function<void(domain::Result<TwinAnswer>)>;

  TwinRequests(boost::asio::io_context& io, std::chrono::milliseconds timeout);
  ~TwinRequests();
  TwinRequests(const TwinRequests&) = delete;
  TwinRequests& operator=(const TwinRequests&) = delete;

  std::string Add(Done done);
  bool Complete(std::string_view rid, TwinAnswer answer);
  void Fail(std::string_view rid, domain::Error error);
  void FailAll(const domain::Error& error);
  std::size_t size() const { return pending_.size(); }

 private:
  struct Pending {
    Done done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  void Finish(std::string_view rid, domain::Result<TwinAnswer> result);

  boost::asio::io_context& io_;
  std::chrono::milliseconds timeout_;
  std::uint64_t next_rid_ = 1;
  std::map<std::string, Pending, std::less<>> pending_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace offhub::azure::mqtt
