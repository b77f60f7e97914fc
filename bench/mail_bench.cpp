// Mail throughput: how fast frontdoor reads residents' mail, beside Node's mailparser reading the
// same messages in the same run, and how many messages the SMTP receiver takes from many senders
// at once, beside Redis running the ingest script on its own.
//
//   mail_bench [--seconds S] [--rounds R] [--senders N] [--phase all|parse|smtp]
//              [--smtp both|pipelined|lockstep] [--per-message] [--data-dir DIR]
//
// The corpus: every tests/corpus/email/mime/*.eml, and every reply of tests/corpus/email/replies/
// (NAME.txt there is a body only, not a message) wrapped in the headers a mail client sends with
// a reply (Re: subject, In-Reply-To, References, text/plain in UTF-8). The program writes the set
// to a fresh directory and hands that directory to Node: both parsers read the same bytes.
//
//   1. parse: on this thread, what the email channel does to every mail it receives
//      (parse_mail, then trim_reply on its text), over the corpus in turn for S seconds after a
//      one-second warm-up. Then, as the baseline, mailparser's simpleParser (the npm package,
//      pinned in bench/package.json, installed into the build directory on first use) in one
//      Node process (bench/mailparser_bench.js) over the same files for S seconds after the same
//      warm-up, each message awaited before the next: once told to skip what frontdoor does not
//      do (an HTML version of plain text, links, cid: images as data: URIs), once with its
//      defaults. R rounds of the three in turn; the ratio of the medians is against the faster
//      mailparser. --per-message prints each message's cost in both (last round).
//   2. smtp: a real redis-server (AOF, fsync always) and the real frontdoord with the email
//      channel on; N senders, each one persistent SMTP session, deliver the corpus for S
//      seconds, a new Message-ID on every message so none is a duplicate. Two kinds of load, R
//      rounds of both in turn: lock-step (each command waits for the answer to the one before)
//      and pipelined (MAIL, RCPT and DATA in one write, as mail servers send when PIPELINING is
//      announced). Each message counts once answered 250; latency is from MAIL to that answer.
//      Anything but 250 (and 354 for DATA) is an error, and a message taken as a duplicate makes
//      the run fail. Baseline: redis-benchmark runs the same ingest script with the arguments
//      the channel passes for a mail, N connections. --data-dir puts frontdoord's files (raw
//      mail, attachments) elsewhere, e.g. on tmpfs, to see what writing them costs.
// Prints msgs/s, p50/p99, the CPU time each process used, and the ratios; exits 1 on any error.
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>

#include "bench/bench_report.hpp"
#include "bench/smtp_sender.hpp"
#include "channels/email/mime_message.hpp"
#include "channels/email/reply_trimmer.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace frontdoor::bench;
using namespace frontdoor::testing;

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

constexpr const char* kCityAddress = "311@city.example";

// --- The corpus ----------------------------------------------------------------------------

struct CorpusMail {
  std::string name;   // file name in the directory handed to Node
  std::string bytes;  // the message as a file holds it (LF line ends)
};

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A reply body of the trimming corpus as the message a mail client sends: the resident answers
// the city's mail about her request.
std::string reply_message(const std::string& name, const std::string& body) {
  return "From: Resident <" + name +
         "@example.org>\n"
         "To: City 311 <311@city.example>\n"
         "Subject: Re: Your 311 request\n"
         "Date: Tue, 24 Nov 2026 23:30:00 -0800\n"
         "Message-ID: <" +
         name +
         "@mail.example.org>\n"
         "In-Reply-To: <reply-" +
         name +
         "@311.city.example>\n"
         "References: <first-" +
         name + "@mail.example.org> <reply-" + name +
         "@311.city.example>\n"
         "MIME-Version: 1.0\n"
         "Content-Type: text/plain; charset=utf-8\n"
         "Content-Transfer-Encoding: 8bit\n"
         "\n" +
         body;
}

