#include "tests/integration/imap_rig.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/integration/harness.hpp"

namespace frontdoor::testing {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const char* const kDovecot = "/usr/sbin/dovecot";

// A blocking IMAP connection, just enough for the rig: tagged commands, one literal (APPEND).
class Connection {
 public:
  explicit Connection(unsigned short port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd_);
      fd_ = -1;
      throw std::runtime_error("cannot connect to Dovecot on port " + std::to_string(port));
    }
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  std::string line() {
    for (;;) {
      auto eol = buffer_.find("\r\n");
      if (eol != std::string::npos) {
        std::string l = buffer_.substr(0, eol + 2);
        buffer_.erase(0, eol + 2);
        return l;
      }
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) throw std::runtime_error("IMAP connection closed or timed out");
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("IMAP send failed");
      off += static_cast<std::size_t>(n);
    }
  }

  // Sends "<tag> <command>" and reads up to the tagged answer; returns every line. Throws
  // unless it is OK.
  std::string command(const std::string& command) {
    std::string tag = "r" + std::to_string(++tags_);
    send(tag + " " + command + "\r\n");
    return until_tagged(tag, command);
  }

  std::string until_tagged(const std::string& tag, const std::string& what) {
    std::string out;
    for (;;) {
      std::string l = line();
      out += l;
      // A literal in an untagged line ({N}): read N bytes and the rest of the line.
      std::smatch m;
      static const std::regex literal(R"(\{(\d+)\}\r\n$)");
      while (std::regex_search(l, m, literal)) {
        std::size_t n = std::stoul(m[1]);
        while (buffer_.size() < n) {
          char buf[4096];
          ssize_t r = recv(fd_, buf, sizeof buf, 0);
          if (r <= 0) throw std::runtime_error("IMAP connection closed in a literal");
          buffer_.append(buf, static_cast<std::size_t>(r));
        }
        out += buffer_.substr(0, n);
        buffer_.erase(0, n);
        l = line();
        out += l;
      }
      if (l.rfind(tag + " ", 0) == 0) {
        if (l.rfind(tag + " OK", 0) != 0)
          throw std::runtime_error("IMAP " + what + " failed: " + out);
        return out;
      }
    }
  }

  std::string next_tag() { return "r" + std::to_string(++tags_); }

 private:
  int fd_ = -1;
  int tags_ = 0;
  std::string buffer_;
};

void login(Connection& c, const std::string& user, const std::string& password) {
  std::string greeting = c.line();
  if (greeting.rfind("* OK", 0) != 0) throw std::runtime_error("Dovecot greeted " + greeting);
  c.command("LOGIN " + user + " " + password);
}

std::string crlf(const std::string& raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 32);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
    out += raw[i];
  }
  return out;
}

}  // namespace

ImapRig::ImapRig() : port_(free_port()), dir_(fresh_dir("imap")) {
  config_path_ = dir_ + "/dovecot.conf";
  write_config();
  start();
}

ImapRig::~ImapRig() {
  stop();
  std::filesystem::remove_all(dir_);
}

std::string ImapRig::url() const { return "imap://127.0.0.1:" + std::to_string(port_) + "/INBOX"; }

void ImapRig::write_config() {
  bool root = geteuid() == 0;
  std::string self;
  if (const passwd* pw = getpwuid(geteuid())) self = pw->pw_name;
  // Dovecot will not run mail processes as UID 0: as root, the mailbox belongs to nobody.
  std::string mail_user = root ? "nobody" : self;
  std::string mail_group = root ? "nogroup" : "";
  if (!root) {
    if (const group* gr = getgrgid(getegid())) mail_group = gr->gr_name;
  }
  std::filesystem::create_directories(dir_ + "/run");
  std::filesystem::create_directories(dir_ + "/state");
  std::filesystem::create_directories(dir_ + "/mail");
  if (root) {
    const passwd* pw = getpwnam(mail_user.c_str());
    const group* gr = getgrnam(mail_group.c_str());
    if (!pw || !gr) throw std::runtime_error("no user nobody / group nogroup for Dovecot");
    if (chown((dir_ + "/mail").c_str(), pw->pw_uid, gr->gr_gid) != 0)
      throw std::runtime_error("chown of the mail directory failed");
  }

  std::ofstream(dir_ + "/passwd") << user() << ":{PLAIN}" << password() << "::::" << dir_
                                  << "/mail::\n";
  std::ofstream config(config_path_);
  config << "# Generated by ImapRig\n"
         << "base_dir = " << dir_ << "/run\n"
         << "state_dir = " << dir_ << "/state\n"
         << "instance_name = frontdoor-imap-rig-" << port_ << "\n"
         << "listen = 127.0.0.1\n"
         << "protocols = imap\n"
         << "ssl = no\n"
         << "disable_plaintext_auth = no\n"
         << "auth_mechanisms = plain login\n"
         << "log_path = " << dir_ << "/dovecot.log\n"
         << "mail_location = maildir:~/Maildir\n"
         << "mail_uid = " << mail_user << "\n"
         << "mail_gid = " << mail_group << "\n"
         << "first_valid_uid = 1\n"
         << "default_login_user = " << (root ? "dovenull" : self) << "\n"
         << "default_internal_user = " << (root ? "dovecot" : self) << "\n"
         << "service imap-login {\n"
         << "  inet_listener imap {\n    address = 127.0.0.1\n    port = " << port_ << "\n  }\n"
         << "  inet_listener imaps {\n    port = 0\n  }\n"
         << (root ? "" : "  chroot =\n") << "}\n"
         << "service anvil {\n  chroot =\n}\n"
         << "service stats {\n  chroot =\n}\n"
         << "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u " << dir_
         << "/passwd\n}\n"
         << "userdb {\n  driver = passwd-file\n  args = username_format=%u " << dir_
         << "/passwd\n}\n";
}

