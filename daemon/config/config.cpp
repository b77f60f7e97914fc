#include "daemon/config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "daemon/config/queue_options.hpp"
#include "daemon/routing/business_hours.hpp"
#include "i18n/language.hpp"

namespace frontdoor {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
constexpr std::int64_t kDay = std::int64_t{24} * 3600;

// ---- Checks for string values: true when the value is acceptable. ----

bool is_non_empty(std::string_view v) { return !v.empty(); }

// Queue names and service codes: they become parts of Redis keys and URLs.
bool is_name(std::string_view v) {
  return !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

bool is_name_or_empty(std::string_view v) { return v.empty() || is_name(v); }

// HOST:PORT where HOST is a name, an IPv4 address or a bracketed IPv6 address, PORT 0..65535.
bool is_listen(std::string_view v) {
  const auto colon = v.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view host = v.substr(0, colon);
  const std::string_view port = v.substr(colon + 1);
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || port.size() > 5 || ec != std::errc() || end != port.data() + port.size() ||
      number > 65535) {
    return false;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    const std::string_view inner = host.substr(1, host.size() - 2);
    return std::all_of(inner.begin(), inner.end(),
                       [](unsigned char c) { return std::isxdigit(c) || c == ':' || c == '.'; });
  }
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-';
  });
}

bool is_redis_url(std::string_view v) {
  return v.empty() || (v.starts_with("redis://") && v.size() > 8) ||
         (v.starts_with("unix:///") && v.size() > 8);
}

// Empty, or an http(s) base URL without a trailing slash (paths are appended to it; a doubled
// slash would, for one, break every Twilio signature).
bool is_public_url(std::string_view v) {
  return v.empty() || (((v.starts_with("http://") && v.size() > 7) ||
                        (v.starts_with("https://") && v.size() > 8)) &&
                       !v.ends_with("/"));
}

// Two ASCII letters (a CLDR region such as US, MX, VN).
bool is_region(std::string_view v) {
  return v.size() == 2 && std::isupper(static_cast<unsigned char>(v[0])) &&
         std::isupper(static_cast<unsigned char>(v[1]));
}

// The city's numbers: "+" then 8 to 15 digits (E.164), or a short code of 3 to 8 digits; comma
// separated; empty allowed (a provider with no numbers yet).
bool is_e164_list(std::string_view v) {
  std::size_t start = 0;
  while (start < v.size()) {
    std::size_t end = std::min(v.find(',', start), v.size());
    std::string_view number = v.substr(start, end - start);
    while (!number.empty() && number.front() == ' ') number.remove_prefix(1);
    while (!number.empty() && number.back() == ' ') number.remove_suffix(1);
    const bool e164 = number.size() >= 9 && number.size() <= 16 && number[0] == '+';
    const bool short_code = number.size() >= 3 && number.size() <= 8 && number[0] != '+';
    if (!(e164 || short_code) || !std::all_of(number.begin() + (e164 ? 1 : 0), number.end(),
                                              [](unsigned char c) { return std::isdigit(c); })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// "311@city.gov, @help.city.gov": every entry an address or an @domain.
bool is_recipient_list(std::string_view v) {
  bool any = false;
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t end = std::min(v.find(',', start), v.size());
    std::string_view entry = v.substr(start, end - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    auto at = entry.find('@');
    if (at == std::string_view::npos || at + 1 == entry.size() || entry.find(' ') != entry.npos) {
      return false;
    }
    any = true;
    start = end + 1;
  }
  return any;
}

bool is_smtp_url(std::string_view v) {
  return v.empty() || (v.starts_with("smtp://") && v.size() > 7) ||
         (v.starts_with("smtps://") && v.size() > 8);
}

// "webchat:3,sms:4": channel names and counts.
bool is_capacity_list(std::string_view v) {
  std::size_t start = 0;
  while (start < v.size()) {
    std::size_t comma = std::min(v.find(',', start), v.size());
    std::string_view pair = v.substr(start, comma - start);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    auto colon = pair.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == pair.size()) return false;
    for (char c : pair.substr(0, colon)) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    }
    for (char c : pair.substr(colon + 1)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    if (pair.size() - colon - 1 > 4) return false;
    start = comma + 1;
  }
  return true;
}

bool is_imap_url(std::string_view v) {
  std::string_view rest = v.starts_with("imap://")    ? v.substr(7)
                          : v.starts_with("imaps://") ? v.substr(8)
                                                      : std::string_view();
  // Just the server: the folders are named apart, and credentials never go in an URL.
  return v.empty() || (!rest.empty() && rest.find_first_of("/@?#; ") == std::string_view::npos);
}

// IMAP folder names as they go in a command and an URL: printable ASCII without quotes,
// backslashes, commas or wildcards.
bool is_folder_list(std::string_view v) {
  if (v.empty()) return false;
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t comma = std::min(v.find(',', start), v.size());
    std::string_view name = v.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty()) return false;
    for (char c : name) {
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '*' || c == '%') return false;
    }
    start = comma + 1;
  }
  return true;
}

bool is_mail_address(std::string_view v) {
  auto at = v.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < v.size() &&
         v.find_first_of(" <>\r\n") == std::string_view::npos;
}

bool is_optional_mail_address(std::string_view v) { return v.empty() || is_mail_address(v); }

