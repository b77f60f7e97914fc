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
//  4. ESMTP: EHLO/HELO (LHLO for LMTP), MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY (252),
//     STARTTLS; PIPELINING, SIZE and 8BITMIME are announced. Commands are answered strictly in
//     order.
//  5. STARTTLS (RFC 3207) is announced in the EHLO/LHLO answer only while the session is plain
//     and channels.email.tls_certificate is set. STARTTLS answers 220 2.0.0, then the TLS
//     handshake (TLS 1.2 or later, no client certificate asked) must finish within the idle
//     time; a failed or late handshake closes the connection and is counted as "tls_handshake".
//     Over TLS the session starts anew: hello, envelope and buffered input are forgotten, the
//     client must say EHLO again, and STARTTLS is no longer announced.
//  6. Nothing read in plaintext is ever taken as having come over TLS: commands pipelined
//     behind STARTTLS are discarded unanswered (counted as "starttls_pipelined").
//     STARTTLS with parameters: 501; without a certificate configured: 502; over TLS: 503.
//  7. With channels.email.require_tls, MAIL, RCPT, DATA and VRFY before STARTTLS get
//     530 5.7.0 (each refused MAIL counted as "tls_required"); EHLO, HELO, LHLO, STARTTLS,
//     RSET, NOOP and QUIT are answered as usual.
//  8. The certificate and key are loaded once, when the receiver is constructed; a file that
//     cannot be loaded, or a key that does not match, throws std::runtime_error naming the
//     option. Each delivery is logged with whether it came over TLS, never with addresses.
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
  // Throws std::runtime_error when channels.email.tls_certificate or tls_private_key cannot be
  // loaded (contract rule 8).
  SmtpReceiver(boost::asio::io_context& io, const Config::Email& config, MailSink& sink);
  ~SmtpReceiver();
  void start();  // throws std::system_error when it cannot listen
  void stop();
  unsigned short port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// "311@City.gov" matches "311@city.gov" and "@city.gov" (case-insensitive), and so does the
// tagged "311+c42@city.gov"; pure, for tests.
bool recipient_accepted(const std::string& address, const std::vector<std::string>& accepted);

}  // namespace frontdoor::email
