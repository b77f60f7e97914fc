// HttpClient against real peers: the real frontdoord (on a real redis-server) for what a
// healthy server does, and a loopback peer of the test's own for what one never does (never
// answer, answer too much) and to see the bytes the client puts on the wire. The client's
// io_context runs on two threads, so callers, the client's strand and completions overlap.
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_view.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/net/http_client.hpp"
#include "tests/integration/harness.hpp"

namespace {

namespace asio = boost::asio;
using frontdoor::net::form_encode;
using frontdoor::net::HttpClient;
using frontdoor::net::HttpClientError;
using frontdoor::net::HttpClientRequest;
using frontdoor::net::HttpClientResponse;
using frontdoor::net::url_with_query;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using Fields = std::vector<std::pair<std::string, std::string>>;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// The client's io_context on two threads. When it is destroyed, the threads must run dry on
// their own: a client that leaves work behind (a timer, a socket wait) fails the check.
class IoThreads {
 public:
  IoThreads() : work_(asio::make_work_guard(io_)) {
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] {
        io_.run();
        ++finished_;
      });
    }
  }
  ~IoThreads() {
    work_.reset();
    CHECK(wait_until([this] { return finished_ == 2; }, 10s));
    io_.stop();
    for (std::thread& thread : threads_) thread.join();
  }

  asio::any_io_executor executor() { return io_.get_executor(); }

  template <typename T>
  std::future<T> spawn(asio::awaitable<T> operation) {
    return asio::co_spawn(io_, std::move(operation), asio::use_future);
  }
  template <typename T>
  T run(asio::awaitable<T> operation) {
    return spawn(std::move(operation)).get();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::atomic<int> finished_{0};
};

// A loopback peer on a thread of its own. It accepts every connection and records what
// arrives. With an `answer`, it writes that answer for every request head it reads (so a
// keep-alive client can send the next), closing the connection after it when `then_close`;
// without one, it never answers and holds the connection open.
class TestPeer {
 public:
  explicit TestPeer(std::string answer = {}, bool then_close = false)
      : answer_(std::move(answer)),
        then_close_(then_close),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestPeer() {
    io_.stop();
    thread_.join();
  }

  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + target;
  }
  int accepted() const { return accepted_; }
  int closed_by_client() const { return closed_by_client_; }
  std::string received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [error, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (error) co_return;
      ++accepted_;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    std::string unanswered;
    char buffer[16384];
    for (;;) {
      auto [error, size] = co_await socket.async_read_some(asio::buffer(buffer),
                                                           asio::as_tuple(asio::use_awaitable));
      if (error) {
        ++closed_by_client_;
        co_return;
      }
      {
        std::lock_guard lock(mutex_);
        received_.append(buffer, size);
      }
      if (answer_.empty()) continue;
      unanswered.append(buffer, size);
      for (auto end = unanswered.find("\r\n\r\n"); end != std::string::npos;
           end = unanswered.find("\r\n\r\n")) {
        unanswered.erase(0, end + 4);
        auto [write_error, written] = co_await asio::async_write(
            socket, asio::buffer(answer_), asio::as_tuple(asio::use_awaitable));
        if (write_error || then_close_) co_return;
      }
    }
  }

  const std::string answer_;
  const bool then_close_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> accepted_{0};
  std::atomic<int> closed_by_client_{0};
  mutable std::mutex mutex_;
  std::string received_;
};

HttpClientRequest get(std::string url) {
  HttpClientRequest request;
  request.url = std::move(url);
  return request;
}

// The failure a request ended with; nullopt when it got a response.
std::optional<HttpClientError> failure_of(IoThreads& io, HttpClient& client,
                                          HttpClientRequest request) {
  try {
    io.run(client.request(std::move(request)));
  } catch (const HttpClientError& error) {
    return error;
  }
  return std::nullopt;
}

// Races a request against a timer; returns which finished first (0: the request).
asio::awaitable<std::size_t> race(HttpClient& client, HttpClientRequest request,
                                  std::chrono::milliseconds delay) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  auto response = client.request(std::move(request));
  auto expiry = timer.async_wait(asio::use_awaitable);
  auto either = std::move(response) || std::move(expiry);
  auto winner = co_await std::move(either);
  co_return winner.index();
}

}  // namespace

