// web/api/openapi.json against the routes the daemon registers.
//
// The routes are those of a frontdoord Instance (daemon/app.hpp), the one run_daemon serves,
// with every channel that has HTTP routes enabled (SMS with both providers) and an interpreting
// vendor. Nothing is started: no Redis, no listener. The document describes the agent API, so
// every route under /api/v1/ must be in it with its method, and everything it describes must be
// served. A WebSocket route counts as GET (the upgrade is a GET).
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "daemon/app.hpp"
#include "daemon/config/config.hpp"
#include "daemon/http/router.hpp"
#include "daemon/redis/redis_client.hpp"

namespace {

namespace json = boost::json;
using namespace frontdoor;

const std::string kApiPrefix = "/api/v1/";
const std::set<std::string> kMethods{"get",  "put",     "post",  "delete",
                                     "head", "options", "patch", "trace"};

json::object openapi_document() {
  std::ifstream in(std::filesystem::path(FRONTDOOR_SOURCE_DIR) / "web/api/openapi.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  json::value doc = json::parse(text.str());
  REQUIRE(doc.is_object());
  return doc.as_object();
}

// "METHOD path" of every operation the document describes.
std::set<std::string> documented_operations(const json::object& doc) {
  std::set<std::string> out;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [key, operation] : item.as_object()) {
      std::string method(key);
      if (!kMethods.count(method)) continue;  // "parameters", "summary", …
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert(method + " " + std::string(path));
    }
  }
  return out;
}

// "METHOD pattern" of every route frontdoord registers with a configuration that enables every
// channel with HTTP routes and an interpreting vendor.
std::set<std::string> served_routes() {
  Config config = load_config("");
  config.webchat.enabled = true;
  config.webform.enabled = true;
  config.sms.enabled = true;
  config.sms.twilio.enabled = true;
  config.sms.twilio.numbers = "+15035550100";
  config.sms.twilio.account_sid = "AC00000000000000000000000000000000";
  config.sms.twilio.auth_token = "token";
  config.sms.kannel.enabled = true;
  config.sms.kannel.numbers = "+15035550101";
  config.sms.kannel.sendsms_url = "http://127.0.0.1:1/cgi-bin/sendsms";
  config.sms.kannel.secret = "secret";
  config.email.enabled = false;  // its receiver listens on a port of its own; no HTTP routes
  config.interpreters.vendor_url = "https://vendor.invalid/api";
  config.interpreters.vendor_secret = "secret";

  boost::asio::io_context io;
  auto endpoint = redis::Endpoint::parse("redis://127.0.0.1:1");
  redis::RedisClient commands(io.get_executor(), endpoint, {});
  redis::RedisClient events_reader(io.get_executor(), endpoint, {});
  Instance instance(config, io, commands, events_reader);  // started never: no Redis needed

  std::set<std::string> out;
  for (const auto& route : instance.router().routes()) {
    out.insert((route.websocket ? std::string("GET") : route.method) + " " + route.pattern);
  }
  return out;
}

// Every "$ref" in `value`, with where it stands.
void collect_refs(const json::value& value, const std::string& where,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.as_object()) {
      if (key == "$ref" && member.is_string()) {
        out.emplace_back(where, std::string(member.as_string()));
      } else {
        collect_refs(member, where + "/" + std::string(key), out);
      }
    }
  } else if (value.is_array()) {
    std::size_t i = 0;
    for (const auto& item : value.as_array()) {
      collect_refs(item, where + "/" + std::to_string(i++), out);
    }
  }
}

}  // namespace

TEST_CASE("openapi.json describes every agent API route the daemon serves and nothing else") {
  const auto served = served_routes();
  const auto documented = documented_operations(openapi_document());

  // The wiring above is the daemon's: a route of each part is there.
  REQUIRE(served.count("POST /api/v1/login"));
  REQUIRE(served.count("POST /api/v1/interpreting/vendor"));
  REQUIRE(served.count("GET /healthz"));
  REQUIRE(served.count("GET /chat/ws"));
  REQUIRE(served.count("POST /webhooks/twilio/sms"));
  REQUIRE(served.count("GET /webhooks/kannel/mo"));
  REQUIRE(served.count("GET /open311/v2/services.{format}"));

  for (const auto& route : served) {
    if (route.find(" " + kApiPrefix) == std::string::npos) continue;
    INFO("served but not in web/api/openapi.json: " << route);
    CHECK(documented.count(route));
  }
  for (const auto& operation : documented) {
    INFO("in web/api/openapi.json but not served: " << operation);
    CHECK(served.count(operation));
  }
}

TEST_CASE("openapi.json declares every path placeholder and resolves every reference") {
  const json::object doc = openapi_document();
  CHECK(doc.at("openapi").as_string().starts_with("3."));

  // Each {name} in a path is a path parameter of each of its operations (OpenAPI 3 requires
  // it), declared on the path or on the operation.
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    std::set<std::string> placeholders;
    const std::string p(path);
    for (auto open = p.find('{'); open != std::string::npos; open = p.find('{', open + 1)) {
      placeholders.insert(p.substr(open + 1, p.find('}', open) - open - 1));
    }
    auto declared_in = [](const json::object& o, std::set<std::string>& names) {
      if (auto* params = o.if_contains("parameters")) {
        for (const auto& param : params->as_array()) {
          const auto& po = param.as_object();
          if (po.contains("in") && po.at("in") == "path") {
            names.insert(std::string(po.at("name").as_string()));
          }
        }
      }
    };
    std::set<std::string> on_path;
    declared_in(item.as_object(), on_path);
    for (const auto& [key, operation] : item.as_object()) {
      if (key == "parameters" || !operation.is_object()) continue;
      std::set<std::string> declared = on_path;
      declared_in(operation.as_object(), declared);
      INFO(std::string(key) << " " << p);
      CHECK(declared == placeholders);
    }
  }

  const json::value root(doc);
  std::vector<std::pair<std::string, std::string>> refs;
  collect_refs(root, "", refs);
  REQUIRE_FALSE(refs.empty());
  for (const auto& [where, ref] : refs) {
    INFO(where << ": " << ref);
    REQUIRE(ref.starts_with("#/"));
    const json::value* target = &root;
    for (std::size_t at = 1; target && at != std::string::npos;) {
      auto next = ref.find('/', at + 1);
      auto name = ref.substr(at + 1, next == std::string::npos ? next : next - at - 1);
      target = target->is_object() ? target->as_object().if_contains(name) : nullptr;
      at = next;
    }
    CHECK(target != nullptr);
  }
}