std::vector<CorpusMail> load_corpus(const fs::path& root) {
  std::vector<CorpusMail> mime, replies;
  for (const auto& entry : fs::directory_iterator(root / "mime")) {
    if (entry.path().extension() == ".eml") {
      mime.push_back({entry.path().filename().string(), file_bytes(entry.path())});
    }
  }
  for (const auto& entry : fs::directory_iterator(root / "replies")) {
    std::string file = entry.path().filename().string();
    if (entry.path().extension() != ".txt" || file.ends_with(".expected.txt")) continue;
    std::string name = entry.path().stem().string();
    replies.push_back({"reply-" + name + ".eml", reply_message(name, file_bytes(entry.path()))});
  }
  if (mime.empty() || replies.empty()) throw std::runtime_error("no corpus under " + root.string());
  auto by_name = [](const CorpusMail& a, const CorpusMail& b) { return a.name < b.name; };
  std::sort(mime.begin(), mime.end(), by_name);
  std::sort(replies.begin(), replies.end(), by_name);
  mime.insert(mime.end(), replies.begin(), replies.end());
  return mime;
}

// --- 1. Parsing ----------------------------------------------------------------------------

struct ParseRun {
  std::size_t messages = 0;
  double seconds = 0, cpu_seconds = 0;
  double parse_seconds = 0, trim_seconds = 0;  // of `seconds`, in parse_mail and in trim_reply
  std::vector<double> per_message_us;          // by corpus index
};

// User + system CPU seconds this process has used, all threads.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec / 1e6;
}

// The email channel's work on one mail, minus the files it writes: parse, then trim the reply.
ParseRun parse_frontdoor(const std::vector<CorpusMail>& corpus, double seconds) {
  ParseRun run;
  run.per_message_us.assign(corpus.size(), 0);
  std::vector<std::size_t> count(corpus.size(), 0);
  auto loop = [&](double duration, bool record) {
    const auto end = clock_type::now() + std::chrono::duration<double>(duration);
    while (clock_type::now() < end) {
      for (std::size_t i = 0; i < corpus.size(); ++i) {
        auto t0 = clock_type::now();
        auto mail = frontdoor::email::parse_mail(corpus[i].bytes);
        auto t1 = clock_type::now();
        frontdoor::email::trim_reply(mail.text);
        auto t2 = clock_type::now();
        if (!record) continue;
        run.parse_seconds += std::chrono::duration<double>(t1 - t0).count();
        run.trim_seconds += std::chrono::duration<double>(t2 - t1).count();
        run.per_message_us[i] += std::chrono::duration<double, std::micro>(t2 - t0).count();
        ++count[i];
        ++run.messages;
      }
    }
  };
  loop(1.0, false);
  const double cpu_before = process_cpu_seconds();
  const auto start = clock_type::now();
  loop(seconds, true);
  run.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  run.cpu_seconds = process_cpu_seconds() - cpu_before;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    if (count[i] != 0) run.per_message_us[i] /= static_cast<double>(count[i]);
  }
  return run;
}

// The exit status and standard output of a shell command.
std::pair<int, std::string> run_command(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, out};
}

std::string installed_version(const fs::path& package_json) {
  std::string text = file_bytes(package_json);
  if (text.empty()) return {};
  auto doc = boost::json::parse(text).as_object();
  if (auto* version = doc.if_contains("version")) return std::string(version->as_string());
  return {};
}

// Installs mailparser (the version bench/package.json pins, copied into `node_dir` by CMake) with
// npm into `node_dir` unless that version is there already. Returns the version.
std::string ensure_mailparser(const fs::path& node_dir) {
  if (run_command("command -v node >/dev/null && command -v npm >/dev/null").first != 0) {
    throw std::runtime_error(
        "node and npm are needed for the baseline: `make bench` installs them");
  }
  auto manifest = boost::json::parse(file_bytes(node_dir / "package.json")).as_object();
  std::string pinned(manifest.at("dependencies").as_object().at("mailparser").as_string());
  if (installed_version(node_dir / "node_modules/mailparser/package.json") != pinned) {
    std::printf("installing mailparser %s into %s\n", pinned.c_str(), node_dir.c_str());
    std::fflush(stdout);
    auto [status, out] = run_command("npm install --prefix '" + node_dir.string() +
                                     "' --no-audit --no-fund --no-package-lock --omit=dev "
                                     "--loglevel=error 2>&1");
    if (status != 0 ||
        installed_version(node_dir / "node_modules/mailparser/package.json") != pinned) {
      throw std::runtime_error("npm install failed:\n" + out);
    }
  }
  return pinned;
}

