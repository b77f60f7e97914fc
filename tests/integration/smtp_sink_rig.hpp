// A real SMTP server as the outbound sink for the email channel: Debian's Exim
// (exim4-daemon-light) run as a foreground daemon (exim4 -C <generated config> -bdf) from a fresh
// directory, listening on 127.0.0.1:port(). It accepts mail from anyone for any recipient and
// writes each delivery to a maildir in that directory; wait_for() hands back the raw messages.
// Nothing in /etc/exim4 or /var/spool/exim4 is used: spool, logs and pid file are in dir().
// Stopped by the destructor.
//
// What the sink adds to a message, on top of what the client sent (the first three lines):
//   Return-path: <envelope sender>
//   Envelope-to: <envelope recipient>
//   Received: from [127.0.0.1] (helo=...) by sink.test with esmtp[a] (Exim 4.96) ...
// One file per envelope recipient (a message to two recipients is two deliveries).
// AUTH PLAIN and LOGIN are offered (username()/password()); mail without AUTH is accepted too.
// No STARTTLS (tls_advertise_hosts is empty).
//
// Run as root, -C makes Exim drop root for the exim user (Debian-exim): the daemon, its spool
// and the maildir belong to that user. Run as another user, everything is that user's.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace frontdoor::testing {

class SmtpSinkRig {
 public:
  // Writes the config and starts Exim; returns once it answers 220 on port() (~0.1 s).
  SmtpSinkRig();
  SmtpSinkRig(const SmtpSinkRig&) = delete;
  SmtpSinkRig& operator=(const SmtpSinkRig&) = delete;
  ~SmtpSinkRig();

  void start();  // throws with the logs if no 220 within 15 s
  void stop();

  unsigned short port() const { return port_; }
  std::string username() const { return "frontdoor"; }
  std::string password() const { return "rig-smtp-secret"; }

  // The raw messages delivered so far (oldest first), as soon as there are at least `count`,
  // or whatever there is after `timeout`. CRLF line ends from the wire become LF (maildir).
  std::vector<std::string> wait_for(std::size_t count, std::chrono::milliseconds timeout);
  std::vector<std::string> received() const;  // what is there now

  std::string dir() const { return dir_; }
  std::string logs() const;  // Exim's mainlog, rejectlog, paniclog and stderr

 private:
  void write_config();

  unsigned short port_;
  std::string dir_, config_path_;
  pid_t pid_ = -1;
};

}  // namespace frontdoor::testing
