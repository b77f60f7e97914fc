// A caller's completion handler, kept while a C library holds the request, then run on the
// caller's own executor.
//
// Contract
//  1. keep_until_complete() wraps any Asio completion handler whose signature is
//     void(std::exception_ptr, Results...). Until complete() is called, the handler's
//     associated executor (or `fallback`) counts as having outstanding work.
//  2. complete() is called at most once, from any thread; it never runs the handler inline but
//     posts it to that executor, so a coroutine awaiting it resumes where it was running.
//  3. Destroying a PendingCompletion that was never completed destroys the handler unrun
//     (Asio's meaning: the operation was abandoned, as at io_context shutdown).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <exception>
#include <memory>
#include <utility>

namespace frontdoor::redis {

template <typename... Results>
class PendingCompletion {
 public:
  virtual ~PendingCompletion() = default;
  // Posts the handler to its own executor with (error, results...). Called at most once.
  virtual void complete(std::exception_ptr error, Results... results) = 0;
};

template <typename Handler, typename... Results>
class HandlerCompletion final : public PendingCompletion<Results...> {
 public:
  HandlerCompletion(Handler handler, const boost::asio::any_io_executor& fallback)
      : handler_(std::move(handler)),
        handler_executor_(
            boost::asio::prefer(boost::asio::get_associated_executor(handler_, fallback),
                                boost::asio::execution::outstanding_work.tracked)) {}

  void complete(std::exception_ptr error, Results... results) override {
    boost::asio::post(handler_executor_, [handler = std::move(handler_), error,
                                          ... results = std::move(results)]() mutable {
      std::move(handler)(error, std::move(results)...);
    });
  }

 private:
  Handler handler_;
  boost::asio::any_io_executor handler_executor_;  // keeps the caller's executor from running dry
};

template <typename... Results, typename Handler>
std::unique_ptr<PendingCompletion<Results...>> keep_until_complete(
    Handler handler, const boost::asio::any_io_executor& fallback) {
  return std::make_unique<HandlerCompletion<Handler, Results...>>(std::move(handler), fallback);
}

}  // namespace frontdoor::redis