struct NodeRun {
  std::size_t messages = 0, errors = 0;
  double seconds = 0, cpu_seconds = 0;
  std::string version;
  std::map<std::string, double> per_message_us;
};

// One Node process running mailparser_bench.js over `corpus_dir`; its figures from its stdout.
NodeRun run_mailparser(const fs::path& node_dir, const std::string& corpus_dir, int seconds,
                       const std::string& mode, bool per_message) {
  auto [status, out] = run_command("node '" + (node_dir / "mailparser_bench.js").string() + "' '" +
                                   corpus_dir + "' " + std::to_string(seconds) + " " + mode + " 1" +
                                   (per_message ? " per-message" : ""));
  NodeRun run;
  if (status != 0) throw std::runtime_error("mailparser_bench.js failed:\n" + out);
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto doc = boost::json::parse(line).as_object();
    if (auto* detail = doc.if_contains("per_message_us")) {
      for (const auto& [file, us] : detail->as_object()) {
        run.per_message_us[std::string(file)] = us.to_number<double>();
      }
    } else {
      run.messages = doc.at("messages").to_number<std::size_t>();
      run.seconds = doc.at("seconds").to_number<double>();
      run.cpu_seconds = doc.at("cpu_seconds").to_number<double>();
      run.errors = doc.at("errors").to_number<std::size_t>();
      run.version = doc.at("version").as_string();
    }
  }
  if (run.seconds <= 0) throw std::runtime_error("unexpected mailparser_bench.js output:\n" + out);
  return run;
}

void print_parse(const char* name, double rate, std::size_t messages, double seconds, double cpu,
                 std::size_t errors) {
  std::printf("%-44s %8.0f msgs/s   %.1f µs/msg   (%zu msgs in %.2f s, CPU %.2f s, %zu errors)\n",
              name, rate, 1e6 / rate, messages, seconds, cpu, errors);
}

