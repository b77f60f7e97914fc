// The HTTP/1.1 and WebSocket server (Boost.Beast, one coroutine per connection).
//
// Contract
//  1. Each connection runs on its own strand; a request is read whole (body limit
//     max_body_bytes, else 413 through the router's error renderer) before its handler runs.
//  2. A handler's ApiError becomes the router's error answer for that path; RedisUnavailable
//     becomes 503 "unavailable" with Retry-After; anything else 500. Every refusal is counted
//     in frontdoor_rejected_total{edge="http",reason=...}.
//  3. GET requests that match no route are served from web_root (loaded into memory at start;
//     "/x" serves x.html, "/" serves index.html).
//  4. stop() stops accepting, lets requests in flight finish (in_flight() counts them) and
//     closes every WebSocket with 1001 "going away".
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "daemon/http/router.hpp"

namespace frontdoor::http {

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;
    std::size_t max_body_bytes = 1 << 20;
    std::string web_root;
    std::chrono::seconds keep_alive_timeout{60};
  };

  HttpServer(boost::asio::io_context& io, const Router& router, Options options);
  ~HttpServer();

  void start();  // throws std::system_error when it cannot listen
  unsigned short port() const;
  void stop();
  std::size_t in_flight() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace frontdoor::http
