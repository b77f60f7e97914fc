#include "tests/integration/kannel_rig.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "tests/integration/harness.hpp"

namespace frontdoor::testing {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const char* const kBearerbox = "/usr/sbin/bearerbox";
const char* const kSmsbox = "/usr/sbin/smsbox";
const char* const kFakesmsc = "/usr/lib/kannel/test/fakesmsc";
const char* const kStatusPassword = "rig-status";

// fakesmsc reads its stdin with fgets(buf, 256): a line longer than 255 bytes reaches bearerbox
// in several writes (bearerbox joins them, it reads lines), and a piece shorter than 2 bytes is
// dropped. Each piece counts as one "sent message".
constexpr std::size_t kFgetsChunk = 255;

// SIGTERM to all at once (bearerbox and smsbox each take ~2 s to wind down), SIGKILL after grace.
void terminate_all(std::vector<pid_t*> pids, std::chrono::milliseconds grace = 5000ms) {
  for (pid_t* p : pids)
    if (*p > 0) kill(*p, SIGTERM);
  auto deadline = Clock::now() + grace;
  for (;;) {
    bool left = false;
    for (pid_t* p : pids) {
      if (*p <= 0) continue;
      int status = 0;
      pid_t r = waitpid(*p, &status, WNOHANG);
      if (r == *p || (r < 0 && errno == ECHILD))
        *p = -1;
      else
        left = true;
    }
    if (!left) return;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(20ms);
  }
  for (pid_t* p : pids) {
    if (*p <= 0) continue;
    kill(*p, SIGKILL);
    waitpid(*p, nullptr, 0);
    *p = -1;
  }
}

bool exited(pid_t pid) {
  if (pid <= 0) return true;
  int status = 0;
  return waitpid(pid, &status, WNOHANG) == pid;
}

std::string tail(const std::string& text, std::size_t max_chars) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) {
      // An unfinished last line may still be being written: leave it for the next look.
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string hex_upper(std::string_view bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// What bearerbox's access log says it sent: "Sent SMS [SMSC:fake] ... [from:X] [to:Y]
// [flags:mclass:coding:mwi:compress:dlrmask] [msg:LEN:CONTENT] [udh:...]". CONTENT is hex for
// coding 1 and 2, the text with non-printable bytes as '.' for coding 0. One line per logical
// message (before Kannel splits it).
struct SentEntry {
  std::string from, to;
  int coding;
  std::size_t length;
  std::string content;
};

std::vector<SentEntry> read_access_log(const std::string& path) {
  static const std::regex re(
      R"(Sent SMS .*\[from:([^\]]*)\] \[to:([^\]]*)\] \[flags:-?\d+:(-?\d+):[^\]]*\] )"
      R"(\[msg:(\d+):(.*)\] \[udh:)");
  std::vector<SentEntry> entries;
  for (const auto& line : lines_of(read_file(path))) {
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    entries.push_back(
        {m[1], m[2], std::stoi(m[3]), static_cast<std::size_t>(std::stoul(m[4])), m[5]});
  }
  return entries;
}

std::optional<int> coding_from_access_log(const std::vector<SentEntry>& entries,
                                          const std::string& from, const std::string& to,
                                          const std::string& bytes) {
  const std::string hex = hex_upper(bytes);
  for (const auto& e : entries) {
    if (e.from != from || e.to != to || e.length != bytes.size()) continue;
    if ((e.coding == 1 || e.coding == 2) && e.content == hex) return e.coding;
    if (e.coding <= 0 && e.content.size() == bytes.size()) {
      bool same = true;
      for (std::size_t i = 0; i < bytes.size() && same; ++i) {
        unsigned char b = static_cast<unsigned char>(bytes[i]);
        same = e.content[i] == bytes[i] || (e.content[i] == '.' && (b < 32 || b > 126));
      }
      if (same) return 0;
    }
  }
  return std::nullopt;
}

std::string decode_for(int coding, const std::string& bytes) {
  return coding == 2 ? kannel::utf16be_to_utf8(bytes) : bytes;
}

// "2026-.. [pid] [0] DEBUG: Got message 12: <CONTENT>" -> CONTENT
std::optional<std::string> got_message(const std::string& line) {
  auto at = line.find("Got message ");
  if (at == std::string::npos) return std::nullopt;
  auto open = line.find(": <", at);
  auto close = line.rfind('>');
  if (open == std::string::npos || close == std::string::npos || close < open + 3)
    return std::nullopt;
  return line.substr(open + 3, close - open - 3);
}

std::vector<std::string> split_n(const std::string& s, std::size_t n) {
  // The first n-1 space-separated fields, then the rest (verbatim).
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() + 1 < n) {
    auto sp = s.find(' ', start);
    if (sp == std::string::npos) break;
    out.push_back(s.substr(start, sp - start));
    start = sp + 1;
  }
  out.push_back(s.substr(start));
  return out;
}

struct Concat {
  int ref = -1, total = 1, seq = 1;
};

Concat concat_info(const std::string& udh) {
  Concat c;
  if (udh.empty()) return c;
  std::size_t end = std::min<std::size_t>(udh.size(), 1 + static_cast<unsigned char>(udh[0]));
  std::size_t i = 1;
  while (i + 1 < end) {
    unsigned char iei = udh[i], len = udh[i + 1];
    const auto* d = reinterpret_cast<const unsigned char*>(udh.data()) + i + 2;
    if (i + 2 + len > end) break;
    if (iei == 0x00 && len == 3) return {d[0], d[1], d[2]};
    if (iei == 0x08 && len == 4) return {d[0] << 8 | d[1], d[2], d[3]};
    i += 2 + len;
  }
  return c;
}

// One character set check: GSM 03.38 default alphabet and its extension table.
const std::u32string& gsm7_chars() {
  static const std::u32string chars =
      U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
      U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
      U"\f^{}\\[~]|€";
  return chars;
}

std::u32string utf8_to_u32(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    char32_t cp;
    int extra;
    if (c < 0x80) {
      cp = c;
      extra = 0;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1f;
      extra = 1;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0f;
      extra = 2;
    } else if ((c >> 3) == 30) {
      cp = c & 0x07;
      extra = 3;
    } else {
      throw std::invalid_argument("invalid UTF-8");
    }
    if (i + extra >= s.size()) throw std::invalid_argument("truncated UTF-8");
    for (int k = 1; k <= extra; ++k) {
      unsigned char cc = s[i + k];
      if ((cc >> 6) != 2) throw std::invalid_argument("invalid UTF-8");
      cp = (cp << 6) | (cc & 0x3f);
    }
    out += cp;
    i += 1 + extra;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

// --- helpers ---------------------------------------------------------------------------------

namespace kannel {

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string utf8_to_utf16be(std::string_view utf8) {
  std::string out;
  auto unit = [&](char16_t u) {
    out += static_cast<char>(u >> 8);
    out += static_cast<char>(u & 0xff);
  };
  for (char32_t cp : utf8_to_u32(utf8)) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(static_cast<char16_t>(0xd800 + (cp >> 10)));
      unit(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      unit(static_cast<char16_t>(cp));
    }
  }
  return out;
}

std::string utf16be_to_utf8(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    char32_t u = static_cast<unsigned char>(s[i]) << 8 | static_cast<unsigned char>(s[i + 1]);
    if (u >= 0xd800 && u < 0xdc00 && i + 3 < s.size()) {
      char32_t lo =
          static_cast<unsigned char>(s[i + 2]) << 8 | static_cast<unsigned char>(s[i + 3]);
      if (lo >= 0xdc00 && lo < 0xe000) {
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        i += 2;
      }
    }
    append_utf8(out, u);
  }
  return out;
}

bool is_gsm7(std::string_view utf8) {
  const auto& gsm = gsm7_chars();
  for (char32_t cp : utf8_to_u32(utf8))
    if (gsm.find(cp) == std::u32string::npos) return false;
  return true;
}

std::map<std::string, std::string> query_params(std::string_view target) {
  std::map<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      out[url_decode(pair)] = "";
    else
      out[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

}  // namespace kannel

// --- KannelRig -------------------------------------------------------------------------------

KannelRig::KannelRig()
    : admin_port_(free_port()),
      smsbox_port_(free_port()),
      fake_port_(free_port()),
      sendsms_port_(free_port()),
      dir_(fresh_dir("kannel")),
      config_path_(dir_ + "/kannel.conf") {
  // free_port() closes its socket before returning: make sure the four are distinct.
  while (smsbox_port_ == admin_port_) smsbox_port_ = free_port();
  while (fake_port_ == admin_port_ || fake_port_ == smsbox_port_) fake_port_ = free_port();
  while (sendsms_port_ == admin_port_ || sendsms_port_ == smsbox_port_ ||
         sendsms_port_ == fake_port_)
    sendsms_port_ = free_port();
}

KannelRig::KannelRig(std::string mo_url, Options options) : KannelRig() {
  start(std::move(mo_url), options);
}

KannelRig::~KannelRig() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string KannelRig::sendsms_url() const {
  return "http://127.0.0.1:" + std::to_string(sendsms_port_) + "/cgi-bin/sendsms";
}

void KannelRig::write_config(const std::string& mo_url, const Options& options) {
  if (mo_url.find('%') != std::string::npos || mo_url.find('"') != std::string::npos)
    throw std::invalid_argument("KannelRig: mo_url must not contain '%' or '\"': " + mo_url);
  std::string get_url =
      mo_url + (mo_url.find('?') == std::string::npos ? "?" : "&") + KannelRig::kMoQuery;
  std::ofstream c(config_path_);
  c << "group = core\n"
    << "admin-port = " << admin_port_ << "\n"
    << "admin-interface = 127.0.0.1\n"
    << "admin-password = rig-admin\n"
    << "status-password = " << kStatusPassword << "\n"
    << "admin-allow-ip = \"127.0.0.1\"\n"
    << "smsbox-port = " << smsbox_port_ << "\n"
    << "smsbox-interface = 127.0.0.1\n"
    << "box-allow-ip = \"127.0.0.1\"\n"
    << "log-file = \"" << dir_ << "/bearerbox.log\"\n"
    << "log-level = " << options.log_level << "\n"
    << "access-log = \"" << dir_ << "/bearerbox-access.log\"\n"
    << "dlr-storage = internal\n"
    << "\n"
    << "group = smsc\n"
    << "smsc = fake\n"
    << "smsc-id = fake\n"
    << "port = " << fake_port_ << "\n"
    << "our-host = 127.0.0.1\n"
    << "connect-allow-ip = 127.0.0.1\n"
    << "\n"
    << "group = smsbox\n"
    << "bearerbox-host = 127.0.0.1\n"
    << "bearerbox-port = " << smsbox_port_ << "\n"
    << "sendsms-port = " << sendsms_port_ << "\n"
    << "sendsms-interface = 127.0.0.1\n"
    << "log-file = \"" << dir_ << "/smsbox.log\"\n"
    << "log-level = " << options.log_level << "\n"
    << "access-log = \"" << dir_ << "/smsbox-access.log\"\n"
    << "mo-recode = " << (options.mo_recode ? "true" : "false") << "\n"
    << "\n"
    << "group = sendsms-user\n"
    << "username = " << username() << "\n"
    << "password = " << password() << "\n"
    << "max-messages = " << options.max_messages << "\n"
    << "concatenation = true\n"
    << "\n"
    // Every MO goes to the daemon; max-messages = 0: the HTTP answer is never sent back as an
    // SMS (replies go through sendsms).
    << "group = sms-service\n"
    << "keyword = default\n"
    << "catch-all = true\n"
    << "get-url = \"" << get_url << "\"\n"
    << "max-messages = 0\n"
    << "omit-empty = true\n";
}

std::string KannelRig::status() const {
  try {
    auto res = http(admin_port_, "GET", std::string("/status.txt?password=") + kStatusPassword);
    return res.status == 200 ? res.body : std::string();
  } catch (const std::exception&) {
    return {};
  }
}

void KannelRig::start(std::string mo_url, Options options) {
  for (const char* bin : {kBearerbox, kSmsbox, kFakesmsc})
    if (access(bin, X_OK) != 0)
      throw std::runtime_error(std::string(bin) +
                               " not found: apt-get install kannel kannel-extras");
  if (bearerbox_ > 0) throw std::logic_error("KannelRig already started");
  write_config(mo_url, options);
  auto deadline = Clock::now() + 15s;
  auto fail = [&](const std::string& what) {
    auto message = "KannelRig: " + what + "\n" + logs();
    stop();
    throw std::runtime_error(message);
  };

  bearerbox_ = spawn_process({kBearerbox, "-v", "4", config_path_}, dir_ + "/bearerbox.out");
  const std::string fake_line = "FAKE:" + std::to_string(fake_port_) + " (";
  while (status().find(fake_line) == std::string::npos) {
    if (exited(bearerbox_)) {
      bearerbox_ = -1;
      fail("bearerbox exited");
    }
    if (Clock::now() > deadline) fail("bearerbox did not come up");
    std::this_thread::sleep_for(20ms);
  }
  smsbox_ = spawn_process({kSmsbox, "-v", "4", config_path_}, dir_ + "/smsbox.out");
  start_fakesmsc();

  const std::string online = fake_line + "online";
  for (;;) {
    auto s = status();
    bool fake_up = s.find(online) != std::string::npos;
    bool box_up = s.find("    smsbox:") != std::string::npos;
    if (fake_up && box_up) {
      try {
        // Without credentials smsbox answers 403: it is serving sendsms.
        if (http(sendsms_port_, "GET", "/cgi-bin/sendsms").status >= 400) break;
      } catch (const std::exception&) {
      }
    }
    if (exited(smsbox_)) {
      smsbox_ = -1;
      fail("smsbox exited");
    }
    if (!fake_up && exited(fakesmsc_)) {
      // fakesmsc gives up at once when the fake SMSC port is not listening yet: try again.
      fakesmsc_ = -1;
      ::close(fakesmsc_stdin_);
      fakesmsc_stdin_ = -1;
      start_fakesmsc();
    }
    if (Clock::now() > deadline) fail("Kannel did not become ready");
    std::this_thread::sleep_for(20ms);
  }
}

void KannelRig::start_fakesmsc() {
  int sv[2];
  // A socket pair rather than a pipe: send(MSG_NOSIGNAL) cannot raise SIGPIPE in the test.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error("socketpair failed");
  ++fakesmsc_runs_;
  // No messages on the command line = interactive mode: one MO per stdin line. -i 0: no
  // pacing between MOs (default 1 s). -v 0: the "Got message" lines are DEBUG.
  fakesmsc_ = spawn_process(
      {kFakesmsc, "-H", "127.0.0.1", "-r", std::to_string(fake_port_), "-i", "0", "-v", "0"},
      dir_ + "/fakesmsc-" + std::to_string(fakesmsc_runs_) + ".log", {}, sv[1]);
  ::close(sv[1]);
  fakesmsc_stdin_ = sv[0];
}

void KannelRig::stop_fakesmsc() {
  if (fakesmsc_stdin_ >= 0) ::close(fakesmsc_stdin_);
  fakesmsc_stdin_ = -1;
  burst_count_ = 0;
  terminate_all({&fakesmsc_});
}

void KannelRig::stop() {
  if (fakesmsc_stdin_ >= 0) ::close(fakesmsc_stdin_);
  fakesmsc_stdin_ = -1;
  terminate_all({&fakesmsc_, &smsbox_, &bearerbox_});
}

void KannelRig::phone_offline() {
  stop_fakesmsc();
  auto deadline = Clock::now() + 10s;
  const std::string online = "FAKE:" + std::to_string(fake_port_) + " (online";
  while (status().find(online) != std::string::npos && Clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
}

void KannelRig::phone_online() {
  if (fakesmsc_ > 0 && burst_count_ == 0) return;
  if (fakesmsc_ > 0) phone_offline();  // a burst's fakesmsc
  start_fakesmsc();
  auto deadline = Clock::now() + 10s;
  const std::string online = "FAKE:" + std::to_string(fake_port_) + " (online";
  while (status().find(online) == std::string::npos) {
    if (exited(fakesmsc_)) {
      fakesmsc_ = -1;
      ::close(fakesmsc_stdin_);
      fakesmsc_stdin_ = -1;
      start_fakesmsc();
    }
    if (Clock::now() > deadline)
      throw std::runtime_error("KannelRig: fakesmsc did not reconnect\n" + logs());
    std::this_thread::sleep_for(20ms);
  }
}

void KannelRig::phones_burst(const std::vector<std::string>& lines, long count) {
  if (bearerbox_ <= 0) throw std::logic_error("phones_burst: Kannel is not started");
  if (lines.empty() || count <= 0) throw std::invalid_argument("phones_burst: nothing to send");
  phone_offline();
  // -v 1: only the last "sent message N" is logged (each DEBUG line would slow fakesmsc down).
  std::vector<std::string> argv{kFakesmsc, "-H", "127.0.0.1", "-r", std::to_string(fake_port_)};
  argv.insert(argv.end(), {"-i", "0", "-m", std::to_string(count), "-v", "1"});
  argv.insert(argv.end(), lines.begin(), lines.end());
  const std::string online = "FAKE:" + std::to_string(fake_port_) + " (online";
  auto deadline = Clock::now() + 10s;
  for (;;) {
    ++fakesmsc_runs_;
    burst_count_ = count;
    fakesmsc_ = spawn_process(argv, dir_ + "/fakesmsc-" + std::to_string(fakesmsc_runs_) + ".log");
    for (;;) {
      if (burst_sent() || status().find(online) != std::string::npos) return;
      if (exited(fakesmsc_)) break;  // refused: bearerbox is not listening again yet
      if (Clock::now() > deadline)
        throw std::runtime_error("KannelRig: the burst's fakesmsc did not connect\n" + logs());
      std::this_thread::sleep_for(5ms);
    }
    fakesmsc_ = -1;
    burst_count_ = 0;
    if (Clock::now() > deadline)
      throw std::runtime_error("KannelRig: the burst's fakesmsc did not connect\n" + logs());
    std::this_thread::sleep_for(20ms);
  }
}

bool KannelRig::burst_sent() const {
  if (burst_count_ <= 0) return false;
  auto text = read_file(dir_ + "/fakesmsc-" + std::to_string(fakesmsc_runs_) + ".log");
  return text.find("fakesmsc: sent message " + std::to_string(burst_count_) + "\n") !=
         std::string::npos;
}

bool KannelRig::send_to_fakesmsc(std::string_view bytes) {
  if (fakesmsc_stdin_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = ::send(fakesmsc_stdin_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

long KannelRig::fakesmsc_sent_count() const {
  if (fakesmsc_runs_ == 0) return 0;
  auto text = read_file(dir_ + "/fakesmsc-" + std::to_string(fakesmsc_runs_) + ".log");
  long count = 0;
  for (std::size_t at = 0; (at = text.find("fakesmsc: sent message ", at)) != std::string::npos;
       ++at)
    ++count;
  return count;
}

void KannelRig::phone_sends(const std::string& from, const std::string& to,
                            const std::string& utf8_text, int coding) {
  auto bad_number = [](const std::string& n) {
    return n.empty() || n.find_first_of(" \t\r\n") != std::string::npos;
  };
  if (bad_number(from) || bad_number(to))
    throw std::invalid_argument("phone_sends: numbers must be non-empty without spaces");
  if (fakesmsc_ <= 0 || burst_count_ > 0)
    throw std::logic_error("phone_sends: the phone is offline (after a burst: phone_online())");
  if (utf8_text.empty()) throw std::invalid_argument("phone_sends: empty text");
  bool line_break = utf8_text.find_first_of("\r\n") != std::string::npos;
  if (coding < 0) coding = (!line_break && kannel::is_gsm7(utf8_text)) ? 0 : 2;

  std::string line = from + " " + to + " ";
  if (coding == 0) {
    // "text": the rest of the line, verbatim; Kannel takes it as coding 0 in UTF-8, as it
    // does for a GSM 7-bit MO from a real SMSC.
    if (line_break || utf8_text.find('\0') != std::string::npos)
      throw std::invalid_argument("phone_sends: coding 0 cannot carry line breaks");
    line += "text " + utf8_text;
  } else if (coding == 2) {
    line += "ucs2 " + kannel::url_encode(kannel::utf8_to_utf16be(utf8_text));
  } else {
    throw std::invalid_argument("phone_sends: coding must be -1, 0 or 2");
  }
  // A last fgets piece of just "\n" would be dropped (and the line never end): end with CR LF
  // then (bearerbox strips the CR).
  std::string terminator = (line.size() % kFgetsChunk == 0) ? "\r\n" : "\n";
  long pieces =
      static_cast<long>((line.size() + terminator.size() + kFgetsChunk - 1) / kFgetsChunk);

  long before = fakesmsc_sent_count();
  if (!send_to_fakesmsc(line + terminator))
    throw std::runtime_error("phone_sends: fakesmsc is gone\n" + logs());
  // fakesmsc selects on fd 0 then fgets from stdio's buffer: what is already buffered waits for
  // the next readable event. Empty lines wake it without sending anything.
  auto deadline = Clock::now() + 10s;
  while (fakesmsc_sent_count() < before + pieces) {
    if (exited(fakesmsc_)) {
      fakesmsc_ = -1;
      throw std::runtime_error("phone_sends: fakesmsc exited\n" + logs());
    }
    if (Clock::now() > deadline)
      throw std::runtime_error("phone_sends: fakesmsc did not send the message\n" + logs());
    std::this_thread::sleep_for(10ms);
    send_to_fakesmsc("\n");
  }
}

std::vector<ReceivedSms> KannelRig::parse_received(bool final_pass) const {
  struct Part {
    std::string from, to, bytes, raw;
    Concat concat;
    int coding = -1;  // known from the line itself; -1 = ask the access log (udh lines)
  };
  // Lines of every fakesmsc run, oldest first.
  std::vector<Part> parts;
  for (int run = 1; run <= fakesmsc_runs_; ++run) {
    for (const auto& line :
         lines_of(read_file(dir_ + "/fakesmsc-" + std::to_string(run) + ".log"))) {
      auto content = got_message(line);
      if (!content) continue;
      auto f = split_n(*content, 4);
      bool well_formed = f.size() == 4 && !f[0].empty() && !f[1].empty() &&
                         (f[2] == "text" || f[2] == "ucs-2" || f[2] == "data" || f[2] == "udh");
      if (!well_formed) {
        // A line break inside a coding-0 text: fakesmsc prints the rest as its own "message".
        if (!parts.empty() && parts.back().coding == 0 && parts.back().concat.ref < 0) {
          parts.back().bytes += "\n" + *content;
          parts.back().raw += "\n" + line;
        }
        continue;
      }
      Part p{f[0], f[1], {}, line, {}, -1};
      if (f[2] == "text") {
        p.bytes = f[3];
        p.coding = 0;
      } else if (f[2] == "ucs-2") {
        p.bytes = kannel::url_decode(f[3]);
        p.coding = 2;
      } else if (f[2] == "data") {
        p.bytes = kannel::url_decode(f[3]);
        p.coding = 1;
      } else {  // "udh <udh> data <msg>": the coding is not shown
        auto u = split_n(f[3], 3);
        if (u.size() != 3 || u[1] != "data") continue;
        p.concat = concat_info(kannel::url_decode(u[0]));
        p.bytes = kannel::url_decode(u[2]);
      }
      parts.push_back(std::move(p));
    }
  }

  // Put concatenated parts back together, in the order messages became complete.
  std::vector<ReceivedSms> complete;
  std::vector<int> codings;  // -1 = still to be found
  std::map<std::tuple<std::string, std::string, int, int>, std::vector<const Part*>> open;
  for (const auto& p : parts) {
    if (p.concat.ref < 0 || p.concat.total <= 1) {
      ReceivedSms sms{p.from, p.to, p.bytes, p.coding, 1, p.raw};
      complete.push_back(std::move(sms));
      codings.push_back(p.coding);
      continue;
    }
    auto key = std::make_tuple(p.from, p.to, p.concat.ref, p.concat.total);
    auto& group = open[key];
    group.push_back(&p);
    if (static_cast<int>(group.size()) < p.concat.total) continue;
    std::sort(group.begin(), group.end(),
              [](const Part* a, const Part* b) { return a->concat.seq < b->concat.seq; });
    ReceivedSms sms{p.from, p.to, {}, -1, p.concat.total, {}};
    for (const Part* g : group) {
      sms.text += g->bytes;
      sms.raw += (sms.raw.empty() ? "" : "\n") + g->raw;
    }
    complete.push_back(std::move(sms));
    codings.push_back(-1);
    open.erase(key);
  }

  // Codings fakesmsc did not show come from bearerbox's access log; a message waits for it
  // (and so do the ones after it, to keep the order) until the final pass, which guesses.
  std::vector<SentEntry> sent;
  bool sent_read = false;
  std::vector<ReceivedSms> out;
  for (std::size_t i = 0; i < complete.size(); ++i) {
    auto& sms = complete[i];
    int coding = codings[i];
    if (coding < 0) {
      if (!sent_read) {
        sent = read_access_log(dir_ + "/bearerbox-access.log");
        sent_read = true;
      }
      if (auto c = coding_from_access_log(sent, sms.from, sms.to, sms.text)) {
        coding = *c;
      } else if (final_pass) {
        bool has_nul = sms.text.find('\0') != std::string::npos;
        coding = (has_nul && sms.text.size() % 2 == 0) ? 2 : 0;
      } else {
        break;
      }
    }
    sms.coding = coding;
    sms.text = decode_for(coding, sms.text);
    out.push_back(std::move(sms));
  }
  return out;
}

std::vector<ReceivedSms> KannelRig::phone_received(std::chrono::milliseconds wait) {
  auto deadline = Clock::now() + wait;
  for (;;) {
    bool final_pass = Clock::now() >= deadline;
    auto all = parse_received(final_pass);
    if (all.size() > consumed_ || final_pass) {
      std::vector<ReceivedSms> fresh;
      for (std::size_t i = consumed_; i < all.size(); ++i) fresh.push_back(all[i]);
      consumed_ = std::max(consumed_, all.size());
      return fresh;
    }
    // In interactive mode fakesmsc looks at bearerbox's socket only between stdin events (or
    // once a second): an empty line makes it look now.
    if (fakesmsc_ > 0) send_to_fakesmsc("\n");
    auto left = deadline - Clock::now();
    std::this_thread::sleep_for(left < 50ms ? std::max(left, Clock::duration::zero())
                                            : Clock::duration(50ms));
  }
}

std::string KannelRig::logs() const {
  std::string out;
  auto add = [&](const std::string& name, std::size_t max_chars) {
    auto text = read_file(dir_ + "/" + name);
    if (text.empty()) return;
    out += "--- " + name + " ---\n" + tail(text, max_chars) + "\n";
  };
  add("bearerbox.out", 2000);
  add("smsbox.out", 2000);
  add("bearerbox.log", 4000);
  add("smsbox.log", 4000);
  add("bearerbox-access.log", 3000);
  for (int run = 1; run <= fakesmsc_runs_; ++run)
    add("fakesmsc-" + std::to_string(run) + ".log", 3000);
  return out;
}

}  // namespace frontdoor::testing
