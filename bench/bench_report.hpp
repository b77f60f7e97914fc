// What every benchmark here shares: summarizing latencies, printing a phase, the CPU time each
// process used, an Open311 request on a keep-alive connection, and the baseline —
// redis-benchmark running the very ingest script the hub runs, against the same Redis.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/redis/redis_client.hpp"
#include "tests/integration/harness.hpp"

namespace frontdoor::store::lua {
extern const std::string_view common, ingest, route;
}

namespace frontdoor::bench {

struct Result {
  double rate = 0;
  double p50_ms = 0, p99_ms = 0;
  std::size_t count = 0, errors = 0;
  std::string cpu;  // CPU seconds by process during the phase, when measured
};

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty()      ? 0
         : v.size() % 2 ? v[v.size() / 2]
                        : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

inline Result summarize(std::vector<double>& latencies_ms, double seconds, std::size_t errors) {
  Result r;
  r.count = latencies_ms.size();
  r.errors = errors;
  r.rate = r.count / seconds;
  if (!latencies_ms.empty()) {
    std::sort(latencies_ms.begin(), latencies_ms.end());
    r.p50_ms = latencies_ms[latencies_ms.size() / 2];
    r.p99_ms = latencies_ms[std::min(latencies_ms.size() - 1, latencies_ms.size() * 99 / 100)];
  }
  return r;
}

// Runs `clients` load coroutines, make(index, end, latencies, errors), on one thread until
// `seconds` have passed, and summarizes the latencies and errors they recorded.
template <class MakeClient>
Result run_clients(int clients, int seconds, MakeClient make) {
  boost::asio::io_context io;
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::size_t> errors(clients);
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::seconds(seconds);
  for (int i = 0; i < clients; ++i) {
    boost::asio::co_spawn(io, make(i, end, latencies[i], errors[i]), [&](std::exception_ptr e) {
      if (e) ++errors[0];
    });
  }
  io.run();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  std::size_t error_count = 0;
  for (int i = 0; i < clients; ++i) {
    all.insert(all.end(), latencies[i].begin(), latencies[i].end());
    error_count += errors[i];
  }
  return summarize(all, elapsed, error_count);
}

// An Open311 service request (form fields, URL-encoded) on a keep-alive connection to
// frontdoord: the HTTP status it was answered with, or 0 when the connection failed (and can
// take no more requests).
inline boost::asio::awaitable<int> post_open311(boost::beast::tcp_stream& stream,
                                                boost::beast::flat_buffer& buffer,
                                                std::string form) {
  namespace bhttp = boost::beast::http;
  constexpr auto as_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/open311/v2/requests.json", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  req.body() = std::move(form);
  req.prepare_payload();
  auto [wec, wn] = co_await bhttp::async_write(stream, req, as_tuple);
  if (wec) co_return 0;
  bhttp::response<bhttp::string_body> res;
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, res, as_tuple);
  if (rec) co_return 0;
  co_return res.result_int();
}

// This process and the processes it started (redis-server, frontdoord, node, bearerbox, …),
// from /proc, by the name the kernel keeps for each (comm), with the CPU seconds (user + system,
// all threads) each has used.
struct Process {
  int pid;
  std::string name;
  double cpu_seconds;
};

inline std::vector<Process> our_processes() {
  std::vector<Process> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const int self = getpid();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // pid (comm) state ppid … utime stime: fields 14 and 15, counted after the ")".
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    long ppid = 0, utime = 0, stime = 0, skip = 0;
    rest >> state >> ppid;
    for (int field = 5; field < 14; ++field) rest >> skip;
    rest >> utime >> stime;
    const int id = std::stoi(pid);
    if (id != self && ppid != self) continue;
    out.push_back({id, stat.substr(open + 1, close - open - 1), (utime + stime) / tick});
  }
  return out;
}

using CpuSnapshot = std::map<int, std::pair<std::string, double>>;  // by pid

inline CpuSnapshot cpu_snapshot() {
  CpuSnapshot out;
  for (const auto& p : our_processes()) out[p.pid] = {p.name, p.cpu_seconds};
  return out;
}

