// The built-in SMTP and LMTP receiver (RFC 5321, RFC 2033): the city's mail server delivers
// residents' mail straight to frontdoor.
//
// Contract
//  1. Only configured recipients are accepted (RCPT for anything else: 550 5.1.1); frontdoor
//     is never a relay.
//  2. A message is answered 250 only after MailSink::deliver() returned (the mail is durable in
//     Redis); 451 4.3.0 when the store is unavailable, so the sending server retries; LMTP
//     answers once per accepted recipient.
//  3. Limits: SIZE (announced; a MAIL with a larger SIZE, or a larger message, gets 552 5.3.4),
//     line length (500 5.5.2), recipients per transaction (452 4.5.3), idle time (421 4.4.2).
//     Every refusal is counted in frontdoor_rejected_total{edge="smtp"}.
//  4. ESMTP: EHLO/HELO (LHLO for LMTP), MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY (252);
//     PIPELINING, SIZE and 8BITMIME are announced. Commands are answered strictly in order.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"

namespace frontdoor::email {

struct Envelope {
  std::string mail_from;                // reverse path, may be empty (bounces)
  std::vector<std::string> recipients;  // accepted forward paths
  std::string peer;                     // the sending server's address
};

// What became of one delivered message.
struct DeliveryAnswer {
  enum class Kind { accepted, try_later, refused } kind = Kind::accepted;
  std::string text;  // for the reply line, e.g. "queued as conversation 42"
};

class MailSink {
 public:
  virtual ~MailSink() = default;
  virtual boost::asio::awaitable<DeliveryAnswer> deliver(Envelope envelope, std::string raw) = 0;
};

class SmtpReceiver {
 public:
  SmtpReceiver(boost::asio::io_context& io, const Config::Email& config, MailSink& sink);
  ~SmtpReceiver();
  void start();  // throws std::system_error when it cannot listen
  void stop();
  unsigned short port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// "311@City.gov" matches "311@city.gov" and "@city.gov" (case-insensitive); pure, for tests.
bool recipient_accepted(const std::string& address, const std::vector<std::string>& accepted);

}  // namespace frontdoor::email
