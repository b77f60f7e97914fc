// A real Dovecot (Debian's dovecot-imapd) on loopback holding one mailbox, for the IMAP-polling
// side of the email channel. It runs in the foreground (dovecot -F) from a generated config in a
// fresh directory: its own base_dir/state_dir, IMAP only on 127.0.0.1:port(), no TLS, plaintext
// LOGIN/AUTHENTICATE PLAIN allowed, one passwd-file user whose mail is a maildir in that
// directory. Stopped by the destructor.
//
// Run as root, the mail processes run as `nobody` (Dovecot refuses UID 0 as a mail user), the
// login processes as `dovenull` and internal ones as `dovecot`, as in Debian's own setup. Run as
// another user, everything runs as that user.
//
// deliver() is an IMAP APPEND over its own connection (as an MDA or another client would put
// mail there): Dovecot assigns the UID at once and it is returned (APPENDUID). What a client
// sees:
//   curl -s --url "imap://127.0.0.1:PORT/INBOX" -u USER:PASS -X "UID SEARCH ALL"  -> "* SEARCH 1 2"
//   curl -s --url "imap://127.0.0.1:PORT/INBOX;UID=1" -u USER:PASS              -> the message
//   curl -s --url "imap://127.0.0.1:PORT" -u USER:PASS -X "EXAMINE INBOX"
//        -> "* OK [UIDVALIDITY 1795603237] UIDs valid" and "* OK [UIDNEXT 3] ..."
// UIDVALIDITY and the UIDs live in the maildir (dovecot-uidlist), so restart() keeps them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace frontdoor::testing {

class ImapRig {
 public:
  // Writes the config and starts Dovecot; returns once it greets on port() (typically ~0.1 s).
  ImapRig();
  ImapRig(const ImapRig&) = delete;
  ImapRig& operator=(const ImapRig&) = delete;
  ~ImapRig();

  void start();  // throws with the log if Dovecot does not greet within 15 s
  void stop();   // SIGTERM to the master (it takes its children down), waits
  void restart() {
    stop();
    start();
  }
  bool running() const { return pid_ > 0; }

  unsigned short port() const { return port_; }
  std::string user() const { return "frontdoor"; }
  std::string password() const { return "rig-imap-secret"; }
  std::string url() const;  // imap://127.0.0.1:PORT/INBOX

  // Appends a message to INBOX, \Seen when `seen` (read in some other client before the poll).
  // Bare LF line ends become CRLF, so a FETCH gives back exactly these bytes with CRLF.
  // Returns the UID Dovecot gave it.
  std::uint32_t deliver(const std::string& raw_rfc5322, bool seen = false);

  // One entry per message in UID order: its flags as Dovecot lists them, e.g. "\Seen" or
  // "\Seen \Deleted" or "" (the space-separated inside of FLAGS (...)).
  std::vector<std::string> flags_of_all() const;
  std::vector<std::uint32_t> uids() const;  // UID SEARCH ALL
  std::uint32_t uidvalidity() const;        // from EXAMINE INBOX
  // Runs `commands` (without tags, e.g. {"SELECT INBOX", "UID FETCH 1:* (FLAGS)"}) in a fresh
  // logged-in session; returns every line the server sent for them, CRLF included. Throws
  // unless each one ends OK.
  std::string session(const std::vector<std::string>& commands) const;

  std::string dir() const { return dir_; }
  std::string maildir() const { return dir_ + "/mail/Maildir"; }
  std::string log() const;  // Dovecot's log file and its stderr

 private:
  void write_config();

  unsigned short port_;
  std::string dir_, config_path_;
  pid_t pid_ = -1;
};

}  // namespace frontdoor::testing