// Phase 1; returns whether every message parsed.
bool parse_phase(const std::vector<CorpusMail>& corpus, const fs::path& node_dir, int seconds,
                 int rounds, bool per_message) {
  const std::string version = ensure_mailparser(node_dir);
  std::string node_version = run_command("node --version").second;
  while (!node_version.empty() && std::isspace(static_cast<unsigned char>(node_version.back()))) {
    node_version.pop_back();
  }
  const std::string dir = fresh_dir("mail-corpus");
  std::size_t bytes = 0;
  for (const auto& mail : corpus) {
    std::ofstream(fs::path(dir) / mail.name, std::ios::binary) << mail.bytes;
    bytes += mail.bytes.size();
  }
  std::printf(
      "parse: %zu messages (%zu bytes in all), %d s each after a 1 s warm-up, one thread; "
      "baseline mailparser %s on node %s\n",
      corpus.size(), bytes, seconds, version.c_str(), node_version.c_str());

  // Rounds in turn, so that whatever else the machine does at some moment weighs on both.
  std::vector<double> our_rates, same_rates, default_rates, our_per_cpu, same_per_cpu;
  std::size_t errors = 0;
  for (int round = 1; round <= rounds; ++round) {
    std::printf("round %d of %d\n", round, rounds);
    ParseRun ours = parse_frontdoor(corpus, seconds);
    const double our_rate = ours.messages / ours.seconds;
    print_parse("frontdoor: parse_mail + trim_reply", our_rate, ours.messages, ours.seconds,
                ours.cpu_seconds, 0);
    std::printf("%-44s parse_mail %.1f µs/msg, trim_reply %.1f µs/msg\n", "",
                1e6 * ours.parse_seconds / ours.messages, 1e6 * ours.trim_seconds / ours.messages);
    const bool detail = per_message && round == rounds;
    NodeRun same = run_mailparser(node_dir, dir, seconds, "same-work", detail);
    NodeRun defaults = run_mailparser(node_dir, dir, seconds, "defaults", false);
    const double same_rate = same.messages / same.seconds;
    const double default_rate = defaults.messages / defaults.seconds;
    print_parse("baseline: mailparser, same work", same_rate, same.messages, same.seconds,
                same.cpu_seconds, same.errors);
    print_parse("baseline: mailparser, defaults", default_rate, defaults.messages, defaults.seconds,
                defaults.cpu_seconds, defaults.errors);
    errors += same.errors + defaults.errors;
    our_rates.push_back(our_rate);
    same_rates.push_back(same_rate);
    default_rates.push_back(default_rate);
    our_per_cpu.push_back(ours.messages / ours.cpu_seconds);
    same_per_cpu.push_back(same.messages / same.cpu_seconds);
    if (detail) {
      std::printf("\n%-52s %12s %12s %7s\n", "message", "frontdoor µs", "mailparser µs", "ratio");
      for (std::size_t i = 0; i < corpus.size(); ++i) {
        double theirs = same.per_message_us[corpus[i].name];
        std::printf("%-52s %12.1f %12.1f %7.2f\n", corpus[i].name.c_str(), ours.per_message_us[i],
                    theirs, ours.per_message_us[i] > 0 ? theirs / ours.per_message_us[i] : 0);
      }
    }
  }
  fs::remove_all(dir);

  const double ours = median(our_rates), same = median(same_rates),
               defaults = median(default_rates);
  const double ratio = ours / std::max(same, defaults);
  std::printf(
      "\nmedians of %d rounds: frontdoor %.0f msgs/s, mailparser same work %.0f, defaults %.0f\n",
      rounds, ours, same, defaults);
  std::printf("ratio frontdoor / mailparser: %.2f (goal >= 3: %s; against its defaults %.2f)\n",
              ratio, ratio >= 3 ? "met" : "NOT met", ours / defaults);
  // Node's collector and compiler run on threads of their own: per CPU second it does less.
  std::printf("per CPU second: frontdoor %.0f msgs, mailparser same work %.0f (ratio %.2f)\n\n",
              median(our_per_cpu), median(same_per_cpu),
              median(our_per_cpu) / median(same_per_cpu));
  if (errors != 0) std::printf("ERRORS: mailparser failed on %zu messages\n\n", errors);
  return errors == 0;
}

// --- 2. SMTP -------------------------------------------------------------------------------

// The value of one series of frontdoord's /metrics ("name{labels}" as written there), or 0.
double metric(const std::string& metrics, const std::string& series) {
  const std::string line_start = "\n" + series + " ";
  auto at = metrics.find(line_start);
  return at == std::string::npos ? 0 : std::atof(metrics.c_str() + at + line_start.size());
}

// What frontdoord's metrics say about the mail it took: messages made durable, and the time
// spent making them durable (the ingest script's round trip, fsync included).
struct DaemonTally {
  double inbound = 0, ingest_seconds = 0, ingest_count = 0;
};

DaemonTally daemon_tally(const Daemon& daemon) {
  const std::string metrics = "\n" + daemon.get("/metrics").body;
  return {metric(metrics, "frontdoor_inbound_messages_total{channel=\"email\"}"),
          metric(metrics, "frontdoor_ingest_duration_seconds_sum"),
          metric(metrics, "frontdoor_ingest_duration_seconds_count")};
}

