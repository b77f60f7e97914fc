// The SMS language menu through a real Kannel: a resident whose first text says nothing about
// their language gets one numbered menu on their phone; a number answers it, and that choice
// holds against later texts; an opted-out number never gets it (docs/languages.md).
#include <catch2/catch.hpp>

#include <memory>
#include <thread>

#include "tests/integration/harness.hpp"
#include "tests/integration/kannel_rig.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

constexpr const char* kCity = "+15035550100";
constexpr const char* kLan = "+15035550123";
constexpr const char* kSecret = "s3cret";

// A real Kannel with its phones, Redis, and the daemon with a four-language menu; an agent's
// stream to learn conversation ids from.
struct MenuRig {
  KannelRig kannel;
  RedisServer redis;
  Daemon daemon{redis.url(),
                {{"CHANNELS_SMS_ENABLED", "true"},
                 {"CHANNELS_SMS_LANGUAGE_MENU", "en,es,vi,zh-Hans"},
                 {"CHANNELS_SMS_KANNEL_ENABLED", "true"},
                 {"CHANNELS_SMS_KANNEL_NUMBERS", kCity},
                 {"CHANNELS_SMS_KANNEL_SENDSMS_URL", kannel.sendsms_url()},
                 {"CHANNELS_SMS_KANNEL_USERNAME", kannel.username()},
                 {"CHANNELS_SMS_KANNEL_PASSWORD", kannel.password()},
                 {"CHANNELS_SMS_KANNEL_SECRET", kSecret}}};
  std::string token;
  std::unique_ptr<WsClient> agent;

  MenuRig() {
    kannel.start("http://127.0.0.1:" + std::to_string(daemon.port()) +
                 "/webhooks/kannel/mo?secret=" + kSecret);
    token = daemon.login();
    agent = std::make_unique<WsClient>(
        daemon.port(), "/api/v1/stream",
        std::map<std::string, std::string>{{"Authorization", "Bearer " + token}});
    agent->read_until("hello");
  }

  // `from` texts the city; the id of the conversation it opens.
  std::string opens(const std::string& from, const std::string& text) {
    kannel.phone_sends(from, kCity, text);
    return str(
        agent->read_until("conversation.created", std::chrono::seconds(10)).at("conversation_id"));
  }
};

// What the phone got within `wait`.
std::vector<ReceivedSms> phone_got(KannelRig& kannel, std::chrono::milliseconds wait) {
  std::vector<ReceivedSms> all;
  for (auto until = std::chrono::steady_clock::now() + wait;
       std::chrono::steady_clock::now() < until;) {
    for (auto& sms : kannel.phone_received(std::chrono::milliseconds(200))) all.push_back(sms);
  }
  return all;
}

ReceivedSms next_sms(KannelRig& kannel) {
  for (int i = 0; i < 50; ++i) {
    auto got = kannel.phone_received(std::chrono::milliseconds(200));
    if (!got.empty()) {
      REQUIRE(got.size() == 1);
      return got.front();
    }
  }
  FAIL("the phone got no text within 10 s");
  return {};
}

