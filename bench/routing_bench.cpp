// Routing throughput: how close does frontdoord's router come to the assignment script
// (route.lua) driven directly against Redis?
//
//   routing_bench [--agents N] [--conversations M] [--rounds R] [--depth D] [--rate A]
//                 [--seconds S] [--route-lua FILE] [--log-level L]
//
// Each round stands up three real redis-servers (AOF, appendfsync always) and seeds each the
// same way, through frontdoord with routing.enabled = false: N agents (queue "streets",
// English, routing.capacity webform:1000), all set available, and M Open311 service requests
// (pothole → streets), which stay queued. Then:
//   1. hub: frontdoord starts on the first Redis with routing on; its router assigns the M
//      conversations. The rate runs from the first assignment to the last (assigned_at, Redis's
//      clock): frontdoord's start-up is left out and printed apart.
//   2. steady arrivals (when A > 0): with the same frontdoord, A Open311 requests a second for
//      S seconds; latency from each arrival (created_at, when the ingest script stored it) to
//      its assignment (assigned_at), both on Redis's clock, in milliseconds.
//   3. direct, one at a time: on the second Redis, this program calls route.lua with EVALSHA
//      and the router's ARGV, each call after the previous answer (as the router does), until
//      it answers {}.
//   4. direct, D in flight: the same on the third Redis with D calls pipelined on one
//      connection: what Redis can do with the script.
// After each, the program audits Redis: every conversation assigned to one agent exactly once
// (status, agent, held_by, one "assigned to" line), nobody above capacity, the queue empty; it
// exits 1 otherwise. Prints assignments/s with the script's own time in Redis (commandstats), the
// AOF bytes written and the CPU each process used per assignment; medians over the rounds, and
// the ratios hub / direct. --route-lua drives another route.lua in the direct phases (common.lua
// still in front of it), to measure a change to the script before making it; frontdoord runs
// the one it was built with. frontdoord logs at warn unless --log-level says otherwise (at info,
// the router writes a line for every assignment).
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <climits>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <thread>

#include "bench/bench_report.hpp"
#include "daemon/config/config.hpp"
#include "daemon/log/log.hpp"
#include "daemon/redis/redis_client.hpp"
#include "daemon/run_all.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace frontdoor::bench;
using namespace frontdoor::testing;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace redis = frontdoor::redis;
using frontdoor::run_all;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

constexpr const char* kQueue = "streets";  // the harness's config files potholes there
constexpr int kCapacity = 1000;            // per agent on webform, the Open311 reply channel

// routing.capacity for every frontdoord here and ARGV 3 of the direct calls: the defaults
// with room for a whole run on webform.
const std::string& capacity_setting() {
  static const std::string s = "webchat:3,sms:4,email:6,webform:" + std::to_string(kCapacity);
  return s;
}

std::string agent_name(int i) { return "agent" + std::to_string(i); }

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string log_level = "warn";  // frontdoord's

std::map<std::string, std::string> daemon_env(bool routing) {
  return {{"LOG_LEVEL", log_level},
          {"ROUTING_ENABLED", routing ? "true" : "false"},
          {"ROUTING_CAPACITY", capacity_setting()}};
}