// Empty, or a file path: no control characters (a pasted PEM block is not a path).
bool is_path_or_empty(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

bool is_language_list(std::string_view v) { return v.empty() || v == "es"; }

// Comma-separated BCP 47 tags, at least one, each one i18n::canonical_tag() accepts.
bool is_language_tag_list(std::string_view v) {
  bool any = false;
  while (!v.empty()) {
    const std::size_t comma = std::min(v.find(','), v.size());
    if (i18n::canonical_tag(v.substr(0, comma)).empty()) return false;
    any = true;
    v.remove_prefix(std::min(comma + 1, v.size()));
  }
  return any;
}

// The SMS language menu: empty (no menu), or one to nine BCP 47 tags (one digit per answer).
bool is_language_menu(std::string_view v) {
  return v.empty() || (is_language_tag_list(v) && std::count(v.begin(), v.end(), ',') < 9);
}

constexpr std::string_view kMailProtocols[] = {"smtp", "lmtp"};
constexpr std::string_view kImapAfter[] = {"seen", "move", "keep"};
constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kFsyncPolicies[] = {"always", "everysec", "no"};

constexpr std::string_view kNameExpect = "1 to 64 letters, digits, '_', '.' or '-'";

// ---- The option table. ----

using StringField = std::string& (*)(Config&);
using IntField = int& (*)(Config&);
using SizeField = std::size_t& (*)(Config&);
using BoolField = bool& (*)(Config&);

// The member of `c` reached through `path`, a chain of pointers to members.
template <auto... path>
constexpr auto& member(Config& c) {
  // clang-format off
  return (c .* ... .* path);
  // clang-format on
}

// One configuration option. Its type follows from the member it sets (a string option with
// choices is an enum); its default is that member's initializer in Config.
struct Option {
  std::string_view name;  // dotted, as in the TOML file; the environment variable follows from it
  std::variant<StringField, IntField, SizeField, BoolField> field;
  std::int64_t min = 0;  // integer and size options: inclusive bounds
  std::int64_t max = 0;
  std::span<const std::string_view> choices = {};  // enum: the allowed values
  bool (*valid)(std::string_view) = nullptr;       // string: further check, accepting...
  std::string_view expect = {};                    // ...what this says
  bool secret = false;                             // never repeated in messages
  std::string_view doc;
};

constexpr Option kOptions[] = {
    {.name = "server.listen",
     .field = member<&Config::server, &Config::Server::listen>,
     .valid = is_listen,
     .expect = "HOST:PORT with a port in 0..65535 (0 picks a free port)",
     .doc = "Address and TCP port of the HTTP and WebSocket server."},
    {.name = "server.threads",
     .field = member<&Config::server, &Config::Server::threads>,
     .min = 0,
     .max = 256,
     .doc = "I/O threads running the event loop; 0 means one per CPU core."},
    {.name = "server.max_body_bytes",
     .field = member<&Config::server, &Config::Server::max_body_bytes>,
     .min = kKiB,
     .max = 64 * kMiB,
     .doc = "Largest HTTP request body accepted; a larger request is refused with 413."},
    {.name = "server.shutdown_grace_s",
     .field = member<&Config::server, &Config::Server::shutdown_grace_s>,
     .min = 0,
     .max = 600,
     .doc =
         "Seconds requests in flight may take to finish after SIGTERM before connections close."},
    {.name = "server.web_root",
     .field = member<&Config::server, &Config::Server::web_root>,
     .doc = "Folder of the static web pages; empty means the web/ folder of the source tree."},
    {.name = "server.templates_dir",
     .field = member<&Config::server, &Config::Server::templates_dir>,
     .doc = "Folder of the message templates (<locale>.toml); empty means the templates/ folder "
            "of the source tree."},
    {.name = "server.public_url",
     .field = member<&Config::server, &Config::Server::public_url>,
     .valid = is_public_url,
     .expect = "empty, or an http:// or https:// URL",
     .doc = "Base URL residents and agents reach this server at, used in links; empty means "
            "http:// followed by server.listen."},
    {.name = "redis.url",
     .field = member<&Config::redis, &Config::Redis::url>,
     .valid = is_redis_url,
     .expect = "empty, redis://HOST:PORT[/DB] or unix:///PATH[?db=N]",
     .secret = true,
     .doc = "The Redis to use; empty starts an embedded redis-server under data_dir."},
    {.name = "redis.appendfsync",
     .field = member<&Config::redis, &Config::Redis::appendfsync>,
     .choices = kFsyncPolicies,
     .doc = "Embedded Redis only: fsync the append-only file after every write, every second, or "
            "when the OS decides."},
    {.name = "redis.server_binary",
     .field = member<&Config::redis, &Config::Redis::server_binary>,
     .valid = is_non_empty,
     .expect = "a program name or path",
     .doc = "Embedded Redis only: the redis-server program, a name looked up on PATH or a path."},
    {.name = "redis.reconnect_max_ms",
     .field = member<&Config::redis, &Config::Redis::reconnect_max_ms>,
     .min = 100,
     .max = 600000,
     .doc = "Longest wait between reconnection attempts, in milliseconds; the wait starts at 100 "
            "ms and doubles."},

    {.name = "data_dir",
     .field = member<&Config::data_dir>,
     .valid = is_non_empty,
     .expect = "a folder path",
     .doc = "Folder for the daemon's own files, such as the embedded Redis's socket and data; "
            "relative to the working directory."},
    {.name = "log.level",
     .field = member<&Config::log, &Config::Log::level>,
     .choices = kLogLevels,
     .doc = "Least severe level that is logged."},
    {.name = "auth.token_ttl_s",
     .field = member<&Config::auth, &Config::Auth::token_ttl_s>,
     .min = 60,
     .max = 30 * kDay,
     .doc = "Seconds an agent's sign-in token stays valid."},
    {.name = "auth.argon2_memory_kib",
     .field = member<&Config::auth, &Config::Auth::argon2_memory_kib>,
     .min = 8 * kMiB / kKiB,
     .max = kGiB / kKiB,
     .doc = "Memory cost of argon2id password hashing, in KiB."},
    {.name = "auth.argon2_iterations",
     .field = member<&Config::auth, &Config::Auth::argon2_iterations>,
     .min = 1,
     .max = 10,
     .doc = "Time cost (passes over memory) of argon2id password hashing."},
    {.name = "auth.argon2_threads",
     .field = member<&Config::auth, &Config::Auth::argon2_threads>,
     .min = 1,
     .max = 64,
     .doc = "Threads that hash passwords, apart from the I/O threads."},
    {.name = "conversations.default_queue",
     .field = member<&Config::conversations, &Config::Conversations::default_queue>,
     .valid = is_name,
     .expect = kNameExpect,
     .doc = "Queue of conversations that nothing else assigns to a queue."},
    {.name = "conversations.dedup_ttl_s",
     .field = member<&Config::conversations, &Config::Conversations::dedup_ttl_s>,
     .min = 60,
     .max = 90 * kDay,
     .doc = "Seconds a provider's idempotency key is remembered, so a redelivery is dropped."},
    {.name = "conversations.events_maxlen",
     .field = member<&Config::conversations, &Config::Conversations::events_maxlen>,
     .min = 1000,
     .max = 100000000,
     .doc = "Approximate number of entries kept in the events stream."},
    {.name = "conversations.acknowledge",
     .field = member<&Config::conversations, &Config::Conversations::acknowledge>,
     .doc = "Tell a resident who opens a conversation that it arrived: its reference number and "
            "the expected wait, or when the queue opens (after hours), in the resident's language "
            "on the resident's channel. A queue's own acknowledge setting wins."},
    {.name = "conversations.notify_resolved",
     .field = member<&Config::conversations, &Config::Conversations::notify_resolved>,
     .doc = "Tell the resident when an agent resolves their conversation, with its reference "
            "number and that an answer reopens it, in the resident's language on the "
            "resident's channel (not web forms: Open311 shows the status). An agent can resolve "
            "without it (notify_resident: false)."},
    {.name = "city.time_zone",
     .field = member<&Config::city, &Config::City::time_zone>,
     .valid = routing::is_time_zone,
     .expect = "empty, or an IANA time zone such as America/Los_Angeles",
     .doc = "The city's time zone: queues' business hours are read in it, and residents are told "
            "opening times in it. Empty means the host's time zone."},
    {.name = "city.holidays",
     .field = member<&Config::city, &Config::City::holidays>,
     .valid = routing::is_date_list,
     .expect = "empty, or comma-separated dates YYYY-MM-DD",
     .doc = "Days on which every queue with business hours stays closed (comma-separated dates "
            "YYYY-MM-DD)."},
    {.name = "routing.enabled",
     .field = member<&Config::routing, &Config::Routing::enabled>,
     .doc = "Assign queued conversations to available agents automatically (longest idle "
            "first, by queue, language and capacity). Off: agents claim conversations."},
    {.name = "routing.capacity",
     .field = member<&Config::routing, &Config::Routing::capacity>,
     .valid = is_capacity_list,
     .expect = "channel:count pairs, comma-separated, e.g. webchat:3,sms:4",
     .doc = "How many conversations an agent holds at once on each channel, unless the agent's "
            "own capacity says otherwise. A channel not listed gets none by routing."},
    {.name = "routing.language_wait_s",
     .field = member<&Config::routing, &Config::Routing::language_wait_s>,
     .min = 0,
     .max = 3600,
     .doc = "Seconds a conversation waits for an available agent who speaks its language; then "
            "any agent of its queue takes it and an interpreter is needed."},
    {.name = "routing.min_proficiency",
     .field = member<&Config::routing, &Config::Routing::min_proficiency>,
     .min = 1,
     .max = 5,
     .doc = "The proficiency (1 elementary, 2 limited, 3 professional working, 4 full "
            "professional, 5 native or bilingual) an agent needs in a resident's language to be "
            "given the conversation without an interpreter. An agent's language without a level "
            "(\"es\" rather than \"es:2\") counts as 5. A queue's own min_proficiency wins."},
    {.name = "routing.scan",
     .field = member<&Config::routing, &Config::Routing::scan>,
     .min = 1,
     .max = 1000,
     .doc = "Conversations from the head of a queue looked at for each assignment, so one "
            "nobody can serve yet does not hold up the others."},
    {.name = "routing.service_level_s",
     .field = member<&Config::routing, &Config::Routing::service_level_s>,
     .min = 1,
     .max = 86400,
     .doc = "The service-level target: the share of conversations an agent had within this "
            "many seconds of their arrival is each queue's service level (GET /api/v1/queues, "
            "/metrics)."},
    {.name = "routing.offline_grace_s",
     .field = member<&Config::routing, &Config::Routing::offline_grace_s>,
     .min = 2,
     .max = 3600,
     .doc = "Seconds after an agent's last live inbox closed (a closed laptop, a lost network) "
            "before the agent goes offline and the conversations it held go back to their "
            "queues. An agent who never opened the inbox's stream is not affected."},
    {.name = "interpreters.enabled",
     .field = member<&Config::interpreters, &Config::Interpreters::enabled>,
     .doc = "When routing gives a conversation to an agent who does not read its language, ask "
            "for an interpreter (the pool, then the vendor, then a supervisor). Agents may "
            "always ask for one themselves."},
    {.name = "interpreters.capacity",
     .field = member<&Config::interpreters, &Config::Interpreters::capacity>,
     .min = 1,
     .max = 50,
     .doc = "Conversations an interpreter of the pool interprets at once, unless the "
            "interpreter's own capacity says interpret: N."},
    {.name = "interpreters.pool_wait_s",
     .field = member<&Config::interpreters, &Config::Interpreters::pool_wait_s>,
     .min = 0,
     .max = 3600,
     .doc = "Seconds to look for a free interpreter of the pool before asking the vendor (or, "
            "without one, alerting a supervisor)."},
    {.name = "interpreters.response_timeout_s",
     .field = member<&Config::interpreters, &Config::Interpreters::response_timeout_s>,
     .min = 1,
     .max = 3600,
     .doc = "A message waiting this long for its interpretation sends the interpreter away; "
            "another is looked for (then the vendor, then a supervisor)."},
    {.name = "interpreters.vendor_url",
     .field = member<&Config::interpreters, &Config::Interpreters::vendor_url>,
     .valid = is_public_url,
     .expect = "empty, or an http(s) URL without a trailing slash",
     .doc = "Base URL of an interpreting vendor's API: /requests and /messages are appended "
            "(docs/interpreting.md). Empty: no vendor."},
    {.name = "interpreters.vendor_secret",
     .field = member<&Config::interpreters, &Config::Interpreters::vendor_secret>,
     .secret = true,
     .doc = "Shared key of the HMAC-SHA256 signatures on requests to the vendor and on its "
            "webhook. Set it through the environment."},
    {.name = "interpreters.vendor_timeout_s",
     .field = member<&Config::interpreters, &Config::Interpreters::vendor_timeout_s>,
     .min = 1,
     .max = 600,
     .doc = "Seconds the vendor has to name an interpreter before a supervisor is alerted."},
    {.name = "i18n.languages",
     .field = member<&Config::i18n, &Config::I18n::languages>,
     .valid = is_language_tag_list,
     .expect = "comma-separated BCP 47 language tags such as en,es,vi,zh-Hant",
     .doc = "The city's languages: what a resident's message is recognized as (anything else is "
            "unknown), and what a resident's stated or browser language is matched to. "
            "Canonicalized: tl is read as fil, iw as he."},
    {.name = "i18n.detection_min_confidence",
     .field = member<&Config::i18n, &Config::I18n::detection_min_confidence>,
     .min = 0,
     .max = 100,
     .doc = "Confidence, in percent, below which a detected language is left unknown rather "
            "than guessed (docs/languages.md says how confidence is reckoned)."},
    {.name = "i18n.detection_min_letters",
     .field = member<&Config::i18n, &Config::I18n::detection_min_letters>,
     .min = 1,
     .max = 1000,
     .doc = "Letters a text needs before word statistics (CLD2) may name its language; shorter "
            "texts are recognized only by their writing system (Hangul, Lao, Chinese "
            "characters, …) or by letters one language alone uses."},
    {.name = "channels.webform.enabled",
     .field = member<&Config::webform, &Config::Webform::enabled>,
     .doc = "Accept service requests from web forms (Open311 GeoReport v2)."},
    {.name = "channels.webform.api_key",
     .field = member<&Config::webform, &Config::Webform::api_key>,
     .secret = true,
     .doc = "Key clients must send as api_key; empty means none is required. Set it through the "
            "environment."},
    {.name = "channels.webform.queue",
     .field = member<&Config::webform, &Config::Webform::queue>,
     .valid = is_name,
     .expect = kNameExpect,
     .doc = "Queue of web form requests whose service names no queue."},
    {.name = "channels.webform.jurisdiction_id",
     .field = member<&Config::webform, &Config::Webform::jurisdiction_id>,
     .doc = "Open311 jurisdiction_id of this city; when set, requests naming another are "
            "refused (404)."},
    {.name = "channels.webchat.enabled",
     .field = member<&Config::webchat, &Config::Webchat::enabled>,
     .doc = "Serve the resident chat widget and its WebSocket."},
    {.name = "channels.webchat.max_frame_bytes",
     .field = member<&Config::webchat, &Config::Webchat::max_frame_bytes>,
     .min = 256,
     .max = kMiB,
     .doc = "Largest WebSocket message accepted from a chat client."},
    {.name = "channels.webchat.idle_timeout_s",
     .field = member<&Config::webchat, &Config::Webchat::idle_timeout_s>,
     .min = 5,
     .max = 86400,
     .doc = "Seconds without traffic after which a chat connection is closed."},
    {.name = "channels.webchat.queue",
     .field = member<&Config::webchat, &Config::Webchat::queue>,
     .valid = is_name,
     .expect = kNameExpect,
     .doc = "Queue of web chat conversations."},
    {.name = "channels.sms.enabled",
     .field = member<&Config::sms, &Config::Sms::enabled>,
     .doc = "Take text messages from residents and send agents' replies by SMS."},
    {.name = "channels.sms.queue",
     .field = member<&Config::sms, &Config::Sms::queue>,
     .valid = is_name,
     .expect = kNameExpect,
     .doc = "Queue of SMS conversations."},
    {.name = "channels.sms.default_region",
     .field = member<&Config::sms, &Config::Sms::default_region>,
     .valid = is_region,
     .expect = "a two-letter region code such as US",
     .doc = "Region of phone numbers written without a country code."},
    {.name = "channels.sms.public_url",
     .field = member<&Config::sms, &Config::Sms::public_url>,
     .valid = is_public_url,
     .expect = "empty, or an http(s) URL without a trailing slash",
     .doc = "Base URL providers use to reach the webhooks (Twilio signs requests against it); "
            "empty means server.public_url, else http://<server.listen>."},
    {.name = "channels.sms.keyword_languages",
     .field = member<&Config::sms, &Config::Sms::keyword_languages>,
     .valid = is_language_list,
     .expect = "comma-separated languages among: es",
     .doc = "Languages whose STOP/START/HELP words are recognised besides English."},
    {.name = "channels.sms.language_menu",
     .field = member<&Config::sms, &Config::Sms::language_menu>,
     .valid = is_language_menu,
     .expect = "empty, or one to nine comma-separated BCP 47 language tags such as en,es,vi",
     .doc = "The numbered language menu a resident gets when their first text leaves the "
            "language unknown, in this order (answer 1 is the first); empty: no menu. Eight "
            "languages fit two UCS-2 segments (docs/languages.md)."},
    {.name = "channels.sms.replace_lookalikes",
     .field = member<&Config::sms, &Config::Sms::replace_lookalikes>,
     .doc = "Replace curly quotes, long dashes and special spaces by plain ones when that lets "
            "a reply go as GSM-7 (fewer segments)."},
    {.name = "channels.sms.send_attempts",
     .field = member<&Config::sms, &Config::Sms::send_attempts>,
     .min = 1,
     .max = 20,
     .doc = "Tries of one reply when the provider certainly did not take it (5xx, 429, refused "
            "connection) before it is marked failed."},
    {.name = "channels.sms.retry_base_ms",
     .field = member<&Config::sms, &Config::Sms::retry_base_ms>,
     .min = 10,
     .max = 600000,
     .doc = "Wait before the first retry, in milliseconds; doubles each time, with jitter."},
    {.name = "channels.sms.twilio.enabled",
     .field = member<&Config::sms, &Config::Sms::twilio, &Config::Sms::Twilio::enabled>,
     .doc = "Use a Twilio-compatible provider."},
    {.name = "channels.sms.twilio.numbers",
     .field = member<&Config::sms, &Config::Sms::twilio, &Config::Sms::Twilio::numbers>,
     .valid = is_e164_list,
     .expect = "comma-separated E.164 numbers (+15035550100) or short codes (311311)",
     .doc = "The city's numbers on this account; replies go out from the number the resident "
            "wrote to."},
    {.name = "channels.sms.twilio.account_sid",
     .field = member<&Config::sms, &Config::Sms::twilio, &Config::Sms::Twilio::account_sid>,
     .doc = "Account SID (AC…)."},
    {.name = "channels.sms.twilio.auth_token",
     .field = member<&Config::sms, &Config::Sms::twilio, &Config::Sms::Twilio::auth_token>,
     .secret = true,
     .doc = "Auth token: verifies X-Twilio-Signature and authenticates sends. Set it through the "
            "environment."},
    {.name = "channels.sms.twilio.api_base",
     .field = member<&Config::sms, &Config::Sms::twilio, &Config::Sms::Twilio::api_base>,
     .valid = is_public_url,
     .expect = "an http(s) URL without a trailing slash",
     .doc = "Base of the REST API (…/2010-04-01/Accounts/{sid}/Messages.json is appended)."},
    {.name = "channels.sms.kannel.enabled",
     .field = member<&Config::sms, &Config::Sms::kannel, &Config::Sms::Kannel::enabled>,
     .doc = "Use a Kannel smsbox (sendsms out, get-url in, dlr-url reports)."},
    {.name = "channels.sms.kannel.numbers",
     .field = member<&Config::sms, &Config::Sms::kannel, &Config::Sms::Kannel::numbers>,
     .valid = is_e164_list,
     .expect = "comma-separated E.164 numbers (+15035550100) or short codes (311311)",
     .doc = "The city's numbers routed through Kannel."},
    {.name = "channels.sms.kannel.sendsms_url",
     .field = member<&Config::sms, &Config::Sms::kannel, &Config::Sms::Kannel::sendsms_url>,
     .valid = is_public_url,
     .expect = "an http(s) URL",
     .doc = "smsbox's sendsms interface, e.g. http://127.0.0.1:13013/cgi-bin/sendsms."},
    {.name = "channels.sms.kannel.username",
     .field = member<&Config::sms, &Config::Sms::kannel, &Config::Sms::Kannel::username>,
     .doc = "sendsms-user username."},
    {.name = "channels.sms.kannel.password",
     .field = member<&Config::sms, &Config::Sms::kannel, &Config::Sms::Kannel::password>,
     .secret = true,
     .doc = "sendsms-user password. Set it through the environment."},
    {.name = "channels.sms.kannel.secret",
     .field = member<&Config::sms, &Config::Sms::kannel, &Config::Sms::Kannel::secret>,
     .secret = true,
     .doc = "Shared secret Kannel puts in the get-url and dlr-url (?secret=…); requests without "
            "it are refused. Set it through the environment."},
    {.name = "channels.email.enabled",
     .field = member<&Config::email, &Config::Email::enabled>,
     .doc = "Receive residents' email through the built-in SMTP/LMTP receiver."},
    {.name = "channels.email.listen",
     .field = member<&Config::email, &Config::Email::listen>,
     .valid = is_listen,
     .expect = "HOST:PORT with a port in 0..65535",
     .doc = "Address and TCP port of the SMTP/LMTP receiver the city's mail server delivers to."},
    {.name = "channels.email.protocol",
     .field = member<&Config::email, &Config::Email::protocol>,
     .choices = kMailProtocols,
     .doc = "smtp for a mail server relaying to us, lmtp for local delivery (one answer per "
            "recipient)."},
    {.name = "channels.email.hostname",
     .field = member<&Config::email, &Config::Email::hostname>,
     .valid = is_non_empty,
     .expect = "non-empty text",
     .doc = "Name the receiver gives in its greeting."},
    {.name = "channels.email.recipients",
     .field = member<&Config::email, &Config::Email::recipients>,
     .valid = is_recipient_list,
     .expect = "comma-separated addresses (311@city.gov) or domains (@city.gov)",
     .doc = "The addresses mail is accepted for; everything else is refused with 550 (never an "
            "open relay)."},
    {.name = "channels.email.max_message_bytes",
     .field = member<&Config::email, &Config::Email::max_message_bytes>,
     .min = 64 * kKiB,
     .max = 200 * kMiB,
     .doc = "Largest message accepted (announced as SIZE; larger ones get 552)."},
    {.name = "channels.email.max_line_bytes",
     .field = member<&Config::email, &Config::Email::max_line_bytes>,
     .min = 1000,
     .max = kMiB,
     .doc = "Longest command or message line accepted (RFC 5321 asks for 1000; mail clients "
            "send longer ones)."},
    {.name = "channels.email.max_attachment_bytes",
     .field = member<&Config::email, &Config::Email::max_attachment_bytes>,
     .min = 0,
     .max = 200 * kMiB,
     .doc = "Largest attachment kept under data_dir/attachments; larger ones are noted, not kept."},
    {.name = "channels.email.max_recipients",
     .field = member<&Config::email, &Config::Email::max_recipients>,
     .min = 1,
     .max = 1000,
     .doc = "Recipients accepted in one transaction."},
    {.name = "channels.email.idle_timeout_s",
     .field = member<&Config::email, &Config::Email::idle_timeout_s>,
     .min = 5,
     .max = 3600,
     .doc = "Seconds a sending server may stay silent before the connection is closed."},
    {.name = "channels.email.tls_certificate",
     .field = member<&Config::email, &Config::Email::tls_certificate>,
     .valid = is_path_or_empty,
     .expect = "empty, or the path of a PEM file",
     .doc = "PEM file of the receiver's certificate, followed by its intermediates, offered to "
            "sending servers through STARTTLS; empty means STARTTLS is not offered."},
    {.name = "channels.email.tls_private_key",
     .field = member<&Config::email, &Config::Email::tls_private_key>,
     .valid = is_path_or_empty,
     .expect = "empty, or the path of a PEM file",
     .doc = "PEM file of the private key of channels.email.tls_certificate (not encrypted); "
            "required with it."},
    {.name = "channels.email.require_tls",
     .field = member<&Config::email, &Config::Email::require_tls>,
     .doc = "Refuse mail from a sending server that has not issued STARTTLS (530); needs "
            "channels.email.tls_certificate."},
    {.name = "channels.email.queue",
     .field = member<&Config::email, &Config::Email::queue>,
     .valid = is_name,
     .expect = kNameExpect,
     .doc = "Queue of email conversations."},
    {.name = "channels.email.outbound_url",
     .field = member<&Config::email, &Config::Email::outbound_url>,
     .valid = is_smtp_url,
     .expect = "empty, smtp://host:port or smtps://host:port",
     .doc = "The city's mail server that agents' replies are submitted to; empty means replies "
            "by email are refused."},
    {.name = "channels.email.outbound_username",
     .field = member<&Config::email, &Config::Email::outbound_username>,
     .doc = "AUTH user at the outbound mail server; empty means no AUTH."},
    {.name = "channels.email.outbound_password",
     .field = member<&Config::email, &Config::Email::outbound_password>,
     .secret = true,
     .doc = "AUTH password at the outbound mail server. Set it through the environment."},
    {.name = "channels.email.outbound_require_tls",
     .field = member<&Config::email, &Config::Email::outbound_require_tls>,
     .doc = "With smtp://, refuse to submit unless STARTTLS succeeds (smtps:// is always TLS)."},
    {.name = "channels.email.send_attempts",
     .field = member<&Config::email, &Config::Email::send_attempts>,
     .min = 1,
     .max = 30,
     .doc = "Tries of one reply when the mail server certainly did not take it (a 4xx answer, "
            "no connection) before it is marked failed."},
    {.name = "channels.email.retry_base_ms",
     .field = member<&Config::email, &Config::Email::retry_base_ms>,
     .min = 10,
     .max = 3600000,
     .doc = "Wait before the first retry, in milliseconds; doubles each time up to an hour, "
            "with jitter."},
    {.name = "channels.email.from_address",
     .field = member<&Config::email, &Config::Email::from_address>,
     .valid = is_mail_address,
     .expect = "an address such as 311@city.gov",
     .doc = "From of agents' replies; its domain also names the replies' Message-IDs."},
    {.name = "channels.email.from_name",
     .field = member<&Config::email, &Config::Email::from_name>,
     .doc = "Display name in From of agents' replies."},
    {.name = "channels.email.reply_to",
     .field = member<&Config::email, &Config::Email::reply_to>,
     .valid = is_optional_mail_address,
     .expect = "empty, or an address such as 311-replies@city.gov",
     .doc = "Reply-To of agents' replies, when residents' answers should go to another mailbox "
            "than from_address; empty means none."},
    {.name = "channels.email.reply_address_tags",
     .field = member<&Config::email, &Config::Email::reply_address_tags>,
     .doc = "Give agents' replies a per-conversation Reply-To (311+c42@city.gov: reply_to, or "
            "else from_address, tagged with the conversation), so an answer whose client "
            "dropped the thread headers still finds its conversation. The mail server must "
            "deliver tagged addresses to the 311 mailbox (Postfix: recipient_delimiter = +)."},
    {.name = "channels.email.imap_url",
     .field = member<&Config::email, &Config::Email::imap_url>,
     .valid = is_imap_url,
     .expect = "empty, imaps://host[:port] or imap://host[:port] (no path, no credentials)",
     .doc = "A hosted mailbox polled over IMAP (besides or instead of the receiver); empty "
            "means no polling."},
    {.name = "channels.email.imap_username",
     .field = member<&Config::email, &Config::Email::imap_username>,
     .doc = "IMAP login."},
    {.name = "channels.email.imap_password",
     .field = member<&Config::email, &Config::Email::imap_password>,
     .secret = true,
     .doc = "IMAP password. Set it through the environment."},
    {.name = "channels.email.imap_folders",
     .field = member<&Config::email, &Config::Email::imap_folders>,
     .valid = is_folder_list,
     .expect = "comma-separated IMAP folder names (printable ASCII, no quotes or wildcards)",
     .doc = "Folders polled; each keeps its own UIDVALIDITY and last UID."},
    {.name = "channels.email.imap_after",
     .field = member<&Config::email, &Config::Email::imap_after>,
     .choices = kImapAfter,
     .doc = "What becomes of a polled message once it is stored: seen flags it \\Seen, move "
            "moves it to imap_move_to, keep leaves it as it was. New mail is found by UID, "
            "whatever its flags."},
    {.name = "channels.email.imap_move_to",
     .field = member<&Config::email, &Config::Email::imap_move_to>,
     .valid = is_folder_list,
     .expect = "an IMAP folder name",
     .doc = "The folder stored messages are moved to when imap_after = \"move\"."},
    {.name = "channels.email.imap_poll_s",
     .field = member<&Config::email, &Config::Email::imap_poll_s>,
     .min = 1,
     .max = 3600,
     .doc = "Seconds between two polls of the mailbox."},
    {.name = "channels.email.imap_require_tls",
     .field = member<&Config::email, &Config::Email::imap_require_tls>,
     .doc = "With imap://, refuse to log in unless STARTTLS succeeds (imaps:// is always TLS)."},
};

// ---- The services of the web form: an array of tables, from the file only. ----

constexpr std::string_view kServices = "channels.webform.services";

struct ServiceKey {
  std::string_view name;
  std::string ServiceDefinition::*field;
  bool required = false;
  bool list = false;                          // may also be an array of strings, joined with ','
  bool (*valid)(std::string_view) = nullptr;  // null: any text
  std::string_view expect;
  std::string_view doc;
};

constexpr ServiceKey kServiceKeys[] = {
    {.name = "code",
     .field = &ServiceDefinition::code,
     .required = true,
     .valid = is_name,
     .expect = kNameExpect,
     .doc = "Open311 service_code clients send; unique among the services."},
    {.name = "name",
     .field = &ServiceDefinition::name,
     .required = true,
     .valid = is_non_empty,
     .expect = "non-empty text",
     .doc = "Open311 service_name shown to residents."},
    {.name = "description",
     .field = &ServiceDefinition::description,
     .expect = "any text",
     .doc = "What the service is for, shown to residents."},
    {.name = "group",
     .field = &ServiceDefinition::group,
     .expect = "any text",
     .doc = "Open311 group the service is listed under."},
    {.name = "keywords",
     .field = &ServiceDefinition::keywords,
     .list = true,
     .expect = "comma-separated text, or an array of strings without commas",
     .doc = "Words residents may search for; stored comma separated."},
    {.name = "queue",
     .field = &ServiceDefinition::queue,
     .valid = is_name_or_empty,
     .expect = "empty, or a queue name",
     .doc = "Queue its requests go to; empty means channels.webform.queue."},
};

// ---- Describing options. ----

bool is_enum(const Option& o) { return !o.choices.empty(); }

std::string_view type_name(const Option& o) {
  if (std::holds_alternative<IntField>(o.field)) return "integer";
  if (std::holds_alternative<SizeField>(o.field)) return "size";
  if (std::holds_alternative<BoolField>(o.field)) return "boolean";
  return is_enum(o) ? "enum" : "string";
}

std::string env_name(std::string_view name) {
  std::string env = "FRONTDOOR_";
  for (char c : name) env += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

// Bytes as the largest binary unit that divides them: 16384 → "16 KiB".
std::string format_size(std::int64_t n) {
  for (auto [unit, name] : {std::pair{kGiB, " GiB"}, {kMiB, " MiB"}, {kKiB, " KiB"}}) {
    if (n != 0 && n % unit == 0) return std::to_string(n / unit) + name;
  }
  return std::to_string(n) + " B";
}

// "1048576", "1 MiB", "64KiB", "512 B" → bytes; nullopt for anything else or on overflow.
std::optional<std::int64_t> parse_size(std::string_view text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  if (unit.starts_with(' ')) unit.remove_prefix(1);
  std::int64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  if (unit == "KiB") scale = kKiB;
  if (unit == "MiB") scale = kMiB;
  if (unit == "GiB") scale = kGiB;
  if (scale == 0 || n > INT64_MAX / scale) return std::nullopt;
  return n * scale;
}

std::string range_text(const Option& o) {
  if (std::holds_alternative<SizeField>(o.field)) {
    return format_size(o.min) + ".." + format_size(o.max);
  }
  return std::to_string(o.min) + ".." + std::to_string(o.max);
}

std::string join(std::span<const std::string_view> items, std::string_view quote) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += ", ";
    out.append(quote).append(item).append(quote);
  }
  return out;
}

