// RedisClient on hiredis 0.14's async API; the contract is in redis_client.hpp. Besides it:
//  - start(), stop() and the destructor act on the client's strand, so they return at once;
//    connected() turns false when the strand has run stop().
//  - eval() reads `script` after it has suspended: the Script must outlive the call (scripts
//    are constants of the store).
//  - command() refuses, with std::invalid_argument, commands that change the state of the
//    shared connection (SUBSCRIBE, MULTI, SELECT, CLIENT REPLY, ...). Blocking commands (BLPOP,
//    XREADGROUP BLOCK) hold up every request behind them: give them a client of their own.
//  - The first start() ignores SIGPIPE for the process unless a handler is installed.
#include "daemon/redis/redis_client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <exception>
#include <iterator>
#include <map>
#include <mutex>
#include <utility>

#include "daemon/log/log.hpp"
#include "daemon/redis/hiredis_asio.hpp"
#include "daemon/redis/pending_completion.hpp"

namespace frontdoor::redis {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kFirstReconnectDelay{100};

using PendingReply = PendingCompletion<RedisReply>;
using PendingConnect = PendingCompletion<>;

RedisReply copy_reply(const redisReply& reply) {
  RedisReply copy;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      copy.type = RedisReply::Type::String;
      copy.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      copy.type = RedisReply::Type::Status;
      copy.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      copy.type = RedisReply::Type::Error;
      copy.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      copy.type = RedisReply::Type::Integer;
      copy.integer = reply.integer;
      break;
    case REDIS_REPLY_ARRAY:
      copy.type = RedisReply::Type::Array;
      copy.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) {
        copy.elements.push_back(copy_reply(*reply.element[i]));
      }
      break;
    default:
      copy.type = RedisReply::Type::Nil;
      break;
  }
  return copy;
}

// Commands that change the state of the connection itself. On a connection shared by many
// pipelined callers they would corrupt everyone's view (another caller's command would land
// inside a MULTI, in another db, or lose its reply), so command() refuses them.
bool changes_connection_state(const std::vector<std::string>& args) {
  static constexpr std::string_view kRefused[] = {
      "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
      "monitor",   "multi",      "exec",       "discard",     "watch",        "unwatch",
      "select",    "auth",       "hello",      "reset",       "quit"};
  using boost::algorithm::iequals;
  const std::string& name = args.front();
  if (std::any_of(std::begin(kRefused), std::end(kRefused),
                  [&name](std::string_view refused) { return iequals(name, refused); })) {
    return true;
  }
  return iequals(name, "client") && args.size() > 1 && iequals(args[1], "reply");
}

// hiredis writes with write(2): a link the server closed would raise SIGPIPE and end the
// process. A daemon never wants that signal, so it is ignored unless someone handles it.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      std::signal(SIGPIPE, SIG_IGN);
    }
  });
}

}  // namespace

// The link goes through: idle -> (resolving) -> connecting -> handshaking -> up -> idle ...
// Every member below `connected_` is touched on `strand_` only. `attempt_` grows whenever an
// attempt or a link ends, so timers and resolver answers of an earlier attempt are ignored.
// hiredis reaches the Impl through context->data; it calls back only from inside a hiredis
// call the Impl (or its socket watch, which locks it) makes, so the Impl is alive then.
struct RedisClient::Impl : std::enable_shared_from_this<RedisClient::Impl> {
  using Strand = asio::strand<asio::any_io_executor>;

  struct ConnectWaiter {
    std::unique_ptr<PendingConnect> completion;
    asio::steady_timer deadline;
  };

  Impl(asio::any_io_executor executor, Endpoint endpoint, Options options)
      : executor_(std::move(executor)),
        strand_(asio::make_strand(executor_)),
        endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        description_(endpoint_.describe()),
        connect_deadline_(strand_),
        reconnect_timer_(strand_),
        resolver_(strand_) {}

  ~Impl() {
    // Reached without stop() only when the executor is gone; in-flight requests still complete.
    if (redisAsyncContext* context = std::exchange(context_, nullptr)) redisAsyncFree(context);
  }

  std::exception_ptr unavailable(std::string_view why) const {
    return std::make_exception_ptr(
        RedisUnavailable("Redis at " + description_ + " is unavailable: " + std::string(why)));
  }

  std::string_view current_problem() const {
    return last_error_.empty() ? std::string_view("not connected") : last_error_;
  }

  void start() {
    if (running_) return;
    running_ = true;
    backoff_ = kFirstReconnectDelay;
    if (context_ == nullptr) connect();
  }