void ImapRig::start() {
  if (pid_ > 0) return;
  pid_ = spawn_process({kDovecot, "-F", "-c", config_path_}, dir_ + "/dovecot.out");
  auto deadline = Clock::now() + 15s;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("dovecot exited at start:\n" + log());
    }
    try {
      Connection c(port_);
      if (c.line().rfind("* OK", 0) == 0) return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(20ms);
  }
  stop();
  throw std::runtime_error("dovecot did not greet within 15 s:\n" + log());
}

void ImapRig::stop() {
  if (pid_ <= 0) return;
  stop_process(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

std::string ImapRig::log() const {
  return read_file(dir_ + "/dovecot.log") + read_file(dir_ + "/dovecot.out");
}

std::string ImapRig::session(const std::vector<std::string>& commands) const {
  Connection c(port_);
  login(c, user(), password());
  std::string out;
  for (const auto& command : commands) out += c.command(command);
  c.command("LOGOUT");
  return out;
}

std::uint32_t ImapRig::deliver(const std::string& raw_rfc5322, bool seen) {
  std::string message = crlf(raw_rfc5322);
  Connection c(port_);
  login(c, user(), password());
  std::string tag = c.next_tag();
  c.send(tag + " APPEND INBOX " + (seen ? "(\\Seen) " : "") + "{" + std::to_string(message.size()) +
         "}\r\n");
  std::string go = c.line();
  if (go.rfind("+", 0) != 0) throw std::runtime_error("APPEND refused: " + go);
  c.send(message + "\r\n");
  std::string answer = c.until_tagged(tag, "APPEND");
  c.command("LOGOUT");
  std::smatch m;
  if (!std::regex_search(answer, m, std::regex(R"(\[APPENDUID \d+ (\d+)\])")))
    throw std::runtime_error("APPEND gave no APPENDUID: " + answer);
  return static_cast<std::uint32_t>(std::stoul(m[1]));
}

std::vector<std::string> ImapRig::flags_of_all() const {
  std::string out = session({"EXAMINE INBOX", "UID FETCH 1:* (UID FLAGS)"});
  std::vector<std::pair<std::uint32_t, std::string>> found;
  static const std::regex uid_flags(R"(\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\)\))");
  static const std::regex flags_uid(R"(\* \d+ FETCH \(FLAGS \(([^)]*)\) UID (\d+)\))");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), uid_flags);
       it != std::sregex_iterator(); ++it)
    found.emplace_back(std::stoul((*it)[1]), (*it)[2]);
  for (auto it = std::sregex_iterator(out.begin(), out.end(), flags_uid);
       it != std::sregex_iterator(); ++it)
    found.emplace_back(std::stoul((*it)[2]), (*it)[1]);
  std::sort(found.begin(), found.end());
  std::vector<std::string> flags;
  for (auto& [uid, f] : found) flags.push_back(f);
  return flags;
}

std::vector<std::uint32_t> ImapRig::uids() const {
  std::string out = session({"EXAMINE INBOX", "UID SEARCH ALL"});
  std::vector<std::uint32_t> result;
  auto at = out.find("* SEARCH");
  if (at == std::string::npos) return result;
  std::istringstream in(out.substr(at + 8, out.find("\r\n", at) - at - 8));
  std::uint32_t uid;
  while (in >> uid) result.push_back(uid);
  return result;
}

std::uint32_t ImapRig::uidvalidity() const {
  std::string out = session({"EXAMINE INBOX"});
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(\[UIDVALIDITY (\d+)\])")))
    throw std::runtime_error("no UIDVALIDITY in " + out);
  return static_cast<std::uint32_t>(std::stoul(m[1]));
}

}  // namespace frontdoor::testing
