#include "daemon/http/router.hpp"

namespace frontdoor::http {

Router::Route Router::compile(const std::string& pattern) const {
  Route route;
  route.pattern = pattern;
  std::string expr = "^";
  bool prefix_done = false;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      auto close = pattern.find('}', i);
      route.names.push_back(pattern.substr(i + 1, close - i - 1));
      expr += "([^/]+)";
      prefix_done = true;
      i = close + 1;
      continue;
    }
    if (!prefix_done) route.literal_prefix += pattern[i];
    if (std::string_view(".^$|()[]*+?\\").find(pattern[i]) != std::string_view::npos) expr += '\\';
    expr += pattern[i];
    ++i;
  }
  route.regex = std::regex(expr + "$");
  return route;
}

void Router::add(std::string method, const std::string& pattern, Handler handler) {
  Route route = compile(pattern);
  route.method = std::move(method);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

void Router::add_websocket(const std::string& pattern, WebSocketHandler handler) {
  Route route = compile(pattern);
  route.websocket = std::move(handler);
  routes_.push_back(std::move(route));
}

void Router::set_error_renderer(std::string path_prefix, ErrorRenderer renderer) {
  error_renderers_.emplace_back(std::move(path_prefix), std::move(renderer));
}

Router::Match Router::match(const std::string& method, const std::string& path,
                            bool websocket) const {
  Match result;
  std::smatch groups;
  for (const Route& route : routes_) {
    if (path.compare(0, route.literal_prefix.size(), route.literal_prefix) != 0) continue;
    if (!std::regex_match(path, groups, route.regex)) continue;
    bool is_ws_route = static_cast<bool>(route.websocket);
    // HEAD is served for static pages only (server.cpp): a GET handler may act (Kannel's MO
    // get-url stores a message), and HEAD must not.
    if (websocket != is_ws_route || (!websocket && route.method != method)) {
      if (!is_ws_route) result.allowed_methods.push_back(route.method);
      continue;
    }
    result.route = &route;
    for (std::size_t i = 0; i < route.names.size(); ++i) {
      result.params[route.names[i]] = groups[i + 1].str();
    }
    result.allowed_methods.clear();
    return result;
  }
  return result;
}

HttpResponse Router::render_error(ErrorCode code, const std::string& message,
                                  const HttpRequest& request) const {
  for (const auto& [prefix, renderer] : error_renderers_) {
    if (request.path.compare(0, prefix.size(), prefix) == 0)
      return renderer(code, message, request);
  }
  return HttpResponse::json(http_status(code), error_json(code, message));
}

}  // namespace frontdoor::http