// The conversation once it has `count` messages (waits up to 5 s).
json::object conversation_with(const Daemon& daemon, const std::string& token,
                               const std::string& id, std::size_t count) {
  json::object view;
  for (int i = 0; i < 100; ++i) {
    view = daemon.get("/api/v1/conversations/" + id, token).json().as_object();
    if (view.at("messages").as_array().size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(view.at("messages").as_array().size() == count);
  return view;
}

}  // namespace

TEST_CASE("an SMS in no known language gets the menu, and a number chooses the language") {
  MenuRig rig;
  KannelRig& kannel = rig.kannel;
  const Daemon& daemon = rig.daemon;
  const std::string& token = rig.token;

  // Too short to detect: the language stays unknown, and the menu goes out, each language in
  // its own name.
  const std::string id = rig.opens(kLan, "Hello?");
  const ReceivedSms menu = next_sms(kannel);
  CHECK(menu.text ==
        "City 311: Reply with your language's number.\n1 English\n2 Español\n3 Tiếng Việt\n"
        "4 中文（简体）");
  CHECK(menu.coding == 2);
  auto view = conversation_with(daemon, token, id, 2);
  CHECK(str(view.at("conversation").at("language")).empty());
  CHECK(str(view.at("conversation").at("status")) == "queued");  // the menu answers nothing
  CHECK(view.at("conversation").at("first_response_at").is_null());
  const auto& sent = view.at("messages").as_array().at(1);
  CHECK(str(sent.at("direction")) == "out");
  CHECK(str(sent.at("author")) == "system");
  CHECK(str(sent.at("text")) == menu.text);
  CHECK(str(sent.at("delivery")) != "failed");

  // "3" chooses the third language: selected, as the chat widget's selector; the answer is
  // stored as the message it is, the agent sees the choice, the resident gets a confirmation in
  // Vietnamese.
  kannel.phone_sends(kLan, kCity, " 3.");
  const ReceivedSms confirmation = next_sms(kannel);
  CHECK(confirmation.text.find("Ngôn ngữ đã chọn: Tiếng Việt") != std::string::npos);
  view = conversation_with(daemon, token, id, 5);
  CHECK(str(view.at("conversation").at("language")) == "vi");
  CHECK(str(view.at("conversation").at("language_source")) == "selected");
  const auto& messages = view.at("messages").as_array();
  CHECK(str(messages.at(2).at("text")) == " 3.");
  CHECK(str(messages.at(2).at("direction")) == "in");
  CHECK(str(messages.at(2).at("language")) == "vi");
  CHECK(str(messages.at(3).at("direction")) == "system");
  CHECK(str(messages.at(3).at("text")) ==
        "resident chose Vietnamese (vi) from the SMS language menu");
  CHECK(str(messages.at(4).at("author")) == "system");
  CHECK(str(messages.at(4).at("text")) == confirmation.text);

  // A Spanish text later is Spanish, but the conversation keeps the chosen language.
  kannel.phone_sends(kLan, kCity, "Hay un bache enorme en la calle Alberta frente a la escuela");
  view = conversation_with(daemon, token, id, 6);
  CHECK(str(view.at("messages").as_array().at(5).at("language")) == "es");
  CHECK(str(view.at("conversation").at("language")) == "vi");
  CHECK(str(view.at("conversation").at("language_source")) == "selected");

  // The menu is answered: another number is an ordinary message, and nothing is sent back.
  kannel.phone_sends(kLan, kCity, "2");
  view = conversation_with(daemon, token, id, 7);
  CHECK(str(view.at("messages").as_array().at(6).at("text")) == "2");
  CHECK(str(view.at("conversation").at("language")) == "vi");
  CHECK(phone_got(kannel, std::chrono::milliseconds(1000)).empty());

  const std::string metrics = daemon.get("/metrics").body;
  CHECK(metrics.find(R"(frontdoor_sms_language_menu_total{event="offered"} 1)") !=
        std::string::npos);
  CHECK(metrics.find(R"(frontdoor_sms_language_menu_total{event="answered"} 1)") !=
        std::string::npos);
}

TEST_CASE("no menu for a text whose language is known, nor for an opted-out number") {
  MenuRig rig;
  KannelRig& kannel = rig.kannel;
  const Daemon& daemon = rig.daemon;
  const std::string& token = rig.token;

  // Detected from its letters: no menu; and a bare number then is just a message.
  const std::string known = rig.opens("+15035550124", "Đèn đường trước nhà tôi bị hỏng rồi");
  kannel.phone_sends("+15035550124", kCity, "1");
  auto view = conversation_with(daemon, token, known, 2);
  CHECK(str(view.at("conversation").at("language")) == "vi");
  CHECK(str(view.at("conversation").at("language_source")) == "detected");

  // STOP, then a text in no known language: the conversation opens, the menu does not go.
  kannel.phone_sends(kLan, kCity, "STOP");
  CHECK(next_sms(kannel).text.find("unsubscribed") != std::string::npos);
  const std::string id = rig.opens(kLan, "Hello?");
  CHECK(phone_got(kannel, std::chrono::milliseconds(1500)).empty());
  view = conversation_with(daemon, token, id, 1);
  CHECK(str(view.at("conversation").at("language")).empty());
  CHECK(daemon.get("/metrics").body.find("frontdoor_sms_language_menu_total") == std::string::npos);
}
