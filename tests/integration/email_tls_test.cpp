// STARTTLS (RFC 3207) on the mail receiver, with a certificate the test makes with the openssl
// CLI: swaks delivers over TLS, require_tls refuses plaintext senders, commands pipelined
// behind STARTTLS are never read inside TLS, a broken handshake closes the connection, and a
// certificate that cannot be used stops the daemon before it starts.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <utility>

#include "tests/integration/harness.hpp"

using namespace frontdoor::testing;
using Catch::Matchers::Contains;
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A self-signed certificate and its key, made by the openssl CLI in a fresh directory.
struct TestCertificate {
  std::string dir = fresh_dir("tls");
  std::string certificate = dir + "/cert.pem";
  std::string key = dir + "/key.pem";

  TestCertificate() {
    std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=frontdoor.test -keyout " +
        key + " -out " + certificate + " > " + dir + "/openssl.log 2>&1";
    if (std::system(command.c_str()) != 0) {
      throw std::runtime_error("openssl req failed: " + read_file(dir + "/openssl.log"));
    }
  }
  ~TestCertificate() { std::filesystem::remove_all(dir); }
  TestCertificate(const TestCertificate&) = delete;
  TestCertificate& operator=(const TestCertificate&) = delete;
};

// The receiver on a free port, taking mail for 311@city.test, with `certificate` if given.
std::map<std::string, std::string> email_env(unsigned short smtp_port,
                                             const TestCertificate* certificate) {
  std::map<std::string, std::string> env{
      {"CHANNELS_EMAIL_ENABLED", "true"},
      {"CHANNELS_EMAIL_LISTEN", "127.0.0.1:" + std::to_string(smtp_port)},
      {"CHANNELS_EMAIL_RECIPIENTS", "311@city.test"}};
  if (certificate != nullptr) {
    env["CHANNELS_EMAIL_TLS_CERTIFICATE"] = certificate->certificate;
    env["CHANNELS_EMAIL_TLS_PRIVATE_KEY"] = certificate->key;
  }
  return env;
}

json::array conversations(const Daemon& daemon, const std::string& token) {
  return daemon.get("/api/v1/conversations?channel=email", token)
      .json()
      .at("conversations")
      .as_array();
}

std::string rejected(const std::string& reason) {
  return R"(frontdoor_rejected_total{edge="smtp",reason=")" + reason + "\"}";
}

// The log line of `event`, or "".
std::string log_line(const std::string& log, const std::string& event) {
  auto at = log.find("\"event\":\"" + event + "\"");
  if (at == std::string::npos) return {};
  auto start = log.rfind('\n', at);
  start = start == std::string::npos ? 0 : start + 1;
  return log.substr(start, log.find('\n', at) - start);
}

// One connection to the receiver as a sending server sees it, byte for byte: whatever send()
// gets goes out in one write; after start_tls() the same connection carries TLS (OpenSSL, the
// server's certificate not checked). Every read has a deadline.
class SmtpWire {
 public:
  explicit SmtpWire(unsigned short port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot connect to the receiver");
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~SmtpWire() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (context_ != nullptr) SSL_CTX_free(context_);
    ::close(fd_);
  }
  SmtpWire(const SmtpWire&) = delete;
  SmtpWire& operator=(const SmtpWire&) = delete;

