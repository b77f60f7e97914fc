// An SMTP sending server for the benchmarks: corpus messages made ready for DATA, and one
// persistent session that delivers them one after another, lock-step or pipelined, counting
// every answer but 250 as an error.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor::bench {

// A message as a sender puts it after DATA: CRLF line ends, dot-stuffed, cut around its
// Message-ID header so each delivery can carry a new one.
struct WireMail {
  std::string head, tail;    // the lines before and after Message-ID (tail ends the message)
  bool null_sender = false;  // Return-Path: <> (a bounce): MAIL FROM:<>
};

// `bytes` (a message as a file holds it, LF or CRLF line ends) ready for DATA. A message without
// a Message-ID gets the new one as its first header line.
WireMail wire_mail(const std::string& bytes);

// How many header lines of `message` (CRLF) start with `name` (lower-case, with its colon).
std::size_t header_lines(const std::string& message, std::string_view name);

// What the senders of one load deliver, and how.
struct SendPlan {
  unsigned short port = 0;
  std::string recipient;         // RCPT TO
  std::vector<WireMail> corpus;  // sender i sends corpus[(i + n * senders) % size] as its n-th
  int senders = 1;
  bool pipelining = false;  // MAIL, RCPT and DATA in one write (RFC 2920)
  std::uint64_t run = 0;    // in every Message-ID: <mb-run-sender-n@mta.example.org>
};

// What the senders of one load saw, besides latencies and errors. One io_context thread: no lock.
struct SmtpTally {
  std::size_t ingested = 0, bounces = 0;  // 250 "queued as conversation …", 250 "bounce …"
  std::string first_error;                // the first answer that was not the one expected
};

// Sender `id`: one SMTP session delivering messages until `end`. Each message answered 250 adds
// its latency (from MAIL to that answer, ms); anything else adds an error. It stops at the first
// connection failure.
boost::asio::awaitable<void> sender(unsigned short port, std::chrono::steady_clock::time_point end,
                                    std::vector<double>& latencies, std::size_t& errors,
                                    const SendPlan& plan, int id, SmtpTally& tally);

}  // namespace frontdoor::bench
