// SMS ingest throughput: signed Twilio webhooks through the hub beside the raw ingest script,
// and Kannel MO through the hub beside Kannel MO into an endpoint that does nothing.
//
//   sms_bench [--clients N] [--seconds S] [--messages M] [--rounds R] [--pin both|no|only]
//             [--kannel-log-level L]
//
// Stands up a real redis-server and the real frontdoord (as the integration tests do), then:
//   1. Twilio: N keep-alive HTTP clients POST signed inbound-SMS webhooks for S seconds, each
//      from a new resident's number with its own MessageSid;
//   2. Kannel: a real bearerbox + smsbox with fakesmsc as the phones (tests/integration's
//      KannelRig) takes M MOs as fast as it can, R times each, in turns: with smsbox's get-url
//      pointing at frontdoord's /webhooks/kannel/mo (done when frontdoord has ingested all M),
//      and, through a second Kannel, at an HTTP endpoint in this process that answers 200 at
//      once (done when it has counted M requests). First with every process free to use every
//      core, then with Kannel pinned to a core of its own and the receiver to the others;
//   3. baseline: redis-benchmark drives the same ingest Lua script (EVALSHA, arguments shaped
//      like the webhooks' messages, N connections) against the same Redis.
// Prints msgs/s (and p50/p99 for the webhooks) with the CPU time each process used, and the
// ratios: webhooks / baseline, and Kannel -> frontdoord / Kannel -> nothing (medians).
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>

#include "bench/bench_report.hpp"
#include "channels/sms/twilio_signature.hpp"
#include "daemon/net/http_client.hpp"
#include "daemon/redis/redis_client.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/kannel_rig.hpp"

namespace {

using namespace frontdoor::bench;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace frontdoor::testing;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

constexpr const char* kPublic = "https://311.example.gov";
constexpr const char* kToken = "bench-auth-token";
constexpr const char* kAccount = "AC5ef8732a3c49700934481addd5ce1659";
constexpr const char* kTwilioCity = "+15035550100";
constexpr const char* kKannelCity = "+15035550101";
constexpr const char* kKannelSecret = "bench-kannel-secret";

// What residents text the city: no keyword (STOP, HELP, ALTO, …) is a whole message.
const std::vector<std::string> kBodies = {
    "There is a pothole on SE Division near 42nd, it has been there two weeks",
    "Hay un bache enorme en la calle Alberta frente a la escuela",
    "The streetlight at NE 15th and Killingsworth is out again",
    "La basura no fue recogida esta semana en mi cuadra, ¿cuándo vienen?",
    "Someone dumped a mattress in the alley behind 2240 N Williams",
    "¿A quién llamo por una fuga de agua en la banqueta? Sale mucha agua",
    "Graffiti on the bus shelter at SE Hawthorne and 39th",
    "El semáforo de la avenida 82 está parpadeando en rojo desde la mañana",
    "A tree branch fell on the sidewalk on N Lombard, strollers can't get by",
    "Mi vecino dice que van a cortar el agua mañana. ¿Es cierto?",
    "Water is coming up out of the storm drain at SE 50th & Powell",
    "Hay un perro suelto en el parque Woodlawn, parece perdido",
};

// Pinned: Kannel (bearerbox, smsbox, fakesmsc) gets the first CPU this process may use to
// itself; what it calls (frontdoord and redis-server, or the null endpoint in this process) gets
// the others. Every thread of every process this one started, and of this one, is pinned; call
// again after starting more. `on` false: every CPU for everyone again.
void pin_processes(bool on) {
  static const cpu_set_t all = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    return set;
  }();
  if (CPU_COUNT(&all) < 2) return;
  cpu_set_t kannel = all, rest = all;
  if (on) {
    int first = 0;
    while (!CPU_ISSET(first, &all)) ++first;
    CPU_ZERO(&kannel);
    CPU_SET(first, &kannel);
    CPU_CLR(first, &rest);
  }
  std::error_code ec;
  for (const auto& p : our_processes()) {
    const bool is_kannel = p.name == "bearerbox" || p.name == "smsbox" || p.name == "fakesmsc";
    auto tasks = std::filesystem::path("/proc") / std::to_string(p.pid) / "task";
    try {
      for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
        sched_setaffinity(std::stoi(task.path().filename()), sizeof(cpu_set_t),
                          is_kannel ? &kannel : &rest);
      }
    } catch (const std::filesystem::filesystem_error&) {
      // the process ended meanwhile
    }
  }
}