  void send(const std::string& bytes) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      if (ssl_ != nullptr) {
        int n = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
        if (n > 0) {
          sent += static_cast<std::size_t>(n);
          continue;
        }
        int error = SSL_get_error(ssl_, n);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) break;
        if (!wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) break;
      } else {
        ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
          sent += static_cast<std::size_t>(n);
          continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) break;
        if (!wait(POLLOUT, deadline)) break;
      }
    }
    if (sent < bytes.size()) throw std::runtime_error("cannot write to the receiver");
  }

  // The next complete reply (every line of a multi-line one), or what came before `timeout`.
  std::string reply(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      // A reply ends with a line "ddd text", where a continued one has "ddd-text".
      for (std::size_t start = 0, end; (end = pending_.find("\r\n", start)) != std::string::npos;
           start = end + 2) {
        if (end - start >= 4 && pending_[start + 3] == ' ') {
          std::string complete = pending_.substr(0, end + 2);
          pending_.erase(0, end + 2);
          return complete;
        }
      }
      auto more = read_some(deadline);
      if (!more || more->empty()) return std::exchange(pending_, std::string());
      pending_ += *more;
    }
  }

  // What is left unread and what else arrives within `quiet`: "" when the server says nothing.
  std::string unsolicited(std::chrono::milliseconds quiet) {
    const auto deadline = Clock::now() + quiet;
    while (auto more = read_some(deadline)) {
      if (more->empty()) break;
      pending_ += *more;
    }
    return std::exchange(pending_, std::string());
  }

  // True when the server closes the connection within `timeout` (alerts it sends are skipped).
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto more = read_some(deadline);
      if (!more) return true;
      if (more->empty()) return false;
    }
  }

  // The client side of the TLS handshake on this connection; false when it fails.
  bool start_tls() {
    context_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(context_);
    SSL_set_fd(ssl_, fd_);
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    for (;;) {
      int n = SSL_connect(ssl_);
      if (n == 1) return true;
      int error = SSL_get_error(ssl_, n);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) return false;
      if (!wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return false;
    }
  }

 private:
  bool wait(short events, Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, events, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
  }

  // Bytes that arrive before `deadline` ("" when none did); nullopt when the peer closed.
  std::optional<std::string> read_some(Clock::time_point deadline) {
    char buf[4096];
    for (;;) {
      if (ssl_ != nullptr) {
        int n = SSL_read(ssl_, buf, sizeof buf);
        if (n > 0) return std::string(buf, static_cast<std::size_t>(n));
        int error = SSL_get_error(ssl_, n);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) return std::nullopt;
      } else {
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) return std::string(buf, static_cast<std::size_t>(n));
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) return std::nullopt;
      }
      if (!wait(POLLIN, deadline)) return std::string();
    }
  }

  int fd_;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string pending_;  // read, not yet returned
};

// A start of frontdoord that is expected to fail: its exit status (-1 if it kept running for
// 20 s) and everything it wrote.
struct FailedStart {
  int status;
  std::string output;
};

FailedStart start_expecting_refusal(const std::string& redis_url,
                                    const std::map<std::string, std::string>& overrides) {
  const std::string dir = fresh_dir("refused");
  std::ofstream(dir + "/frontdoor.toml")
      << "data_dir = \"" << dir << "/data\"\n"
      << "[server]\nlisten = \"127.0.0.1:" << free_port() << "\"\n"
      << "[redis]\nurl = \"" << redis_url << "\"\n";
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : overrides) env["FRONTDOOR_" + k] = v;
  pid_t pid = spawn_process({FRONTDOORD_PATH, "--config", dir + "/frontdoor.toml"},
                            dir + "/frontdoord.log", env);
  int status = -1;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    int raw = 0;
    if (waitpid(pid, &raw, WNOHANG) == pid) {
      status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (status == -1) stop_process(pid);
  FailedStart result{status, read_file(dir + "/frontdoord.log")};
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace

TEST_CASE("over STARTTLS a mail becomes a conversation, and STARTTLS is offered only before TLS") {
  TestCertificate certificate;
  RedisServer redis;
  const unsigned short smtp_port = free_port();
  Daemon daemon(redis.url(), email_env(smtp_port, &certificate));
  auto token = daemon.login();

  auto sent = swaks(smtp_port,
                    "--tls --from ana@example.org --to 311@city.test "
                    "--header 'Subject: Streetlight out' "
                    "--body 'The streetlight on Elm Street is out.'");
  INFO(sent.output);
  REQUIRE(sent.status == 0);
  // The plaintext EHLO answer offers STARTTLS; the one over TLS, after the second EHLO, not.
  CHECK(contains(sent.output, "<-  250-STARTTLS"));
  CHECK(contains(sent.output, "<-  220 2.0.0 Ready to start TLS"));
  CHECK(contains(sent.output, "<~  250-PIPELINING"));
  CHECK_FALSE(contains(sent.output, "<~  250-STARTTLS"));
  CHECK(contains(sent.output, "<~  250 2.0.0 queued as conversation"));

  auto list = conversations(daemon, token);
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("subject").as_string() == "Streetlight out");
  auto logged = log_line(daemon.log(), "mail_received");
  CHECK(contains(logged, R"("tls":"true")"));
  CHECK_FALSE(contains(logged, "example.org"));  // identities, not addresses
}