// What a value of `o` must look like, completing "expected ...".
std::string expectation(const Option& o) {
  if (std::holds_alternative<IntField>(o.field)) return "an integer in " + range_text(o);
  if (std::holds_alternative<SizeField>(o.field)) {
    return "a size in " + range_text(o) + " (bytes, or text such as \"64 KiB\")";
  }
  if (std::holds_alternative<BoolField>(o.field)) return "true or false";
  if (is_enum(o)) return "one of " + join(o.choices, "");
  if (o.valid != nullptr) return std::string(o.expect);
  return "a string";
}

std::string default_text(const Option& o) {
  Config defaults;
  if (const auto* f = std::get_if<StringField>(&o.field)) {
    const std::string& v = (*f)(defaults);
    return v.empty() ? "(empty)" : "`" + v + "`";
  }
  if (const auto* f = std::get_if<IntField>(&o.field))
    return "`" + std::to_string((*f)(defaults)) + "`";
  if (const auto* f = std::get_if<SizeField>(&o.field)) {
    return "`" + format_size(static_cast<std::int64_t>((*f)(defaults))) + "`";
  }
  return (*std::get<BoolField>(o.field))(defaults) ? "`true`" : "`false`";
}

std::string allowed_text(const Option& o) {
  if (std::holds_alternative<BoolField>(o.field)) return "`true`, `false`";
  if (!std::holds_alternative<StringField>(o.field)) return range_text(o);
  if (is_enum(o)) return join(o.choices, "`");
  return o.valid != nullptr ? std::string(o.expect) : "any text";
}

