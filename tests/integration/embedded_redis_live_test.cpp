// EmbeddedRedis: the redis-server child frontdoord runs when no redis.url is configured.
#include <catch2/catch.hpp>

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "daemon/redis/embedded_redis.hpp"
#include "daemon/redis/redis_client.hpp"

namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using frontdoor::redis::EmbeddedRedis;
using frontdoor::redis::Endpoint;
using frontdoor::redis::RedisClient;
using frontdoor::redis::RedisReply;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "frontdoor-embedded-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path path;
};

// One synchronous command on the embedded server's socket; the reply's text or integer.
std::string ask(const EmbeddedRedis& redis, const char* format, const char* arg1 = nullptr,
                const char* arg2 = nullptr) {
  const Endpoint endpoint = Endpoint::parse(redis.url());
  redisContext* context = redisConnectUnix(endpoint.unix_path.c_str());
  REQUIRE(context != nullptr);
  REQUIRE(context->err == 0);
  auto* reply = static_cast<redisReply*>(redisCommand(context, format, arg1, arg2));
  REQUIRE(reply != nullptr);
  std::string text = reply->type == REDIS_REPLY_INTEGER ? std::to_string(reply->integer)
                     : reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
                         ? std::string(reply->element[1]->str, reply->element[1]->len)
                     : reply->str != nullptr ? std::string(reply->str, reply->len)
                                             : std::string();
  freeReplyObject(reply);
  redisFree(context);
  return text;
}

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  // An orphan that nobody has reaped yet is dead too.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, command, state;
  return stat >> pid_field >> command >> state && state == "Z";
}

template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

}  // namespace

TEST_CASE("EmbeddedRedis serves a private Unix socket and keeps data across restarts",
          "[redis][live]") {
  TempDir data;
  EmbeddedRedis redis("redis-server", data.path.string(), "always");
  redis.start();
  REQUIRE(redis.pid() > 0);
  const fs::path socket = data.path / "redis.sock";
  CHECK(redis.url() == "unix://" + socket.string());
  const Endpoint endpoint = Endpoint::parse(redis.url());
  CHECK(endpoint.unix_path == socket.string());

  struct stat socket_stat {};
  REQUIRE(::stat(socket.c_str(), &socket_stat) == 0);
  CHECK((socket_stat.st_mode & 0777) == 0700);
  CHECK(ask(redis, "CONFIG GET %s", "appendonly") == "yes");
  CHECK(ask(redis, "CONFIG GET %s", "appendfsync") == "always");
  CHECK(ask(redis, "CONFIG GET %s", "port") == "0");
  CHECK(ask(redis, "SET %s %s", "conversation:1", "open") == "OK");

  {
    // The daemon's own client reaches it through url().
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    std::thread runner([&io] { io.run(); });
    {
      RedisClient client(io.get_executor(), endpoint, RedisClient::Options{});
      client.start();
      auto connected =
          boost::asio::co_spawn(io, client.wait_connected(5s), boost::asio::use_future);
      REQUIRE(connected.wait_for(10s) == std::future_status::ready);
      connected.get();
      auto reply = boost::asio::co_spawn(io, client.command({"GET", "conversation:1"}),
                                         boost::asio::use_future);
      REQUIRE(reply.wait_for(10s) == std::future_status::ready);
      CHECK(reply.get().str == "open");
    }
    work.reset();
    runner.join();
  }

  redis.stop();
  CHECK(redis.pid() == -1);
  CHECK_FALSE(fs::exists(socket));

  redis.start();
  CHECK(ask(redis, "GET %s", "conversation:1") == "open");  // replayed from the AOF
  CHECK(fs::exists(data.path / "redis" / "redis.log"));

  EmbeddedRedis second("redis-server", data.path.string(), "always");
  CHECK_THROWS_WITH(second.start(), Contains("already serves"));
}

TEST_CASE("EmbeddedRedis says why redis-server could not start", "[redis][live]") {
  TempDir data;
  SECTION("redis-server's own complaint about its configuration") {
    EmbeddedRedis redis("redis-server", data.path.string(), "sometimes");
    CHECK_THROWS_WITH(redis.start(), Contains("appendfsync") && Contains("everysec"));
    CHECK(redis.pid() == -1);
  }
  SECTION("a program that is not there") {
    EmbeddedRedis missing("no-such-redis-server", data.path.string(), "everysec");
    CHECK_THROWS_WITH(missing.start(), Contains("not on PATH"));
    EmbeddedRedis wrong_path("/nonexistent/redis-server", data.path.string(), "everysec");
    CHECK_THROWS_WITH(wrong_path.start(), Contains("cannot run"));
  }
}

TEST_CASE("EmbeddedRedis dies with the process that started it", "[redis][live]") {
  TempDir data;
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t daemon = ::fork();
  REQUIRE(daemon >= 0);
  if (daemon == 0) {
    // Stands in for frontdoord: starts the store, reports its pid, and waits to be killed.
    ::close(report[0]);
    pid_t redis_pid = -1;
    try {
      EmbeddedRedis redis("redis-server", data.path.string(), "everysec");
      redis.start();
      redis_pid = redis.pid();
      [[maybe_unused]] auto written = ::write(report[1], &redis_pid, sizeof redis_pid);
      ::pause();
    } catch (...) {
    }
    [[maybe_unused]] auto written = ::write(report[1], &redis_pid, sizeof redis_pid);
    ::_exit(1);
  }
  ::close(report[1]);
  pid_t redis_pid = -1;
  REQUIRE(::read(report[0], &redis_pid, sizeof redis_pid) == sizeof redis_pid);
  ::close(report[0]);
  REQUIRE(redis_pid > 0);
  ::kill(daemon, SIGKILL);
  ::waitpid(daemon, nullptr, 0);
  CHECK(eventually([&] { return process_gone(redis_pid); }));
}