// "frontdoord 1.02  redis-server 0.31 …": CPU seconds each used between two snapshots.
inline std::string cpu_used(const CpuSnapshot& before, const CpuSnapshot& after) {
  std::map<std::string, double> by_name;
  for (const auto& [pid, entry] : after) {
    auto it = before.find(pid);
    by_name[entry.first] += entry.second - (it == before.end() ? 0 : it->second.second);
  }
  std::vector<std::pair<double, std::string>> sorted;
  for (const auto& [name, seconds] : by_name)
    if (seconds >= 0.01) sorted.emplace_back(seconds, name);
  std::sort(sorted.rbegin(), sorted.rend());
  std::string out;
  char buf[64];
  for (const auto& [seconds, name] : sorted) {
    std::snprintf(buf, sizeof buf, "%s%s %.2f", out.empty() ? "" : ", ", name.c_str(), seconds);
    out += buf;
  }
  return out;
}

inline void print(const char* name, const Result& r) {
  std::printf("%-36s %8.0f msgs/s   p50 %6.2f ms   p99 %6.2f ms   (%zu msgs, %zu errors)\n", name,
              r.rate, r.p50_ms, r.p99_ms, r.count, r.errors);
  if (!r.cpu.empty()) std::printf("%-36s CPU s: %s\n", "", r.cpu.c_str());
}

inline std::string output_of(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[1024];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  pclose(pipe);
  return out;
}

// redis-benchmark with `clients` connections running EVALSHA of the ingest script `requests`
// times with `args` (" 0 ARGV…", shell-quoted; __rand_int__ becomes a fresh number per call with
// -r). The script is first run once with those arguments: redis-benchmark counts an error reply
// as a request served, so a script that gained an argument must fail here, not look fast.
inline Result script_baseline(const testing::RedisServer& redis, int clients, std::size_t requests,
                              const std::string& args) {
  std::string source = std::string(store::lua::common) + "\n" + std::string(store::lua::ingest);
  redis::Script script("ingest", source);
  std::string dir = testing::fresh_dir("bench"), path = dir + "/ingest.lua";
  std::ofstream(path) << source;
  std::string port = redis.url().substr(redis.url().rfind(':') + 1);
  int loaded =
      std::system(("redis-cli -p " + port + " -x SCRIPT LOAD < " + path + " > /dev/null").c_str());
  std::filesystem::remove_all(dir);
  if (loaded != 0) throw std::runtime_error("SCRIPT LOAD failed");
  std::string probe_args = args;
  for (std::size_t at; (at = probe_args.find("__rand_int__")) != std::string::npos;) {
    probe_args.replace(at, 12, "000000000000");
  }
  std::string probe =
      output_of("redis-cli -p " + port + " EVALSHA " + script.sha() + probe_args + " 2>&1");
  if (probe.empty() || probe.find("ERR") != std::string::npos) {
    throw std::runtime_error("the ingest script fails with the baseline's arguments: " + probe);
  }
  std::string out =
      output_of("redis-benchmark -p " + port + " -c " + std::to_string(clients) + " -n " +
                std::to_string(requests) + " -r 2000000000 --csv EVALSHA " + script.sha() + args);
  // CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
  // "p99_latency_ms","max_latency_ms". The test name holds the script's arguments (quotes and
  // commas included): read the seven figures from the end of the line.
  auto line = out.substr(out.find('\n') + 1);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  std::vector<std::string> cells;
  for (int i = 0; i < 7; ++i) {
    auto comma = line.rfind(',');
    if (comma == std::string::npos)
      throw std::runtime_error("unexpected redis-benchmark output: " + out);
    std::string cell = line.substr(comma + 1);
    cells.insert(cells.begin(), cell.substr(1, cell.size() - 2));
    line.resize(comma);
  }
  Result r;
  r.rate = std::stod(cells[0]);
  r.p50_ms = std::stod(cells[3]);
  r.p99_ms = std::stod(cells[5]);
  r.count = requests;
  return r;
}

}  // namespace frontdoor::bench