// ---- Suggestions for unknown keys. ----

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::pair<std::string_view, std::string_view> split_last(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return {{}, name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// The tail of "unknown key 'NAME'" among `known` full names: the sibling within a third of the
// key's length in edit distance, else a key of the same name in another section (a key put in
// the wrong section), else the list of keys the section does have.
std::string suggestion(std::string_view name, const std::vector<std::string>& known) {
  const auto [parent, last] = split_last(name);
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(1, last.size() / 3) + 1;
  std::vector<std::string_view> siblings;
  for (const std::string& candidate : known) {
    const auto [candidate_parent, candidate_last] = split_last(candidate);
    if (candidate_parent != parent) continue;
    siblings.push_back(candidate_last);
    const std::size_t d = edit_distance(last, candidate_last);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  if (!best.empty()) return " (did you mean '" + best + "'?)";
  for (const std::string& candidate : known) {
    if (split_last(candidate).second == last) return " (did you mean '" + candidate + "'?)";
  }
  if (siblings.empty()) return "";
  std::sort(siblings.begin(), siblings.end());
  return " (expected one of: " + join(siblings, "") + ")";
}

// ---- Loading. ----

const Option* find_option(std::string_view name) {
  for (const Option& o : kOptions) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

// Every name a file may contain: options, the services array, and the sections holding them.
const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    auto add = [&all](std::string_view name) {
      for (auto dot = name.find('.'); dot != std::string_view::npos;
           dot = name.find('.', dot + 1)) {
        if (std::find(all.begin(), all.end(), name.substr(0, dot)) == all.end()) {
          all.emplace_back(name.substr(0, dot));
        }
      }
      all.emplace_back(name);
    };
    for (const Option& o : kOptions) add(o.name);
    add(kServices);
    add(config_queues::kQueues);
    return all;
  }();
  return names;
}

bool is_section(std::string_view name) {
  const auto& names = known_names();
  return find_option(name) == nullptr && name != kServices &&
         std::find(names.begin(), names.end(), name) != names.end();
}

using Value = std::variant<std::string, std::int64_t, bool>;

// Stores `v` in `o`'s member when it has the right type and is within bounds; false otherwise.
bool store(Config& cfg, const Option& o, const Value& v) {
  if (const auto* f = std::get_if<StringField>(&o.field)) {
    const auto* s = std::get_if<std::string>(&v);
    if (s == nullptr) return false;
    if (is_enum(o) && std::find(o.choices.begin(), o.choices.end(), *s) == o.choices.end()) {
      return false;
    }
    if (o.valid != nullptr && !o.valid(*s)) return false;
    (*f)(cfg) = *s;
    return true;
  }
  if (const auto* f = std::get_if<BoolField>(&o.field)) {
    const auto* b = std::get_if<bool>(&v);
    if (b == nullptr) return false;
    (*f)(cfg) = *b;
    return true;
  }
  std::optional<std::int64_t> n;
  if (const auto* i = std::get_if<std::int64_t>(&v)) n = *i;
  const auto* text = std::get_if<std::string>(&v);
  if (text != nullptr && std::holds_alternative<SizeField>(o.field)) n = parse_size(*text);
  if (!n || *n < o.min || *n > o.max) return false;
  if (const auto* f = std::get_if<IntField>(&o.field)) {
    (*f)(cfg) = static_cast<int>(*n);
  } else {
    (*std::get<SizeField>(o.field))(cfg) = static_cast<std::size_t>(*n);
  }
  return true;
}

// The environment's text as a value for `o`: integers and booleans are parsed (surrounding
// blanks ignored), strings and sizes are kept as text for store() to check.
Value env_value(const Option& o, std::string_view text) {
  if (std::holds_alternative<StringField>(o.field)) return std::string(text);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (std::holds_alternative<IntField>(o.field)) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size()) return n;
    return std::string(text);
  }
  if (std::holds_alternative<BoolField>(o.field)) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::string_view yes : {"true", "1", "yes", "on"}) {
      if (lower == yes) return true;
    }
    for (std::string_view no : {"false", "0", "no", "off"}) {
      if (lower == no) return false;
    }
  }
  return std::string(text);
}

