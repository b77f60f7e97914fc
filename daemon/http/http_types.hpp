// The HTTP and WebSocket vocabulary handlers use. Deliberately free of Beast: only the server
// (server.cpp) includes Beast, so handlers compile fast.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace frontdoor::http {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as received: path + query
  std::string path;                            // percent-decoded path
  std::map<std::string, std::string> query;    // decoded query parameters (last one wins)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote;  // peer address

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse json(int status, std::string body) {
    return HttpResponse{status, "application/json", std::move(body), {}};
  }
  static HttpResponse text(int status, std::string body,
                           std::string type = "text/plain; charset=utf-8") {
    return HttpResponse{status, std::move(type), std::move(body), {}};
  }
};

// Values captured by a route pattern: "/api/v1/conversations/{id}" → params["id"].
using PathParams = std::map<std::string, std::string>;

// Close codes we use (RFC 6455 §7.4.1).
enum class CloseCode : unsigned short {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  unsupported_data = 1003,
  invalid_payload = 1007,
  policy_violation = 1008,
  too_big = 1009,
  internal_error = 1011,
  try_again_later = 1013,
};

struct WsOptions {
  std::size_t max_frame_bytes = 16 * 1024;
  std::chrono::seconds idle_timeout{600};
};

// An accepted WebSocket. send() never blocks: each connection writes from its own queue, so a
// slow reader never holds up anyone else; a reader that falls too far behind is closed.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // Next text message; std::nullopt when the peer closed or the connection failed. A frame over
  // the limit closes the connection with too_big, invalid UTF-8 with invalid_payload.
  virtual boost::asio::awaitable<std::optional<std::string>> read() = 0;
  virtual void send(std::string text) = 0;
  virtual void close(CloseCode code, std::string reason) = 0;
  virtual bool open() const = 0;
};

// A request that asked for a WebSocket. The handler either accept()s (and then runs the
// session until it ends) or reject()s with an ordinary HTTP response.
class WebSocketUpgrade {
 public:
  virtual ~WebSocketUpgrade() = default;
  virtual const HttpRequest& request() const = 0;
  virtual boost::asio::awaitable<std::shared_ptr<WebSocket>> accept(WsOptions options) = 0;
  virtual boost::asio::awaitable<void> reject(HttpResponse response) = 0;
};

}  // namespace frontdoor::http
