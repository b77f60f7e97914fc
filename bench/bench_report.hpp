// What every benchmark here shares: summarizing latencies, printing a phase, and the baseline —
// redis-benchmark running the very ingest script the hub runs, against the same Redis.
#pragma once

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/redis/redis_client.hpp"
#include "tests/integration/harness.hpp"

namespace frontdoor::store::lua {
extern const std::string_view common, ingest;
}

namespace frontdoor::bench {

struct Result {
  double rate = 0;
  double p50_ms = 0, p99_ms = 0;
  std::size_t count = 0, errors = 0;
  std::string cpu;  // CPU seconds by process during the phase, when measured
};

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