// Text in double quotes, with quotes, backslashes and control characters escaped as in TOML.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned char>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A TOML value as the operator wrote it, for "got ..." in messages.
std::string toml_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return quoted(s->get());
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  std::ostringstream out;
  node.visit([&out](const auto& v) { out << v; });
  return out.str();
}

// Reads one file and the environment into a Config, collecting every problem before throwing.
class Loader {
 public:
  explicit Loader(std::string path) : path_(std::move(path)) {}

  void read_file() {
    const std::string text = read_whole_file();
    toml::table root;
    try {
      root = toml::parse(text, path_);
    } catch (const toml::parse_error& e) {
      throw ConfigError(where(e.source().begin) + ": " + std::string(e.description()));
    }
    walk(root, "");
  }

  void read_environment() {
    for (const Option& o : kOptions) {
      const std::string env = env_name(o.name);
      const char* text = std::getenv(env.c_str());
      if (text == nullptr) continue;
      if (store(cfg_, o, env_value(o, text))) {
        cfg_.origins[std::string(o.name)] = "env " + env;
      } else {
        env_problems_.push_back("environment " + env + ": " + std::string(o.name) + ": got " +
                                (o.secret ? "a value (hidden)" : quoted(text)) + "; expected " +
                                expectation(o));
      }
    }
  }