TEST_CASE("HttpClient: the real daemon's answers are responses, errors included", "[http_client]") {
  frontdoor::testing::RedisServer redis;
  frontdoor::testing::Daemon daemon(redis.url());
  IoThreads io;
  HttpClient client(io.executor(), {});
  const std::string base = "http://127.0.0.1:" + std::to_string(daemon.port());

  HttpClientResponse health = io.run(client.request(get(base + "/healthz")));
  CHECK(health.status == 200);
  CHECK(health.header("content-type").find("application/json") != std::string::npos);
  CHECK(boost::json::parse(health.body).at("status").as_string() == "ok");

  HttpClientRequest login = get(base + "/api/v1/login");
  login.method = "POST";
  login.headers = {{"Content-Type", "application/json"}};
  login.body = "{not json";
  CHECK(io.run(client.request(login)).status == 400);

  CHECK(io.run(client.request(get(base + "/nowhere"))).status == 404);

  // A name goes through curl's resolver thread (from /etc/hosts: no network needed).
  const std::string by_name = "http://localhost:" + std::to_string(daemon.port()) + "/healthz";
  CHECK(io.run(client.request(get(by_name))).status == 200);

  // Many at once: spawned from this thread, each started on one of the two I/O threads.
  std::vector<std::future<HttpClientResponse>> answers;
  for (int i = 0; i < 200; ++i) answers.push_back(io.spawn(client.request(get(base + "/healthz"))));
  int ok = 0;
  for (auto& answer : answers) ok += answer.get().status == 200 ? 1 : 0;
  CHECK(ok == 200);
}

TEST_CASE("HttpClient: keeps connections alive and within the per-host limit", "[http_client]") {
  TestPeer peer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Reply:  yes \r\n\r\nok");
  IoThreads io;
  HttpClient::Options options;
  options.max_connections_per_host = 2;
  HttpClient client(io.executor(), options);

  for (int i = 0; i < 10; ++i) {
    HttpClientResponse response = io.run(client.request(get(peer.url("/one-by-one"))));
    CHECK(response.status == 200);
    CHECK(response.body == "ok");
    CHECK(response.header("x-reply") == "yes");
  }
  CHECK(peer.accepted() == 1);

  std::vector<std::future<HttpClientResponse>> answers;
  for (int i = 0; i < 40; ++i) answers.push_back(io.spawn(client.request(get(peer.url("/")))));
  for (auto& answer : answers) CHECK(answer.get().body == "ok");
  CHECK(peer.accepted() <= 2);
}

TEST_CASE("HttpClient: a refused connection is a connect error", "[http_client]") {
  IoThreads io;
  HttpClient client(io.executor(), {});
  const std::string url = "http://127.0.0.1:" + std::to_string(frontdoor::testing::free_port()) +
                          "/cgi-bin/sendsms?password=hunter2";
  std::optional<HttpClientError> error = failure_of(io, client, get(url));
  REQUIRE(error);
  CHECK(error->kind() == HttpClientError::Kind::connect);
  CHECK(frontdoor::net::to_string(error->kind()) == "connect");
  const std::string what = error->what();
  CHECK(what.find("GET http://127.0.0.1:") == 0);
  CHECK(what.find("/cgi-bin/sendsms") != std::string::npos);
  CHECK(what.find("hunter2") == std::string::npos);
}

TEST_CASE("HttpClient: a peer that never answers is a timeout, on time", "[http_client]") {
  TestPeer silent;
  IoThreads io;
  HttpClient client(io.executor(), {});
  HttpClientRequest request = get(silent.url("/webhook"));
  request.timeout = 500ms;
  const auto started = Clock::now();
  std::optional<HttpClientError> error = failure_of(io, client, request);
  const auto took = Clock::now() - started;
  REQUIRE(error);
  CHECK(error->kind() == HttpClientError::Kind::timeout);
  CHECK(took >= 450ms);
  CHECK(took < 2s);
}

