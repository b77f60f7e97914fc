#include "daemon/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/redis_client.hpp"

namespace frontdoor::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t kMaxQueuedFrames = 4096;  // a reader this far behind is cut off

struct StaticFile {
  std::string content_type;
  std::string body;
};

std::string content_type_for(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  return "application/octet-stream";
}

class BeastWebSocket : public WebSocket, public std::enable_shared_from_this<BeastWebSocket> {
 public:
  explicit BeastWebSocket(beast::tcp_stream stream)
      : ws_(std::move(stream)), wake_(ws_.get_executor()) {}

  websocket::stream<beast::tcp_stream>& stream() { return ws_; }

  void start_writer() {
    asio::co_spawn(ws_.get_executor(), writer(shared_from_this()), asio::detached);
  }

  awaitable<std::optional<std::string>> read() override {
    buffer_.clear();
    auto [ec, n] = co_await ws_.async_read(buffer_, as_tuple);
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        metrics::rejected("websocket", "frame_too_big").inc();
      } else if (ec == websocket::error::bad_frame_payload) {
        metrics::rejected("websocket", "invalid_utf8").inc();
      }
      mark_closed();
      co_return std::nullopt;
    }
    if (!ws_.got_text()) {
      metrics::rejected("websocket", "binary_frame").inc();
      close(CloseCode::unsupported_data, "text frames only");
      co_return std::nullopt;
    }
    co_return beast::buffers_to_string(buffer_.data());
  }

  void send(std::string text) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      if (!self->open_ || self->closing_) return;
      if (self->queue_.size() >= kMaxQueuedFrames) {
        metrics::rejected("websocket", "slow_reader").inc();
        self->closing_ = true;
        self->close_code_ = CloseCode::policy_violation;
        self->close_reason_ = "reader too slow";
      } else {
        self->queue_.push_back(std::move(text));
      }
      self->wake_.cancel();
    });
  }

  void close(CloseCode code, std::string reason) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)] {
      if (!self->open_ || self->closing_) return;
      self->closing_ = true;
      self->close_code_ = code;
      self->close_reason_ = reason;
      self->wake_.cancel();
    });
  }

  bool open() const override { return open_; }

 private:
  void mark_closed() {
    open_ = false;
    wake_.cancel();
  }

  static awaitable<void> writer(std::shared_ptr<BeastWebSocket> self) {
    while (self->open_) {
      if (!self->queue_.empty()) {
        self->ws_.text(true);
        auto [ec, n] = co_await self->ws_.async_write(asio::buffer(self->queue_.front()), as_tuple);
        self->queue_.pop_front();
        if (ec) break;
        continue;
      }
      if (self->closing_) {
        websocket::close_reason reason(static_cast<std::uint16_t>(self->close_code_));
        reason.reason = self->close_reason_;
        co_await self->ws_.async_close(reason, as_tuple);
        break;
      }
      self->wake_.expires_at(asio::steady_timer::time_point::max());
      co_await self->wake_.async_wait(as_tuple);
    }
    self->open_ = false;
  }

  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer wake_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::atomic<bool> open_{true};
  bool closing_ = false;
  CloseCode close_code_ = CloseCode::normal;
  std::string close_reason_;
};

