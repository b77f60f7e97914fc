// A pass of background work (routing, interpreting) that runs again and again on a strand of
// its own: at once after kick() (kicks while a pass runs make one more pass, not one each), else
// after `idle`; after `retry` while Redis is unreachable (readiness reports that, so it is not
// logged); any other failure is logged as "<name>_failed" and the next pass goes on.
// stop() is final: no pass starts after it. The pass is not a member of the caller's object
// alone: the loop keeps itself alive until its last pass ends.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace frontdoor::events {

class PassLoop : public std::enable_shared_from_this<PassLoop> {
 public:
  using Pass = std::function<boost::asio::awaitable<void>()>;
  struct Timing {
    std::chrono::milliseconds idle{1000};
    std::chrono::milliseconds retry{100};
  };

  PassLoop(boost::asio::any_io_executor executor, std::string name, Timing timing, Pass pass);
  void start();
  void kick();
  void stop();

 private:
  boost::asio::awaitable<void> run();

  std::string name_;
  Timing timing_;
  Pass pass_;
  boost::asio::steady_timer timer_;  // on a strand: the loop, kick() and stop() never run at once
  bool stopped_ = false;
  bool again_ = false;
};

}  // namespace frontdoor::events
