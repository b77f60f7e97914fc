// Endpoint::parse and Script: the pure parts of the Redis client.
#include <catch2/catch.hpp>

#include <string>

#include "daemon/redis/redis_client.hpp"

using Catch::Matchers::Contains;
using frontdoor::redis::Endpoint;
using frontdoor::redis::Script;

TEST_CASE("Endpoint::parse reads redis:// URLs", "[redis][endpoint]") {
  SECTION("host, port and database") {
    const Endpoint endpoint = Endpoint::parse("redis://127.0.0.1:6380/2");
    CHECK(endpoint.host == "127.0.0.1");
    CHECK(endpoint.port == 6380);
    CHECK(endpoint.db == 2);
    CHECK(endpoint.unix_path.empty());
    CHECK(endpoint.password.empty());
    CHECK(endpoint.describe() == "redis://127.0.0.1:6380/2");
  }
  SECTION("defaults: port 6379, database 0") {
    for (const char* url :
         {"redis://cache.internal", "redis://cache.internal/", "redis://cache.internal:6379/0"}) {
      const Endpoint endpoint = Endpoint::parse(url);
      CHECK(endpoint.host == "cache.internal");
      CHECK(endpoint.port == 6379);
      CHECK(endpoint.db == 0);
    }
  }
  SECTION("a percent-encoded password, which describe() never shows") {
    const Endpoint endpoint = Endpoint::parse("redis://:s3cr%40t@cache.internal:7000/1");
    CHECK(endpoint.password == "s3cr@t");
    CHECK(endpoint.host == "cache.internal");
    CHECK(endpoint.port == 7000);
    CHECK(endpoint.db == 1);
    CHECK_THAT(endpoint.describe(), !Contains("s3cr"));
  }
  SECTION("the user name 'default' is the same as none") {
    CHECK(Endpoint::parse("redis://default:pw@host").password == "pw");
  }
  SECTION("an IPv6 host keeps its brackets in describe() only") {
    const Endpoint endpoint = Endpoint::parse("redis://[::1]:7001");
    CHECK(endpoint.host == "::1");
    CHECK(endpoint.port == 7001);
    CHECK(endpoint.describe() == "redis://[::1]:7001");
  }
  SECTION("the scheme is case-insensitive") { CHECK(Endpoint::parse("REDIS://host:1").port == 1); }
}

TEST_CASE("Endpoint::parse reads unix:// URLs", "[redis][endpoint]") {
  SECTION("a socket path") {
    const Endpoint endpoint = Endpoint::parse("unix:///var/lib/frontdoor/redis.sock");
    CHECK(endpoint.unix_path == "/var/lib/frontdoor/redis.sock");
    CHECK(endpoint.host.empty());
    CHECK(endpoint.db == 0);
    CHECK(endpoint.describe() == "unix:///var/lib/frontdoor/redis.sock");
  }
  SECTION("a percent-encoded path and a database") {
    const Endpoint endpoint = Endpoint::parse("unix:///tmp/my%20data/redis.sock?db=3");
    CHECK(endpoint.unix_path == "/tmp/my data/redis.sock");
    CHECK(endpoint.db == 3);
    CHECK(endpoint.describe() == "unix:///tmp/my data/redis.sock?db=3");
  }
}

TEST_CASE("Endpoint::parse rejects what it cannot use, saying why", "[redis][endpoint]") {
  struct Bad {
    const char* url;
    const char* reason;
  };
  const Bad cases[] = {
      {"", "empty"},
      {"redis://host:6379 extra", "not a valid URL"},
      {"http://host:6379", "unsupported scheme 'http'"},
      {"localhost:6379", "unsupported scheme"},
      {"rediss://host:6380", "TLS"},
      {"redis:host", "expected '//'"},
      {"redis://", "host is missing"},
      {"redis://host:0", "1 to 65535"},
      {"redis://host:65536", "1 to 65535"},
      {"redis://host:", "1 to 65535"},
      {"redis://host/cache", "database number"},
      {"redis://host/1/2", "database number"},
      {"redis://host/-1", "database number"},
      {"redis://host?db=1", "query parameters"},
      {"redis://host#top", "fragment"},
      {"redis://alice:pw@host", "user names"},
      {"unix://", "socket path is missing"},
      {"unix://host/tmp/redis.sock", "no host"},
      {"unix:///tmp/redis.sock?db=x", "db must be a database number"},
      {"unix:///tmp/redis.sock?db", "db must be a database number"},
      {"unix:///tmp/redis.sock?timeout=5", "unknown query parameter 'timeout'"},
  };
  for (const Bad& bad : cases) {
    INFO("URL: " << bad.url);
    CHECK_THROWS_AS(Endpoint::parse(bad.url), std::invalid_argument);
    CHECK_THROWS_WITH(Endpoint::parse(bad.url), Contains(bad.reason));
  }
}

TEST_CASE("Endpoint::parse never repeats a password in its errors", "[redis][endpoint]") {
  CHECK_THROWS_WITH(Endpoint::parse("redis://:hunter2@host:99999"), !Contains("hunter2"));
  CHECK_THROWS_WITH(Endpoint::parse("redis://:hunter2@host/x"), !Contains("hunter2"));
}

TEST_CASE("Script computes the SHA1 Redis uses for EVALSHA", "[redis][script]") {
  const Script script("one", "return 1");
  CHECK(script.name() == "one");
  CHECK(script.source() == "return 1");
  CHECK(script.sha() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(Script("empty", "").sha() == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}
