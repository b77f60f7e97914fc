// RedisClient against a real redis-server started for the test on a free loopback port.
#include <catch2/catch.hpp>

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/redis/redis_client.hpp"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using frontdoor::redis::Endpoint;
using frontdoor::redis::RedisClient;
using frontdoor::redis::RedisReply;
using frontdoor::redis::RedisUnavailable;
using frontdoor::redis::Script;
using namespace std::chrono_literals;

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// A redis-server of the test's own: loopback only, a fresh folder, no persistence. It can be
// crashed and started again on the same port.
class TestRedisServer {
 public:
  explicit TestRedisServer(std::vector<std::string> extra_args = {})
      : port_(free_loopback_port()), extra_args_(std::move(extra_args)) {
    std::string pattern = (fs::temp_directory_path() / "frontdoor-redis-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
  }
  ~TestRedisServer() {
    stop(SIGTERM);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  int port() const { return port_; }
  std::string url(const std::string& userinfo = "", const std::string& db = "") const {
    return "redis://" + userinfo + "127.0.0.1:" + std::to_string(port_) + db;
  }

  void start() {
    std::vector<std::string> args = {"redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_.string(),
                                     "--logfile",
                                     (dir_ / "redis.log").string(),
                                     "--daemonize",
                                     "no"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!answers()) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      REQUIRE(::waitpid(pid_, nullptr, WNOHANG) == 0);
      std::this_thread::sleep_for(20ms);
    }
  }

  // SIGKILL is a crash; SIGTERM a clean shutdown.
  void stop(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  bool answers() const {
    redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeval{0, 200000});
    bool answered = false;
    if (context != nullptr && context->err == 0) {
      auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
      answered = reply != nullptr;  // +PONG, or NOAUTH when a password is required
      if (reply != nullptr) freeReplyObject(reply);
    }
    if (context != nullptr) redisFree(context);
    return answered;
  }

  int port_;
  std::vector<std::string> extra_args_;
  fs::path dir_;
  pid_t pid_ = -1;
};

// Two threads run one io_context, as in the daemon; the test thread waits on futures.
class IoThreads {
 public:
  IoThreads() {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { context.run(); });
  }
  ~IoThreads() {
    work_.reset();
    for (std::thread& thread : threads_) thread.join();
  }

  template <typename T>
  std::future<T> spawn(asio::awaitable<T> operation) {
    return asio::co_spawn(context, std::move(operation), asio::use_future);
  }

  template <typename T>
  T run(asio::awaitable<T> operation) {
    std::future<T> result = spawn(std::move(operation));
    REQUIRE(result.wait_for(10s) == std::future_status::ready);
    return result.get();
  }

  asio::io_context context;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(context);
  std::vector<std::thread> threads_;
};

template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

RedisClient::Options quick_options(std::string name = "") {
  RedisClient::Options options;
  options.connect_timeout = 1000ms;
  options.reconnect_max = 400ms;
  options.name = std::move(name);
  return options;
}

}  // namespace

