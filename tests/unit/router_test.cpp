#include <catch2/catch.hpp>

#include "daemon/http/router.hpp"

using namespace frontdoor::http;

namespace {
Handler nothing() {
  return [](HttpRequest&, const PathParams&) -> boost::asio::awaitable<HttpResponse> {
    co_return HttpResponse{};
  };
}
}  // namespace

TEST_CASE("routes match by pattern, capture placeholders and report allowed methods") {
  Router router;
  router.add("GET", "/api/v1/conversations/{id}", nothing());
  router.add("POST", "/api/v1/conversations/{id}/messages", nothing());
  router.add("GET", "/open311/v2/requests/{id}.{format}", nothing());
  router.add("POST", "/open311/v2/requests.{format}", nothing());
  router.add_websocket(
      "/chat/ws",
      [](WebSocketUpgrade&, const PathParams&) -> boost::asio::awaitable<void> { co_return; });

  auto m = router.match("GET", "/api/v1/conversations/42", false);
  REQUIRE(m.route);
  CHECK(m.params.at("id") == "42");

  m = router.match("POST", "/api/v1/conversations/42/messages", false);
  REQUIRE(m.route);
  CHECK(m.route->pattern == "/api/v1/conversations/{id}/messages");

  m = router.match("GET", "/open311/v2/requests/17.xml", false);
  REQUIRE(m.route);
  CHECK(m.params.at("id") == "17");
  CHECK(m.params.at("format") == "xml");

  m = router.match("POST", "/open311/v2/requests.json", false);
  REQUIRE(m.route);
  CHECK(m.params.at("format") == "json");

  m = router.match("DELETE", "/api/v1/conversations/42", false);
  CHECK_FALSE(m.route);
  CHECK(m.allowed_methods == std::vector<std::string>{"GET"});

  CHECK_FALSE(router.match("GET", "/api/v1/conversations/42/extra", false).route);
  CHECK_FALSE(router.match("GET", "/api/v1/conversations/", false).route);
  CHECK(router.match("GET", "/chat/ws", true).route);
  CHECK_FALSE(router.match("GET", "/chat/ws", false).route);
  CHECK_FALSE(router.match("HEAD", "/api/v1/conversations/1", false).route);
}

TEST_CASE("errors are written in the format of the path's owner") {
  Router router;
  router.set_error_renderer("/open311/",
                            [](ErrorCode code, const std::string& message, const HttpRequest&) {
                              return HttpResponse::text(http_status(code), "open311:" + message);
                            });
  HttpRequest api;
  api.path = "/api/v1/x";
  auto res = router.render_error(ErrorCode::not_found, "no such thing", api);
  CHECK(res.status == 404);
  CHECK(res.body == R"({"error":{"code":"not_found","message":"no such thing"}})");
  HttpRequest open311;
  open311.path = "/open311/v2/services.xml";
  res = router.render_error(ErrorCode::payload_too_large, "too big", open311);
  CHECK(res.status == 413);
  CHECK(res.body == "open311:too big");
}
