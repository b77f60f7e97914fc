#include "channels/email/smtp_receiver.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <optional>

#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"

namespace frontdoor::email {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t end = std::min(list.find(',', start), list.size());
    std::string item = list.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(lower(item));
    start = end + 1;
  }
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

}  // namespace

bool recipient_accepted(const std::string& address, const std::vector<std::string>& accepted) {
  std::string a = lower(address);
  auto at = a.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == a.size()) return false;
  for (const auto& entry : accepted) {
    if (entry == a || (entry[0] == '@' && a.compare(at, std::string::npos, entry) == 0))
      return true;
  }
  return false;
}

struct SmtpReceiver::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, const Config::Email& config, MailSink& sink)
      : io(io), config(config), sink(sink), acceptor(io), accepted(split_list(config.recipients)) {}

  asio::io_context& io;
  const Config::Email& config;
  MailSink& sink;
  tcp::acceptor acceptor;
  std::vector<std::string> accepted;
  std::atomic<bool> stopping{false};

  bool lmtp() const { return config.protocol == "lmtp"; }

  static void refuse(const char* reason) { metrics::rejected("smtp", reason).inc(); }

  // One SMTP/LMTP conversation with a sending server.
  static asio::awaitable<void> session(std::shared_ptr<Impl> self, tcp::socket socket) {
    boost::system::error_code ignored;
    const std::string peer = socket.remote_endpoint(ignored).address().to_string();
    std::string buffer;
    const std::size_t max_line = self->config.max_line_bytes + 2;
    asio::steady_timer idle(socket.get_executor());
    bool timed_out = false;

    auto reply = [&](std::string text) -> asio::awaitable<bool> {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(text), as_tuple);
      co_return !ec;
    };
    // The next line without its CRLF; nullopt when the peer left, went silent or sent a line
    // over the limit (then `too_long` is set and the line is skipped).
    bool too_long = false;
    std::size_t skipped = 0;  // bytes of overlong lines read and dropped
    auto read_line = [&]() -> asio::awaitable<std::optional<std::string>> {
      too_long = false;
      for (;;) {
        idle.expires_after(std::chrono::seconds(self->config.idle_timeout_s));
        idle.async_wait([&](boost::system::error_code ec) {
          if (!ec) {
            timed_out = true;
            socket.cancel(ignored);
          }
        });
        auto [ec, n] = co_await asio::async_read_until(
            socket, asio::dynamic_buffer(buffer, max_line), "\r\n", as_tuple);
        idle.cancel();
        if (ec == asio::error::not_found) {  // the buffer filled without a line end
          too_long = true;
          skipped += buffer.size();
          buffer.clear();
          // Skip the rest of the overlong line, within the same idle limit.
          idle.expires_after(std::chrono::seconds(self->config.idle_timeout_s));
          idle.async_wait([&](boost::system::error_code ec) {
            if (!ec) {
              timed_out = true;
              socket.cancel(ignored);
            }
          });
          for (;;) {
            auto [ec2, n2] = co_await asio::async_read_until(
                socket, asio::dynamic_buffer(buffer, max_line), "\r\n", as_tuple);
            if (ec2 == asio::error::not_found) {
              skipped += buffer.size();
              buffer.clear();
              continue;
            }
            if (ec2) {
              idle.cancel();
              co_return std::nullopt;
            }
            idle.cancel();
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
      }
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
        if (timed_out) co_await reply("421 4.4.2 " + host + " idle too long, closing\r\n");
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
      if (verb == "ehlo" || verb == "lhlo" || verb == "helo") {
        if ((verb == "lhlo") != self->lmtp()) {
          answer = self->lmtp() ? "500 5.5.1 this is LMTP: say LHLO\r\n"
                                : "500 5.5.1 this is SMTP: say EHLO or HELO\r\n";
        } else {
          greeted = true;
          mail_from.reset();
          recipients.clear();
          answer = verb == "helo" ? "250 " + host + "\r\n"
                                  : "250-" + host + "\r\n250-PIPELINING\r\n250-SIZE " +
                                        std::to_string(self->config.max_message_bytes) +
                                        "\r\n250 8BITMIME\r\n";
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
            DeliveryAnswer result;
            try {
              result = co_await self->sink.deliver(std::move(envelope), std::move(raw));
            } catch (const std::exception& e) {
              log::error("mail_delivery_failed", {{"error", e.what()}});
              result = {DeliveryAnswer::Kind::try_later, "internal error"};
            }
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
        co_await reply("221 2.0.0 " + host + " closing\r\n");
        co_return;
      } else {
        refuse("unknown_command");
        answer = "500 5.5.2 unknown command\r\n";
      }
      if (!co_await reply(answer)) co_return;
    }
    co_await reply("421 4.3.2 " + host + " shutting down\r\n");
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, socket] =
          co_await self->acceptor.async_accept(asio::make_strand(self->io), as_tuple);
      if (ec) {
        if (self->stopping || ec == asio::error::operation_aborted) co_return;
        continue;
      }
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
