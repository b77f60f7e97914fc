// Runs CPU-bound or blocking work (password hashing, MIME parsing, writing attachments) on a
// thread pool of its own, never on an I/O thread, and resumes the awaiting coroutine on its
// own executor. Exceptions thrown by the work are rethrown in the coroutine.
//
// Not a coroutine itself, and callers pass a named function object: GCC 12 destroys lambda
// temporaries inside co_await expressions twice (docs/decisions.md).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace frontdoor {

template <class F>
boost::asio::awaitable<decltype(std::declval<F>()())> offload(boost::asio::thread_pool& pool, F f) {
  namespace asio = boost::asio;
  using R = decltype(f());
  return asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(
      [&pool, f = std::move(f)](auto handler) mutable {
        asio::post(pool, [f = std::move(f), handler = std::move(handler)]() mutable {
          std::exception_ptr error;
          R result{};
          try {
            result = f();
          } catch (...) {
            error = std::current_exception();
          }
          auto executor = asio::get_associated_executor(handler);
          asio::dispatch(executor, [handler = std::move(handler), error,
                                    result = std::move(result)]() mutable {
            std::move(handler)(error, std::move(result));
          });
        });
      },
      asio::use_awaitable);
}

}  // namespace frontdoor
