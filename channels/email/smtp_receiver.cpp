#include "channels/email/smtp_receiver.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"

namespace frontdoor::email {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The accepted recipients, lower-cased.
std::vector<std::string> accepted_recipients(const std::string& list) {
  std::vector<std::string> out = split_list(list);
  for (auto& item : out) item = lower(item);
  return out;
}

// The address inside "FROM:<a@b> SIZE=10" / "TO:<a@b>"; nullopt when malformed.
std::optional<std::string> path_argument(const std::string& args, std::string_view keyword) {
  if (args.size() < keyword.size() || lower(args.substr(0, keyword.size())) != keyword) {
    return std::nullopt;
  }
  std::string rest = args.substr(keyword.size());
  rest.erase(0, rest.find_first_not_of(' '));
  if (rest.empty() || rest[0] != '<') return std::nullopt;
  auto close = rest.find('>');
  if (close == std::string::npos) return std::nullopt;
  return rest.substr(1, close - 1);
}

// The value of an ESMTP parameter ("SIZE=123") after the path, or empty.
std::string parameter(const std::string& args, std::string_view name) {
  auto upper = args;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto at = upper.find(" " + std::string(name) + "=");
  if (at == std::string::npos) return {};
  auto start = at + name.size() + 2;
  return args.substr(start, args.find(' ', start) - start);
}

// The receiver's side of STARTTLS: the certificate chain and key of `config`, TLS 1.2 or later.
// Throws std::runtime_error naming the option whose file cannot be used.
ssl::context server_tls_context(const Config::Email& config) {
  ssl::context context(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                      ssl::context::single_dh_use);
  // An encrypted key would make OpenSSL ask for a passphrase on the terminal; it fails instead.
  context.set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); });
  error_code ec;
  context.use_certificate_chain_file(config.tls_certificate, ec);
  if (ec) {
    throw std::runtime_error("channels.email.tls_certificate: cannot load " +
                             config.tls_certificate +
                             " as a PEM certificate chain: " + ec.message());
  }
  context.use_private_key_file(config.tls_private_key, ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error("channels.email.tls_private_key: cannot load " +
                             config.tls_private_key +
                             " as an unencrypted PEM private key matching "
                             "channels.email.tls_certificate: " +
                             ec.message());
  }
  if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
    throw std::runtime_error("channels.email.tls_private_key: " + config.tls_private_key +
                             " is not the key of channels.email.tls_certificate " +
                             config.tls_certificate);
  }
  return context;
}

// The byte stream of one session: the TCP connection, and after STARTTLS the TLS session over
// it. Once TLS is up every read and write goes through it; nothing falls back to plaintext.
class Connection {
 public:
  explicit Connection(tcp::socket socket) : socket_(std::move(socket)) {}

  tcp::socket& socket() { return socket_; }
  // True from STARTTLS on: TLS is up, or its handshake failed and the connection must close.
  bool tls() const { return tls_.has_value(); }

  // Reads into `buffer` (at most `max` bytes) until it holds a CRLF: [ec, bytes up to the CRLF].
  asio::awaitable<std::tuple<error_code, std::size_t>> read_line(std::string& buffer,
                                                                 std::size_t max) {
    if (tls_) {
      co_return co_await asio::async_read_until(*tls_, asio::dynamic_buffer(buffer, max), "\r\n",
                                                as_tuple);
    }
    co_return co_await asio::async_read_until(socket_, asio::dynamic_buffer(buffer, max), "\r\n",
                                              as_tuple);
  }

  asio::awaitable<error_code> write(const std::string& text) {
    if (tls_) {
      auto [ec, n] = co_await asio::async_write(*tls_, asio::buffer(text), as_tuple);
      co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(text), as_tuple);
    co_return ec;
  }

  // The server side of the TLS handshake; from here on the connection is TLS or unusable.
  asio::awaitable<error_code> start_tls(ssl::context& context) {
    tls_.emplace(socket_, context);
    auto [ec] = co_await tls_->async_handshake(ssl::stream_base::server, as_tuple);
    co_return ec;
  }

  // "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs.
  std::string tls_description() {
    if (!tls_) return "none";
    SSL* ssl = tls_->native_handle();
    return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
  }

  // Sends TLS close_notify and waits for the peer's, or for it to close the connection (then
  // the error says so; either way the session is over).
  asio::awaitable<error_code> shutdown() {
    if (!tls_) co_return error_code();
    auto [ec] = co_await tls_->async_shutdown(as_tuple);
    co_return ec;
  }

 private:
  tcp::socket socket_;                            // declared first: tls_ refers to it
  std::optional<ssl::stream<tcp::socket&>> tls_;  // after a successful STARTTLS
};

}  // namespace