// A RedisClient of this program's own, on a thread of its own; run() waits for a coroutine.
class RedisConnection {
 public:
  explicit RedisConnection(const RedisServer& server)
      : work_(io_.get_executor()),
        client_(io_.get_executor(), redis::Endpoint::parse(server.url()), {}) {
    thread_ = std::thread([this] { io_.run(); });
    client_.start();
    run(client_.wait_connected(std::chrono::seconds(5)));
  }
  ~RedisConnection() {
    client_.stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  redis::RedisClient& client() { return client_; }
  template <class T>
  T run(asio::awaitable<T> a) {
    return asio::co_spawn(io_, std::move(a), asio::use_future).get();
  }
  redis::RedisReply call(std::vector<std::string> args) {
    return run(client_.command(std::move(args)));
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  redis::RedisClient client_;
  std::thread thread_;
};

// --- Seeding -------------------------------------------------------------------------------

std::string service_request(const std::string& tag, int i) {
  return "service_code=pothole&lat=45.52&long=-122.67&description=Pothole+on+Main+" + tag + "-" +
         std::to_string(i) + "&email=r" + tag + "-" + std::to_string(i) + "%40example.org";
}

// `count` Open311 requests over `connections` keep-alive connections; request i is sent at
// start + i / rate (as fast as answers come when rate is 0).
struct Filing {
  std::size_t filed = 0, failed = 0;
  std::vector<double> answer_ms;  // each request until its 201
};

asio::awaitable<void> file_some(unsigned short port, const std::string& tag, int first, int step,
                                int count, double rate, clock_type::time_point start, Filing& out) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                asio::use_awaitable);
  beast::flat_buffer buffer;
  asio::steady_timer timer(stream.get_executor());
  for (int i = first; i < count; i += step) {
    if (rate > 0) {
      timer.expires_at(start + std::chrono::microseconds(static_cast<long long>(i * 1e6 / rate)));
      co_await timer.async_wait(asio::use_awaitable);
    }
    auto sent = clock_type::now();
    int status = co_await post_open311(stream, buffer, service_request(tag, i));
    if (status == 0) {
      out.failed += (count - i + step - 1) / step;
      co_return;
    }
    if (status != 201) {
      ++out.failed;
      continue;
    }
    ++out.filed;
    out.answer_ms.push_back(
        std::chrono::duration<double, std::milli>(clock_type::now() - sent).count());
  }
}

Filing file_requests(unsigned short port, const std::string& tag, int count, int connections,
                     double rate) {
  asio::io_context io;
  Filing out;
  auto start = clock_type::now();
  for (int c = 0; c < connections; ++c) {
    asio::co_spawn(io, file_some(port, tag, c, connections, count, rate, start, out),
                   [&out](std::exception_ptr e) {
                     if (e) ++out.failed;
                   });
  }
  io.run();
  return out;
}

// N agents of the queue, available; M conversations waiting in it. Through frontdoord with
// routing off, so nothing is assigned yet.
void seed(const RedisServer& server, int agents, int conversations) {
  Daemon daemon(server.url(), daemon_env(false));
  auto admin = daemon.login();
  for (int i = 0; i < agents; ++i) {
    auto created = daemon.post("/api/v1/agents",
                               R"({"username":")" + agent_name(i) +
                                   R"(","password":"agent-password","languages":["en"],)"
                                   R"("queues":[")" +
                                   kQueue + R"("]})",
                               admin);
    if (created.status != 201) throw std::runtime_error("creating an agent: " + created.body);
  }
  for (int i = 0; i < agents; ++i) {
    auto token = daemon.login(agent_name(i), "agent-password");
    auto set = daemon.post("/api/v1/me/presence", R"({"presence":"available"})", token);
    if (set.status != 200) throw std::runtime_error("setting presence: " + set.body);
  }
  Filing filing = file_requests(daemon.port(), "seed", conversations, 16, 0);
  if (filing.filed != static_cast<std::size_t>(conversations))
    throw std::runtime_error("seeding: " + std::to_string(filing.failed) + " requests failed");
  daemon.stop();
}

// --- What Redis says -----------------------------------------------------------------------

struct Assignment {
  long long created_at = 0, assigned_at = 0;
};

// Every conversation assigned exactly once, to one agent, nobody above capacity, nothing left
// in the queue. Problems are described in `problems`.
struct Audit {
  std::vector<Assignment> assigned;
  std::vector<std::string> problems;
};

