#include "daemon/config/config.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using Catch::Matchers::Contains;
using frontdoor::Config;
using frontdoor::ConfigError;
using frontdoor::load_config;

namespace {

// A TOML file in the temporary folder, removed when the test ends.
class TempToml {
 public:
  explicit TempToml(const std::string& text) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("frontdoor-config-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(++counter) + ".toml"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempToml() { std::filesystem::remove(path_); }
  TempToml(const TempToml&) = delete;
  TempToml& operator=(const TempToml&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An environment variable set for the duration of a test.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~EnvVar() { ::unsetenv(name_); }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  const char* name_;
};

// The message load_config throws for `path`, or "" when it loads.
std::string error_of(const std::string& path) {
  try {
    load_config(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string error_of_text(const std::string& toml) {
  TempToml file(toml);
  std::string message = error_of(file.path());
  // Strip the temporary path so that expectations read "LINE:COL: ...".
  for (auto at = message.find(file.path()); at != std::string::npos;
       at = message.find(file.path())) {
    message.replace(at, file.path().size() + 1, "");
  }
  return message;
}

void check_scalars_are_defaults(const Config& c) {
  CHECK(c.server.listen == "127.0.0.1:8080");
  CHECK(c.server.threads == 0);
  CHECK(c.server.max_body_bytes == 1048576);
  CHECK(c.server.shutdown_grace_s == 10);
  CHECK(c.server.web_root.empty());
  CHECK(c.server.public_url.empty());
  CHECK(c.redis.url.empty());
  CHECK(c.redis.appendfsync == "everysec");
  CHECK(c.redis.server_binary == "redis-server");
  CHECK(c.redis.reconnect_max_ms == 5000);
  CHECK(c.data_dir == "data");
  CHECK(c.log.level == "info");
  CHECK(c.auth.token_ttl_s == 43200);
  CHECK(c.auth.argon2_memory_kib == 65536);
  CHECK(c.auth.argon2_iterations == 2);
  CHECK(c.auth.argon2_threads == 2);
  CHECK(c.conversations.default_queue == "general");
  CHECK(c.conversations.dedup_ttl_s == 604800);
  CHECK(c.conversations.events_maxlen == 100000);
  CHECK(c.webform.enabled);
  CHECK(c.webform.api_key.empty());
  CHECK(c.webform.queue == "general");
  CHECK(c.webform.jurisdiction_id.empty());
  CHECK(c.webchat.enabled);
  CHECK(c.webchat.max_frame_bytes == 16384);
  CHECK(c.webchat.idle_timeout_s == 600);
  CHECK(c.webchat.queue == "general");
  CHECK(c.i18n.languages == "en,es,vi,zh-Hans,zh-Hant,ru,uk,ro,ja,ko,so,ar,lo,ne,km,fil");
  CHECK(c.i18n.detection_min_confidence == 50);
  CHECK(c.i18n.detection_min_letters == 12);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("no file gives the defaults", "[config]") {
  const Config c = load_config("");
  check_scalars_are_defaults(c);
  CHECK(c.webform.services.empty());
  CHECK(c.origins.empty());
}

TEST_CASE("a full file sets every option and records where", "[config]") {
  TempToml file(R"(data_dir = "/var/lib/frontdoor"

[server]
listen = "[::1]:0"
threads = 8
max_body_bytes = "64 KiB"
shutdown_grace_s = 30
web_root = "/usr/share/frontdoor/web"
public_url = "https://311.example.gov"

[redis]
url = "redis://10.0.0.5:6379/2"
appendfsync = "always"
server_binary = "/usr/bin/redis-server"
reconnect_max_ms = 2000

[log]
level = "debug"

[auth]
token_ttl_s = 3600
argon2_memory_kib = 19456
argon2_iterations = 3
argon2_threads = 4

[conversations]
default_queue = "front-desk"
dedup_ttl_s = 86400
events_maxlen = 50000

[channels.webform]
enabled = false
api_key = "s3cret"
queue = "webform"
jurisdiction_id = "city.example.gov"

[channels.webchat]
enabled = false
max_frame_bytes = 4096
idle_timeout_s = 120
queue = "chat"

[i18n]
languages = "en, es, zh_TW, tl"
detection_min_confidence = 80
detection_min_letters = 20
)");
  const Config c = load_config(file.path());
  CHECK(c.data_dir == "/var/lib/frontdoor");
  CHECK(c.server.listen == "[::1]:0");
  CHECK(c.server.threads == 8);
  CHECK(c.server.max_body_bytes == 65536);
  CHECK(c.server.shutdown_grace_s == 30);
  CHECK(c.server.web_root == "/usr/share/frontdoor/web");
  CHECK(c.server.public_url == "https://311.example.gov");
  CHECK(c.redis.url == "redis://10.0.0.5:6379/2");
  CHECK(c.redis.appendfsync == "always");
  CHECK(c.redis.server_binary == "/usr/bin/redis-server");
  CHECK(c.redis.reconnect_max_ms == 2000);
  CHECK(c.log.level == "debug");
  CHECK(c.auth.token_ttl_s == 3600);
  CHECK(c.auth.argon2_memory_kib == 19456);
  CHECK(c.auth.argon2_iterations == 3);
  CHECK(c.auth.argon2_threads == 4);
  CHECK(c.conversations.default_queue == "front-desk");
  CHECK(c.conversations.dedup_ttl_s == 86400);
  CHECK(c.conversations.events_maxlen == 50000);
  CHECK_FALSE(c.webform.enabled);
  CHECK(c.webform.api_key == "s3cret");
  CHECK(c.webform.queue == "webform");
  CHECK(c.webform.jurisdiction_id == "city.example.gov");
  CHECK_FALSE(c.webchat.enabled);
  CHECK(c.webchat.max_frame_bytes == 4096);
  CHECK(c.webchat.idle_timeout_s == 120);
  CHECK(c.webchat.queue == "chat");
  CHECK(c.i18n.languages == "en, es, zh_TW, tl");  // kept as written; used canonicalized
  CHECK(c.i18n.detection_min_confidence == 80);
  CHECK(c.i18n.detection_min_letters == 20);

  CHECK(c.origins.size() == 30);
  CHECK(c.origins.at("data_dir") == file.path() + ":1:12");
  CHECK(c.origins.at("server.listen") == file.path() + ":4:10");
  CHECK(c.origins.at("channels.webchat.queue") == file.path() + ":41:9");
}

TEST_CASE("the city's languages are BCP 47 tags that canonicalize", "[config]") {
  CHECK_THAT(
      error_of_text("[i18n]\nlanguages = \"en,klingon!,es\"\n"),
      Contains("2:13: i18n.languages: got \"en,klingon!,es\"; expected comma-separated BCP 47 "
               "language tags"));
  CHECK_THAT(error_of_text("[i18n]\nlanguages = \"\"\n"), Contains("i18n.languages"));
  CHECK_THAT(error_of_text("[i18n]\nlanguages = \"en,,es\"\n"), Contains("i18n.languages"));
  CHECK_THAT(error_of_text("[i18n]\ndetection_min_confidence = 101\n"),
             Contains("expected an integer in 0..100"));
}

TEST_CASE("dotted keys and inline tables are the same options", "[config]") {
  TempToml file(R"(server.threads = 3
log = { level = "warn" }
)");
  const Config c = load_config(file.path());
  CHECK(c.server.threads == 3);
  CHECK(c.log.level == "warn");
}

TEST_CASE("an unknown key is an error with its position and a suggestion", "[config]") {
  CHECK(error_of_text("[server]\nlisten = \"0.0.0.0:80\"\nthreds = 4\n") ==
        "3:1: unknown key 'server.threds' (did you mean 'server.threads'?)");
  SECTION("a key in the wrong section points to the right one") {
    CHECK(error_of_text("[server]\nlevel = \"debug\"\n") ==
          "2:1: unknown key 'server.level' (did you mean 'log.level'?)");
  }
  SECTION("an unknown section lists what its parent has") {
    CHECK(error_of_text("[channels.fax]\nenabled = true\n") ==
          "1:11: unknown key 'channels.fax' (expected one of: email, sms, webchat, webform)");
  }
  SECTION("an unknown top-level key") {
    CHECK_THAT(error_of_text("\n\nredis_url = \"redis://x:1\"\n"),
               Contains("3:1: unknown key 'redis_url'"));
  }
}

TEST_CASE("a value of the wrong type names the key, the value and what is expected", "[config]") {
  CHECK(error_of_text("[server]\nthreads = \"four\"\n") ==
        "2:11: server.threads: got \"four\"; expected an integer in 0..256");
  CHECK(error_of_text("[channels.webchat]\nenabled = \"yes\"\n") ==
        "2:11: channels.webchat.enabled: got \"yes\"; expected true or false");
  CHECK(error_of_text("[server]\nlisten = 8080\n") ==
        "2:10: server.listen: got 8080; expected HOST:PORT with a port in 0..65535 (0 picks a "
        "free port)");
  CHECK(error_of_text("server = 1\n") == "1:10: server: got 1; expected a table [server]");
  CHECK(error_of_text("[auth]\ntoken_ttl_s = 1.5\n") ==
        "2:15: auth.token_ttl_s: got 1.5; expected an integer in 60..2592000");
}

TEST_CASE("a value out of bounds is an error", "[config]") {
  CHECK(error_of_text("[server]\nthreads = 1000\n") ==
        "2:11: server.threads: got 1000; expected an integer in 0..256");
  CHECK(error_of_text("[server]\nmax_body_bytes = 100\n") ==
        "2:18: server.max_body_bytes: got 100; expected a size in 1 KiB..64 MiB (bytes, or text "
        "such as \"64 KiB\")");
  CHECK_THAT(error_of_text("[server]\nmax_body_bytes = \"65 MiB\"\n"),
             Contains("server.max_body_bytes: got \"65 MiB\""));
  CHECK_THAT(error_of_text("[server]\nmax_body_bytes = \"1 MB\"\n"),
             Contains("server.max_body_bytes: got \"1 MB\""));
  CHECK_THAT(error_of_text("[auth]\nargon2_memory_kib = 1024\n"),
             Contains("expected an integer in 8192..1048576"));
  CHECK_THAT(error_of_text("[auth]\nargon2_iterations = 0\n"),
             Contains("expected an integer in 1..10"));
  CHECK_THAT(error_of_text("[channels.webchat]\nidle_timeout_s = 4\n"),
             Contains("expected an integer in 5..86400"));
  CHECK_THAT(error_of_text("[channels.webchat]\nmax_frame_bytes = \"2 MiB\"\n"),
             Contains("expected a size in 256 B..1 MiB"));
  CHECK(error_of_text("[log]\nlevel = \"verbose\"\n") ==
        "2:9: log.level: got \"verbose\"; expected one of trace, debug, info, warn, error");
  CHECK_THAT(error_of_text("[redis]\nappendfsync = \"sometimes\"\n"),
             Contains("expected one of always, everysec, no"));
  CHECK_THAT(error_of_text("[conversations]\ndefault_queue = \"water bureau\"\n"),
             Contains("conversations.default_queue: got \"water bureau\""));
}

TEST_CASE("server.listen must be HOST:PORT", "[config]") {
  for (const char* bad : {"localhost", "127.0.0.1:70000", ":8080", "127.0.0.1:", "127.0.0.1:8o",
                          "[::1:80", "a b:80", "[]:80"}) {
    INFO(bad);
    CHECK_THAT(error_of_text(std::string("[server]\nlisten = \"") + bad + "\"\n"),
               Contains("server.listen: got"));
  }
  for (const char* good : {"0.0.0.0:0", "localhost:8080", "[::]:443", "311.example.gov:65535"}) {
    TempToml file(std::string("[server]\nlisten = \"") + good + "\"\n");
    CHECK(load_config(file.path()).server.listen == good);
  }
}

TEST_CASE("secrets are not repeated in messages", "[config]") {
  const std::string message = error_of_text("[redis]\nurl = \"http://user:hunter2@host\"\n");
  CHECK_THAT(message, Contains("redis.url: got a value (hidden)"));
  CHECK_THAT(message, !Contains("hunter2"));
}

TEST_CASE("every problem of a file is reported, in file order", "[config]") {
  CHECK(error_of_text("[server]\nthreads = -1\n[log]\nlevel = \"loud\"\n[auth]\nfoo = 1\n") ==
        "2:11: server.threads: got -1; expected an integer in 0..256\n"
        "4:9: log.level: got \"loud\"; expected one of trace, debug, info, warn, error\n"
        "6:1: unknown key 'auth.foo' (expected one of: argon2_iterations, argon2_memory_kib, "
        "argon2_threads, token_ttl_s)");
}

TEST_CASE("a TOML syntax error gives file, line and column", "[config]") {
  TempToml file("[server]\nlisten = \"127.0.0.1:8080\n");
  const std::string message = error_of(file.path());
  CHECK_THAT(message, Contains(file.path() + ":2:"));
  CHECK(message.size() > file.path().size() + 6);
}

TEST_CASE("a missing file is an error", "[config]") {
  CHECK_THAT(error_of("/nonexistent/frontdoor.toml"),
             Contains("/nonexistent/frontdoor.toml: cannot read:"));
}

TEST_CASE("the environment overrides the file", "[config]") {
  TempToml file("[server]\nlisten = \"127.0.0.1:9000\"\nthreads = 2\n");
  EnvVar listen("FRONTDOOR_SERVER_LISTEN", "0.0.0.0:8443");
  EnvVar url("FRONTDOOR_REDIS_URL", "unix:///run/redis/redis.sock");
  EnvVar key("FRONTDOOR_CHANNELS_WEBFORM_API_KEY", "from-env");
  EnvVar dir("FRONTDOOR_DATA_DIR", "/srv/frontdoor");
  EnvVar enabled("FRONTDOOR_CHANNELS_WEBCHAT_ENABLED", "off");
  EnvVar size("FRONTDOOR_SERVER_MAX_BODY_BYTES", "2 MiB");
  EnvVar unrelated("FRONTDOOR_BOOTSTRAP_ADMIN", "admin@example.gov");

  const Config c = load_config(file.path());
  CHECK(c.server.listen == "0.0.0.0:8443");
  CHECK(c.server.threads == 2);
  CHECK(c.redis.url == "unix:///run/redis/redis.sock");
  CHECK(c.webform.api_key == "from-env");
  CHECK(c.data_dir == "/srv/frontdoor");
  CHECK_FALSE(c.webchat.enabled);
  CHECK(c.server.max_body_bytes == 2 * 1024 * 1024);
  CHECK(c.origins.at("server.listen") == "env FRONTDOOR_SERVER_LISTEN");
  CHECK(c.origins.at("server.threads") == file.path() + ":3:11");

  SECTION("without a file too") {
    EnvVar threads("FRONTDOOR_SERVER_THREADS", " 16 ");
    const Config d = load_config("");
    CHECK(d.server.threads == 16);
    CHECK(d.server.listen == "0.0.0.0:8443");
  }
}

TEST_CASE("a bad environment value is an error naming the variable", "[config]") {
  SECTION("not a number") {
    EnvVar threads("FRONTDOOR_SERVER_THREADS", "many");
    CHECK(error_of("") ==
          "environment FRONTDOOR_SERVER_THREADS: server.threads: got \"many\"; expected an "
          "integer in 0..256");
  }
  SECTION("out of bounds") {
    EnvVar ttl("FRONTDOOR_AUTH_TOKEN_TTL_S", "10");
    CHECK_THAT(error_of(""), Contains("environment FRONTDOOR_AUTH_TOKEN_TTL_S: auth.token_ttl_s"));
  }
  SECTION("not a boolean") {
    EnvVar enabled("FRONTDOOR_CHANNELS_WEBFORM_ENABLED", "maybe");
    CHECK_THAT(error_of(""), Contains("expected true or false"));
  }
  SECTION("a bad secret is not echoed") {
    EnvVar url("FRONTDOOR_REDIS_URL", "rediss://:hunter2@host");
    const std::string message = error_of("");
    CHECK_THAT(message, Contains("environment FRONTDOOR_REDIS_URL: redis.url: got a value"));
    CHECK_THAT(message, !Contains("hunter2"));
  }
  SECTION("file problems come first") {
    EnvVar level("FRONTDOOR_LOG_LEVEL", "chatty");
    CHECK_THAT(error_of_text("[server]\nthreads = 999\n"),
               Contains("2:11: server.threads: got 999; expected an integer in 0..256\n"
                        "environment FRONTDOOR_LOG_LEVEL: log.level: got \"chatty\""));
  }
}

TEST_CASE("web form services", "[config]") {
  SECTION("are read in order with every field") {
    TempToml file(R"([channels.webform]
queue = "general"

[[channels.webform.services]]
code = "streetlight"
name = "Streetlight out"
description = "A streetlight is dark or flickering."
group = "Streets"
keywords = ["light", "lamp", "dark"]
queue = "streets"

[[channels.webform.services]]
code = "graffiti"
name = "Graffiti"
keywords = "paint, tag"
)");
    const Config c = load_config(file.path());
    REQUIRE(c.webform.services.size() == 2);
    const auto& light = c.webform.services[0];
    CHECK(light.code == "streetlight");
    CHECK(light.name == "Streetlight out");
    CHECK(light.description == "A streetlight is dark or flickering.");
    CHECK(light.group == "Streets");
    CHECK(light.keywords == "light,lamp,dark");
    CHECK(light.queue == "streets");
    const auto& graffiti = c.webform.services[1];
    CHECK(graffiti.code == "graffiti");
    CHECK(graffiti.keywords == "paint, tag");
    CHECK(graffiti.description.empty());
    CHECK(graffiti.queue.empty());
    CHECK(c.origins.count("channels.webform.services") == 1);
  }
  SECTION("a duplicate code is rejected with both places") {
    CHECK(error_of_text("[[channels.webform.services]]\ncode = \"a\"\nname = \"A\"\n"
                        "[[channels.webform.services]]\ncode = \"a\"\nname = \"B\"\n") ==
          "5:8: channels.webform.services[1].code: 'a' is already the code of the service at "
          "2:8");
  }
  SECTION("a missing name is rejected") {
    CHECK(error_of_text("\n[[channels.webform.services]]\ncode = \"pothole\"\n") ==
          "2:1: channels.webform.services[0]: missing required key 'name'");
  }
  SECTION("a code outside [A-Za-z0-9_.-] is rejected") {
    CHECK_THAT(error_of_text("[[channels.webform.services]]\ncode = \"pot hole\"\nname = \"P\"\n"),
               Contains("2:8: channels.webform.services[0].code: got \"pot hole\"; expected 1 to "
                        "64 letters"));
  }
  SECTION("an unknown key in a service is rejected with a suggestion") {
    CHECK(error_of_text("[[channels.webform.services]]\ncode = \"x\"\nname = \"X\"\n"
                        "kewords = \"a\"\n") ==
          "4:1: unknown key 'channels.webform.services[0].kewords' (did you mean "
          "'channels.webform.services[0].keywords'?)");
  }
  SECTION("keywords must be text or strings without commas") {
    CHECK_THAT(error_of_text("[[channels.webform.services]]\ncode = \"x\"\nname = \"X\"\n"
                             "keywords = [\"a,b\"]\n"),
               Contains("4:12: channels.webform.services[0].keywords: got"));
  }
  SECTION("services must be an array of tables") {
    CHECK_THAT(error_of_text("[channels.webform]\nservices = \"pothole\"\n"),
               Contains("2:12: channels.webform.services: got \"pothole\"; expected an array of "
                        "tables"));
  }
}

TEST_CASE("the shipped configurations load", "[config]") {
  SECTION("config/frontdoor.toml holds the defaults") {
    const Config c = load_config(FRONTDOOR_SOURCE_DIR "/config/frontdoor.toml");
    check_scalars_are_defaults(c);
    CHECK(c.origins.size() == 100);
  }
  SECTION("config/demo.toml runs the demo") {
    const Config c = load_config(FRONTDOOR_SOURCE_DIR "/config/demo.toml");
    CHECK(c.server.listen == "127.0.0.1:8080");
    CHECK(c.redis.url.empty());
    CHECK(c.data_dir == "data");
    CHECK(c.webform.enabled);
    CHECK(c.webchat.enabled);
    REQUIRE(c.webform.services.size() >= 7);
    for (const auto& s : c.webform.services) {
      INFO(s.code);
      CHECK_FALSE(s.name.empty());
      CHECK_FALSE(s.description.empty());
      CHECK_FALSE(s.keywords.empty());
    }
  }
}

TEST_CASE("the reference lists every option and matches the documentation", "[config]") {
  const std::string reference = frontdoor::config_reference_markdown();
  CHECK_THAT(reference, Contains("| `server.listen` | string | `127.0.0.1:8080` |"));
  CHECK_THAT(reference, Contains("`FRONTDOOR_CHANNELS_WEBFORM_API_KEY`"));
  CHECK_THAT(reference, Contains("| `log.level` | enum | `info` | `trace`, `debug`, `info`"));
  CHECK_THAT(reference, Contains("| `server.max_body_bytes` | size | `1 MiB` | 1 KiB..64 MiB |"));
  CHECK_THAT(reference, Contains("| `code` | yes |"));
  CHECK_THAT(read_file(FRONTDOOR_SOURCE_DIR "/docs/configuration.md"), Contains(reference));
}

TEST_CASE("an enabled SMS provider needs its credentials and numbers") {
  CHECK(error_of_text("[channels.sms]\nenabled = true\n") ==
        "channels.sms.enabled is true but no provider is: enable channels.sms.twilio or "
        "channels.sms.kannel");
  auto twilio = error_of_text(
      "[channels.sms]\nenabled = true\n[channels.sms.twilio]\nenabled = true\n"
      "numbers = \"+15035550100, 311311\"\naccount_sid = \"AC1\"\n");
  CHECK(twilio ==
        "channels.sms.twilio.auth_token is required when channels.sms.twilio.enabled is true");
  CHECK(error_of_text("[channels.sms]\npublic_url = \"https://311.example.gov/\"\n")
            .find("channels.sms.public_url") != std::string::npos);
  CHECK(error_of_text("[channels.sms.kannel]\nnumbers = \"+1503\"\n").find("E.164") !=
        std::string::npos);
}

TEST_CASE("the mail receiver's certificate and key come together and can be read", "[config]") {
  // Two files that exist (their content is checked when the receiver loads them).
  TempToml certificate("not checked here");
  TempToml key("not checked here");
  const std::string section = "[channels.email]\nenabled = true\n";
  SECTION("a certificate without its key") {
    CHECK(error_of_text(section + "tls_certificate = \"" + certificate.path() + "\"\n") ==
          "channels.email.tls_private_key is required when channels.email.tls_certificate is "
          "set");
  }
  SECTION("a key without its certificate") {
    CHECK(error_of_text(section + "tls_private_key = \"" + key.path() + "\"\n") ==
          "channels.email.tls_certificate is required when channels.email.tls_private_key is "
          "set");
  }
  SECTION("require_tls without a certificate") {
    CHECK(error_of_text(section + "require_tls = true\n") ==
          "channels.email.require_tls is true but channels.email.tls_certificate is not set: "
          "every sending server would be refused");
  }
  SECTION("a file that cannot be read names the option, where it was set and why") {
    const std::string missing = certificate.path() + ".missing";
    CHECK(error_of_text(section + "tls_certificate = \"" + missing + "\"\ntls_private_key = \"" +
                        key.path() + "\"\n") ==
          "channels.email.tls_certificate (3:19): cannot read " + missing +
              ": No such file or directory");
    EnvVar env("FRONTDOOR_CHANNELS_EMAIL_TLS_PRIVATE_KEY", missing.c_str());
    CHECK(error_of_text(section + "tls_certificate = \"" + certificate.path() + "\"\n") ==
          "channels.email.tls_private_key (env FRONTDOOR_CHANNELS_EMAIL_TLS_PRIVATE_KEY): cannot "
          "read " +
              missing + ": No such file or directory");
  }
  SECTION("a PEM block pasted instead of a path") {
    CHECK_THAT(error_of_text(section + "tls_certificate = \"-----BEGIN CERTIFICATE-----\\nMII\"\n"),
               Contains("3:19: channels.email.tls_certificate: got \"-----BEGIN CERTIFICATE-----"
                        "\\u000AMII\"; expected empty, or the path of a PEM file"));
  }
  SECTION("both readable, require_tls on") {
    const Config c =
        load_config(TempToml(section + "tls_certificate = \"" + certificate.path() +
                             "\"\ntls_private_key = \"" + key.path() + "\"\nrequire_tls = true\n")
                        .path());
    CHECK(c.email.tls_certificate == certificate.path());
    CHECK(c.email.tls_private_key == key.path());
    CHECK(c.email.require_tls);
  }
  SECTION("a disabled receiver does not load them") {
    CHECK(error_of_text("[channels.email]\ntls_certificate = \"/nonexistent/cert.pem\"\n").empty());
  }
}

TEST_CASE("queues: each [queues.<name>] table is read, with the defaults for what it leaves out") {
  TempToml file(
      "[city]\ntime_zone = \"America/Los_Angeles\"\nholidays = \"2025-12-25, 2026-01-01\"\n"
      "[queues.streetlights]\nlanguages = [\"vi\", \"es_MX\"]\npriority = 7\n"
      "hours = \"mon-fri 08:00-18:00, sat 09:00-13:00\"\nservice_level_s = 40\n"
      "overflow_to = \"general\"\noverflow_after_s = 300\nacknowledge = false\n"
      "[queues.water]\nafter_hours = \"overflow\"\noverflow_to = \"streetlights\"\n");
  Config c = load_config(file.path());
  REQUIRE(c.queues.size() == 2);
  const auto& lights = c.queues.at("streetlights");
  CHECK(lights.languages == "vi,es-MX");
  CHECK(lights.priority == 7);
  CHECK(lights.service_level_s == 40);
  CHECK_FALSE(lights.language_wait_s.has_value());
  CHECK(lights.overflow_after_s == 300);
  CHECK(lights.acknowledge == false);
  const auto& water = c.queues.at("water");
  CHECK(water.priority == 5);
  CHECK(water.after_hours == "overflow");
  CHECK_FALSE(water.acknowledge.has_value());
  CHECK(c.city.time_zone == "America/Los_Angeles");
}

TEST_CASE("queues: unknown overflow queues, circles and bad values are errors at their place") {
  TempToml file(
      "[queues.streetlights]\n"                                        // 1
      "overflow_to = \"nowhere\"\n"                                    // 2
      "overflow_after_s = 30\n"                                        // 3
      "[queues.a]\noverflow_to = \"b\"\noverflow_after_s = 5\n"        // 4-6
      "[queues.b]\noverflow_to = \"a\"\noverflow_after_s = 5\n"        // 7-9
      "[queues.water]\n"                                               // 10
      "hours = \"mon-fry 08:00-18:00\"\n"                              // 11
      "after_hours = \"overflow\"\n"                                   // 12
      "priorty = 3\n"                                                  // 13
      "[queues.self]\noverflow_to = \"self\"\noverflow_after_s = 5\n"  // 14-16
      "[queues.idle]\noverflow_to = \"general\"\n"                     // 17-18
      "[city]\ntime_zone = \"Mars/Olympus_Mons\"\n");                  // 19-20
  const std::string e = error_of(file.path());
  CHECK_THAT(e, Contains(":2:15: queues.streetlights.overflow_to: unknown queue 'nowhere' (the "
                         "configuration names: a, b, general, idle, self, streetlights, water)"));
  CHECK_THAT(e, Contains(":5:15: queues.a.overflow_to: conversations would go round in a circle: "
                         "a -> b -> a"));
  CHECK(e.find("queues.b.overflow_to: conversations would go round") == std::string::npos);
  CHECK_THAT(e, Contains(":11:9: queues.water.hours: got \"mon-fry 08:00-18:00\"; "
                         "'mon-fry 08:00-18:00': 'mon-fry' is not a day"));
  CHECK_THAT(e, Contains(":10:1: queues.water: after_hours = \"overflow\" needs overflow_to"));
  CHECK_THAT(e, Contains(":13:1: unknown key 'queues.water.priorty' (did you mean "
                         "'queues.water.priority'?)"));
  CHECK_THAT(e, Contains(":15:15: queues.self.overflow_to: a queue cannot overflow to itself"));
  CHECK_THAT(e, Contains(":18:15: queues.idle.overflow_to: nothing sends conversations there"));
  CHECK_THAT(e, Contains(":20:13: city.time_zone: got \"Mars/Olympus_Mons\"; expected empty, or "
                         "an IANA time zone"));
}
