// Routes requests to handlers by method and path pattern.
//
// A pattern is a path whose segments may hold {name} placeholders, also inside a segment:
// "/api/v1/conversations/{id}/messages", "/open311/v2/requests/{id}.{format}". A placeholder
// matches one or more characters other than '/'. Routes are tried in the order they were
// added; the first match wins.
//
// Each path prefix may name how errors are written there (Open311 has its own error format);
// the default writes {"error":{"code","message"}}.
#pragma once

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "daemon/http/api_error.hpp"
#include "daemon/http/http_types.hpp"

namespace frontdoor::http {

using Handler =
    std::function<boost::asio::awaitable<HttpResponse>(HttpRequest&, const PathParams&)>;
using WebSocketHandler =
    std::function<boost::asio::awaitable<void>(WebSocketUpgrade&, const PathParams&)>;
using ErrorRenderer =
    std::function<HttpResponse(ErrorCode, const std::string& message, const HttpRequest&)>;

class Router {
 public:
  struct Route {
    std::string method;  // empty for WebSocket routes
    std::string pattern;
    std::string literal_prefix;  // pattern up to the first placeholder: a cheap pre-filter
    std::regex regex;
    std::vector<std::string> names;
    Handler handler;
    WebSocketHandler websocket;
  };

  struct Match {
    const Route* route = nullptr;
    PathParams params;
    std::vector<std::string> allowed_methods;  // set when the path matched but not the method
  };

  void add(std::string method, const std::string& pattern, Handler handler);
  void add_websocket(const std::string& pattern, WebSocketHandler handler);
  void set_error_renderer(std::string path_prefix, ErrorRenderer renderer);

  Match match(const std::string& method, const std::string& path, bool websocket) const;
  HttpResponse render_error(ErrorCode code, const std::string& message,
                            const HttpRequest& request) const;

  // Every route, in the order added: what this process serves (the OpenAPI document is checked
  // against it).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  Route compile(const std::string& pattern) const;

  std::vector<Route> routes_;
  std::vector<std::pair<std::string, ErrorRenderer>> error_renderers_;
};

}  // namespace frontdoor::http