  // The loaded Config; throws one ConfigError listing every problem, file ones in file order.
  Config finish() {
    queues_.check(cfg_, [this](const toml::source_region& at, const std::string& text) {
      problem(at, text);
    });
    std::stable_sort(file_problems_.begin(), file_problems_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string message;
    for (const auto& [position, text] : file_problems_) message += text + "\n";
    for (const std::string& text : env_problems_) message += text + "\n";
    for (const std::string& text : missing_for_enabled_providers()) message += text + "\n";
    for (const std::string& text : mail_tls_problems()) message += text + "\n";
    if (!message.empty()) {
      message.pop_back();
      throw ConfigError(message);
    }
    return std::move(cfg_);
  }

 private:
  // An SMS provider that is enabled needs its credentials and numbers: without them every
  // webhook would be refused and every reply would fail, so the daemon does not start.
  std::vector<std::string> missing_for_enabled_providers() const {
    std::vector<std::string> problems;
    auto need = [&](bool enabled, const char* provider, const char* key, const std::string& v) {
      if (enabled && cfg_.sms.enabled && v.empty()) {
        problems.push_back(std::string("channels.sms.") + provider + "." + key +
                           " is required when channels.sms." + provider + ".enabled is true");
      }
    };
    need(cfg_.sms.twilio.enabled, "twilio", "numbers", cfg_.sms.twilio.numbers);
    need(cfg_.sms.twilio.enabled, "twilio", "account_sid", cfg_.sms.twilio.account_sid);
    need(cfg_.sms.twilio.enabled, "twilio", "auth_token", cfg_.sms.twilio.auth_token);
    need(cfg_.sms.kannel.enabled, "kannel", "numbers", cfg_.sms.kannel.numbers);
    need(cfg_.sms.kannel.enabled, "kannel", "sendsms_url", cfg_.sms.kannel.sendsms_url);
    need(cfg_.sms.kannel.enabled, "kannel", "secret", cfg_.sms.kannel.secret);
    // A vendor's webhook is only believed when signed, and it signs what we send.
    if (!cfg_.interpreters.vendor_url.empty() && cfg_.interpreters.vendor_secret.empty()) {
      problems.emplace_back(
          "interpreters.vendor_secret is required when interpreters.vendor_url is set");
    }
    if (cfg_.sms.enabled && !cfg_.sms.twilio.enabled && !cfg_.sms.kannel.enabled) {
      problems.emplace_back(
          "channels.sms.enabled is true but no provider is: enable channels.sms.twilio or "
          "channels.sms.kannel");
    }
    return problems;
  }

  // STARTTLS of an enabled mail receiver: the certificate and its key come together and both
  // files can be read, or the daemon does not start (their content is checked when the receiver
  // loads them); require_tls without a certificate would refuse every sender.
  std::vector<std::string> mail_tls_problems() const {
    std::vector<std::string> problems;
    if (!cfg_.email.enabled) return problems;
    const std::string& certificate = cfg_.email.tls_certificate;
    const std::string& key = cfg_.email.tls_private_key;
    if (!certificate.empty() && key.empty()) {
      problems.emplace_back(
          "channels.email.tls_private_key is required when channels.email.tls_certificate is "
          "set");
    }
    if (certificate.empty() && !key.empty()) {
      problems.emplace_back(
          "channels.email.tls_certificate is required when channels.email.tls_private_key is "
          "set");
    }
    if (cfg_.email.require_tls && certificate.empty()) {
      problems.emplace_back(
          "channels.email.require_tls is true but channels.email.tls_certificate is not set: "
          "every sending server would be refused");
    }
    auto check_readable = [&](const char* name, const std::string& path) {
      if (path.empty()) return;
      const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                                 &std::fclose);
      if (file) return;
      const int error = errno;
      const auto origin = cfg_.origins.find(name);
      problems.push_back(std::string(name) +
                         (origin == cfg_.origins.end() ? "" : " (" + origin->second + ")") +
                         ": cannot read " + path + ": " + std::strerror(error));
    };
    check_readable("channels.email.tls_certificate", certificate);
    check_readable("channels.email.tls_private_key", key);
    return problems;
  }