HttpRequest to_request(const bhttp::request<bhttp::string_body>& raw, const std::string& remote) {
  HttpRequest req;
  req.method = std::string(raw.method_string());
  req.target = std::string(raw.target());
  auto parsed = boost::urls::parse_origin_form(raw.target());
  if (!parsed) throw ApiError(ErrorCode::bad_request, "request target is not a valid path");
  req.path = parsed->path();
  boost::urls::encoding_opts form_opts(true, false, false);
  for (auto param : parsed->params(form_opts)) req.query[param.key] = param.value;
  for (const auto& field : raw) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  req.body = raw.body();
  req.remote = remote;
  return req;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, const Router& router, Options options)
      : io(io), router(router), options(std::move(options)), acceptor(io) {}

  asio::io_context& io;
  const Router& router;
  Options options;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> in_flight{0};
  std::map<std::string, StaticFile> files;
  std::mutex sockets_mutex;
  std::vector<std::weak_ptr<BeastWebSocket>> sockets;  // so that stop() can close them

  void track(const std::shared_ptr<BeastWebSocket>& socket) {
    std::lock_guard lock(sockets_mutex);
    std::erase_if(sockets, [](const auto& weak) { return weak.expired(); });
    sockets.push_back(socket);
  }

  void load_static_files() {
    namespace fs = std::filesystem;
    if (options.web_root.empty() || !fs::is_directory(options.web_root)) return;
    for (const auto& entry : fs::recursive_directory_iterator(options.web_root)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream body;
      body << in.rdbuf();
      std::string rel = "/" + fs::relative(entry.path(), options.web_root).generic_string();
      StaticFile file{content_type_for(entry.path()), body.str()};
      if (entry.path().extension() == ".html") {
        std::string bare = rel.substr(0, rel.size() - 5);
        files[bare == "/index" ? "/" : bare] = file;
      }
      files[rel] = std::move(file);
    }
  }

  HttpResponse error_response(ErrorCode code, const std::string& message, const HttpRequest& req,
                              const std::string& edge = "http") {
    metrics::rejected(edge, std::string(code_name(code))).inc();
    HttpResponse res = router.render_error(code, message, req);
    if (code == ErrorCode::unavailable) res.headers.emplace_back("Retry-After", "5");
    if (code == ErrorCode::unauthorized) res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return res;
  }

  awaitable<HttpResponse> dispatch(HttpRequest& req, std::string& route_name) {
    auto match = router.match(req.method, req.path, false);
    if (!match.route) {
      if (!match.allowed_methods.empty()) {
        route_name = "method_not_allowed";
        std::string allow;
        for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
        auto res = error_response(ErrorCode::method_not_allowed,
                                  req.method + " is not allowed here; allowed: " + allow, req);
        res.headers.emplace_back("Allow", allow);
        co_return res;
      }
      if (req.method == "GET" || req.method == "HEAD") {
        auto it = files.find(req.path);
        if (it != files.end()) {
          route_name = "static";
          co_return HttpResponse::text(200, it->second.body, it->second.content_type);
        }
      }
      route_name = "not_found";
      co_return error_response(ErrorCode::not_found, "no such resource: " + req.path, req);
    }
    route_name = match.route->pattern;
    try {
      co_return co_await match.route->handler(req, match.params);
    } catch (const ApiError& e) {
      if (!e.detail().empty())
        log::debug("request_refused", {{"route", route_name}, {"detail", e.detail()}});
      co_return error_response(e.code(), e.what(), req);
    } catch (const redis::RedisUnavailable& e) {
      co_return error_response(ErrorCode::unavailable,
                               "the message store is unavailable; nothing was accepted, try again",
                               req);
    } catch (const std::exception& e) {
      log::error("handler_failed", {{"route", route_name}, {"error", e.what()}});
      co_return error_response(ErrorCode::internal, "internal error", req);
    }
  }

  awaitable<void> write(beast::tcp_stream& stream, HttpResponse res, unsigned version,
                        bool keep_alive, bool head) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    out.set(bhttp::field::server, "frontdoor");
    out.set(bhttp::field::content_type, res.content_type);
    out.set(bhttp::field::cache_control, "no-store");
    for (auto& [k, v] : res.headers) out.set(k, v);
    out.keep_alive(keep_alive);
    out.body() = std::move(res.body);
    out.prepare_payload();
    if (head) out.body().clear();
    stream.expires_after(std::chrono::seconds(30));
    co_await bhttp::async_write(stream, out, as_tuple);
  }

  awaitable<void> upgrade(beast::tcp_stream& stream, bhttp::request<bhttp::string_body> raw,
                          HttpRequest req);

  static awaitable<void> session(std::shared_ptr<Impl> self, beast::tcp_stream stream) {
    beast::error_code ignored;
    auto remote_ep = stream.socket().remote_endpoint(ignored);
    std::string remote = remote_ep.address().to_string();
    beast::flat_buffer buffer;
    while (!self->stopping) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(self->options.max_body_bytes);
      parser.header_limit(16 * 1024);
      stream.expires_after(self->options.keep_alive_timeout);
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, as_tuple);
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == beast::error::timeout || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted) {
        co_return;
      }
      if (ec) {
        HttpRequest partial;
        if (parser.is_header_done()) {
          partial.path = std::string(parser.get().target());
          partial.path = partial.path.substr(0, partial.path.find('?'));
        }
        HttpResponse res =
            ec == bhttp::error::body_limit
                ? self->error_response(
                      ErrorCode::payload_too_large,
                      "body exceeds " + std::to_string(self->options.max_body_bytes) + " bytes",
                      partial)
                : self->error_response(ErrorCode::bad_request,
                                       "malformed HTTP request: " + ec.message(), partial);
        co_await self->write(stream, std::move(res), 11, false, false);
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
      auto raw = parser.release();
      HttpRequest req;
      std::optional<HttpResponse> malformed;
      try {
        req = to_request(raw, remote);
      } catch (const ApiError& e) {
        malformed = self->error_response(e.code(), e.what(), req);
      }
      if (malformed) {
        co_await self->write(stream, std::move(*malformed), raw.version(), false, false);
        co_return;
      }
      if (websocket::is_upgrade(raw)) {
        co_await self->upgrade(stream, std::move(raw), std::move(req));
        co_return;
      }
      auto started = std::chrono::steady_clock::now();
      self->in_flight++;
      std::string route_name;
      HttpResponse res = co_await self->dispatch(req, route_name);
      self->in_flight--;
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      metrics::registry()
          .histogram("frontdoor_http_request_duration_seconds",
                     "Time from a whole request read to its response ready, by route.",
                     {{"route", route_name}})
          .observe(seconds);
      metrics::registry()
          .counter("frontdoor_http_responses_total", "HTTP responses by route and status.",
                   {{"route", route_name}, {"status", std::to_string(res.status)}})
          .inc();
      bool keep_alive = raw.keep_alive() && !self->stopping;
      co_await self->write(stream, std::move(res), raw.version(), keep_alive,
                           raw.method() == bhttp::verb::head);
      if (!keep_alive) {
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  static awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, socket] =
          co_await self->acceptor.async_accept(asio::make_strand(self->io), as_tuple);
      if (ec) {
        if (self->stopping || ec == asio::error::operation_aborted) co_return;
        log::warn("accept_failed", {{"error", ec.message()}});
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      auto executor = socket.get_executor();
      asio::co_spawn(executor, session(self, beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }
};

namespace {

class Upgrade : public WebSocketUpgrade {
 public:
  using OnAccept = std::function<void(const std::shared_ptr<BeastWebSocket>&)>;
  Upgrade(beast::tcp_stream& stream, bhttp::request<bhttp::string_body> raw, HttpRequest req,
          OnAccept on_accept)
      : stream_(stream),
        raw_(std::move(raw)),
        req_(std::move(req)),
        on_accept_(std::move(on_accept)) {}

  const HttpRequest& request() const override { return req_; }

  awaitable<std::shared_ptr<WebSocket>> accept(WsOptions options) override {
    answered_ = true;
    beast::get_lowest_layer(stream_).expires_never();
    auto socket = std::make_shared<BeastWebSocket>(std::move(stream_));
    auto& ws = socket->stream();
    ws.read_message_max(options.max_frame_bytes);
    websocket::stream_base::timeout timeouts{std::chrono::seconds(30), options.idle_timeout, true};
    ws.set_option(timeouts);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(bhttp::field::server, "frontdoor"); }));
    auto [ec] = co_await ws.async_accept(raw_, as_tuple);
    if (ec) throw std::system_error(ec);
    socket->start_writer();
    on_accept_(socket);
    accepted_ = socket;
    co_return socket;
  }

  awaitable<void> reject(HttpResponse response) override {
    answered_ = true;
    rejected_ = std::move(response);
    co_return;
  }

  bool answered() const { return answered_; }
  std::shared_ptr<BeastWebSocket> accepted() const { return accepted_; }
  std::optional<HttpResponse>& rejected() { return rejected_; }
  unsigned version() const { return raw_.version(); }

 private:
  beast::tcp_stream& stream_;
  bhttp::request<bhttp::string_body> raw_;
  HttpRequest req_;
  OnAccept on_accept_;
  bool answered_ = false;
  std::shared_ptr<BeastWebSocket> accepted_;
  std::optional<HttpResponse> rejected_;
};

}  // namespace