TEST_CASE("HttpClient: sends method, basic auth, headers and body as given", "[http_client]") {
  TestPeer silent;
  IoThreads io;
  HttpClient client(io.executor(), {});
  HttpClientRequest request = get(silent.url("/2010-04-01/Accounts/AC123/Messages.json"));
  request.method = "POST";
  request.basic_auth_user = "AC123";
  request.basic_auth_password = "s3cr3t!";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"X-Request-Id", "conv-42"}};
  request.body = form_encode({{"To", "+15551234567"}, {"Body", "Hola José"}});
  request.timeout = 700ms;
  std::optional<HttpClientError> error = failure_of(io, client, request);

  const std::string sent = silent.received();
  CHECK(sent.find("POST /2010-04-01/Accounts/AC123/Messages.json HTTP/1.1\r\n") == 0);
  CHECK(sent.find("\r\nAuthorization: Basic QUMxMjM6czNjcjN0IQ==\r\n") != std::string::npos);
  CHECK(sent.find("\r\nUser-Agent: frontdoor/0.1\r\n") != std::string::npos);
  CHECK(sent.find("\r\nX-Request-Id: conv-42\r\n") != std::string::npos);
  CHECK(sent.find("\r\nContent-Type: application/x-www-form-urlencoded\r\n") != std::string::npos);
  CHECK(sent.find("\r\nContent-Length: " + std::to_string(request.body.size()) + "\r\n") !=
        std::string::npos);
  CHECK(sent.find("Expect:") == std::string::npos);
  CHECK(sent.ends_with("\r\n\r\n" + request.body));

  // The silent peer let it time out; the error names the request but nothing secret in it.
  REQUIRE(error);
  CHECK(error->kind() == HttpClientError::Kind::timeout);
  const std::string what = error->what();
  for (const char* secret : {"s3cr3t", "QUMxMjM6", "Authorization", "Jos", "conv-42"}) {
    CHECK(what.find(secret) == std::string::npos);
  }
}

TEST_CASE("HttpClient: sends other methods with their body or none", "[http_client]") {
  TestPeer peer("HTTP/1.1 204 No Content\r\n\r\n");
  IoThreads io;
  HttpClient client(io.executor(), {});
  HttpClientRequest put = get(peer.url("/hooks/7"));
  put.method = "PUT";
  put.headers = {{"Content-Type", "application/json"}};
  put.body = R"({"url":"x"})";
  CHECK(io.run(client.request(put)).status == 204);
  HttpClientRequest remove = get(peer.url("/hooks/7"));
  remove.method = "DELETE";
  CHECK(io.run(client.request(remove)).status == 204);

  const std::string sent = peer.received();
  const auto second = sent.find("DELETE /hooks/7 HTTP/1.1\r\n");
  REQUIRE(second != std::string::npos);
  const std::string first = sent.substr(0, second);
  CHECK(first.find("PUT /hooks/7 HTTP/1.1\r\n") == 0);
  CHECK(first.find("\r\nContent-Length: 11\r\n") != std::string::npos);
  CHECK(first.ends_with("\r\n\r\n" + put.body));
  CHECK(sent.substr(second).find("Content-Length") == std::string::npos);
}

TEST_CASE("HttpClient: stop() cancels requests in flight and later ones", "[http_client]") {
  TestPeer silent;
  IoThreads io;
  HttpClient client(io.executor(), {});
  std::vector<std::future<HttpClientResponse>> pending;
  for (int i = 0; i < 5; ++i) pending.push_back(io.spawn(client.request(get(silent.url("/")))));
  REQUIRE(wait_until([&] { return silent.accepted() == 5; }));

  const auto stopped = Clock::now();
  client.stop();
  for (auto& request : pending) {
    REQUIRE(request.wait_for(2s) == std::future_status::ready);
    try {
      request.get();
      FAIL("a request in flight got a response after stop()");
    } catch (const HttpClientError& error) {
      CHECK(error.kind() == HttpClientError::Kind::cancelled);
    }
  }
  CHECK(Clock::now() - stopped < 2s);
  CHECK(wait_until([&] { return silent.closed_by_client() == 5; }));

  std::optional<HttpClientError> later = failure_of(io, client, get(silent.url("/")));
  REQUIRE(later);
  CHECK(later->kind() == HttpClientError::Kind::cancelled);
}

TEST_CASE("HttpClient: the caller's cancellation ends the request", "[http_client]") {
  TestPeer silent;
  IoThreads io;
  HttpClient client(io.executor(), {});
  const auto started = Clock::now();
  CHECK(io.run(race(client, get(silent.url("/slow")), 200ms)) == 1);
  CHECK(Clock::now() - started < 2s);
  CHECK(wait_until([&] { return silent.closed_by_client() == 1; }));
}

