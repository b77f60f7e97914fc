// frontdoor configuration: one TOML file, every key overridable by FRONTDOOR_* environment
// variables.
//
// Contract
//  1. Every option is declared once, in config.cpp's option table: dotted name, type, default,
//     bounds, documentation. That table is the only place that knows an option exists.
//  2. load_config() reads the file, then the environment. An unknown key, a value of the wrong
//     type or out of bounds is a ConfigError whose message names the file, line and column
//     (or the environment variable) and says what was expected.
//  3. The environment variable of option "a.b_c" is FRONTDOOR_A_B_C; it wins over the file.
//     Arrays of tables (webform services) come from the file only.
//  4. The returned Config is complete: defaults fill what the file does not say.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One Open311 service (a request type residents can file), from [[channels.webform.services]].
struct ServiceDefinition {
  std::string code;  // service_code, unique
  std::string name;  // service_name
  std::string description;
  std::string group;
  std::string keywords;  // comma separated
  std::string queue;     // queue its requests go to; empty = the channel's queue
};

// One queue's own settings, from a [queues.<name>] table (docs/configuration.md#queues). A
// queue without a table, and a key a table leaves out, take the defaults written here.
struct QueueDefinition {
  std::string languages;               // canonical BCP 47 tags served; empty = every language
  int priority = 5;                    // 0..9: a higher one is routed first
  std::string hours;                   // weekly schedule (routing/business_hours.hpp); "" = open
  std::string after_hours = "queue";   // closed: queue (wait, told when it opens) | overflow
  std::optional<int> service_level_s;  // unset = routing.service_level_s
  std::optional<int> language_wait_s;  // unset = routing.language_wait_s
  std::optional<int> min_proficiency;  // unset = routing.min_proficiency
  std::string overflow_to;             // queue conversations move to; "" = none
  int overflow_after_s = 0;            // move after waiting this long; 0 = only after hours
  std::optional<bool> acknowledge;     // unset = conversations.acknowledge
};

struct Config {
  struct Server {
    std::string listen = "127.0.0.1:8080";  // HOST:PORT
    int threads = 0;                        // 0 = one per core
    std::size_t max_body_bytes = 1 << 20;
    int shutdown_grace_s = 10;
    std::string web_root;       // static pages; empty = <source>/web
    std::string templates_dir;  // message templates; empty = <source>/templates
    std::string public_url;     // how residents reach us; empty = http://listen
  } server;

  struct Redis {
    std::string url;                       // empty = embedded redis-server under data_dir
    std::string appendfsync = "everysec";  // embedded only: always | everysec | no
    std::string server_binary = "redis-server";
    int reconnect_max_ms = 5000;

  } redis;

  std::string data_dir = "data";

  struct Log {
    std::string level = "info";  // trace debug info warn error
  } log;

  struct Auth {
    int token_ttl_s = 12 * 3600;
    int argon2_memory_kib = 64 * 1024;
    int argon2_iterations = 2;
    int argon2_threads = 2;  // threads that hash passwords, off the I/O threads
  } auth;

  struct Conversations {
    std::string default_queue = "general";
    int dedup_ttl_s = 7 * 24 * 3600;  // how long provider idempotency keys are remembered
    int events_maxlen = 100000;       // approximate length of the events stream
    bool acknowledge = true;      // a new conversation's resident is told it arrived (per queue)
    bool notify_resolved = true;  // the resident is told when an agent resolves it
  } conversations;

  // The city itself: where its clocks are and when it is closed.
  struct City {
    std::string time_zone;  // IANA, "America/Los_Angeles"; empty = the host's
    std::string holidays;   // "2025-12-25, 2026-01-01": queues with business hours are closed
  } city;

  // [queues.<name>] tables, by name.
  std::map<std::string, QueueDefinition> queues;

  // Who gets which conversation (daemon/routing/).
  struct Routing {
    bool enabled = true;
    std::string capacity = "webchat:3,sms:4,email:6,webform:6";  // per channel, per agent
    int language_wait_s = 60;  // then any agent of the queue, with an interpreter
    int scan = 50;             // conversations from a queue's head looked at per assignment
    int offline_grace_s = 60;  // an agent whose inbox closed this long ago goes offline
    int service_level_s = 25;  // the target: an agent has a conversation within this
    int min_proficiency = 3;   // 1..5: an agent's level in a language needed to serve it alone
  } routing;

  // Interpreters (docs/interpreting.md): the internal pool (agents with role interpreter) and an
  // optional external vendor over HTTP.
  struct Interpreters {
    bool enabled = true;           // routing asks for an interpreter when no agent has the language
    int capacity = 2;              // conversations an interpreter takes at once ("interpret:N" own)
    int pool_wait_s = 30;          // looking in the pool before the vendor, then a supervisor
    int response_timeout_s = 120;  // a message waiting this long: another interpreter
    std::string vendor_url;        // empty: no vendor
    std::string vendor_secret;     // HMAC-SHA256 key, both ways
    int vendor_timeout_s = 15;
  } interpreters;

