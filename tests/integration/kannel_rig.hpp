// A real Kannel (Debian's bearerbox + smsbox) on loopback, with kannel-extras' fakesmsc as the
// phones, for the Kannel dialect of the SMS channel. Everything runs in a fresh directory on
// free loopback ports and is stopped by the destructor.
//
//   phone --fakesmsc--> bearerbox (smsc = fake) --> smsbox --sms-service get-url--> mo_url
//   daemon --GET sendsms_url()--> smsbox --> bearerbox --> fakesmsc prints it --> phone_received()
//   delivery reports: the daemon passes dlr-mask + dlr-url on sendsms; the fake SMSC answers
//   every MT with status 8 (delivered to SMSC, answer "ACK/") and 1 (delivered to phone).
//
// The MO request smsbox makes is   <mo_url>(?|&)from=%p&to=%P&text=%b&coding=%c&charset=%C&
// id=%I&smsc=%i&ts=%T   (kMoQuery), a GET, form-style url-encoding ('+' = space). text is the raw
// message octets: coding=0 charset=UTF-8 for GSM 7-bit, coding=2 charset=UTF-16BE for UCS-2 (or,
// with Options::mo_recode, UCS-2 recoded by Kannel to coding=0 charset=UTF-8). id is Kannel's
// UUID. sendsms answers 202 "0: Accepted for delivery" (no message id: put yours in dlr-url),
// 202 "3: Queued for later delivery" while the phone is offline, 403 on bad credentials.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor::testing {

// One MT message as the phone (fakesmsc) got it; concatenated parts are put back together.
struct ReceivedSms {
  std::string from, to;
  std::string text;  // UTF-8 (coding 0: as Kannel sent it, '?' where GSM had no character;
                     // 2: decoded from UTF-16BE; 1: the raw octets)
  int coding = 0;    // 0 = GSM 7-bit, 1 = 8-bit data, 2 = UCS-2
  int parts = 1;     // > 1 when Kannel split it (UDH concatenation)
  std::string raw;   // what fakesmsc printed, one line per part
};

struct KannelOptions {
  bool mo_recode = false;  // smsbox mo-recode: UCS-2 MO arrives as coding=0 charset=UTF-8
  int max_messages = 10;   // sendsms-user max-messages (parts per MT; concatenation on)
  int log_level = 0;       // bearerbox's and smsbox's log-file level (0 debug … 4 panic)
};

class KannelRig {
 public:
  using Options = KannelOptions;

  // The get-url parameters appended to mo_url.
  static constexpr const char* kMoQuery =
      "from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I&smsc=%i&ts=%T";

  // Picks the ports and directory only: sendsms_url()/username()/password() are usable before
  // start(), so a daemon can be configured first and its MO URL handed to start() afterwards.
  KannelRig();
  // `mo_url`: where smsbox sends MO, e.g. http://127.0.0.1:PORT/webhooks/kannel/mo?secret=s3cret
  // (no '%' or '"' in it: Kannel would read '%' as an escape code).
  explicit KannelRig(std::string mo_url, Options options = {});
  KannelRig(const KannelRig&) = delete;
  KannelRig& operator=(const KannelRig&) = delete;
  ~KannelRig();

  // Starts bearerbox, smsbox and fakesmsc; returns when the fake SMSC is online and smsbox is
  // connected (typically < 0.5 s). Throws with the logs if that takes more than 15 s.
  void start(std::string mo_url, Options options = {});
  void stop();

  std::string sendsms_url() const;  // http://127.0.0.1:PORT/cgi-bin/sendsms
  unsigned short sendsms_port() const { return sendsms_port_; }
  std::string username() const { return "frontdoor"; }
  std::string password() const { return "rig-sendsms-secret"; }
  unsigned short admin_port() const { return admin_port_; }
  std::string status() const;  // bearerbox's status.txt

  // A phone texts in. coding -1 picks like a phone: GSM 7-bit ("text") when every character is
  // in GSM 03.38 and there is no line break, else UCS-2 ("ucs2"). 0 / 2 force it. Returns once
  // fakesmsc has written it to bearerbox (the get-url call follows within ~50 ms).
  // Limits: one SMS (no MO concatenation through fakesmsc); no '\n'/'\r' with coding 0.
  void phone_sends(const std::string& from, const std::string& to, const std::string& utf8_text,
                   int coding = -1);

  // MT messages the phones got since the last call. Returns as soon as there is at least one,
  // or an empty vector after `wait`.
  std::vector<ReceivedSms> phone_received(std::chrono::milliseconds wait);

  // The phone goes away / comes back (fakesmsc stopped / started): meanwhile sendsms answers
  // 202 "3: Queued for later delivery" and bearerbox delivers on reconnect.
  void phone_offline();
  void phone_online();

  // For benchmarks: many phones text in as fast as bearerbox takes them. The interactive phone
  // goes offline and a fakesmsc with `lines` on its command line sends `count` MOs, each line
  // picked at random, with no pacing (-i 0 -m count). Lines are in fakesmsc's format:
  // "FROM TO text WORDS…" (GSM 7-bit, no line breaks) or "FROM TO ucs2 URL-ENCODED-UTF-16BE".
  // Returns once that fakesmsc is connected; burst_sent() tells when it has written all `count`
  // to bearerbox. phone_sends() needs phone_online() after a burst.
  void phones_burst(const std::vector<std::string>& lines, long count);
  bool burst_sent() const;

  std::string dir() const { return dir_; }
  std::string logs() const;  // tails of every log, for failure messages

 private:
  void write_config(const std::string& mo_url, const Options& options);
  void start_fakesmsc();
  void stop_fakesmsc();
  bool send_to_fakesmsc(std::string_view bytes);
  long fakesmsc_sent_count() const;
  std::vector<ReceivedSms> parse_received(bool final_pass) const;

  unsigned short admin_port_, smsbox_port_, fake_port_, sendsms_port_;
  std::string dir_, config_path_;
  pid_t bearerbox_ = -1, smsbox_ = -1, fakesmsc_ = -1;
  int fakesmsc_stdin_ = -1;
  int fakesmsc_runs_ = 0;     // each run logs to its own file
  long burst_count_ = 0;      // > 0 while the running fakesmsc is a phones_burst()
  std::size_t consumed_ = 0;  // messages already handed out by phone_received
};

// Helpers for tests that look at what Kannel sent or build what it expects.
namespace kannel {
std::string url_decode(std::string_view s);  // '+' = space, %XX
std::string url_encode(std::string_view s);  // keeps [A-Za-z0-9-_.], %XX for the rest
std::string utf8_to_utf16be(std::string_view utf8);
std::string utf16be_to_utf8(std::string_view utf16be);
bool is_gsm7(std::string_view utf8);  // every character in GSM 03.38 (basic + extension)
// The query of a request target, decoded: "/x?a=1&b=%41" -> {a:1, b:A} (values as raw bytes).
std::map<std::string, std::string> query_params(std::string_view target);
}  // namespace kannel

}  // namespace frontdoor::testing
