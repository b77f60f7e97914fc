// Endpoint and Script, declared in redis_client.hpp: the parts of the client that are pure.
#include <openssl/evp.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <utility>

#include "daemon/redis/redis_client.hpp"

namespace frontdoor::redis {
namespace {

constexpr std::string_view kUrlForms =
    "redis://[:PASSWORD@]HOST[:PORT][/DB] or unix:///PATH[?db=N]";

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// The URL as it may appear in a message: its password, if any, replaced.
std::string redacted(const boost::urls::url_view& url) {
  if (!url.has_password()) return std::string(url.buffer());
  boost::urls::url copy(url);
  copy.set_password("REDACTED");
  return std::string(copy.buffer());
}

// Parses a whole decimal number in [min, max]; nullopt otherwise.
std::optional<int> parse_number(std::string_view digits, int min, int max) {
  int value = 0;
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return std::nullopt;
  }
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

Endpoint Endpoint::parse(std::string_view text) {
  if (text.empty()) {
    throw std::invalid_argument("Redis URL is empty; expected " + std::string(kUrlForms));
  }
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    throw std::invalid_argument("Redis URL is not a valid URL (" + parsed.error().message() +
                                "); expected " + std::string(kUrlForms));
  }
  const boost::urls::url_view url = *parsed;
  auto invalid = [&url](std::string_view reason) {
    return std::invalid_argument("Redis URL " + redacted(url) + ": " + std::string(reason));
  };

  const std::string scheme = lowercase(url.scheme());
  if (scheme == "rediss") {
    throw invalid("TLS (rediss://) is not supported: hiredis 0.14 has no TLS");
  }
  if (scheme != "redis" && scheme != "unix") {
    throw invalid("unsupported scheme '" + scheme + "'; expected " + std::string(kUrlForms));
  }
  if (!url.has_authority()) throw invalid("expected '//' after '" + scheme + ":'");
  if (url.has_fragment()) throw invalid("a fragment ('#...') has no meaning here");

  Endpoint endpoint;
  if (url.has_userinfo()) {
    const std::string user = url.user();
    if (!user.empty() && user != "default") {
      throw invalid("user names (Redis ACL) are not supported; write redis://:PASSWORD@HOST");
    }
    endpoint.password = url.password();
  }

  if (scheme == "unix") {
    if (!url.encoded_host().empty() || url.has_port()) {
      throw invalid("a unix URL names no host or port; write unix:///absolute/path (3 slashes)");
    }
    endpoint.port = 0;
    endpoint.unix_path = url.path();
    if (endpoint.unix_path.empty() || endpoint.unix_path == "/") {
      throw invalid("the socket path is missing");
    }
    for (const auto& param : url.params()) {
      if (param.key != "db") {
        throw invalid("unknown query parameter '" + param.key + "'; only db=N is understood");
      }
      auto db = parse_number(param.value, 0, 1 << 20);
      if (!param.has_value || !db) throw invalid("db must be a database number, as in ?db=2");
      endpoint.db = *db;
    }
    return endpoint;
  }

  switch (url.host_type()) {
    case boost::urls::host_type::ipv6:
      endpoint.host = url.host_address();
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
      endpoint.host = url.host();
      break;
    default:
      throw invalid("unsupported host form");
  }
  if (endpoint.host.empty()) throw invalid("the host is missing");
  if (url.has_port()) {
    auto port = parse_number(url.port(), 1, 65535);
    if (!port) throw invalid("the port must be a number from 1 to 65535");
    endpoint.port = *port;
  }
  const std::string path = url.path();
  if (!path.empty() && path != "/") {
    auto db = parse_number(std::string_view(path).substr(1), 0, 1 << 20);
    if (!db) throw invalid("the path must be a database number, as in redis://HOST:PORT/2");
    endpoint.db = *db;
  }
  if (url.has_query()) {
    throw invalid("query parameters are not understood; put the database in the path (/DB)");
  }
  return endpoint;
}

std::string Endpoint::describe() const {
  if (!unix_path.empty()) {
    return "unix://" + unix_path + (db != 0 ? "?db=" + std::to_string(db) : "");
  }
  const bool ipv6 = host.find(':') != std::string::npos;
  return "redis://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port) +
         (db != 0 ? "/" + std::to_string(db) : "");
}

Script::Script(std::string name, std::string source)
    : name_(std::move(name)), source_(std::move(source)) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(source_.data(), source_.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA1 of Lua script " + name_ + " failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  sha_.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    sha_.push_back(kHex[digest[i] >> 4]);
    sha_.push_back(kHex[digest[i] & 0xf]);
  }
}

}  // namespace frontdoor::redis