asio::awaitable<void> audit_conversations(redis::RedisClient& redis,
                                          const std::vector<std::string>& ids, std::size_t& next,
                                          std::map<std::string, std::string>& agent_of,
                                          Audit& audit) {
  while (next < ids.size()) {
    const std::string id = ids[next++];  // one io_context thread: no lock
    const std::string key = "conv:{" + id + "}";
    auto fields = co_await redis.call("HMGET", key, "status", "agent", "held_by", "reply_channel",
                                      "created_at", "assigned_at");
    auto log = co_await redis.call("XRANGE", key + ":msgs", "-", "+");
    auto field = [&](std::size_t i) { return fields.elements.at(i).str; };
    int lines = 0;
    for (const auto& entry : log.elements) {
      const auto& flat = entry.elements.at(1).elements;
      for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
        if (flat[i].str == "text" && flat[i + 1].str.starts_with("assigned to ")) ++lines;
      }
    }
    agent_of[id] = field(1);
    if (field(0) != "assigned" || field(1).empty() || field(2) != field(1) + "|" + field(3) ||
        lines != 1) {
      audit.problems.push_back("conversation " + id + ": status " + field(0) + ", agent " +
                               field(1) + ", held_by " + field(2) + ", " + std::to_string(lines) +
                               " \"assigned to\" lines");
      continue;
    }
    audit.assigned.push_back({std::stoll(field(4)), std::stoll(field(5))});
  }
}

asio::awaitable<Audit> audit(redis::RedisClient& redis, int agents, std::size_t expected) {
  Audit out;
  std::vector<std::string> ids;
  auto all = co_await redis.call("ZRANGE", "convs", "0", "-1");
  for (const auto& e : all.elements) ids.push_back(e.str);
  if (ids.size() != expected)
    out.problems.push_back(std::to_string(ids.size()) + " conversations, expected " +
                           std::to_string(expected));
  std::size_t next = 0;
  std::map<std::string, std::string> agent_of;
  auto worker = [&](int) { return audit_conversations(redis, ids, next, agent_of, out); };
  co_await run_all(32, worker);
  std::set<std::string> held;
  for (int i = 0; i < agents; ++i) {
    auto members = co_await redis.call("SMEMBERS", "agent:{" + agent_name(i) + "}:holding");
    if (members.elements.size() > static_cast<std::size_t>(kCapacity))
      out.problems.push_back(agent_name(i) + " holds " + std::to_string(members.elements.size()));
    for (const auto& m : members.elements) {
      std::string id = m.str.substr(0, m.str.find('|'));
      if (!held.insert(id).second) out.problems.push_back(id + " is held twice");
      if (agent_of[id] != agent_name(i))
        out.problems.push_back(id + " held by " + agent_name(i) + ", assigned to " + agent_of[id]);
    }
  }
  if (held.size() != expected)
    out.problems.push_back(std::to_string(held.size()) + " conversations held, expected " +
                           std::to_string(expected));
  const std::string queue = std::string("queue:") + kQueue;
  auto waiting = co_await redis.call("ZCARD", queue);
  if (waiting.integer != 0)
    out.problems.push_back(std::to_string(waiting.integer) + " still in the queue");
  co_return out;
}

bool report_audit(const char* what, const Audit& a) {
  if (a.problems.empty()) return true;
  std::printf("  AUDIT FAILED (%s): %zu problems\n", what, a.problems.size());
  for (std::size_t i = 0; i < std::min<std::size_t>(10, a.problems.size()); ++i)
    std::printf("    %s\n", a.problems[i].c_str());
  return false;
}

// The script's own time in Redis since the last CONFIG RESETSTAT: EVALSHA calls and µs a call
// (Lua and the commands it runs, not the fsync nor the round trip).
struct ScriptTime {
  long calls = 0;
  double usec_per_call = 0;
};

ScriptTime script_time(RedisConnection& redis) {
  std::string info = redis.call({"INFO", "commandstats"}).str;
  ScriptTime t;
  auto at = info.find("cmdstat_evalsha:");
  if (at == std::string::npos) return t;
  std::sscanf(info.c_str() + at, "cmdstat_evalsha:calls=%ld,usec=%*ld,usec_per_call=%lf", &t.calls,
              &t.usec_per_call);
  return t;
}

// The AOF's size (bytes) and how many times Redis has rewritten it: the bytes a phase wrote,
// unless a rewrite (which shrinks the file, and forks) happened meanwhile.
struct Aof {
  long long size = 0, rewrites = 0;
};

Aof aof(RedisConnection& redis) {
  std::string info = redis.call({"INFO", "persistence"}).str;
  auto number = [&](const std::string& name) {
    auto at = info.find(name + ":");
    return at == std::string::npos ? 0 : std::atoll(info.c_str() + at + name.size() + 1);
  };
  return {number("aof_current_size"), number("aof_rewrites")};
}