  // The city's languages and how a resident's language is recognized (docs/languages.md).
  struct I18n {
    std::string languages = "en,es,vi,zh-Hans,zh-Hant,ru,uk,ro,ja,ko,so,ar,lo,ne,km,fil";
    int detection_min_confidence = 50;  // percent
    int detection_min_letters = 12;
  } i18n;

  struct Webform {
    bool enabled = true;
    std::string api_key;  // empty = no api_key required
    std::string queue = "general";
    std::string jurisdiction_id;
    std::vector<ServiceDefinition> services;
  } webform;

  struct Webchat {
    bool enabled = true;
    std::size_t max_frame_bytes = 16 * 1024;
    int idle_timeout_s = 600;
    std::string queue = "general";
  } webchat;

  struct Sms {
    bool enabled = false;
    std::string queue = "general";
    std::string default_region = "US";  // for numbers written without a country code
    std::string public_url;  // how providers reach our webhooks, e.g. https://311.city.gov
    std::string keyword_languages = "es";  // languages whose STOP/START/HELP words are known
    std::string language_menu;        // languages of the numbered menu, in order; empty = no menu
    bool replace_lookalikes = false;  // curly quotes, dashes → GSM-7 when that saves UCS-2
    int send_attempts = 4;            // tries of one reply before it fails
    int retry_base_ms = 1000;         // first retry after about this long, doubling, jittered

    struct Twilio {
      bool enabled = false;
      std::string numbers;  // comma-separated E.164 numbers this account owns
      std::string account_sid;
      std::string auth_token;  // secret: signs webhooks and authenticates the REST API
      std::string api_base = "https://api.twilio.com";
    } twilio;

    struct Kannel {
      bool enabled = false;
      std::string numbers;      // comma-separated E.164 numbers routed through Kannel
      std::string sendsms_url;  // http://host:13013/cgi-bin/sendsms
      std::string username;
      std::string password;  // secret
      std::string secret;    // secret: shared in the get-url and dlr-url Kannel calls
    } kannel;
  } sms;

  struct Email {
    bool enabled = false;
    std::string listen = "127.0.0.1:2525";     // the SMTP/LMTP receiver; HOST:PORT
    std::string protocol = "smtp";             // smtp | lmtp
    std::string hostname = "frontdoor";        // in the greeting and EHLO answer
    std::string recipients = "311@localhost";  // accepted addresses and @domains, comma-separated
    std::size_t max_message_bytes = 25 * 1024 * 1024;
    std::size_t max_line_bytes = 4096;
    std::size_t max_attachment_bytes = 20 * 1024 * 1024;
    int max_recipients = 50;
    int idle_timeout_s = 300;
    std::string tls_certificate;  // PEM chain for STARTTLS; empty = no STARTTLS
    std::string tls_private_key;  // PEM key of tls_certificate
    bool require_tls = false;     // MAIL before STARTTLS is refused (530)
    std::string queue = "general";
    // Replies: submitted to the city's mail server.
    std::string outbound_url;  // smtp://host:587 or smtps://host:465; empty = no replies by mail
    std::string outbound_username;
    std::string outbound_password;  // secret
    bool outbound_require_tls = true;
    int send_attempts = 10;         // tries of one reply before it fails
    int retry_base_ms = 60 * 1000;  // first retry after about this long, doubling up to 1 h
    std::string from_address = "311@localhost";
    std::string from_name = "City 311";
    std::string reply_to;             // Reply-To of agents' replies; "" = none (replies go to From)
    bool reply_address_tags = false;  // Reply-To: 311+c<conversation>@… on agents' replies
    // Hosted mailboxes, polled over IMAP.
    std::string imap_url;  // imaps://host[:port] or imap://host[:port]; empty = no polling
    std::string imap_username;
    std::string imap_password;           // secret
    std::string imap_folders = "INBOX";  // comma-separated
    std::string imap_after = "seen";     // seen | move | keep
    std::string imap_move_to = "Processed";
    int imap_poll_s = 30;
    bool imap_require_tls = true;
  } email;

  // The source of each value that was set ("file:line:col" or "env FRONTDOOR_X"), for messages.
  std::map<std::string, std::string> origins;
};

// Reads `path` (empty = defaults only) then the environment. Throws ConfigError.
Config load_config(const std::string& path);

// The items of a comma-separated option ("311@city.gov, @help.city.gov"): spaces around them
// trimmed, empty ones dropped, order kept.
std::vector<std::string> split_list(std::string_view list);

// Markdown table of every option: name, type, default, bounds, environment variable, meaning.
std::string config_reference_markdown();

}  // namespace frontdoor
