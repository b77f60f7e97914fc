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
  CHECK(str(view.at("conversation").at("language_source")) == "selected");

  // The widget sends its language with every message; a language the resident names in a
  // message is the newer choice and stays.
  send_chat(resident, "English", "c2");
  send_chat(resident, "The heat in my building is still off", "c3");
  view = conversation_of(daemon, token, id);
  CHECK(str(view.at("conversation").at("language")) == "en");
  CHECK(str(view.at("conversation").at("language_source")) == "stated");
}

TEST_CASE("a web form's language field is the resident's choice; Accept-Language is a hint") {
  RedisServer redis;
  Daemon daemon(redis.url());
  const auto token = daemon.login();
  const std::map<std::string, std::string> form{
      {"Content-Type", "application/x-www-form-urlencoded"}};
  auto file = [&](const std::string& body, std::map<std::string, std::string> headers) {
    headers.insert(form.begin(), form.end());
    return http(daemon.port(), "POST", "/open311/v2/requests.json", body, headers);
  };
  // The filed request's conversation's language, as "vi (selected)".
  auto language_of = [&](const HttpResult& filed) {
    REQUIRE(filed.status == 201);
    const auto view =
        conversation_of(daemon, token, str(filed.json().at(0).at("service_request_id")));
    const auto& c = view.at("conversation");
    return str(c.at("language")) + " (" + str(c.at("language_source")) + ")";
  };

  // The field wins over the browser's languages and over the text.
  CHECK(language_of(file("service_code=pothole&address_string=SE+Stark+4410&language=vi"
                         "&description=The+pothole+in+front+of+the+school+is+getting+deeper",
                         {{"Accept-Language", "en-US,en;q=0.9"}})) == "vi (selected)");
  // Only the header: its best language the city serves, as a hint.
  CHECK(language_of(file("service_code=pothole&address_string=SE+Stark+4410",
                         {{"Accept-Language", "es-MX,es;q=0.9"}})) == "es (hint)");
  // A header naming only languages the city does not list leaves it to the text.
  CHECK(language_of(file("service_code=pothole&address_string=SE+Stark+4410"
                         "&description=Hay+un+bache+enorme+en+la+calle+Alberta+frente+a+la+escuela",
                         {{"Accept-Language", "fr-CA,fr;q=0.9"}})) == "es (detected)");
  // A language the city does not list is still the resident's choice (an interpreter's job).
  CHECK(language_of(file("service_code=pothole&address_string=x&language=fr_CA", {})) ==
        "fr-CA (selected)");

  // Garbage is refused in Open311's error format, and counted.
  auto refused = file("service_code=pothole&address_string=x&language=klingon%21", {});
  CHECK(refused.status == 400);
  CHECK(refused.json().at(0).at("code").as_int64() == 400);
  CHECK(str(refused.json().at(0).at("description")) ==
        "language \"klingon!\" is not a BCP 47 language tag such as es, vi, zh-Hant or es-MX");
  CHECK(daemon.get("/metrics")
            .body.find(R"(frontdoor_rejected_total{edge="webform",reason="invalid_request"} 1)") !=
        std::string::npos);
}
