// Queues' own settings: priority, overflow, business hours with the after-hours notice, the
// acknowledgement in the resident's language, languages a queue serves, its service level; and
// the resolution notice, in the resident's language.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "tests/integration/harness.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string str(const json::value& v) { return std::string(v.as_string()); }

const char* kForm = "application/x-www-form-urlencoded";

// A web form request of `service` (pothole → streets, water_leak → water): its conversation.
std::string file_request(const Daemon& daemon, const std::string& service) {
  auto res = daemon.post("/open311/v2/requests.json",
                         "service_code=" + service + "&address_string=1+Main+St&description=Help",
                         {}, kForm);
  INFO(res.body);
  REQUIRE(res.status == 201);
  return str(res.json().at(0).at("service_request_id"));
}

json::object conversation_of(const Daemon& daemon, const std::string& token,
                             const std::string& id) {
  return daemon.get("/api/v1/conversations/" + id, token).json().at("conversation").as_object();
}

// Waits until `field` of the conversation is `value` (false after `timeout`).
bool becomes(const Daemon& daemon, const std::string& token, const std::string& id,
             const std::string& field, const std::string& value,
             std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto c = conversation_of(daemon, token, id);
    if (c.contains(field) && c.at(field).is_string() && str(c.at(field)) == value) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
}

// A resident who chats in `language`; the socket stays open to read what the city says.
struct Chat {
  WsClient socket;
  std::string conversation_id;
  Chat(const Daemon& daemon, const std::string& language, const std::string& text)
      : socket(daemon.port(), "/chat/ws") {
    socket.send(R"({"type":"hello","name":"Resident","language":")" + language + R"("})");
    socket.read_until("welcome");
    socket.send(json::serialize(json::object{{"type", "message"}, {"text", text}}));
    auto receipt = socket.read_until("message");
    REQUIRE(receipt.at("direction") == "in");  // the resident's own message comes first
    conversation_id = str(receipt.at("conversation_id"));
  }
  // The next message the city sends (direction "out").
  json::object next_from_city(std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto frame = socket.read_until("message", timeout);
      if (frame.at("direction") == "out") return frame;
    }
    FAIL("no message from the city");
    return {};
  }
};

const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
const char* kDayNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                           "Thursday", "Friday", "Saturday"};

}  // namespace

TEST_CASE("an agent in two queues takes the higher-priority queue's conversations first") {
  RedisServer redis;
  Daemon daemon(redis.url(), {}, "[queues.streets]\npriority = 1\n[queues.water]\npriority = 9\n");
  auto admin = daemon.login();
  add_agent(daemon, admin, "pat", R"("en")", R"("streets","water")", R"({"webform":1})");
  auto streets = file_request(daemon, "pothole");  // older, but in the lower queue
  std::this_thread::sleep_for(50ms);
  auto water = file_request(daemon, "water_leak");
  available(daemon, "pat");
  CHECK(becomes(daemon, admin, water, "agent", "pat"));
  CHECK_FALSE(conversation_of(daemon, admin, streets).at("agent").is_string());
}

TEST_CASE("a conversation that waited the queue's overflow_after_s moves to the overflow queue") {
  RedisServer redis;
  Daemon daemon(redis.url(), {},
                "[queues.streets]\noverflow_to = \"water\"\noverflow_after_s = 1\n");
  auto admin = daemon.login();
  auto id = file_request(daemon, "pothole");
  CHECK(conversation_of(daemon, admin, id).at("queue") == "streets");
  REQUIRE(becomes(daemon, admin, id, "queue", "water", 4000ms));
  auto detail = daemon.get("/api/v1/conversations/" + id, admin).json();
  bool noted = false;
  for (const auto& m : detail.at("messages").as_array()) {
    if (m.at("direction") == "system" &&
        str(m.at("text")).starts_with("moved to queue water from streets: waited 1 s")) {
      noted = true;
    }
  }
  CHECK(noted);
  CHECK(
      daemon.get("/metrics").body.find("frontdoor_routing_overflows_total{queue=\"streets\"} 1") !=
      std::string::npos);
  // The water agent takes it there.
  add_agent(daemon, admin, "wes", R"("en")", R"("water")");
  available(daemon, "wes");
  CHECK(becomes(daemon, admin, id, "agent", "wes"));
}

TEST_CASE("a chat while the queue is closed is told when it opens, in the city's time zone") {
  RedisServer redis;
  // Open only two days from now, 08:00-09:00 UTC: closed now, whatever the time.
  const auto today =
      std::chrono::weekday(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()));
  const unsigned open_day = (today.c_encoding() + 2) % 7;
  Daemon daemon(redis.url(), {},
                "[city]\ntime_zone = \"UTC\"\n[queues.general]\nacknowledge = true\nhours = \"" +
                    std::string(kDays[open_day]) + " 08:00-09:00\"\n");
  daemon.login();  // the events reader has started by then
  Chat resident(daemon, "en", "The streetlight on Elm is out.");
  auto notice = resident.next_from_city();
  const std::string text = str(notice.at("text"));
  INFO(text);
  CHECK(notice.at("author") == "system");
  CHECK(text.find("Your reference number is " + resident.conversation_id) != std::string::npos);
  CHECK(text.find("We are closed now") != std::string::npos);
  CHECK(text.find(std::string("(") + kDayNames[open_day] + ", 8:00") != std::string::npos);
}