  void stop() {
    running_ = false;
    reconnect_timer_.cancel();
    lose_link("the client was stopped");
    for (auto& [id, waiter] : std::exchange(waiters_, {})) {
      waiter.deadline.cancel();
      waiter.completion->complete(unavailable("the client was stopped"));
    }
  }

  // Begins one attempt: resolve (TCP), open the socket, then the handshake.
  void connect() {
    const std::uint64_t attempt = attempt_;
    connect_deadline_.expires_after(options_.connect_timeout);
    connect_deadline_.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this(), attempt](const boost::system::error_code& error) {
          if (error || attempt != self->attempt_ || self->link_up_) return;
          self->lose_link("no connection within " +
                          std::to_string(self->options_.connect_timeout.count()) + " ms");
        }));
    if (!endpoint_.unix_path.empty()) {
      open_context({});
      return;
    }
    resolver_.async_resolve(
        endpoint_.host, std::to_string(endpoint_.port), asio::ip::tcp::resolver::numeric_service,
        asio::bind_executor(strand_, [self = shared_from_this(), attempt](
                                         const boost::system::error_code& error,
                                         const asio::ip::tcp::resolver::results_type& results) {
          if (attempt != self->attempt_ || !self->running_) return;
          if (error || results.empty()) {
            self->lose_link("cannot resolve " + self->endpoint_.host + ": " + error.message());
            return;
          }
          self->open_context(results.begin()->endpoint().address().to_string());
        }));
  }

  void open_context(const std::string& address) {
    redisAsyncContext* context = endpoint_.unix_path.empty()
                                     ? redisAsyncConnect(address.c_str(), endpoint_.port)
                                     : redisAsyncConnectUnix(endpoint_.unix_path.c_str());
    if (context == nullptr) {
      lose_link("out of memory");
      return;
    }
    if (context->err != 0) {
      std::string reason = context->errstr != nullptr ? context->errstr : "connect failed";
      redisAsyncFree(context);
      lose_link(std::move(reason));
      return;
    }
    context->data = this;
    if (!attach_to_strand(context, strand_, weak_from_this())) {
      redisAsyncFree(context);
      lose_link("cannot watch the socket");
      return;
    }
    context_ = context;
    redisAsyncSetDisconnectCallback(context, &Impl::on_disconnect);
    redisAsyncSetConnectCallback(context, &Impl::on_connect);
  }

  // The socket is open: AUTH, SELECT and CLIENT SETNAME go first on the link, pipelined; the
  // link is up when the last of them has answered.
  void begin_handshake() {
    struct Step {
      const char* name;
      std::vector<std::string> args;
    };
    std::vector<Step> steps;
    if (!endpoint_.password.empty()) steps.push_back({"AUTH", {"AUTH", endpoint_.password}});
    if (endpoint_.db != 0) steps.push_back({"SELECT", {"SELECT", std::to_string(endpoint_.db)}});
    if (!options_.name.empty()) {
      steps.push_back({"CLIENT SETNAME", {"CLIENT", "SETNAME", options_.name}});
    }
    if (steps.empty()) {
      mark_up();
      return;
    }
    handshake_pending_ = static_cast<int>(steps.size());
    for (Step& step : steps) {
      if (!send(step.args, &Impl::on_handshake_reply, const_cast<char*>(step.name))) {
        // hiredis does not expect its context freed from inside the connect callback.
        asio::post(strand_, [self = shared_from_this(), attempt = attempt_, name = step.name] {
          if (attempt == self->attempt_) self->lose_link(std::string(name) + " was not sent");
        });
        return;
      }
    }
  }

  void mark_up() {
    connect_deadline_.cancel();
    link_up_ = true;
    connected_.store(true, std::memory_order_release);
    backoff_ = kFirstReconnectDelay;
    last_error_.clear();
    log::info("redis_link_up", {{"endpoint", description_}});
    for (auto& [id, waiter] : std::exchange(waiters_, {})) {
      waiter.deadline.cancel();
      waiter.completion->complete(nullptr);
    }
  }

  // Ends the current attempt or link, whatever its phase, and schedules the next attempt
  // while running. Requests in flight complete with RedisUnavailable (hiredis calls their
  // callbacks with no reply while it frees the context).
  void lose_link(std::string reason) {
    const bool was_up = std::exchange(link_up_, false);
    connected_.store(false, std::memory_order_release);
    ++attempt_;
    handshake_pending_ = 0;
    connect_deadline_.cancel();
    resolver_.cancel();
    const bool new_problem = reason != last_error_;
    last_error_ = std::move(reason);
    if (redisAsyncContext* context = std::exchange(context_, nullptr)) redisAsyncFree(context);
    if (!running_) {
      if (was_up) log::info("redis_link_closed", {{"endpoint", description_}});
      return;
    }
    if (was_up) {
      log::warn("redis_link_down", {{"endpoint", description_}, {"reason", last_error_}});
    } else if (new_problem) {
      log::warn("redis_connect_failed", {{"endpoint", description_}, {"reason", last_error_}});
    }
    schedule_reconnect();
  }

  void schedule_reconnect() {
    reconnect_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, std::max(options_.reconnect_max, kFirstReconnectDelay));
    reconnect_timer_.async_wait(asio::bind_executor(
        strand_,
        [self = shared_from_this(), attempt = attempt_](const boost::system::error_code& error) {
          if (error || !self->running_ || attempt != self->attempt_ || self->context_ != nullptr) {
            return;
          }
          self->connect();
        }));
  }

  bool send(const std::vector<std::string>& args, redisCallbackFn* callback, void* privdata) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    return redisAsyncCommandArgv(context_, callback, privdata, static_cast<int>(argv.size()),
                                 argv.data(), lengths.data()) == REDIS_OK;
  }

  void submit(const std::vector<std::string>& args, std::unique_ptr<PendingReply> pending) {
    if (!link_up_) {
      pending->complete(unavailable(current_problem()), {});
      return;
    }
    if (!send(args, &Impl::on_reply, pending.get())) {
      pending->complete(unavailable("the command could not be queued"), {});
      return;
    }
    pending.release();  // hiredis hands it back to on_reply exactly once
  }

  void add_waiter(std::unique_ptr<PendingConnect> completion, milliseconds timeout) {
    if (link_up_) {
      completion->complete(nullptr);
      return;
    }
    const std::uint64_t id = next_waiter_id_++;
    auto [entry, inserted] =
        waiters_.emplace(id, ConnectWaiter{std::move(completion), asio::steady_timer(strand_)});
    entry->second.deadline.expires_after(timeout);
    entry->second.deadline.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this(), id, timeout](const boost::system::error_code& error) {
          if (error) return;  // completed by mark_up() or stop()
          auto node = self->waiters_.extract(id);
          if (node.empty()) return;
          node.mapped().completion->complete(
              self->unavailable("not connected within " + std::to_string(timeout.count()) +
                                " ms (" + std::string(self->current_problem()) + ")"));
        }));
  }

  // The awaitable operations. They are not coroutines themselves: GCC 12 destroys a lambda
  // temporary inside a co_await expression twice, so initiations are built out here.
  static asio::awaitable<RedisReply> async_command(std::shared_ptr<Impl> impl,
                                                   std::vector<std::string> args) {
    return asio::async_initiate<decltype(asio::use_awaitable),
                                void(std::exception_ptr, RedisReply)>(
        [impl](auto handler, std::vector<std::string> args) {
          auto pending = keep_until_complete<RedisReply>(std::move(handler), impl->executor_);
          asio::post(impl->strand_,
                     [impl, args = std::move(args), pending = std::move(pending)]() mutable {
                       impl->submit(args, std::move(pending));
                     });
        },
        asio::use_awaitable, std::move(args));
  }

  static asio::awaitable<void> async_wait_connected(std::shared_ptr<Impl> impl,
                                                    milliseconds timeout) {
    return asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr)>(
        [impl, timeout](auto handler) {
          auto completion = keep_until_complete<>(std::move(handler), impl->executor_);
          asio::post(impl->strand_, [impl, timeout, completion = std::move(completion)]() mutable {
            impl->add_waiter(std::move(completion), timeout);
          });
        },
        asio::use_awaitable);
  }

  static Impl* owner_of(const redisAsyncContext* context) {
    return static_cast<Impl*>(context->data);
  }

  static void on_connect(const redisAsyncContext* context, int status) {
    Impl* impl = owner_of(context);
    if (context != impl->context_) return;
    if (status != REDIS_OK) {
      impl->context_ = nullptr;  // hiredis frees it when this callback returns
      impl->lose_link(context->c.errstr[0] != '\0' ? context->c.errstr : "connect failed");
      return;
    }
    impl->begin_handshake();
  }

  static void on_disconnect(const redisAsyncContext* context, int status) {
    Impl* impl = owner_of(context);
    if (context != impl->context_) return;  // freed on purpose by lose_link()
    impl->context_ = nullptr;               // hiredis is freeing it
    std::string reason = "the server closed the connection";
    if (status != REDIS_OK && context->errstr != nullptr && context->errstr[0] != '\0') {
      reason = context->errstr;
    }
    impl->lose_link(std::move(reason));
  }

  static void on_handshake_reply(redisAsyncContext* context, void* reply, void* step_name) {
    Impl* impl = owner_of(context);
    const auto* answer = static_cast<const redisReply*>(reply);
    if (answer == nullptr || context != impl->context_) return;  // the link is going away
    const std::string step = static_cast<const char*>(step_name);
    if (answer->type == REDIS_REPLY_ERROR) {
      std::string error(answer->str, answer->len);
      if (step != "CLIENT SETNAME") {
        impl->lose_link(step + " failed: " + error);  // frees the context once this returns
        return;
      }
      log::warn("redis_setname_failed", {{"endpoint", impl->description_}, {"reason", error}});
    }
    if (--impl->handshake_pending_ == 0) impl->mark_up();
  }

  static void on_reply(redisAsyncContext* context, void* reply, void* privdata) {
    std::unique_ptr<PendingReply> pending(static_cast<PendingReply*>(privdata));
    Impl* impl = owner_of(context);
    try {
      if (reply == nullptr) {
        impl->connected_.store(false, std::memory_order_release);
        std::string_view why =
            context->c.err != 0 ? std::string_view(context->c.errstr) : impl->current_problem();
        pending->complete(impl->unavailable("the link dropped with the request in flight (" +
                                            std::string(why) + ")"),
                          {});
        return;
      }
      pending->complete(nullptr, copy_reply(*static_cast<const redisReply*>(reply)));
    } catch (...) {
      pending->complete(std::current_exception(), {});
    }
  }

  const asio::any_io_executor executor_;
  const Strand strand_;
  const Endpoint endpoint_;
  const Options options_;
  const std::string description_;  // endpoint_.describe(): no password
  std::atomic<bool> connected_{false};

  bool running_ = false;  // between start() and stop()
  bool link_up_ = false;  // handshake done, link not lost since
  redisAsyncContext* context_ = nullptr;
  std::uint64_t attempt_ = 0;
  int handshake_pending_ = 0;
  milliseconds backoff_ = kFirstReconnectDelay;
  std::string last_error_;  // why the last attempt or link ended
  asio::steady_timer connect_deadline_;
  asio::steady_timer reconnect_timer_;
  asio::ip::tcp::resolver resolver_;
  std::map<std::uint64_t, ConnectWaiter> waiters_;
  std::uint64_t next_waiter_id_ = 0;
};