// --- The phases ----------------------------------------------------------------------------

struct Burst {
  std::size_t assigned = 0;
  double rate = 0;                   // assignments/s, first to last assignment (Redis's clock)
  double seconds = 0;                // first to last assignment
  long long first_assigned_at = 0;   // ms, Redis's clock
  double lead = 0;                   // hub: frontdoord's start to its first assignment, s
  ScriptTime script;                 // EVALSHA during the phase
  std::string cpu;                   // CPU s by process
  double cpu_per_assignment_us = 0;  // all processes
  double aof_bytes = -1;             // AOF written an assignment; -1: rewritten meanwhile
};

Burst span_of(const Audit& audit) {
  Burst b;
  if (audit.assigned.empty()) return b;
  auto [first, last] = std::minmax_element(
      audit.assigned.begin(), audit.assigned.end(),
      [](const Assignment& x, const Assignment& y) { return x.assigned_at < y.assigned_at; });
  b.assigned = audit.assigned.size();
  b.first_assigned_at = first->assigned_at;
  b.seconds = (last->assigned_at - first->assigned_at) / 1000.0;
  b.rate = b.seconds > 0 ? (b.assigned - 1) / b.seconds : 0;
  return b;
}

double cpu_total(const CpuSnapshot& before, const CpuSnapshot& after) {
  double total = 0;
  for (const auto& [pid, entry] : after) {
    auto it = before.find(pid);
    total += entry.second - (it == before.end() ? 0 : it->second.second);
  }
  return total;
}

void print(const char* name, const Burst& b) {
  std::printf("  %-34s %7.0f assignments/s   %zu in %.2f s   script %5.0f µs/call (%ld calls)\n",
              name, b.rate, b.assigned, b.seconds, b.script.usec_per_call, b.script.calls);
  std::printf("  %-34s CPU s: %s (%.0f µs an assignment)\n", "", b.cpu.c_str(),
              b.cpu_per_assignment_us);
  if (b.aof_bytes >= 0)
    std::printf("  %-34s AOF: %.0f bytes an assignment\n", "", b.aof_bytes);
  else
    std::printf("  %-34s AOF: rewritten during the phase\n", "");
  if (b.lead > 0)
    std::printf("  %-34s first assignment %.2f s after frontdoord was started\n", "", b.lead);
}

struct Steady {
  Result arrival;  // arrival → assignment, ms
  Result answer;   // POST → 201, ms
};