  std::string read_whole_file() const {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path_.c_str(), "rb"),
                                                               &std::fclose);
    if (!file) throw ConfigError(path_ + ": cannot read: " + std::strerror(errno));
    std::string text;
    char buffer[1 << 16];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get())) {
      text.append(buffer, n);
    }
    if (std::ferror(file.get())) {
      throw ConfigError(path_ + ": cannot read: " + std::strerror(errno));
    }
    return text;
  }

  std::string where(const toml::source_position& p) const {
    return path_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
  }

  void problem(const toml::source_region& at, const std::string& text) {
    file_problems_.emplace_back(std::pair{at.begin.line, at.begin.column},
                                where(at.begin) + ": " + text);
  }

  void walk(const toml::table& table, const std::string& prefix) {
    for (const auto& [key, node] : table) {
      std::string name = prefix.empty() ? std::string() : prefix + ".";
      name += key.str();
      if (name == kServices) {
        read_services(node);
      } else if (name == config_queues::kQueues) {
        queues_.read(node, cfg_, [this](const toml::source_region& at, const std::string& text) {
          problem(at, text);
        });
      } else if (const Option* o = find_option(name)) {
        read_option(*o, node);
      } else if (!is_section(name)) {
        problem(key.source(), "unknown key '" + name + "'" + suggestion(name, known_names()));
      } else if (const toml::table* section = node.as_table()) {
        walk(*section, name);
      } else {
        problem(node.source(),
                name + ": got " + toml_text(node) + "; expected a table [" + name + "]");
      }
    }
  }

  void read_option(const Option& o, const toml::node& node) {
    std::optional<Value> v;
    if (const auto* s = node.as_string()) v = s->get();
    if (const auto* i = node.as_integer()) v = i->get();
    if (const auto* b = node.as_boolean()) v = b->get();
    if (!v || !store(cfg_, o, *v)) {
      problem(node.source(), std::string(o.name) + ": got " +
                                 (o.secret ? "a value (hidden)" : toml_text(node)) + "; expected " +
                                 expectation(o));
      return;
    }
    cfg_.origins[std::string(o.name)] = where(node.source().begin);
  }

  void read_services(const toml::node& node) {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      problem(node.source(), std::string(kServices) + ": got " + toml_text(node) +
                                 "; expected an array of tables [[" + std::string(kServices) +
                                 "]]");
      return;
    }
    cfg_.origins[std::string(kServices)] = where(node.source().begin);
    std::vector<std::pair<std::string, std::string>> codes;  // code, where it was declared
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string label = std::string(kServices) + "[" + std::to_string(i) + "]";
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        problem(element.source(), label + ": got " + toml_text(element) + "; expected a table");
        continue;
      }
      ServiceDefinition service;
      if (!read_service(*table, label, service)) continue;
      const toml::node* code = table->get("code");
      const auto seen = std::find_if(codes.begin(), codes.end(),
                                     [&](const auto& c) { return c.first == service.code; });
      if (seen != codes.end()) {
        problem(code->source(), label + ".code: '" + service.code +
                                    "' is already the code of the service at " + seen->second);
        continue;
      }
      codes.emplace_back(service.code, where(code->source().begin));
      cfg_.webform.services.push_back(std::move(service));
    }
  }

  // Fills `service` from one [[channels.webform.services]] table; false if it has a problem.
  bool read_service(const toml::table& table, const std::string& label,
                    ServiceDefinition& service) {
    bool ok = true;
    for (const auto& [key, node] : table) {
      const std::string_view key_name = key.str();
      const auto* spec = std::find_if(std::begin(kServiceKeys), std::end(kServiceKeys),
                                      [&](const ServiceKey& k) { return k.name == key_name; });
      const std::string name = label + "." + std::string(key_name);
      if (spec == std::end(kServiceKeys)) {
        std::vector<std::string> known;
        for (const ServiceKey& k : kServiceKeys) known.push_back(label + "." + std::string(k.name));
        problem(key.source(), "unknown key '" + name + "'" + suggestion(name, known));
        ok = false;
        continue;
      }
      std::optional<std::string> text;
      if (const auto* s = node.as_string()) text = s->get();
      if (const auto* list = node.as_array(); list != nullptr && spec->list) {
        text = comma_joined(*list);
      }
      if (!text || (spec->valid != nullptr && !spec->valid(*text))) {
        problem(node.source(),
                name + ": got " + toml_text(node) + "; expected " + std::string(spec->expect));
        ok = false;
        continue;
      }
      service.*(spec->field) = std::move(*text);
    }
    for (const ServiceKey& k : kServiceKeys) {
      if (k.required && !table.contains(k.name)) {
        problem(table.source(), label + ": missing required key '" + std::string(k.name) + "'");
        ok = false;
      }
    }
    return ok;
  }

  // The strings of `list` joined with commas; nullopt unless every element is a string without
  // a comma.
  static std::optional<std::string> comma_joined(const toml::array& list) {
    std::string joined;
    for (const toml::node& element : list) {
      const auto* word = element.as_string();
      if (word == nullptr || word->get().find(',') != std::string::npos) return std::nullopt;
      if (!joined.empty()) joined += ',';
      joined += word->get();
    }
    return joined;
  }

  std::string path_;
  Config cfg_;
  config_queues::QueueReader queues_;
  std::vector<std::pair<std::pair<std::uint32_t, std::uint32_t>, std::string>> file_problems_;
  std::vector<std::string> env_problems_;
};

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