// --- 1. Twilio webhooks --------------------------------------------------------------------

// A new resident per message: +1 503 200-0000 onward, valid NANP numbers for libphonenumber
// (for the first 8 million messages of a run).
std::string resident_number(std::uint64_t n) { return "+1503" + std::to_string(2000000 + n); }

// Twilio's inbound-SMS webhook, every field it sends for a plain text, signed as Twilio signs it.
struct Webhook {
  std::string body, signature;
};

Webhook twilio_webhook(std::uint64_t run, std::uint64_t n) {
  char sid[35];
  std::snprintf(sid, sizeof sid, "SM%016llx%016llx", static_cast<unsigned long long>(run),
                static_cast<unsigned long long>(n));
  std::string from = resident_number(n);
  frontdoor::sms::FormParams params{{"ToCountry", "US"},
                                    {"ToState", "OR"},
                                    {"SmsMessageSid", sid},
                                    {"NumMedia", "0"},
                                    {"ToCity", "PORTLAND"},
                                    {"FromZip", "97202"},
                                    {"SmsSid", sid},
                                    {"FromState", "OR"},
                                    {"SmsStatus", "received"},
                                    {"FromCity", "PORTLAND"},
                                    {"Body", kBodies[n % kBodies.size()]},
                                    {"FromCountry", "US"},
                                    {"To", kTwilioCity},
                                    {"ToZip", "97204"},
                                    {"NumSegments", "1"},
                                    {"MessageSid", sid},
                                    {"AccountSid", kAccount},
                                    {"From", from},
                                    {"ApiVersion", "2010-04-01"}};
  return {frontdoor::net::form_encode(params),
          frontdoor::sms::twilio_signature(kToken, std::string(kPublic) + "/webhooks/twilio/sms",
                                           params)};
}

asio::awaitable<void> twilio_client(unsigned short port, clock_type::time_point end,
                                    std::vector<double>& latencies, std::size_t& errors,
                                    std::uint64_t& next, std::uint64_t run) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                asio::use_awaitable);
  beast::flat_buffer buffer;
  while (clock_type::now() < end) {
    // One io_context thread: the shared counter needs no lock.
    Webhook hook = twilio_webhook(run, next++);
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/webhooks/twilio/sms", 11};
    req.set(bhttp::field::host, "311.example.gov");
    req.set(bhttp::field::user_agent, "TwilioProxy/1.1");
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    req.set("X-Twilio-Signature", hook.signature);
    req.body() = std::move(hook.body);
    req.prepare_payload();
    auto started = clock_type::now();
    auto [wec, wn] = co_await bhttp::async_write(stream, req, as_tuple);
    bhttp::response<bhttp::string_body> res;
    auto [rec, rn] = co_await bhttp::async_read(stream, buffer, res, as_tuple);
    if (wec || rec) {
      ++errors;
      co_return;
    }
    if (res.result_int() != 200) {
      if (errors++ == 0)
        std::fprintf(stderr, "webhook answered %u: %s\n", res.result_int(), res.body().c_str());
      continue;
    }
    latencies.push_back(
        std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
  }
}

Result run_twilio(unsigned short port, int clients, int seconds) {
  // One io_context thread: the shared counter needs no lock.
  std::uint64_t next = 0;
  std::uint64_t run = std::random_device{}();
  auto cpu_before = cpu_snapshot();
  Result r = run_clients(clients, seconds, [&](int, auto end, auto& latencies, auto& errors) {
    return twilio_client(port, end, latencies, errors, next, run);
  });
  r.cpu = cpu_used(cpu_before, cpu_snapshot());
  return r;
}

// --- 2. Baseline ---------------------------------------------------------------------------

// What a shell command prints on stdout.
// redis-benchmark running EVALSHA of the ingest script with the arguments the SMS channel passes
// for one of those webhooks: a new resident (random number), a fresh idempotency key, the city
// number and provider as attributes, no attachments.
Result baseline(RedisServer& redis, int clients, std::size_t requests) {
  // ARGV: channel address display_name text subject idempotency_key conversation_hint
  // new_conversation language language_source queue priority attributes dedup_ttl_s
  // events_maxlen attachments. __rand_int__ is a fresh 12-digit number in each argument.
  const std::string args =
      " 0 sms 'phone:+1__rand_int__' '' 'Hay un bache enorme en la calle Alberta frente a la "
      "escuela' '' 'twilio:SM__rand_int__' '' 0 '' '' general 0 "
      "'{\"sms_to\":\"+15035550100\",\"sms_provider\":\"twilio\"}' 604800 100000 '[]'";
  return script_baseline(redis, clients, requests, args);
}