TEST_CASE("RedisClient pipelines, recovers scripts and survives a server crash", "[redis][live]") {
  TestRedisServer server;
  server.start();
  IoThreads io;
  auto client =
      std::make_unique<RedisClient>(io.context.get_executor(), Endpoint::parse(server.url()),
                                    quick_options("frontdoor-live-test"));
  client->start();
  io.run(client->wait_connected(5s));
  REQUIRE(client->connected());

  // 1000 INCRs in flight at once on the one connection: each gets its own reply.
  std::vector<std::future<RedisReply>> increments;
  for (int i = 0; i < 1000; ++i) increments.push_back(io.spawn(client->command({"INCR", "hits"})));
  std::set<long long> seen;
  for (auto& increment : increments) {
    REQUIRE(increment.wait_for(10s) == std::future_status::ready);
    const RedisReply reply = increment.get();
    REQUIRE(reply.type == RedisReply::Type::Integer);
    seen.insert(reply.integer);
  }
  CHECK(seen.size() == 1000);
  CHECK(*seen.begin() == 1);
  CHECK(*seen.rbegin() == 1000);
  const RedisReply total = io.run(client->command({"GET", "hits"}));
  CHECK(total.type == RedisReply::Type::String);
  CHECK(total.str == "1000");

  CHECK(io.run(client->command({"CLIENT", "GETNAME"})).str == "frontdoor-live-test");

  // Errors are replies, not exceptions.
  const RedisReply wrong = io.run(client->command({"INCR"}));
  CHECK(wrong.is_error());
  CHECK_THAT(wrong.str, Catch::Matchers::Contains("wrong number of arguments"));
  CHECK_THROWS_AS(io.run(client->command({"MULTI"})), std::invalid_argument);

  // EVALSHA after SCRIPT FLUSH: the client loads the script and calls again.
  const Script add("add", "return redis.call('INCRBY', KEYS[1], ARGV[1])");
  REQUIRE(io.run(client->command({"SCRIPT", "FLUSH"})).type == RedisReply::Type::Status);
  const RedisReply added = io.run(client->eval(add, {"hits"}, {"5"}));
  CHECK(added.type == RedisReply::Type::Integer);
  CHECK(added.integer == 1005);
  const RedisReply exists = io.run(client->command({"SCRIPT", "EXISTS", add.sha()}));
  REQUIRE(exists.elements.size() == 1);
  CHECK(exists.elements[0].integer == 1);
  const RedisReply broken =
      io.run(client->eval(Script("broken", "return redis.call('NOSUCHCOMMAND')"), {}, {}));
  CHECK(broken.is_error());

  // A crash with a request in flight: the request and later ones fail as RedisUnavailable.
  std::future<RedisReply> blocked = io.spawn(client->command({"BLPOP", "never-filled", "30"}));
  REQUIRE(blocked.wait_for(200ms) == std::future_status::timeout);
  server.stop(SIGKILL);
  REQUIRE(blocked.wait_for(5s) == std::future_status::ready);
  CHECK_THROWS_AS(blocked.get(), RedisUnavailable);
  CHECK(eventually([&] { return !client->connected(); }));
  CHECK_THROWS_AS(io.run(client->command({"PING"})), RedisUnavailable);

  // The server comes back on the same port: the client reconnects by itself.
  server.start();
  CHECK(eventually([&] { return client->connected(); }));
  const RedisReply pong = io.run(client->command({"PING"}));
  CHECK(pong.type == RedisReply::Type::Status);
  CHECK(pong.str == "PONG");
  CHECK(io.run(client->eval(add, {"hits"}, {"5"})).integer == 5);  // a fresh script cache

  client->stop();
  CHECK(eventually([&] { return !client->connected(); }));
  CHECK_THROWS_AS(io.run(client->command({"PING"})), RedisUnavailable);
  client.reset();
}

TEST_CASE("RedisClient authenticates, selects and names its connection", "[redis][live]") {
  TestRedisServer server({"--requirepass", "s3cret"});
  server.start();
  IoThreads io;

  RedisClient client(io.context.get_executor(), Endpoint::parse(server.url(":s3cret@", "/3")),
                     quick_options("frontdoor-handshake"));
  client.start();
  io.run(client.wait_connected(5s));
  const RedisReply info = io.run(client.command({"CLIENT", "INFO"}));
  CHECK_THAT(info.str, Catch::Matchers::Contains(" db=3 "));
  CHECK_THAT(info.str, Catch::Matchers::Contains(" name=frontdoor-handshake "));

  RedisClient refused(io.context.get_executor(), Endpoint::parse(server.url(":wrong@")),
                      quick_options());
  refused.start();
  CHECK_THROWS_WITH(io.run(refused.wait_connected(1500ms)), Catch::Matchers::Contains("AUTH"));
  CHECK_FALSE(refused.connected());
  CHECK_THROWS_AS(io.run(refused.command({"PING"})), RedisUnavailable);
}

TEST_CASE("RedisClient reports an absent server as unavailable", "[redis][live]") {
  IoThreads io;
  RedisClient client(io.context.get_executor(),
                     Endpoint::parse("redis://127.0.0.1:" + std::to_string(free_loopback_port())),
                     quick_options());
  client.start();
  CHECK_THROWS_AS(io.run(client.wait_connected(500ms)), RedisUnavailable);
  CHECK_THROWS_AS(io.run(client.command({"PING"})), RedisUnavailable);
  CHECK_FALSE(client.connected());
}