namespace config_detail {
std::string suggestion_for(std::string_view name, const std::vector<std::string>& known) {
  return suggestion(name, known);
}
std::string value_text(const toml::node& node) { return toml_text(node); }
}  // namespace config_detail

Config load_config(const std::string& path) {
  Loader loader(path);
  if (!path.empty()) loader.read_file();
  loader.read_environment();
  return loader.finish();
}

std::string config_reference_markdown() {
  std::string out =
      "| option | type | default | allowed | environment variable | meaning |\n"
      "|---|---|---|---|---|---|\n";
  for (const Option& o : kOptions) {
    out += "| `" + std::string(o.name) + "` | " + std::string(type_name(o)) + " | " +
           markdown_cell(default_text(o)) + " | " + markdown_cell(allowed_text(o)) + " | `" +
           env_name(o.name) + "` | " + markdown_cell(o.doc) + " |\n";
  }
  out += "\nKeys of each `[[" + std::string(kServices) +
         "]]` table (file only, no environment variable):\n\n"
         "| key | required | allowed | meaning |\n"
         "|---|---|---|---|\n";
  for (const ServiceKey& k : kServiceKeys) {
    out += "| `" + std::string(k.name) + "` | " + (k.required ? "yes" : "no") + " | " +
           markdown_cell(k.expect) + " | " + markdown_cell(k.doc) + " |\n";
  }
  out += "\nKeys of each `[" + std::string(config_queues::kQueues) +
         ".<name>]` table (file only, no environment variable):\n\n" +
         config_queues::queue_reference_markdown();
  return out;
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace frontdoor