// --- 3. Kannel MO --------------------------------------------------------------------------

// An HTTP/1.1 endpoint that answers every request 200 with an empty body at once and counts
// them: what Kannel would get from a receiver that costs nothing. One thread, keep-alive.
class NullEndpoint {
 public:
  NullEndpoint() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~NullEndpoint() {
    io_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/mo"; }
  long count() const { return count_.load(std::memory_order_relaxed); }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(as_tuple);
      if (ec) co_return;
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::empty_body> req;
      auto [rec, rn] = co_await bhttp::async_read(socket, buffer, req, as_tuple);
      if (rec) co_return;
      count_.fetch_add(1, std::memory_order_relaxed);
      bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
      res.keep_alive(req.keep_alive());
      res.content_length(0);
      auto [wec, wn] = co_await bhttp::async_write(socket, res, as_tuple);
      if (wec || !req.keep_alive()) co_return;
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_;
  std::atomic<long> count_{0};
  std::thread thread_;
};

// fakesmsc lines: `phones` residents (each texting some of the bodies), to the city's Kannel
// number; GSM 7-bit bodies as "text", the others as UCS-2, as a phone would pick.
std::vector<std::string> fakesmsc_lines(int phones) {
  std::vector<std::string> lines;
  for (int i = 0; i < phones; ++i) {
    const std::string& body = kBodies[i % kBodies.size()];
    std::string line = "+1503" + std::to_string(3000000 + i) + " " + kKannelCity + " ";
    if (kannel::is_gsm7(body))
      line += "text " + body;
    else
      line += "ucs2 " + kannel::url_encode(kannel::utf8_to_utf16be(body));
    lines.push_back(std::move(line));
  }
  return lines;
}

long inbound_sms(const Daemon& daemon) {
  const std::string name = "frontdoor_inbound_messages_total{channel=\"sms\"} ";
  auto metrics = daemon.get("/metrics").body;
  auto at = metrics.find(name);
  return at == std::string::npos ? 0 : std::atol(metrics.c_str() + at + name.size());
}

struct Burst {
  double rate = 0, seconds = 0;
  long delivered = 0;
  bool complete = false;
  std::string cpu;
};

// Starts M MOs through `kannel` and waits (bounded) until `count()` has grown by M.
template <class Count>
Burst kannel_burst(KannelRig& kannel, long messages, Count count, bool pin) {
  auto lines = fakesmsc_lines(500);
  kannel.phone_offline();  // before the clock starts: bearerbox takes a moment to notice
  long before = count();
  auto cpu_before = cpu_snapshot();
  auto deadline = clock_type::now() + std::chrono::seconds(30) +
                  std::chrono::milliseconds(messages * 10);  // ≥ 100 msgs/s or give up
  auto start = clock_type::now();
  kannel.phones_burst(lines, messages);
  if (pin) pin_processes(true);  // the burst's fakesmsc
  long now = before;
  // Every 10 ms: fine enough for runs of a second or more, and light on frontdoord's /metrics.
  while ((now = count()) < before + messages && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Burst b;
  b.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  b.delivered = now - before;
  b.complete = b.delivered >= messages;
  b.rate = b.delivered / b.seconds;
  b.cpu = cpu_used(cpu_before, cpu_snapshot());
  if (!b.complete) std::fprintf(stderr, "burst incomplete:\n%s\n", kannel.logs().c_str());
  return b;
}

void print(const char* name, const Burst& b) {
  std::printf("%-36s %8.0f msgs/s   %.2f s for %ld msgs%s\n", name, b.rate, b.seconds, b.delivered,
              b.complete ? "" : "   INCOMPLETE");
  std::printf("%-36s CPU s: %s\n", "", b.cpu.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 32, seconds = 5, rounds = 3, kannel_log_level = 1;
  long messages = 10000;
  std::string pin = "both";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view arg = argv[i];
    if (arg == "--clients")
      clients = std::atoi(argv[i + 1]);
    else if (arg == "--seconds")
      seconds = std::atoi(argv[i + 1]);
    else if (arg == "--messages")
      messages = std::max(1L, std::atol(argv[i + 1]));
    else if (arg == "--rounds")
      rounds = std::max(1, std::atoi(argv[i + 1]));
    else if (arg == "--pin")
      pin = argv[i + 1];
    else if (arg == "--kannel-log-level")
      kannel_log_level = std::atoi(argv[i + 1]);
  }
  const unsigned cores = std::thread::hardware_concurrency();
  RedisServer redis;     // AOF on, fsync always: the durability the hub promises
  KannelRig hub_kannel;  // ports only: frontdoord is configured with its sendsms URL first
  Daemon daemon(redis.url(), {{"LOG_LEVEL", "warn"},
                              {"CHANNELS_SMS_ENABLED", "true"},
                              {"CHANNELS_SMS_PUBLIC_URL", kPublic},
                              {"CHANNELS_SMS_TWILIO_ENABLED", "true"},
                              {"CHANNELS_SMS_TWILIO_NUMBERS", kTwilioCity},
                              {"CHANNELS_SMS_TWILIO_ACCOUNT_SID", kAccount},
                              {"CHANNELS_SMS_TWILIO_AUTH_TOKEN", kToken},
                              {"CHANNELS_SMS_TWILIO_API_BASE", "http://127.0.0.1:9"},
                              {"CHANNELS_SMS_KANNEL_ENABLED", "true"},
                              {"CHANNELS_SMS_KANNEL_NUMBERS", kKannelCity},
                              {"CHANNELS_SMS_KANNEL_SENDSMS_URL", hub_kannel.sendsms_url()},
                              {"CHANNELS_SMS_KANNEL_USERNAME", hub_kannel.username()},
                              {"CHANNELS_SMS_KANNEL_PASSWORD", hub_kannel.password()},
                              {"CHANNELS_SMS_KANNEL_SECRET", kKannelSecret}});
  std::printf(
      "frontdoor SMS benchmark: %d webhook clients for %d s; %ld Kannel MOs per run, %d rounds; "
      "%u cores\n\n",
      clients, seconds, messages, rounds, cores);

  Result twilio = run_twilio(daemon.port(), clients, seconds);
  print("hub: signed Twilio webhooks", twilio);

  // Kannel -> frontdoord and Kannel -> the null endpoint, each through its own Kannel, in turns;
  // first with every process sharing every core, then (--pin) with Kannel on a core of its own.
  KannelRig::Options kannel_options;
  kannel_options.log_level = kannel_log_level;
  hub_kannel.start("http://127.0.0.1:" + std::to_string(daemon.port()) +
                       "/webhooks/kannel/mo?secret=" + kKannelSecret,
                   kannel_options);
  NullEndpoint null_endpoint;
  KannelRig null_kannel(null_endpoint.url(), kannel_options);
  struct Mode {
    bool pinned;
    const char* title;
    double hub = 0, null = 0;
  };
  std::vector<Mode> modes;
  if (pin != "only") modes.push_back({false, "every process on every core"});
  if (pin != "no" && cores >= 2)
    modes.push_back({true, "Kannel on a core of its own, the receiver on the other(s)"});
  bool complete = true;
  for (auto& mode : modes) {
    std::printf("\nKannel MO, %s:\n", mode.title);
    pin_processes(mode.pinned);
    std::vector<double> hub_rates, null_rates;
    for (int round = 0; round < rounds; ++round) {
      Burst h = kannel_burst(
          hub_kannel, messages, [&] { return inbound_sms(daemon); }, mode.pinned);
      print("Kannel -> frontdoord (ingested)", h);
      Burst n = kannel_burst(
          null_kannel, messages, [&] { return null_endpoint.count(); }, mode.pinned);
      print("Kannel -> do-nothing endpoint", n);
      complete = complete && h.complete && n.complete;
      hub_rates.push_back(h.rate);
      null_rates.push_back(n.rate);
    }
    mode.hub = median(hub_rates);
    mode.null = median(null_rates);
  }
  pin_processes(false);
  hub_kannel.stop();
  null_kannel.stop();
  daemon.stop();

  std::printf("\n");
  Result raw = baseline(redis, clients, std::max<std::size_t>(20000, twilio.count));
  print("baseline: ingest script on Redis", raw);

  std::printf("\nratio Twilio webhooks / baseline: %.2f (goal >= 0.5)\n", twilio.rate / raw.rate);
  for (const auto& mode : modes) {
    std::printf(
        "ratio Kannel -> frontdoord / Kannel -> nothing, %s: %.2f (medians %.0f / %.0f msgs/s; "
        "goal >= 0.9)\n",
        mode.pinned ? "Kannel on its own core" : "shared cores", mode.hub / mode.null, mode.hub,
        mode.null);
  }
  return twilio.errors == 0 && complete ? 0 : 1;
}
