// Runs make(0) … make(n - 1) at once on the awaiting coroutine's executor and resumes once every
// one has ended; then rethrows the first exception any of them threw. Run it on a strand (or a
// one-thread io_context) when the coroutines share state: they take turns on that executor.
//
// `make` is kept (by value) until all have ended, so coroutines it makes may refer to its
// captures. Callers pass a named function object (docs/decisions.md: lambda temporaries in
// co_await expressions).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <exception>

namespace frontdoor {

template <class Make>
boost::asio::awaitable<void> run_all(std::size_t n, Make make) {
  namespace asio = boost::asio;
  auto executor = co_await asio::this_coro::executor;
  std::size_t left = n;
  std::exception_ptr failure;
  asio::steady_timer all_ended(executor, asio::steady_timer::time_point::max());
  for (std::size_t i = 0; i < n; ++i) {
    asio::co_spawn(executor, make(i), [&](std::exception_ptr error) {
      if (error && !failure) failure = error;
      if (--left == 0) all_ended.cancel();
    });
  }
  if (left > 0) {  // the coroutines start only once this one waits: none has ended yet
    boost::system::error_code ignored;
    co_await all_ended.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace frontdoor