TEST_CASE("a Vietnamese chat is acknowledged once, in Vietnamese, with its reference number") {
  RedisServer redis;
  Daemon daemon(redis.url(), {{"CONVERSATIONS_ACKNOWLEDGE", "true"}});
  auto admin = daemon.login();
  Chat lan(daemon, "vi", "Đèn đường trước nhà tôi bị hỏng rồi");
  auto ack = lan.next_from_city();
  const std::string text = str(ack.at("text"));
  INFO(text);
  CHECK(text.find("Số tham chiếu của quý vị là " + lan.conversation_id) != std::string::npos);
  CHECK(text.find("khoảng 1 phút") != std::string::npos);  // the 25 s target, in minutes
  // A second message is no new conversation: nothing more from the city.
  lan.socket.send(R"({"type":"message","text":"Ở số 12 đường Elm."})");
  lan.socket.read_until("message");
  CHECK_THROWS(lan.socket.read_until("message", 700ms));
  // The transcript keeps it as the city's message, delivered, and the conversation still waits.
  auto detail = daemon.get("/api/v1/conversations/" + lan.conversation_id, admin).json();
  int acknowledgements = 0;
  for (const auto& m : detail.at("messages").as_array()) {
    if (m.at("direction") == "out" && m.at("author") == "system") ++acknowledgements;
  }
  CHECK(acknowledgements == 1);
  CHECK(detail.at("conversation").at("status") == "queued");
}

TEST_CASE(
    "a Spanish chat is told in Spanish each time it is resolved, unless the agent says not to") {
  RedisServer redis;
  Daemon daemon(redis.url(), {{"CONVERSATIONS_NOTIFY_RESOLVED", "true"}});
  auto admin = daemon.login();
  Chat rosa(daemon, "es", "Hay un bache enorme en la calle Alder.");
  const std::string path = "/api/v1/conversations/" + rosa.conversation_id;
  auto resolve = [&](const std::string& body) {
    auto res = daemon.post(path + "/status", body, admin);
    INFO(res.body);
    REQUIRE(res.status == 200);
  };
  auto notices = [&] {
    int n = 0;
    const auto detail = daemon.get(path, admin).json();
    for (const auto& m : detail.at("messages").as_array()) {
      if (m.at("direction") == "out" && m.at("author") == "system") {
        CHECK(m.at("template") == "resolved");
        ++n;
      }
    }
    return n;
  };

  resolve(R"({"status":"resolved"})");
  auto told = rosa.next_from_city();
  const std::string text = str(told.at("text"));
  INFO(text);
  CHECK(text == "Su solicitud n.º " + rosa.conversation_id +
                    " está resuelta. Si necesita más ayuda, escriba aquí y la volveremos a abrir.");
  // Resolving what is resolved already tells nobody again.
  resolve(R"({"status":"resolved"})");
  CHECK_THROWS(rosa.socket.read_until("message", 700ms));
  CHECK(notices() == 1);

  // The resident answers: the same conversation again, and its next resolution is told too.
  rosa.socket.send(R"({"type":"message","text":"Sigue ahí, ahora es más grande."})");
  REQUIRE(rosa.socket.read_until("message").at("direction") == "in");
  REQUIRE(becomes(daemon, admin, rosa.conversation_id, "status", "queued"));
  resolve(R"({"status":"resolved"})");
  CHECK(str(rosa.next_from_city().at("text")) == text);
  CHECK(notices() == 2);

  // An agent may resolve without telling (a duplicate, a resident who said goodbye).
  rosa.socket.send(R"({"type":"message","text":"Gracias."})");
  REQUIRE(rosa.socket.read_until("message").at("direction") == "in");
  REQUIRE(becomes(daemon, admin, rosa.conversation_id, "status", "queued"));
  auto bad =
      daemon.post(path + "/status", R"({"status":"resolved","notify_resident":"no"})", admin);
  CHECK(bad.status == 400);
  resolve(R"({"status":"resolved","notify_resident":false})");
  CHECK_THROWS(rosa.socket.read_until("message", 700ms));
  CHECK(notices() == 2);
}

TEST_CASE("a language the queue does not serve goes to an agent at once, with an interpreter") {
  RedisServer redis;
  Daemon daemon(redis.url(), {}, "[queues.general]\nlanguages = \"en,es\"\n");
  auto admin = daemon.login();
  add_agent(daemon, admin, "ana", R"("en")", R"("general")");
  available(daemon, "ana");
  Chat samira(daemon, "so", "Qashinka lagama qaadin waddadayada.");
  // routing.language_wait_s is 60 s; Somali is not served here, so nobody waits for it.
  REQUIRE(becomes(daemon, admin, samira.conversation_id, "agent", "ana", 3000ms));
  CHECK(redis.cli({"HGET", "conv:{" + samira.conversation_id + "}", "needs_interpreter"}) == "so");
}

TEST_CASE("each queue's service level is measured against its own target") {
  RedisServer redis;
  Daemon daemon(redis.url(), {}, "[queues.water]\nservice_level_s = 40\n");
  auto admin = daemon.login();
  file_request(daemon, "water_leak");
  file_request(daemon, "pothole");
  json::object water, streets;
  for (int i = 0; i < 100 && (water.empty() || streets.empty()); ++i) {
    const auto answer = daemon.get("/api/v1/queues", admin).json();
    for (const auto& q : answer.at("queues").as_array()) {
      if (q.at("queue") == "water") water = q.as_object();
      if (q.at("queue") == "streets") streets = q.as_object();
    }
    std::this_thread::sleep_for(50ms);
  }
  CHECK(water.at("service_level_target_s").to_number<double>() == 40.0);
  CHECK(streets.at("service_level_target_s").to_number<double>() == 25.0);
}