TEST_CASE("HttpClient: responses are capped at 8 MiB", "[http_client]") {
  IoThreads io;
  HttpClient client(io.executor(), {});
  const std::string large(9 * 1024 * 1024, 'x');

  SECTION("announced by Content-Length") {
    TestPeer peer("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(large.size()) +
                  "\r\n\r\n" + large);
    std::optional<HttpClientError> error = failure_of(io, client, get(peer.url("/")));
    REQUIRE(error);
    CHECK(error->kind() == HttpClientError::Kind::protocol);
  }
  SECTION("read until the peer closes") {
    TestPeer peer("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + large, true);
    std::optional<HttpClientError> error = failure_of(io, client, get(peer.url("/")));
    REQUIRE(error);
    CHECK(error->kind() == HttpClientError::Kind::protocol);
  }
  SECTION("a large response under the cap arrives whole") {
    const std::string body(1024 * 1024, 'y');
    TestPeer peer("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                  body);
    CHECK(io.run(client.request(get(peer.url("/")))).body == body);
  }
}

TEST_CASE("HttpClient: refuses requests it cannot send as given", "[http_client]") {
  IoThreads io;
  HttpClient client(io.executor(), {});
  HttpClientRequest request = get("http://127.0.0.1:1/");

  SECTION("not http") { request.url = "ftp://127.0.0.1/file"; }
  SECTION("not absolute") { request.url = "/relative/path"; }
  SECTION("a header smuggling a line") { request.headers = {{"X-Note", "a\r\nHost: evil"}}; }
  SECTION("a method that is not a token") { request.method = "GET /other HTTP/1.1\r\n"; }
  SECTION("no timeout") { request.timeout = 0ms; }
  CHECK_THROWS_AS(io.run(client.request(request)), std::invalid_argument);
}

TEST_CASE("form_encode and url_with_query", "[http_client]") {
  const Fields fields{{"To", "+15551234567"}, {"Body", "Hola José, ¿cómo estás? 你好 & = + ~*"}};
  // What Python's urllib.parse.urlencode(fields, quote_via=quote_plus) gives.
  const std::string encoded = form_encode(fields);
  CHECK(encoded ==
        "To=%2B15551234567&Body=Hola+Jos%C3%A9%2C+%C2%BFc%C3%B3mo+est%C3%A1s%3F+%E4%BD%A0%E5%A5%BD+"
        "%26+%3D+%2B+~%2A");

  Fields decoded;
  for (const auto& param : boost::urls::params_view(encoded, boost::urls::encoding_opts(true))) {
    decoded.emplace_back(param.key, param.value);
  }
  CHECK(decoded == fields);

  CHECK(
      url_with_query("http://127.0.0.1:13013/cgi-bin/sendsms?username=fd",
                     {{"text", "héllo wörld"}, {"to", "+1 555"}}) ==
      "http://127.0.0.1:13013/cgi-bin/sendsms?username=fd&text=h%C3%A9llo+w%C3%B6rld&to=%2B1+555");
  CHECK(url_with_query("https://example.org/hook#part", {{"a", "1"}}) ==
        "https://example.org/hook?a=1#part");
  CHECK(url_with_query("https://example.org/hook", {}) == "https://example.org/hook");
  CHECK_THROWS_AS(url_with_query("not a url", {{"a", "1"}}), std::invalid_argument);
}

TEST_CASE("HttpClient: a request waiting for a free connection keeps its timeout",
          "[http_client]") {
  TestPeer silent;
  IoThreads io;
  HttpClient::Options options;
  options.max_connections_per_host = 1;
  HttpClient client(io.executor(), options);
  HttpClientRequest holding = get(silent.url("/first"));
  holding.timeout = 3s;
  std::future<HttpClientResponse> first = io.spawn(client.request(holding));
  REQUIRE(wait_until([&] { return silent.accepted() == 1; }));

  HttpClientRequest queued = get(silent.url("/second"));
  queued.timeout = 300ms;
  const auto started = Clock::now();
  std::optional<HttpClientError> error = failure_of(io, client, queued);
  const auto took = Clock::now() - started;
  REQUIRE(error);
  CHECK(error->kind() == HttpClientError::Kind::connect);
  CHECK(took < 1s);
  CHECK(silent.accepted() == 1);

  client.stop();
  CHECK_THROWS_AS(first.get(), HttpClientError);
}
