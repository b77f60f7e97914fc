// Ingest throughput: how close does the whole hub (HTTP/WebSocket edge, validation, ingest
// script, receipt) come to Redis running the same ingest script on its own?
//
//   ingest_bench [--clients N] [--seconds S]
//
// Stands up a real redis-server and the real frontdoord (as the integration tests do), then:
//   1. Open311: N keep-alive HTTP clients POST service requests for S seconds;
//   2. web chat: N residents on WebSockets send messages, each waiting for its receipt;
//   3. baseline: redis-benchmark drives the same ingest Lua script (EVALSHA, same arguments
//      shape, N connections) against the same Redis.
// Prints msgs/s and p50/p99 latency for each, and hub/baseline ratios.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string_view>
#include <thread>

#include "bench/bench_report.hpp"
#include "daemon/redis/redis_client.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace frontdoor::bench;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace frontdoor::testing;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> open311_client(unsigned short port, clock_type::time_point end,
                                     std::vector<double>& latencies, std::size_t& errors, int id) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                asio::use_awaitable);
  beast::flat_buffer buffer;
  for (int i = 0; clock_type::now() < end; ++i) {
    std::string form = "service_code=pothole&lat=45.52&long=-122.67&description=Pothole+" +
                       std::to_string(id) + "-" + std::to_string(i) + "&email=r" +
                       std::to_string(id) + "%40example.org";
    auto started = clock_type::now();
    int status = co_await post_open311(stream, buffer, std::move(form));
    if (status == 0) {
      ++errors;
      co_return;
    }
    if (status != 201) {
      ++errors;
      continue;
    }
    latencies.push_back(
        std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
  }
}

asio::awaitable<void> chat_client(unsigned short port, clock_type::time_point end,
                                  std::vector<double>& latencies, std::size_t& errors, int id) {
  websocket::stream<beast::tcp_stream> ws(co_await asio::this_coro::executor);
  co_await beast::get_lowest_layer(ws).async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
  co_await ws.async_handshake("127.0.0.1", "/chat/ws", asio::use_awaitable);
  beast::flat_buffer buffer;
  std::string hello =
      R"({"type":"hello","name":"Resident )" + std::to_string(id) + R"(","language":"es"})";
  co_await ws.async_write(asio::buffer(hello), asio::use_awaitable);
  co_await ws.async_read(buffer, asio::use_awaitable);  // welcome
  for (int i = 0; clock_type::now() < end; ++i) {
    buffer.clear();
    std::string client_id = std::to_string(i);
    std::string msg = R"({"type":"message","text":"Hola, hay un bache en mi calle )" + client_id +
                      R"(","client_id":")" + client_id + "\"}";
    auto started = clock_type::now();
    auto [wec, wn] = co_await ws.async_write(asio::buffer(msg), as_tuple);
    if (wec) {
      ++errors;
      co_return;
    }
    // Wait for this message's receipt (the echo with our client_id).
    for (;;) {
      buffer.clear();
      auto [rec, rn] = co_await ws.async_read(buffer, as_tuple);
      if (rec) {
        ++errors;
        co_return;
      }
      auto frame = beast::buffers_to_string(buffer.data());
      if (frame.find("\"client_id\":\"" + client_id + "\"") != std::string::npos) break;
      if (frame.find("\"type\":\"error\"") != std::string::npos) {
        ++errors;
        break;
      }
    }
    latencies.push_back(
        std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
  }
}

// redis-benchmark running EVALSHA of the ingest script with arguments shaped like an Open311
// request (a new conversation for a contact, no idempotency key).
Result baseline(RedisServer& redis, int clients, std::size_t requests) {
  return script_baseline(
      redis, clients, requests,
      " 0 webform email:r1@example.org Resident 'Pothole on Main' Pothole '' '' 1 '' '' streets 0 "
      "'{\"service_code\":\"pothole\",\"lat\":\"45.52\",\"long\":\"-122.67\"}' 604800 100000 "
      "'[]'");
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 32, seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view arg = argv[i];
    if (arg == "--clients")
      clients = std::atoi(argv[i + 1]);
    else if (arg == "--seconds")
      seconds = std::atoi(argv[i + 1]);
  }
  RedisServer redis;  // AOF on, fsync always: the durability the hub promises
  Daemon daemon(redis.url(), {{"LOG_LEVEL", "warn"}});
  std::printf("frontdoor ingest benchmark: %d concurrent clients, %d s per phase, %u cores\n\n",
              clients, seconds, std::thread::hardware_concurrency());

  unsigned short port = daemon.port();
  Result open311 =
      run_clients(clients, seconds, [port](int i, auto end, auto& latencies, auto& errors) {
        return open311_client(port, end, latencies, errors, i);
      });
  print("hub: Open311 POST requests", open311);
  Result chat =
      run_clients(clients, seconds, [port](int i, auto end, auto& latencies, auto& errors) {
        return chat_client(port, end, latencies, errors, i);
      });
  print("hub: web chat message → receipt", chat);
  daemon.stop();
  Result raw = baseline(redis, clients, std::max<std::size_t>(20000, open311.count));
  print("baseline: ingest script on Redis", raw);

  std::printf("\nratio Open311 / baseline: %.2f\nratio chat / baseline:    %.2f\n",
              open311.rate / raw.rate, chat.rate / raw.rate);
  return open311.errors + chat.errors == 0 ? 0 : 1;
}