TEST_CASE("with require_tls a sender that does not start TLS is refused and nothing is stored") {
  TestCertificate certificate;
  RedisServer redis;
  const unsigned short smtp_port = free_port();
  auto env = email_env(smtp_port, &certificate);
  env["CHANNELS_EMAIL_REQUIRE_TLS"] = "true";
  Daemon daemon(redis.url(), env);
  auto token = daemon.login();

  auto plain = swaks(smtp_port, "--from ana@example.org --to 311@city.test --body 'in the clear'");
  INFO(plain.output);
  CHECK(plain.status != 0);
  CHECK(contains(plain.output, "<** 530 5.7.0 Must issue a STARTTLS command first"));
  CHECK(conversations(daemon, token).empty());

  // The rest of the envelope is refused the same way; the session itself goes on.
  SmtpWire wire(smtp_port);
  CHECK(wire.reply().starts_with("220 "));
  wire.send("EHLO mta.example.org\r\n");
  CHECK(contains(wire.reply(), "250-STARTTLS\r\n"));
  wire.send("RCPT TO:<311@city.test>\r\n");
  CHECK(wire.reply() == "530 5.7.0 Must issue a STARTTLS command first\r\n");
  wire.send("DATA\r\n");
  CHECK(wire.reply() == "530 5.7.0 Must issue a STARTTLS command first\r\n");
  wire.send("NOOP\r\n");
  CHECK(wire.reply() == "250 2.0.0 ok\r\n");

  auto secure = swaks(smtp_port, "--tls --from ana@example.org --to 311@city.test --body secure");
  INFO(secure.output);
  CHECK(secure.status == 0);
  CHECK(conversations(daemon, token).size() == 1);
  CHECK(contains(daemon.get("/metrics").body, rejected("tls_required") + " 1\n"));
}

TEST_CASE("commands pipelined behind STARTTLS are discarded, never read as if sent over TLS") {
  TestCertificate certificate;
  RedisServer redis;
  const unsigned short smtp_port = free_port();
  Daemon daemon(redis.url(), email_env(smtp_port, &certificate));

  SmtpWire wire(smtp_port);
  CHECK(wire.reply().starts_with("220 "));
  wire.send("EHLO mta.example.org\r\n");
  CHECK(contains(wire.reply(), "250-STARTTLS\r\n"));
  // An attacker on the path appends RSET to the client's STARTTLS, in the same packet.
  wire.send("STARTTLS\r\nRSET\r\n");
  CHECK(wire.reply() == "220 2.0.0 Ready to start TLS\r\n");
  CHECK(wire.unsolicited(std::chrono::milliseconds(800)).empty());  // no answer to RSET
  REQUIRE(wire.start_tls());  // the server waits for a handshake, not for more commands
  CHECK(wire.unsolicited(std::chrono::milliseconds(800)).empty());  // nor inside TLS

  // A new session over TLS: hello again, STARTTLS no longer offered nor accepted.
  wire.send("MAIL FROM:<ana@example.org>\r\n");
  CHECK(wire.reply() == "503 5.5.1 say hello first\r\n");
  wire.send("EHLO mta.example.org\r\n");
  auto ehlo = wire.reply();
  CHECK(ehlo.starts_with("250-frontdoor\r\n"));
  CHECK_FALSE(contains(ehlo, "STARTTLS"));
  wire.send("STARTTLS\r\n");
  CHECK(wire.reply() == "503 5.5.1 TLS is already active\r\n");
  wire.send("QUIT\r\n");
  CHECK(wire.reply().starts_with("221 2.0.0"));
  CHECK(contains(daemon.get("/metrics").body, rejected("starttls_pipelined") + " 1\n"));
}

