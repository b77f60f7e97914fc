// A resident's language as the real daemon keeps it: detected from the text, stated by a
// message that names a language, never overwritten by a guess (docs/languages.md).
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

json::object conversation_of(const Daemon& daemon, const std::string& token,
                             const std::string& id) {
  auto got = daemon.get("/api/v1/conversations/" + id, token);
  REQUIRE(got.status == 200);
  return got.json().as_object();
}

std::string send_chat(WsClient& resident, const std::string& text, const std::string& client_id) {
  resident.send(
      json::serialize(json::object{{"type", "message"}, {"text", text}, {"client_id", client_id}}));
  return str(resident.read_until("message").at("conversation_id"));
}

}  // namespace

TEST_CASE("a chat resident's language: detected, then stated by name, never replaced by a guess") {
  RedisServer redis;
  Daemon daemon(redis.url());
  const auto token = daemon.login();

  WsClient resident(daemon.port(), "/chat/ws");
  resident.send(R"({"type":"hello","name":"Lucía"})");  // no language chosen in the widget
  REQUIRE(str(resident.read_json().at("type")) == "welcome");

  // Detected from the text, with its confidence on the message.
  const std::string id =
      send_chat(resident, "Hay un bache enorme en la calle Alberta frente a la escuela", "c1");
  auto view = conversation_of(daemon, token, id);
  CHECK(str(view.at("conversation").at("language")) == "es");
  CHECK(str(view.at("conversation").at("language_source")) == "detected");
  CHECK(str(view.at("messages").as_array().at(0).at("language")) == "es");

  // A later message in another language does not move the conversation's language...
  send_chat(resident, "The streetlight in front of my house has been out for a week", "c2");
  view = conversation_of(daemon, token, id);
  CHECK(str(view.at("conversation").at("language")) == "es");
  CHECK(str(view.at("messages").as_array().at(1).at("language")) == "en");

  // ...a message that is the name of a language does.
  send_chat(resident, "TIẾNG VIỆT", "c3");
  view = conversation_of(daemon, token, id);
  CHECK(str(view.at("conversation").at("language")) == "vi");
  CHECK(str(view.at("conversation").at("language_source")) == "stated");

  // And no detection replaces a stated language.
  send_chat(resident, "물이 안 나와요", "c4");
  view = conversation_of(daemon, token, id);
  CHECK(str(view.at("conversation").at("language")) == "vi");
  CHECK(str(view.at("conversation").at("language_source")) == "stated");
  CHECK(str(view.at("messages").as_array().at(3).at("language")) == "ko");
}

TEST_CASE("a chat widget's language is matched, and a language named later outlasts it") {
  RedisServer redis;
  Daemon daemon(redis.url());
  const auto token = daemon.login();

  WsClient resident(daemon.port(), "/chat/ws");
  resident.send(R"({"type":"hello","name":"Mei","language":"zh-TW"})");
  REQUIRE(str(resident.read_json().at("type")) == "welcome");
  const std::string id = send_chat(resident, "The heat in my building is off", "c1");
  auto view = conversation_of(daemon, token, id);
  CHECK(str(view.at("conversation").at("language")) == "zh-Hant");
  CHECK(str(view.at("conversation").at("language_source")) == "stated");

  // The widget sends its language with every message; a language the resident names in a
  // message is the newer choice and stays.
  send_chat(resident, "English", "c2");
  send_chat(resident, "The heat in my building is still off", "c3");
  view = conversation_of(daemon, token, id);
  CHECK(str(view.at("conversation").at("language")) == "en");
  CHECK(str(view.at("conversation").at("language_source")) == "stated");
}
