// An asynchronous Redis client: hiredis's async API driven by Asio, many requests in flight.
//
// Contract
//  1. One RedisClient owns one connection (TCP or Unix socket). Commands are pipelined: any
//     number may be in flight; replies complete in order. All hiredis calls happen on the
//     client's strand, so the client may be used from any thread.
//  2. command() completes with the reply copied out of hiredis (a RedisReply owns its data).
//     A Redis error reply is a reply of type Error, not an exception.
//  3. While the connection is down, or when it drops with the request in flight, command()
//     throws RedisUnavailable. The caller decides: an edge answers "try later" (HTTP 503,
//     SMTP 451), never "accepted". A request that was in flight when the link dropped may or
//     may not have run: callers make writes idempotent (ingest dedups on the provider key).
//  4. start() connects and keeps reconnecting with exponential backoff (100 ms doubling up to
//     reconnect_max). connected() tells whether the link is up now; /readyz uses it.
//  5. eval() calls a Script by SHA (EVALSHA) and, on NOSCRIPT (a restarted or flushed server),
//     loads it and calls again; callers never see NOSCRIPT.
//  6. stop() closes the link; commands in flight complete with RedisUnavailable.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor::redis {

struct RedisReply {
  enum class Type { Nil, Status, Error, Integer, String, Array };
  Type type = Type::Nil;
  std::string str;        // Status, Error, String
  long long integer = 0;  // Integer
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::Nil; }
  bool is_error() const { return type == Type::Error; }
};

class RedisUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where the server is: "redis://host:port[/db]" or "unix:///path/to/socket[?db=N]".
struct Endpoint {
  std::string host;  // empty for unix
  int port = 6379;
  std::string unix_path;
  int db = 0;
  std::string password;

  static Endpoint parse(std::string_view url);  // throws std::invalid_argument with a reason
  std::string describe() const;                 // for logs; never contains the password
};

// A Lua script: its source and its SHA1 (computed once).
class Script {
 public:
  Script(std::string name, std::string source);
  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }
  const std::string& sha() const { return sha_; }

 private:
  std::string name_, source_, sha_;
};

class RedisClient {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds reconnect_max{5000};
    std::string name;  // CLIENT SETNAME, for operators
  };

  RedisClient(boost::asio::any_io_executor executor, Endpoint endpoint, Options options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  void start();
  void stop();
  bool connected() const;

  // Completes once connected, or throws RedisUnavailable after `timeout`.
  boost::asio::awaitable<void> wait_connected(std::chrono::milliseconds timeout);

  boost::asio::awaitable<RedisReply> command(std::vector<std::string> args);
  // call("HGETALL", key, …): the same, each argument a string. (Also keeps braced lists out of
  // co_await expressions, which GCC 12 miscompiles.)
  template <class... Args>
  boost::asio::awaitable<RedisReply> call(Args&&... args) {
    return command(std::vector<std::string>{std::string(std::forward<Args>(args))...});
  }
  boost::asio::awaitable<RedisReply> eval(const Script& script, std::vector<std::string> keys,
                                          std::vector<std::string> args);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace frontdoor::redis