bool recipient_accepted(const std::string& address, const std::vector<std::string>& accepted) {
  std::string a = lower(address);
  auto at = a.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == a.size()) return false;
  // A tagged address (311+c42@city.gov, RFC 5233) is its mailbox's: the tag is for threading.
  if (auto plus = a.find('+'); plus != std::string::npos && plus > 0 && plus < at) {
    a.erase(plus, at - plus);
    at = plus;
  }
  for (const auto& entry : accepted) {
    if (entry == a || (entry[0] == '@' && a.compare(at, std::string::npos, entry) == 0))
      return true;
  }
  return false;
}

struct SmtpReceiver::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, const Config::Email& config, MailSink& sink)
      : io(io),
        config(config),
        sink(sink),
        acceptor(io),
        accepted(accepted_recipients(config.recipients)) {
    if (!config.tls_certificate.empty()) tls.emplace(server_tls_context(config));
  }

  asio::io_context& io;
  const Config::Email& config;
  MailSink& sink;
  tcp::acceptor acceptor;
  std::vector<std::string> accepted;
  std::optional<ssl::context> tls;  // set when STARTTLS is offered
  std::atomic<bool> stopping{false};

  bool lmtp() const { return config.protocol == "lmtp"; }

  static void refuse(const char* reason) { metrics::rejected("smtp", reason).inc(); }

  // The EHLO/LHLO answer: the host, then the extensions; STARTTLS while it can be started.
  std::string capabilities(bool offer_starttls) const {
    std::vector<std::string> lines{config.hostname, "PIPELINING",
                                   "SIZE " + std::to_string(config.max_message_bytes)};
    if (offer_starttls) lines.emplace_back("STARTTLS");
    lines.emplace_back("8BITMIME");
    std::string answer;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      answer += (i + 1 < lines.size() ? "250-" : "250 ") + lines[i] + "\r\n";
    }
    return answer;
  }

  // One SMTP/LMTP conversation with a sending server.
  static asio::awaitable<void> session(std::shared_ptr<Impl> self, tcp::socket socket) {
    boost::system::error_code ignored;
    const std::string peer = socket.remote_endpoint(ignored).address().to_string();
    Connection connection(std::move(socket));
    std::string buffer;
    const std::size_t max_line = self->config.max_line_bytes + 2;
    asio::steady_timer idle(connection.socket().get_executor());
    bool timed_out = false;
    // The read or handshake that follows must finish within the idle time, or the socket is
    // cancelled under it.
    auto arm_idle = [&] {
      idle.expires_after(std::chrono::seconds(self->config.idle_timeout_s));
      idle.async_wait([&](boost::system::error_code ec) {
        if (!ec) {
          timed_out = true;
          connection.socket().cancel(ignored);
        }
      });
    };

    // Answers to pipelined commands go out together (RFC 2920 §3.2): an answer is held while
    // the client's next command is already in the buffer, unless `now` (the last words before
    // closing or starting TLS).
    std::string pending;
    auto reply = [&](std::string text, bool now = false) -> asio::awaitable<bool> {
      pending += text;
      if (!now && buffer.find("\r\n") != std::string::npos) co_return true;
      auto ec = co_await connection.write(pending);
      pending.clear();
      co_return !ec;
    };
    // The next line without its CRLF; nullopt when the peer left, went silent or sent a line
    // over the limit (then `too_long` is set and the line is skipped).
    bool too_long = false;
    std::size_t skipped = 0;  // bytes of overlong lines read and dropped
    auto read_line = [&]() -> asio::awaitable<std::optional<std::string>> {
      too_long = false;
      arm_idle();
      auto [ec, n] = co_await connection.read_line(buffer, max_line);
      idle.cancel();
      if (ec == asio::error::not_found) {  // the buffer filled without a line end
        too_long = true;
        skipped += buffer.size();
        buffer.clear();
        // Skip the rest of the overlong line, within the same idle limit.
        arm_idle();
        for (;;) {
          auto [ec2, n2] = co_await connection.read_line(buffer, max_line);
          if (ec2 == asio::error::not_found) {
            skipped += buffer.size();
            buffer.clear();
            continue;
          }
          idle.cancel();
          if (ec2) co_return std::nullopt;
          skipped += n2;
          buffer.erase(0, n2);
          break;
        }
        co_return std::string();
      }
      if (ec) co_return std::nullopt;
      std::string line = buffer.substr(0, n - 2);
      buffer.erase(0, n);
      co_return line;
    };

    const std::string host = self->config.hostname;
    if (!co_await reply("220 " + host + (self->lmtp() ? " LMTP" : " ESMTP") + " frontdoor\r\n")) {
      co_return;
    }
    bool greeted = false;
    std::optional<std::string> mail_from;
    std::vector<std::string> recipients;
    while (!self->stopping) {
      auto line = co_await read_line();
      if (!line) {
        if (timed_out) co_await reply("421 4.4.2 " + host + " idle too long, closing\r\n", true);
        co_return;
      }
      if (too_long) {
        refuse("line_too_long");
        if (!co_await reply("500 5.5.2 line too long\r\n")) co_return;
        continue;
      }
      std::string verb = lower(line->substr(0, line->find(' ')));
      std::string args = line->size() > verb.size() ? line->substr(verb.size() + 1) : "";
      std::string answer;
      const bool must_start_tls = self->config.require_tls && !connection.tls();
      if (must_start_tls &&
          (verb == "mail" || verb == "rcpt" || verb == "data" || verb == "vrfy")) {
        if (verb == "mail") refuse("tls_required");
        answer = "530 5.7.0 Must issue a STARTTLS command first\r\n";
      } else if (verb == "ehlo" || verb == "lhlo" || verb == "helo") {
        if ((verb == "lhlo") != self->lmtp()) {
          answer = self->lmtp() ? "500 5.5.1 this is LMTP: say LHLO\r\n"
                                : "500 5.5.1 this is SMTP: say EHLO or HELO\r\n";
        } else {
          greeted = true;
          mail_from.reset();
          recipients.clear();
          answer = verb == "helo" ? "250 " + host + "\r\n"
                                  : self->capabilities(self->tls && !connection.tls());
        }
      } else if (verb == "starttls") {
        if (!args.empty()) {
          answer = "501 5.5.4 STARTTLS takes no parameters\r\n";
        } else if (!self->tls) {
          answer = "502 5.5.1 STARTTLS is not offered here\r\n";
        } else if (connection.tls()) {
          answer = "503 5.5.1 TLS is already active\r\n";
        } else {
          // Whatever the client sent behind STARTTLS was sent in plaintext: it is dropped, never
          // read as if it had come over TLS (RFC 3207 §4.2; the CVE-2011-0411 class of bugs).
          if (!buffer.empty()) {
            refuse("starttls_pipelined");
            log::warn("smtp_starttls_pipelined_input_discarded",
                      {{"peer", peer}, {"bytes", std::to_string(buffer.size())}});
            buffer.clear();
          }
          if (!co_await reply("220 2.0.0 Ready to start TLS\r\n", true)) co_return;
          arm_idle();
          auto ec = co_await connection.start_tls(*self->tls);
          idle.cancel();
          if (ec) {
            refuse("tls_handshake");
            log::info("smtp_tls_handshake_failed",
                      {{"peer", peer}, {"error", timed_out ? "timed out" : ec.message()}});
            co_return;
          }
          log::debug("smtp_tls_started", {{"peer", peer}, {"tls", connection.tls_description()}});
          // A new session over TLS: nothing said before it counts (RFC 3207 §4.2).
          greeted = false;
          mail_from.reset();
          recipients.clear();
          buffer.clear();
          continue;
        }
      } else if (verb == "mail") {
        auto path = path_argument(args, "from:");
        std::string size = parameter(args, "SIZE");
        if (!greeted) {
          answer = "503 5.5.1 say hello first\r\n";
        } else if (mail_from) {
          answer = "503 5.5.1 a transaction is already open\r\n";
        } else if (!path) {
          answer = "501 5.5.4 expected MAIL FROM:<address>\r\n";
        } else if (!size.empty() &&
                   std::strtoull(size.c_str(), nullptr, 10) > self->config.max_message_bytes) {
          refuse("too_big");
          answer = "552 5.3.4 message larger than " +
                   std::to_string(self->config.max_message_bytes) + " bytes\r\n";
        } else {
          mail_from = *path;
          answer = "250 2.1.0 sender ok\r\n";
        }
      } else if (verb == "rcpt") {
        auto path = path_argument(args, "to:");
        if (!mail_from) {
          answer = "503 5.5.1 MAIL first\r\n";
        } else if (!path) {
          answer = "501 5.5.4 expected RCPT TO:<address>\r\n";
        } else if (!recipient_accepted(*path, self->accepted)) {
          refuse("unknown_recipient");
          answer = "550 5.1.1 no such mailbox here (not a relay)\r\n";
        } else if (recipients.size() >= static_cast<std::size_t>(self->config.max_recipients)) {
          refuse("too_many_recipients");
          answer = "452 4.5.3 too many recipients\r\n";
        } else {
          recipients.push_back(*path);
          answer = "250 2.1.5 recipient ok\r\n";
        }
      } else if (verb == "data") {
        if (!mail_from) {
          answer = "503 5.5.1 MAIL first\r\n";
        } else if (recipients.empty()) {
          answer = "554 5.5.1 no valid recipients\r\n";
        } else {
          if (!co_await reply("354 end data with <CR><LF>.<CR><LF>\r\n")) co_return;
          std::string raw;
          bool oversize = false, long_lines = false;
          skipped = 0;
          for (;;) {
            auto data_line = co_await read_line();
            if (!data_line) co_return;
            if (too_long) {
              long_lines = true;
              continue;
            }
            if (*data_line == ".") break;
            const std::string& text =
                data_line->starts_with('.') ? data_line->substr(1) : *data_line;
            if (raw.size() + text.size() + 2 > self->config.max_message_bytes) {
              oversize = true;
              continue;
            }
            if (!oversize) {
              raw += data_line->starts_with('.') ? data_line->substr(1) : *data_line;
              raw += "\r\n";
            }
          }
          std::vector<std::string> answers;
          if (oversize || raw.size() + skipped > self->config.max_message_bytes) {
            refuse("too_big");
            answers.assign(1, "552 5.3.4 message larger than " +
                                  std::to_string(self->config.max_message_bytes) + " bytes\r\n");
          } else if (long_lines) {
            refuse("line_too_long");
            answers.assign(1, "500 5.5.2 a line of the message is too long\r\n");
          } else {
            Envelope envelope{*mail_from, recipients, peer};
            const std::string bytes = std::to_string(raw.size());
            DeliveryAnswer result;
            try {
              result = co_await self->sink.deliver(std::move(envelope), std::move(raw));
            } catch (const std::exception& e) {
              log::error("mail_delivery_failed", {{"error", e.what()}});
              result = {DeliveryAnswer::Kind::try_later, "internal error"};
            }
            log::info("mail_received",
                      {{"peer", peer},
                       {"protocol", self->config.protocol},
                       {"tls", connection.tls() ? "true" : "false"},
                       {"bytes", bytes},
                       {"recipients", std::to_string(recipients.size())},
                       {"outcome", result.kind == DeliveryAnswer::Kind::accepted    ? "accepted"
                                   : result.kind == DeliveryAnswer::Kind::try_later ? "try_later"
                                                                                    : "refused"}});
            std::string line_text = result.kind == DeliveryAnswer::Kind::accepted
                                        ? "250 2.0.0 " + result.text
                                    : result.kind == DeliveryAnswer::Kind::try_later
                                        ? "451 4.3.0 " + result.text + "; try again later"
                                        : "554 5.6.0 " + result.text;
            answers.assign(1, line_text + "\r\n");
          }
          // LMTP: one answer per recipient (RFC 2033 §4.2).
          std::size_t count = self->lmtp() ? recipients.size() : 1;
          for (std::size_t i = 0; i < count; ++i) answer += answers[0];
          mail_from.reset();
          recipients.clear();
        }
      } else if (verb == "rset") {
        mail_from.reset();
        recipients.clear();
        answer = "250 2.0.0 reset\r\n";
      } else if (verb == "noop") {
        answer = "250 2.0.0 ok\r\n";
      } else if (verb == "vrfy") {
        answer = "252 2.5.0 cannot verify, but will try\r\n";
      } else if (verb == "quit") {
        if (co_await reply("221 2.0.0 " + host + " closing\r\n", true) && connection.tls()) {
          arm_idle();
          co_await connection.shutdown();
          idle.cancel();
        }
        co_return;
      } else {
        refuse("unknown_command");
        answer = "500 5.5.2 unknown command\r\n";
      }
      if (!co_await reply(answer)) co_return;
    }
    co_await reply("421 4.3.2 " + host + " shutting down\r\n", true);
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, socket] =
          co_await self->acceptor.async_accept(asio::make_strand(self->io), as_tuple);
      if (ec) {
        if (self->stopping || ec == asio::error::operation_aborted) co_return;
        continue;
      }
      // Answers go out as they are written: no waiting for the peer's acknowledgement of the
      // previous segment (Nagle), which would cost a delayed-ACK interval per message.
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, session(self, std::move(socket)), asio::detached);
    }
  }
};

SmtpReceiver::SmtpReceiver(asio::io_context& io, const Config::Email& config, MailSink& sink)
    : impl_(std::make_shared<Impl>(io, config, sink)) {}

SmtpReceiver::~SmtpReceiver() { stop(); }

void SmtpReceiver::start() {
  auto colon = impl_->config.listen.rfind(':');
  tcp::endpoint endpoint(
      asio::ip::make_address(impl_->config.listen.substr(0, colon)),
      static_cast<unsigned short>(std::stoi(impl_->config.listen.substr(colon + 1))));
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->acceptor.get_executor(), Impl::accept_loop(impl_), asio::detached);
}

void SmtpReceiver::stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
}

unsigned short SmtpReceiver::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace frontdoor::email
