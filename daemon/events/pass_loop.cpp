#include "daemon/events/pass_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/log/log.hpp"
#include "daemon/redis/redis_client.hpp"

namespace frontdoor::events {

namespace asio = boost::asio;

PassLoop::PassLoop(asio::any_io_executor executor, std::string name, Timing timing, Pass pass)
    : name_(std::move(name)),
      timing_(timing),
      pass_(std::move(pass)),
      timer_(asio::make_strand(executor)) {}

void PassLoop::start() { asio::co_spawn(timer_.get_executor(), run(), asio::detached); }

void PassLoop::kick() {
  asio::post(timer_.get_executor(), [self = shared_from_this()] {
    self->again_ = true;
    self->timer_.cancel();
  });
}

void PassLoop::stop() {
  asio::post(timer_.get_executor(), [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

asio::awaitable<void> PassLoop::run() {
  auto keep = shared_from_this();
  while (!stopped_) {
    again_ = false;
    auto wait = timing_.idle;
    try {
      co_await pass_();
    } catch (const redis::RedisUnavailable&) {
      wait = timing_.retry;  // at start the link is usually a moment away
    } catch (const std::exception& e) {
      log::warn(name_ + "_failed", {{"error", e.what()}});
    }
    if (stopped_) break;
    if (again_) continue;
    timer_.expires_after(wait);
    boost::system::error_code ignored;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  pass_ = nullptr;  // what it captured goes now, not with the last reference to the loop
}

}  // namespace frontdoor::events
