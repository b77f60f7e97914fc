#include "daemon/redis/embedded_redis.hpp"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/url/url.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace frontdoor::redis {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kStopGrace = std::chrono::seconds(10);  // AOF flush and exit
constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr std::size_t kLogTailBytes = 2000;
constexpr std::size_t kMaxSocketPathBytes = sizeof(sockaddr_un::sun_path) - 1;

std::runtime_error system_failure(const std::string& what, int error) {
  return std::runtime_error(what + ": " + std::strerror(error));
}

// `binary` itself when it names a path, else the first executable of that name on PATH.
std::string find_program(const std::string& binary) {
  if (binary.find('/') != std::string::npos) return binary;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    const std::string candidate = (dir.empty() ? "." : std::string(dir)) + "/" + binary;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  throw std::runtime_error("cannot start the embedded Redis: " + binary + " is not on PATH " +
                           "(install redis-server or set redis.server_binary)");
}

// What the child wrote to its log since `from`: the last kLogTailBytes of it.
std::string log_tail(const fs::path& log_path, std::uintmax_t from) {
  std::ifstream log(log_path, std::ios::binary);
  if (!log) return "(no log at " + log_path.string() + ")";
  log.seekg(0, std::ios::end);
  const std::uintmax_t end = static_cast<std::uintmax_t>(log.tellg());
  const std::uintmax_t begin = std::max(from, end > kLogTailBytes ? end - kLogTailBytes : 0);
  if (begin >= end) return "(nothing in " + log_path.string() + ")";
  std::string tail(end - begin, '\0');
  log.seekg(static_cast<std::streamoff>(begin));
  log.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return tail;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// True when something accepts connections on the socket right now.
bool socket_in_use(const std::string& socket_path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  const bool in_use = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return in_use;
}

bool answers_ping(const std::string& socket_path) {
  const timeval timeout{0, 500 * 1000};
  redisContext* context = redisConnectUnixWithTimeout(socket_path.c_str(), timeout);
  if (context == nullptr) return false;
  bool pong = false;
  if (context->err == 0 && redisSetTimeout(context, timeout) == REDIS_OK) {
    auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
    pong = reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
           std::string_view(reply->str, reply->len) == "PONG";
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(context);
  return pong;
}

// Runs in the forked child: only async-signal-safe calls until execv.
[[noreturn]] void exec_child(pid_t parent, const char* program, char* const argv[], int stdin_fd,
                             int log_fd, int report_fd) {
  // Die with the daemon; SIGTERM lets redis-server flush its AOF first.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(126);
  // Its own process group: a terminal's Ctrl-C reaches the daemon, which then stops redis.
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::dup2(stdin_fd, STDIN_FILENO);
  ::dup2(log_fd, STDOUT_FILENO);
  ::dup2(log_fd, STDERR_FILENO);
  // The daemon's sockets are not close-on-exec (Asio does not set it): none may leak.
  for (int fd = STDERR_FILENO + 1; fd < report_fd; ++fd) ::close(fd);
  ::close_range(static_cast<unsigned>(report_fd) + 1, ~0U, 0);
  ::execv(program, argv);
  const int error = errno;
  [[maybe_unused]] ssize_t written = ::write(report_fd, &error, sizeof error);
  ::_exit(127);
}

}  // namespace

EmbeddedRedis::EmbeddedRedis(std::string binary, std::string data_dir, std::string appendfsync)
    : binary_(std::move(binary)),
      data_dir_(fs::absolute(data_dir).lexically_normal().string()),
      appendfsync_(std::move(appendfsync)),
      socket_path_((fs::path(data_dir_) / "redis.sock").string()) {}

EmbeddedRedis::~EmbeddedRedis() { stop(); }

std::string EmbeddedRedis::url() const {
  boost::urls::url url;
  url.set_scheme("unix");
  url.set_encoded_authority("");
  url.set_path(socket_path_);
  return std::string(url.buffer());
}

void EmbeddedRedis::start(std::chrono::seconds timeout) {
  if (pid_ > 0) return;
  if (socket_path_.size() > kMaxSocketPathBytes) {
    throw std::runtime_error("cannot start the embedded Redis: its socket path " + socket_path_ +
                             " is longer than " + std::to_string(kMaxSocketPathBytes) +
                             " bytes; choose a shorter data_dir");
  }
  const std::string program = find_program(binary_);
  const fs::path redis_dir = fs::path(data_dir_) / "redis";
  const fs::path log_path = redis_dir / "redis.log";
  std::error_code error;
  fs::create_directories(redis_dir, error);
  if (error) {
    throw std::runtime_error("cannot create " + redis_dir.string() + ": " + error.message());
  }
  fs::permissions(redis_dir, fs::perms::owner_all, fs::perm_options::replace, error);
  if (socket_in_use(socket_path_)) {
    throw std::runtime_error("cannot start the embedded Redis: something already serves " +
                             socket_path_ + " (is another frontdoord using " + data_dir_ + "?)");
  }

  // redis-server writes configuration errors to stderr before it opens its log file, so its
  // stdout and stderr go to the same file.
  const int log_fd =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (log_fd < 0) throw system_failure("cannot open " + log_path.string(), errno);
  const std::uintmax_t log_start = static_cast<std::uintmax_t>(::lseek(log_fd, 0, SEEK_END));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];  // the child writes errno here when execv fails; closes on exec otherwise
  if (null_fd < 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    const int pipe_error = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw system_failure("cannot prepare the embedded Redis", pipe_error);
  }

  const std::pair<const char*, std::string> options[] = {
      {"--port", "0"},  // no TCP listener
      {"--unixsocket", socket_path_},
      {"--unixsocketperm", "700"},
      {"--dir", redis_dir.string()},
      {"--appendonly", "yes"},
      {"--appendfsync", appendfsync_},
      {"--save", ""},  // the AOF is the persistence; no RDB snapshots
      {"--logfile", log_path.string()},
      {"--daemonize", "no"}};
  std::vector<std::string> args = {program};
  for (const auto& [name, value] : options) {
    args.push_back(name);
    args.push_back(value);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) exec_child(parent, program.c_str(), argv.data(), null_fd, log_fd, report[1]);
  const int fork_error = errno;
  ::close(report[1]);
  ::close(log_fd);
  ::close(null_fd);
  if (child < 0) {
    ::close(report[0]);
    throw system_failure("cannot fork the embedded Redis", fork_error);
  }
  int exec_error = 0;
  ssize_t got;
  do {
    got = ::read(report[0], &exec_error, sizeof exec_error);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got == static_cast<ssize_t>(sizeof exec_error)) {
    ::waitpid(child, nullptr, 0);
    throw system_failure("cannot run " + program, exec_error);
  }
  pid_ = child;

  const auto deadline = Clock::now() + timeout;
  while (!answers_ping(socket_path_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the embedded redis-server exited at start (" +
                               describe_exit(status) + "): " + log_tail(log_path, log_start));
    }
    if (Clock::now() >= deadline) {
      stop();
      throw std::runtime_error("the embedded redis-server did not answer PING on " + socket_path_ +
                               " within " + std::to_string(timeout.count()) +
                               " s: " + log_tail(log_path, log_start));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void EmbeddedRedis::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + kStopGrace;
  while (true) {
    const pid_t reaped = ::waitpid(pid_, nullptr, WNOHANG);
    if (reaped == pid_ || (reaped < 0 && errno == ECHILD)) break;
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
}

}  // namespace frontdoor::redis
