#include "tests/integration/harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace frontdoor::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

int stop_process(pid_t pid, std::chrono::seconds grace) {
  if (pid <= 0) return -1;
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return 137;
}

namespace {

void set_timeouts(tcp::socket& socket, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const std::string& log_path,
                    const std::map<std::string, std::string>& env, int stdin_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // If the test process dies (a ctest timeout kills it), what it started goes with it.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
    dup2(in, 0);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned short free_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::string fresh_dir(const std::string& name) {
  static int counter = 0;
  auto dir =
      std::filesystem::temp_directory_path() /
      ("frontdoor-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// --- RedisServer ---------------------------------------------------------------------------

RedisServer::RedisServer() : port_(free_port()), dir_(fresh_dir("redis")) { start(); }

RedisServer::~RedisServer() {
  stop();
  std::filesystem::remove_all(dir_);
}

void RedisServer::start() {
  pid_ = spawn_process(
      {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
       "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"},
      dir_ + "/redis.log");
  for (int i = 0; i < 200; ++i) {
    if (cli({"PING"}) == "PONG") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("redis-server did not start: " + read_file(dir_ + "/redis.log"));
}

void RedisServer::stop() {
  if (pid_ > 0) stop_process(pid_);
  pid_ = -1;
}

std::string RedisServer::cli(const std::vector<std::string>& args) const {
  std::string command = "redis-cli -p " + std::to_string(port_);
  for (const auto& a : args) command += " '" + a + "'";
  command += " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (pipe && fgets(buf, sizeof buf, pipe)) out += buf;
  if (pipe) pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// --- HTTP ----------------------------------------------------------------------------------

boost::json::value HttpResult::json() const { return boost::json::parse(body); }

HttpResult http(unsigned short port, const std::string& method, const std::string& target,
                const std::string& body, const std::map<std::string, std::string>& headers) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  set_timeouts(socket, 15);
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(socket, req);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bhttp::read(socket, buffer, parser);
  auto res = parser.release();
  HttpResult result;
  result.status = res.result_int();
  result.body = res.body();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  return result;
}

std::string metric(const Daemon& daemon, const std::string& series) {
  std::string body = daemon.get("/metrics").body;
  auto at = body.find("\n" + series + " ");  // a sample line, not its # HELP
  if (at == std::string::npos) return "";
  at += series.size() + 2;
  return body.substr(at, body.find('\n', at) - at);
}

void add_agent(const Daemon& daemon, const std::string& admin, const std::string& username,
               const std::string& languages, const std::string& queues,
               const std::string& capacity) {
  std::string body = R"({"username":")" + username +
                     R"(","password":"agent-password","languages":[)" + languages +
                     R"(],"queues":[)" + queues + "]" +
                     (capacity.empty() ? "" : R"(,"capacity":)" + capacity) + "}";
  auto created = daemon.post("/api/v1/agents", body, admin);
  if (created.status != 201) throw std::runtime_error("agent not created: " + created.body);
}

std::string available(const Daemon& daemon, const std::string& username) {
  auto token = daemon.login(username, "agent-password");
  auto set = daemon.post("/api/v1/me/presence", R"({"presence":"available"})", token);
  if (set.status != 200) throw std::runtime_error("presence not set: " + set.body);
  return token;
}

// --- Daemon --------------------------------------------------------------------------------

Daemon::Daemon(std::string redis_url, std::map<std::string, std::string> env,
               const std::string& extra_config)
    : redis_url_(std::move(redis_url)),
      data_dir_(fresh_dir("daemon")),
      env_(std::move(env)),
      port_(free_port()) {
  config_path_ = data_dir_ + "/frontdoor.toml";
  log_path_ = data_dir_ + "/frontdoord.log";
  std::ofstream config(config_path_);
  config << "data_dir = \"" << data_dir_ << "/data\"\n"
         << "[server]\nlisten = \"127.0.0.1:" << port_ << "\"\nthreads = 2\n"
         << "[redis]\nurl = \"" << redis_url_ << "\"\nreconnect_max_ms = 500\n"
         << "[auth]\nargon2_memory_kib = 8192\nargon2_iterations = 1\n"
         << "[conversations]\nacknowledge = false\nnotify_resolved = false\n"
         << "[channels.webform]\nqueue = \"general\"\n"
         << "[[channels.webform.services]]\ncode = \"pothole\"\nname = \"Pothole\"\n"
         << "description = \"A hole in the road\"\nqueue = \"streets\"\n"
         << "[[channels.webform.services]]\ncode = \"water_leak\"\nname = \"Water leak\"\n"
         << "queue = \"water\"\n"
         << extra_config;
  config.close();
  start();
}

Daemon::~Daemon() {
  stop();
  std::filesystem::remove_all(data_dir_);
}

void Daemon::start(bool wait) {
  std::map<std::string, std::string> env{{"FRONTDOOR_BOOTSTRAP_ADMIN", "admin:admin-password"}};
  for (const auto& [k, v] : env_) env["FRONTDOOR_" + k] = v;
  pid_ = spawn_process({FRONTDOORD_PATH, "--config", config_path_}, log_path_, env);
  if (wait && !wait_ready(std::chrono::seconds(20))) {
    throw std::runtime_error("frontdoord did not become ready:\n" + log());
  }
}

int Daemon::stop() {
  int status = stop_process(pid_);
  pid_ = -1;
  return status;
}

void Daemon::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

Swaks swaks(unsigned short port, const std::string& extra) {
  std::string command = "swaks --server 127.0.0.1 --port " + std::to_string(port) +
                        " --timeout 20 --hide-informational " + extra + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (pipe && fgets(buf, sizeof buf, pipe)) out += buf;
  int status = pipe ? pclose(pipe) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string Daemon::log() const { return read_file(log_path_); }

bool Daemon::wait_ready(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (http(port_, "GET", "/readyz").status == 200) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

HttpResult Daemon::get(const std::string& target, const std::string& token) const {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  return http(port_, "GET", target, {}, headers);
}

HttpResult Daemon::post(const std::string& target, const std::string& body,
                        const std::string& token, const std::string& content_type) const {
  std::map<std::string, std::string> headers{{"Content-Type", content_type}};
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  return http(port_, "POST", target, body, headers);
}

std::string Daemon::login(const std::string& user, const std::string& password) const {
  // The bootstrap admin is created moments after start; allow for it.
  for (int i = 0; i < 100; ++i) {
    auto res = post("/api/v1/login", boost::json::serialize(boost::json::object{
                                         {"username", user}, {"password", password}}));
    if (res.status == 200) return std::string(res.json().at("token").as_string());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("could not log in as " + user);
}

// --- WebSocket -----------------------------------------------------------------------------

struct WsClient::Impl {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  beast::flat_buffer buffer;
  bool reading = false, done = false, closed = false;
  beast::error_code ec;

  void run_until(const bool& flag, std::chrono::steady_clock::time_point deadline) {
    while (!flag && std::chrono::steady_clock::now() < deadline) {
      if (io.stopped()) io.restart();
      io.run_one_until(deadline);
    }
  }
};

WsClient::WsClient(unsigned short port, const std::string& target,
                   const std::map<std::string, std::string>& headers)
    : impl_(std::make_unique<Impl>()) {
  impl_->ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  impl_->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  impl_->ws.read_message_max(16 * 1024 * 1024);
  impl_->ws.handshake("127.0.0.1", target);
}

WsClient::~WsClient() {
  beast::error_code ignored;
  impl_->ws.next_layer().close(ignored);
}

void WsClient::send(const std::string& text) {
  bool sent = false;
  impl_->ws.text(true);
  impl_->ws.async_write(asio::buffer(text), [&](beast::error_code, std::size_t) { sent = true; });
  impl_->run_until(sent, std::chrono::steady_clock::now() + 5s);
}

void WsClient::send_binary(const std::string& bytes) {
  bool sent = false;
  impl_->ws.binary(true);
  impl_->ws.async_write(asio::buffer(bytes), [&](beast::error_code, std::size_t) { sent = true; });
  impl_->run_until(sent, std::chrono::steady_clock::now() + 5s);
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  if (impl_->closed) return std::nullopt;
  if (!impl_->reading) {
    impl_->reading = true;
    impl_->done = false;
    impl_->buffer.clear();
    impl_->ws.async_read(impl_->buffer, [impl = impl_.get()](beast::error_code ec, std::size_t) {
      impl->done = true;
      impl->ec = ec;
    });
  }
  impl_->run_until(impl_->done, std::chrono::steady_clock::now() + timeout);
  if (!impl_->done) return std::nullopt;
  impl_->reading = false;
  if (impl_->ec) {
    impl_->closed = true;
    return std::nullopt;
  }
  return beast::buffers_to_string(impl_->buffer.data());
}

boost::json::object WsClient::read_json(std::chrono::milliseconds timeout) {
  auto text = read(timeout);
  if (!text) throw std::runtime_error("no WebSocket frame within the timeout");
  return boost::json::parse(*text).as_object();
}

boost::json::object WsClient::read_until(const std::string& type,
                                         std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto text = read(left);
    if (!text) break;
    auto frame = boost::json::parse(*text).as_object();
    if (frame.contains("type") && frame.at("type").as_string() == type) return frame;
  }
  throw std::runtime_error("no '" + type + "' frame within the timeout");
}

bool WsClient::closed() const { return impl_->closed; }

int WsClient::close_code() const { return impl_->ws.reason().code; }

int websocket_refusal(unsigned short port, const std::string& target,
                      const std::map<std::string, std::string>& headers) {
  asio::io_context io;
  websocket::stream<tcp::socket> ws(io);
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  set_timeouts(ws.next_layer(), 10);
  ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  websocket::response_type res;
  beast::error_code ec;
  ws.handshake(res, "127.0.0.1", target, ec);
  return ec ? res.result_int() : 0;
}

}  // namespace frontdoor::testing