// Waits (bounded) until the queue is empty; false on time-out.
bool wait_drained(RedisConnection& redis, std::chrono::seconds limit) {
  auto deadline = clock_type::now() + limit;
  while (redis.call({"ZCARD", std::string("queue:") + kQueue}).integer > 0) {
    if (clock_type::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Measures `work`, which returns once the queue is empty (the last assignment's script removed
// it): the script's time, the AOF and CPU it cost, and, from Redis once done, the audit and
// the span from the first assignment to the last.
template <class Work>
Burst measure(RedisConnection& redis, int agents, int conversations, const char* what, bool& ok,
              Work work) {
  redis.call({"CONFIG", "RESETSTAT"});
  const Aof aof_before = aof(redis);
  auto cpu_before = cpu_snapshot();
  ok = work() && ok;
  auto cpu_after = cpu_snapshot();
  ScriptTime script = script_time(redis);
  const Aof aof_after = aof(redis);
  Audit a = redis.run(audit(redis.client(), agents, conversations));
  ok = report_audit(what, a) && ok;
  Burst b = span_of(a);
  b.script = script;
  b.cpu = cpu_used(cpu_before, cpu_after);
  b.cpu_per_assignment_us = cpu_total(cpu_before, cpu_after) * 1e6 / conversations;
  if (aof_after.rewrites == aof_before.rewrites)
    b.aof_bytes = static_cast<double>(aof_after.size - aof_before.size) / conversations;
  return b;
}

// frontdoord with routing on assigns what was seeded; then, when rate > 0, routes steady
// arrivals. Audits Redis after each.
std::pair<Burst, Steady> through_frontdoord(const RedisServer& server, int agents,
                                            int conversations, double rate, int seconds, bool& ok) {
  RedisConnection redis(server);
  std::optional<Daemon> daemon;
  const long long started = now_ms();
  Burst burst = measure(redis, agents, conversations, "hub", ok, [&] {
    daemon.emplace(server.url(), daemon_env(true));
    return wait_drained(redis, std::chrono::seconds(300));
  });
  burst.lead = (burst.first_assigned_at - started) / 1000.0;

  Steady steady;
  if (rate > 0) {
    const int count = static_cast<int>(rate * seconds);
    const long long from = now_ms();
    Filing filing = file_requests(daemon->port(), "steady", count, 8, rate);
    ok = wait_drained(redis, std::chrono::seconds(60)) && filing.failed == 0 && ok;
    Audit all = redis.run(audit(redis.client(), agents, conversations + count));
    ok = report_audit("hub, steady arrivals", all) && ok;
    std::vector<double> latencies;
    for (const auto& a : all.assigned) {
      if (a.created_at >= from) latencies.push_back(a.assigned_at - a.created_at);
    }
    steady.arrival = summarize(latencies, seconds, filing.failed);
    steady.answer = summarize(filing.answer_ms, seconds, filing.failed);
  }
  daemon.reset();
  return {burst, steady};
}

asio::awaitable<void> route_until_empty(redis::RedisClient& redis, const redis::Script& script,
                                        const std::vector<std::string>& argv) {
  const std::vector<std::string> no_keys;
  for (;;) {
    auto reply = co_await redis.eval(script, no_keys, argv);
    if (reply.is_error()) throw std::runtime_error("route.lua: " + reply.str);
    if (reply.elements.size() != 2) co_return;
  }
}

// route.lua driven directly with the router's ARGV, `depth` calls in flight, until it answers
// {}. Audits Redis at the end.
Burst direct(const RedisServer& server, const redis::Script& script, int agents, int conversations,
             int depth, bool& ok) {
  const frontdoor::Config defaults;
  const std::vector<std::string> argv = {kQueue, std::to_string(defaults.routing.scan),
                                         capacity_setting(),
                                         std::to_string(defaults.conversations.events_maxlen),
                                         std::to_string(defaults.routing.language_wait_s * 1000LL)};
  RedisConnection redis(server);
  redis.call({"SCRIPT", "LOAD", script.source()});
  return measure(redis, agents, conversations, "direct", ok, [&] {
    auto caller = [&](int) { return route_until_empty(redis.client(), script, argv); };
    redis.run(run_all(depth, caller));
    return true;
  });
}

// µs a call for `command` sent `calls` times, each after the previous answer: with PING the
// round trip, with INCR the round trip and an fsync (appendfsync always), the floor for a
// caller that waits for each answer, as the router does.
asio::awaitable<double> one_at_a_time(redis::RedisClient& redis, std::vector<std::string> command,
                                      int calls) {
  auto start = clock_type::now();
  for (int i = 0; i < calls; ++i) co_await redis.command(command);
  co_return std::chrono::duration<double, std::micro>(clock_type::now() - start).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  int agents = 50, conversations = 5000, rounds = 3, depth = 32, seconds = 5;
  double rate = 200;
  std::string route_lua;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view arg = argv[i];
    if (arg == "--agents")
      agents = std::max(1, std::atoi(argv[i + 1]));
    else if (arg == "--conversations")
      conversations = std::max(2, std::atoi(argv[i + 1]));
    else if (arg == "--rounds")
      rounds = std::max(1, std::atoi(argv[i + 1]));
    else if (arg == "--depth")
      depth = std::max(1, std::atoi(argv[i + 1]));
    else if (arg == "--rate")
      rate = std::max(0.0, std::atof(argv[i + 1]));
    else if (arg == "--seconds")
      seconds = std::max(1, std::atoi(argv[i + 1]));
    else if (arg == "--route-lua")
      route_lua = argv[i + 1];
    else if (arg == "--log-level")
      log_level = argv[i + 1];
  }
  const std::string route_source =
      route_lua.empty() ? std::string(frontdoor::store::lua::route) : read_file(route_lua);
  if (route_source.empty()) {
    std::fprintf(stderr, "cannot read %s\n", route_lua.c_str());
    return 2;
  }
  const redis::Script script("route",
                             std::string(frontdoor::store::lua::common) + "\n" + route_source);
  frontdoor::log::init("warn");  // this program's own Redis connections
  if (static_cast<long>(conversations) + static_cast<long>(rate * seconds) >
      static_cast<long>(agents) * kCapacity) {
    std::fprintf(stderr, "more conversations than %d agents can hold (%d each)\n", agents,
                 kCapacity);
    return 2;
  }
  std::printf(
      "frontdoor routing benchmark: %d agents, %d conversations per run, %d rounds; steady "
      "arrivals %.0f/s for %d s; frontdoord logs at %s; %u cores\n",
      agents, conversations, rounds, rate, seconds, log_level.c_str(),
      std::thread::hardware_concurrency());
  if (!route_lua.empty()) std::printf("direct phases drive %s\n", route_lua.c_str());

  bool ok = true;
  std::vector<double> hub_rates, one_rates, piped_rates, p50s, p99s;
  for (int round = 1; round <= rounds; ++round) {
    std::printf("\nround %d (seeding 3 Redis servers through frontdoord, routing off)\n", round);
    RedisServer hub_redis, one_redis, piped_redis;  // AOF on, fsync always
    for (const RedisServer* r : {&hub_redis, &one_redis, &piped_redis})
      seed(*r, agents, conversations);

    auto [hub, steady] = through_frontdoord(hub_redis, agents, conversations, rate, seconds, ok);
    print("hub: frontdoord's router", hub);
    Burst one = direct(one_redis, script, agents, conversations, 1, ok);
    print("direct: route.lua, one at a time", one);
    Burst piped = direct(piped_redis, script, agents, conversations, depth, ok);
    std::string piped_name = "direct: route.lua, " + std::to_string(depth) + " in flight";
    print(piped_name.c_str(), piped);
    if (rate > 0) {
      std::printf("  hub: steady %.0f/s, arrival → assignment  p50 %.0f ms   p99 %.0f ms   (%zu)\n",
                  rate, steady.arrival.p50_ms, steady.arrival.p99_ms, steady.arrival.count);
      std::printf("  %-34s POST → 201  p50 %.2f ms   p99 %.2f ms\n", "", steady.answer.p50_ms,
                  steady.answer.p99_ms);
      p50s.push_back(steady.arrival.p50_ms);
      p99s.push_back(steady.arrival.p99_ms);
    }
    {
      RedisConnection redis(one_redis);
      const std::vector<std::string> ping_command = {"PING"}, incr_command = {"INCR", "bench:n"};
      double ping = redis.run(one_at_a_time(redis.client(), ping_command, 2000));
      double incr = redis.run(one_at_a_time(redis.client(), incr_command, 2000));
      std::printf("  one call at a time on this Redis: PING %.0f µs, INCR (fsync) %.0f µs\n", ping,
                  incr);
    }
    hub_rates.push_back(hub.rate);
    one_rates.push_back(one.rate);
    piped_rates.push_back(piped.rate);
  }

  const double h = median(hub_rates), o = median(one_rates), p = median(piped_rates);
  std::printf(
      "\nmedians of %d rounds: hub %.0f, direct one at a time %.0f, direct %d in flight "
      "%.0f assignments/s\n",
      rounds, h, o, depth, p);
  if (rate > 0)
    std::printf("steady %.0f/s: arrival → assignment p50 %.0f ms, p99 %.0f ms (medians)\n", rate,
                median(p50s), median(p99s));
  std::printf("ratio hub / direct, %d in flight:   %.2f\n", depth, h / p);
  std::printf("ratio hub / direct, one at a time: %.2f\n", h / o);
  if (!ok) std::printf("\nAUDIT FAILED: see above\n");
  return ok ? 0 : 1;
}