TEST_CASE("a failed TLS handshake closes the connection and is counted") {
  TestCertificate certificate;
  RedisServer redis;
  const unsigned short smtp_port = free_port();
  auto env = email_env(smtp_port, &certificate);
  env["CHANNELS_EMAIL_IDLE_TIMEOUT_S"] = "5";
  Daemon daemon(redis.url(), env);

  SmtpWire wire(smtp_port);
  CHECK(wire.reply().starts_with("220 "));
  wire.send("EHLO mta.example.org\r\n");
  wire.reply();
  wire.send("STARTTLS now\r\n");
  CHECK(wire.reply() == "501 5.5.4 STARTTLS takes no parameters\r\n");
  wire.send("STARTTLS\r\n");
  CHECK(wire.reply() == "220 2.0.0 Ready to start TLS\r\n");
  wire.send("EHLO mta.example.org\r\n");  // plaintext where a ClientHello belongs
  CHECK(wire.closed_within(std::chrono::seconds(5)));
  CHECK(contains(daemon.get("/metrics").body, rejected("tls_handshake") + " 1\n"));
  CHECK(contains(log_line(daemon.log(), "smtp_tls_handshake_failed"), "\"peer\":\"127.0.0.1\""));

  // A client that goes silent after 220 has the idle time for its handshake, then is cut off.
  SmtpWire silent(smtp_port);
  CHECK(silent.reply().starts_with("220 "));
  silent.send("STARTTLS\r\n");
  CHECK(silent.reply() == "220 2.0.0 Ready to start TLS\r\n");
  const auto started = Clock::now();
  CHECK(silent.closed_within(std::chrono::seconds(10)));
  CHECK(Clock::now() - started >= std::chrono::seconds(4));
  CHECK(contains(daemon.get("/metrics").body, rejected("tls_handshake") + " 2\n"));
  CHECK(contains(daemon.log(), R"("error":"timed out")"));
}

TEST_CASE("without a certificate STARTTLS is neither offered nor started") {
  RedisServer redis;
  const unsigned short smtp_port = free_port();
  Daemon daemon(redis.url(), email_env(smtp_port, nullptr));

  SmtpWire wire(smtp_port);
  CHECK(wire.reply().starts_with("220 "));
  wire.send("EHLO mta.example.org\r\n");
  auto ehlo = wire.reply();
  CHECK(contains(ehlo, "250-PIPELINING\r\n"));
  CHECK_FALSE(contains(ehlo, "STARTTLS"));
  wire.send("STARTTLS\r\n");
  CHECK(wire.reply() == "502 5.5.1 STARTTLS is not offered here\r\n");
  wire.send("NOOP\r\n");
  CHECK(wire.reply() == "250 2.0.0 ok\r\n");

  auto tls = swaks(smtp_port, "--tls --from ana@example.org --to 311@city.test --body hi");
  CHECK(tls.status != 0);  // swaks --tls insists on TLS
}

TEST_CASE("the daemon does not start with a certificate it cannot use, and names the option") {
  TestCertificate certificate;
  TestCertificate other;
  RedisServer redis;
  auto env = email_env(free_port(), &certificate);

  SECTION("a certificate file that does not exist") {
    const std::string missing = certificate.dir + "/missing.pem";
    env["CHANNELS_EMAIL_TLS_CERTIFICATE"] = missing;
    auto start = start_expecting_refusal(redis.url(), env);
    INFO(start.output);
    CHECK(start.status == 1);
    CHECK_THAT(start.output, Contains("channels.email.tls_certificate (env "
                                      "FRONTDOOR_CHANNELS_EMAIL_TLS_CERTIFICATE): cannot read " +
                                      missing + ": No such file or directory"));
  }
  SECTION("a certificate file that holds no certificate") {
    const std::string garbage = certificate.dir + "/garbage.pem";
    std::ofstream(garbage) << "this is not a certificate\n";
    env["CHANNELS_EMAIL_TLS_CERTIFICATE"] = garbage;
    auto start = start_expecting_refusal(redis.url(), env);
    INFO(start.output);
    CHECK(start.status == 1);
    CHECK_THAT(start.output, Contains("channels.email.tls_certificate: cannot load " + garbage +
                                      " as a PEM certificate chain"));
  }
  SECTION("a key that belongs to another certificate") {
    env["CHANNELS_EMAIL_TLS_PRIVATE_KEY"] = other.key;
    auto start = start_expecting_refusal(redis.url(), env);
    INFO(start.output);
    CHECK(start.status == 1);
    CHECK_THAT(start.output, Contains("channels.email.tls_private_key: "));
    CHECK_THAT(start.output, Contains(other.key));
  }
  SECTION("a certificate without its key") {
    env.erase("CHANNELS_EMAIL_TLS_PRIVATE_KEY");
    auto start = start_expecting_refusal(redis.url(), env);
    INFO(start.output);
    CHECK(start.status == 1);
    CHECK_THAT(start.output, Contains("channels.email.tls_private_key is required when "
                                      "channels.email.tls_certificate is set"));
  }
}