// redis-benchmark running EVALSHA of the ingest script with the arguments the email channel
// passes for plain-ascii.eml of the corpus: a known resident writing again (so the message
// joins her open conversation, as most of the corpus's senders do after their first mail), a
// fresh Message-ID as idempotency key, the raw message's reference in the message fields.
Result baseline(RedisServer& redis, int clients, std::size_t requests) {
  // ARGV: channel address display_name text subject idempotency_key conversation_hint
  // new_conversation language language_source queue priority attributes dedup_ttl_s
  // events_maxlen attachments message_fields passive. __rand_int__ is a fresh number.
  const std::string args =
      " 0 email email:maria.lopez@example.org 'Maria Lopez' 'Hello, The streetlight in front of "
      "512 5th Ave (corner of Pine St) has been out since Friday night. The block is very dark "
      "and kids walk there to school. Thanks, Maria' 'Streetlight out on 5th Ave and Pine St' "
      "'mb-__rand_int__@mta.example.org' '' 0 en-US detected general 0 "
      "'{\"email_to\":\"311@city.example\",\"email_last_message_id\":\"mb-__rand_int__@mta."
      "example.org\",\"email_thread_root\":\"first-77a1@mail.example.org\",\"email_subject\":"
      "\"Streetlight out on 5th Ave and Pine St\"}' 604800 100000 '[]' "
      "'{\"raw\":\"mail/3f/3f9a2c41d0b7e6a5c4b3a291807f6e5d4c3b2a190807f6e5d4c3b2a19080706.eml\","
      "\"email_message_id\":\"mb-__rand_int__@mta.example.org\"}' 0";
  return script_baseline(redis, clients, requests, args);
}

// One load: `senders` SMTP sessions against the running daemon for `seconds`. Prints the figures;
// `ok` when every message was answered 250 and taken as a new message.
struct SmtpLoad {
  Result result;
  bool ok = false;
};

SmtpLoad smtp_load(const Daemon& daemon, SendPlan& plan, int seconds, bool pipelining) {
  SmtpTally tally;
  plan.pipelining = pipelining;
  plan.run = std::random_device{}();  // Message-IDs no earlier load used
  const DaemonTally before = daemon_tally(daemon);
  auto cpu_before = cpu_snapshot();
  SmtpLoad load;
  Result& smtp = load.result;
  smtp = run_clients(plan.senders, seconds, [&](int i, auto end, auto& latencies, auto& errors) {
    return sender(plan.port, end, latencies, errors, plan, i, tally);
  });
  smtp.cpu = cpu_used(cpu_before, cpu_snapshot());
  const DaemonTally after = daemon_tally(daemon);
  const long inbound = std::lround(after.inbound - before.inbound);
  const double ingests = after.ingest_count - before.ingest_count;
  print(pipelining ? "hub: SMTP pipelined → 250" : "hub: SMTP lock-step → 250", smtp);
  std::printf("%-36s %zu ingested, %zu bounces recorded; inbound counter +%ld\n", "",
              tally.ingested, tally.bounces, inbound);
  if (ingests > 0) {
    std::printf("%-36s the ingest call (Redis, fsync) took %.2f ms on average\n", "",
                1e3 * (after.ingest_seconds - before.ingest_seconds) / ingests);
  }
  if (smtp.errors != 0) {
    std::printf("%-36s ERRORS: %zu answers other than 250; first: %s\n", "", smtp.errors,
                tally.first_error.c_str());
  }
  // Every message carried a new Message-ID: each one answered "queued" must be a new message.
  const bool all_new = inbound == static_cast<long>(tally.ingested);
  if (!all_new) {
    std::printf("%-36s NOT MEASURED: %ld of the queued messages were taken as duplicates\n", "",
                static_cast<long>(tally.ingested) - inbound);
  }
  load.ok = smtp.errors == 0 && all_new;
  return load;
}