awaitable<void> HttpServer::Impl::upgrade(beast::tcp_stream& stream,
                                          bhttp::request<bhttp::string_body> raw, HttpRequest req) {
  auto match = router.match(req.method, req.path, true);
  if (!match.route) {
    co_await write(stream, error_response(ErrorCode::not_found, "no WebSocket at " + req.path, req),
                   raw.version(), false, false);
    co_return;
  }
  Upgrade up(stream, std::move(raw), req, [this](const auto& socket) { track(socket); });
  std::optional<ErrorCode> failure;
  std::string message;
  try {
    co_await match.route->websocket(up, match.params);
  } catch (const ApiError& e) {
    failure = e.code();
    message = e.what();
  } catch (const redis::RedisUnavailable&) {
    failure = ErrorCode::unavailable;
    message = "the message store is unavailable; try again";
  } catch (const std::exception& e) {
    log::warn("websocket_session_failed", {{"route", match.route->pattern}, {"error", e.what()}});
    if (up.accepted()) up.accepted()->close(CloseCode::internal_error, "internal error");
    co_return;
  }
  if (up.accepted()) co_return;
  if (failure) {
    co_await write(stream, error_response(*failure, message, req), up.version(), false, false);
  } else if (up.rejected()) {
    co_await write(stream, std::move(*up.rejected()), up.version(), false, false);
  } else {
    co_await write(stream, error_response(ErrorCode::internal, "WebSocket not answered", req),
                   up.version(), false, false);
  }
}

HttpServer::HttpServer(asio::io_context& io, const Router& router, Options options)
    : impl_(std::make_shared<Impl>(io, router, std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  impl_->load_static_files();
  tcp::endpoint endpoint(asio::ip::make_address(impl_->options.host), impl_->options.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(impl_->acceptor.get_executor(), Impl::accept_loop(impl_), asio::detached);
}

unsigned short HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  std::lock_guard lock(impl_->sockets_mutex);
  for (const auto& weak : impl_->sockets) {
    if (auto socket = weak.lock()) socket->close(CloseCode::going_away, "server shutting down");
  }
}

std::size_t HttpServer::in_flight() const { return impl_->in_flight.load(); }

}  // namespace frontdoor::http
