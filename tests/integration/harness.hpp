// What integration tests stand up: a real redis-server and the real frontdoord, each on a free
// loopback port in a fresh directory, plus HTTP and WebSocket clients that talk to the daemon
// as residents and agents do. Everything started here is stopped by its destructor.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace frontdoor::testing {

using namespace std::chrono_literals;

unsigned short free_port();
std::string fresh_dir(const std::string& name);

// Starts argv[0] (looked up on PATH) with stdout and stderr appended to `log_path`, stdin from
// `stdin_fd` (or /dev/null), `env` added; the child gets SIGTERM if the test process dies.
pid_t spawn_process(const std::vector<std::string>& argv, const std::string& log_path,
                    const std::map<std::string, std::string>& env = {}, int stdin_fd = -1);
// SIGTERM, then SIGKILL after `grace`; waits for the process and returns its exit status
// (128 + signal when killed).
int stop_process(pid_t pid, std::chrono::seconds grace = std::chrono::seconds(20));
// The whole file, or "" when it cannot be read.
std::string read_file(const std::string& path);

// A redis-server of our own: AOF with fsync always, so a stop/start loses nothing.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  void start();
  void stop();  // SHUTDOWN (flushes), waits for the process
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // A command through redis-cli; returns its output without the trailing newline.
  std::string cli(const std::vector<std::string>& args) const;

 private:
  unsigned short port_;
  std::string dir_;
  pid_t pid_ = -1;
};

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  boost::json::value json() const;
};

HttpResult http(unsigned short port, const std::string& method, const std::string& target,
                const std::string& body = {},
                const std::map<std::string, std::string>& headers = {});

// swaks (a real SMTP client) against 127.0.0.1:port; `extra` is appended to the command line
// as is. Its exit status and everything it printed: lines it sends and receives in plaintext
// start with " ->" and "<- ", over TLS with " ~>" and "<~ ".
struct Swaks {
  int status;
  std::string output;
};
Swaks swaks(unsigned short port, const std::string& extra);

// The real daemon. `redis_url` empty = embedded Redis under the data directory. Its config
// file declares the test services (pothole → streets, water_leak → water) and turns the hub's
// own notices to residents off (conversations.acknowledge and notify_resolved = false: tests
// count what residents receive; {"CONVERSATIONS_ACKNOWLEDGE", "true"},
// {"CONVERSATIONS_NOTIFY_RESOLVED", "true"} or a queue's acknowledge turn them on); `env` sets
// FRONTDOOR_* overrides (e.g. {"SERVER_MAX_BODY_BYTES", "4096"}) on top of it, and
// `extra_config` is appended to the file (tables such as [queues.streets] and [city]).
class Daemon {
 public:
  explicit Daemon(std::string redis_url, std::map<std::string, std::string> env = {},
                  const std::string& extra_config = {});
  ~Daemon();
  void start(bool wait_ready = true);
  int stop();   // SIGTERM; returns the exit status
  void kill();  // SIGKILL: a crash, nothing finished
  unsigned short port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log() const;

  HttpResult get(const std::string& target, const std::string& token = {}) const;
  HttpResult post(const std::string& target, const std::string& body, const std::string& token = {},
                  const std::string& content_type = "application/json") const;
  // Logs in; the bootstrap admin is admin / admin-password.
  std::string login(const std::string& user = "admin",
                    const std::string& password = "admin-password") const;
  bool wait_ready(std::chrono::milliseconds timeout) const;

 private:
  std::string redis_url_, config_path_, data_dir_, log_path_;
  std::map<std::string, std::string> env_;
  unsigned short port_;
  pid_t pid_ = -1;
};

// The value of one sample of the daemon's /metrics, `series` written as it appears there
// (`frontdoor_routing_assignments_total{queue="streets"}`); "" when there is no such sample.
std::string metric(const Daemon& daemon, const std::string& series);

// Creates an agent through the API as `admin` (password "agent-password"); `languages` and
// `queues` are JSON array items (R"("es","en")"), `capacity` a JSON object or empty. Throws
// with the answer when it is refused.
void add_agent(const Daemon& daemon, const std::string& admin, const std::string& username,
               const std::string& languages, const std::string& queues,
               const std::string& capacity = "");
// Signs the agent in and sets it available; its token. Throws when refused.
std::string available(const Daemon& daemon, const std::string& username);

// A WebSocket client with timeouts on every read.
class WsClient {
 public:
  WsClient(unsigned short port, const std::string& target,
           const std::map<std::string, std::string>& headers = {});
  ~WsClient();
  void send(const std::string& text);
  void send_binary(const std::string& bytes);
  // Next text frame; nullopt when closed or nothing came within `timeout`.
  std::optional<std::string> read(std::chrono::milliseconds timeout = 5s);
  boost::json::object read_json(std::chrono::milliseconds timeout = 5s);
  // Reads frames until one has "type" == type (and, if given, matches `also`); throws on timeout.
  boost::json::object read_until(const std::string& type, std::chrono::milliseconds timeout = 5s);
  bool closed() const;
  int close_code() const;  // after the peer closed

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The HTTP status a WebSocket upgrade was refused with (0 when it was accepted).
int websocket_refusal(unsigned short port, const std::string& target,
                      const std::map<std::string, std::string>& headers = {});

}  // namespace frontdoor::testing