// Phase 2; returns whether every message was answered 250. `modes`: both, pipelined, lockstep.
bool smtp_phase(const std::vector<CorpusMail>& corpus, int senders, int seconds, int rounds,
                const std::string& modes, const std::string& data_root) {
  SendPlan plan;
  plan.recipient = kCityAddress;
  plan.senders = senders;
  for (const auto& mail : corpus) {
    const WireMail& wire = plan.corpus.emplace_back(wire_mail(mail.bytes));
    if (header_lines(wire.head + "Message-ID: <x@y>\r\n" + wire.tail, "message-id:") != 1) {
      throw std::runtime_error(mail.name + ": the new Message-ID would not be the only one");
    }
  }
  RedisServer redis;  // AOF on, fsync always: the durability the hub promises
  plan.port = free_port();
  std::map<std::string, std::string> env{
      {"LOG_LEVEL", "warn"},
      {"CHANNELS_EMAIL_ENABLED", "true"},
      {"CHANNELS_EMAIL_LISTEN", "127.0.0.1:" + std::to_string(plan.port)},
      {"CHANNELS_EMAIL_RECIPIENTS", kCityAddress}};
  // --data-dir: where frontdoord keeps raw mail and attachments, when not under the harness's
  // temporary directory (Redis's AOF stays there).
  std::string data_dir;
  if (!data_root.empty()) {
    data_dir = (fs::path(data_root) / ("mail-bench-" + std::to_string(getpid()))).string();
    fs::remove_all(data_dir);
    fs::create_directories(data_dir);
    env["DATA_DIR"] = data_dir;
  }
  Daemon daemon(redis.url(), env);
  std::printf(
      "smtp: %d senders, each one SMTP session, for %d s per load; the %zu corpus messages in "
      "turn; frontdoord's data in %s\n",
      senders, seconds, plan.corpus.size(),
      data_dir.empty() ? "the temporary directory" : data_dir.c_str());

  // Pipelined is how mail servers send to a server that announces PIPELINING (Postfix, Exim).
  // Rounds of the two in turn.
  std::vector<bool> kinds;
  if (modes != "pipelined") kinds.push_back(false);
  if (modes != "lockstep") kinds.push_back(true);
  std::map<bool, std::vector<double>> rates;
  std::size_t most = 0;
  bool ok = true;
  for (int round = 1; round <= rounds; ++round) {
    std::printf("round %d of %d\n", round, rounds);
    for (bool pipelined : kinds) {
      SmtpLoad load = smtp_load(daemon, plan, seconds, pipelined);
      rates[pipelined].push_back(load.result.rate);
      most = std::max(most, load.result.count);
      ok = ok && load.ok;
    }
  }
  daemon.stop();

  Result raw = baseline(redis, senders, std::max<std::size_t>(20000, most));
  print("baseline: ingest script on Redis", raw);
  std::printf("\n");
  for (bool pipelined : kinds) {
    const double rate = median(rates[pipelined]);
    std::printf("SMTP %s, median of %d: %.0f msgs/s; ratio to the baseline %.2f\n",
                pipelined ? "pipelined" : "lock-step", rounds, rate, rate / raw.rate);
  }
  if (!ok) std::printf("ERRORS: see the rounds above\n");
  if (!data_dir.empty()) fs::remove_all(data_dir);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int senders = 32, seconds = 5, rounds = 3;
  std::string phase = "all";
  bool per_message = false;
  std::string smtp_modes = "both";
  fs::path corpus_dir = CORPUS_DIR, node_dir = MAILPARSER_DIR;
  std::string data_root;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--per-message") {
      per_message = true;
    } else if (i + 1 < argc && arg == "--rounds") {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (i + 1 < argc && arg == "--smtp") {
      smtp_modes = argv[++i];
    } else if (i + 1 < argc && arg == "--senders") {
      senders = std::max(1, std::atoi(argv[++i]));
    } else if (i + 1 < argc && arg == "--seconds") {
      seconds = std::max(1, std::atoi(argv[++i]));
    } else if (i + 1 < argc && arg == "--phase") {
      phase = argv[++i];
    } else if (i + 1 < argc && arg == "--corpus") {
      corpus_dir = argv[++i];
    } else if (i + 1 < argc && arg == "--data-dir") {
      data_root = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: mail_bench [--seconds S] [--senders N] [--phase all|parse|smtp] "
                   "[--rounds R] [--per-message] [--smtp both|pipelined|lockstep] [--corpus DIR] "
                   "[--data-dir DIR]\n");
      return 2;
    }
  }
  auto corpus = load_corpus(corpus_dir);
  std::printf("frontdoor mail benchmark: %zu corpus messages, %d s per phase, %u cores\n\n",
              corpus.size(), seconds, std::thread::hardware_concurrency());
  bool ok = true;
  if (phase == "all" || phase == "parse")
    ok = parse_phase(corpus, node_dir, seconds, rounds, per_message);
  if (phase == "all" || phase == "smtp")
    ok = smtp_phase(corpus, senders, seconds, rounds, smtp_modes, data_root) && ok;
  return ok ? 0 : 1;
}