RedisClient::RedisClient(asio::any_io_executor executor, Endpoint endpoint, Options options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(endpoint), std::move(options))) {}

RedisClient::~RedisClient() {
  // The Impl lives on in the posted handler until the link is closed on its strand.
  const Impl::Strand strand = impl_->strand_;
  asio::post(strand, [impl = std::move(impl_)] { impl->stop(); });
}

void RedisClient::start() {
  ignore_sigpipe_once();
  asio::post(impl_->strand_, [impl = impl_] { impl->start(); });
}

void RedisClient::stop() {
  asio::post(impl_->strand_, [impl = impl_] { impl->stop(); });
}

bool RedisClient::connected() const { return impl_->connected_.load(std::memory_order_acquire); }

asio::awaitable<void> RedisClient::wait_connected(milliseconds timeout) {
  if (connected()) co_return;
  co_await Impl::async_wait_connected(impl_, timeout);
}

asio::awaitable<RedisReply> RedisClient::command(std::vector<std::string> args) {
  if (args.empty()) throw std::invalid_argument("a Redis command needs at least its name");
  if (changes_connection_state(args)) {
    throw std::invalid_argument("Redis command " + args.front() +
                                " would change the shared, pipelined connection; it needs a "
                                "connection of its own");
  }
  co_return co_await Impl::async_command(impl_, std::move(args));
}

asio::awaitable<RedisReply> RedisClient::eval(const Script& script, std::vector<std::string> keys,
                                              std::vector<std::string> args) {
  std::vector<std::string> evalsha;
  evalsha.reserve(3 + keys.size() + args.size());
  evalsha.push_back("EVALSHA");
  evalsha.push_back(script.sha());
  evalsha.push_back(std::to_string(keys.size()));
  std::move(keys.begin(), keys.end(), std::back_inserter(evalsha));
  std::move(args.begin(), args.end(), std::back_inserter(evalsha));

  RedisReply reply = co_await command(evalsha);
  if (!reply.is_error() || !reply.str.starts_with("NOSCRIPT")) co_return reply;
  // The server has restarted or its script cache was flushed: load the script and call again.
  std::vector<std::string> load{std::string("SCRIPT"), std::string("LOAD"), script.source()};
  RedisReply loaded = co_await command(std::move(load));
  if (loaded.is_error()) co_return loaded;
  co_return co_await command(std::move(evalsha));
}

}  // namespace frontdoor::redis