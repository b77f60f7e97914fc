// A resident chats on the city website; an agent sees it live, answers, and the resident gets
// the answer on the same socket — and again after coming back with the token.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/integration/harness.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return std::string(v.as_string()); }

}  // namespace

TEST_CASE("a resident's chat reaches the agent live and the reply reaches the resident") {
  RedisServer redis;
  Daemon daemon(redis.url());
  auto token = daemon.login();

  WsClient agent(daemon.port(), "/api/v1/stream", {{"Authorization", "Bearer " + token}});
  CHECK(str(agent.read_json().at("type")) == "hello");

  WsClient resident(daemon.port(), "/chat/ws");
  resident.send(R"({"type":"hello","name":"Lan","language":"vi"})");
  auto welcome = resident.read_json();
  REQUIRE(str(welcome.at("type")) == "welcome");
  CHECK(welcome.at("conversation_id").is_null());
  std::string chat_token = str(welcome.at("token"));

  // "Đèn đường" written with a combining accent: stored in NFC.
  const std::string decomposed =
      "\xC4\x90"
      "e\xCC\x80n \xC4\x91\xC6\xB0\xE1\xBB\x9Dng tr\xC6\xB0\xE1\xBB\x9B"
      "c nh\xC3\xA0 t\xC3\xB4i b\xE1\xBB\x8B h\xE1\xBB\x8Fng r\xE1\xBB\x93i";
  const std::string composed =
      "\xC4\x90\xC3\xA8n \xC4\x91\xC6\xB0\xE1\xBB\x9Dng tr\xC6\xB0\xE1\xBB\x9B"
      "c nh\xC3\xA0 t\xC3\xB4i b\xE1\xBB\x8B h\xE1\xBB\x8Fng r\xE1\xBB\x93i";
  resident.send(json::serialize(
      json::object{{"type", "message"}, {"text", decomposed}, {"client_id", "c1"}}));
  auto receipt = resident.read_until("message");
  CHECK(str(receipt.at("direction")) == "in");
  CHECK(str(receipt.at("client_id")) == "c1");
  CHECK(str(receipt.at("text")) == composed);
  std::string conversation = str(receipt.at("conversation_id"));
  std::string first_id = str(receipt.at("id"));

  auto created = agent.read_until("conversation.created");
  CHECK(str(created.at("conversation_id")) == conversation);
  CHECK(str(created.at("conversation").at("language")) == "vi");
  CHECK(str(created.at("conversation").at("status")) == "queued");
  auto live = agent.read_until("message.created");
  CHECK(str(live.at("message").at("text")) == composed);
  CHECK(str(live.at("message").at("direction")) == "in");

  // The agent answers; the resident's socket shows it.
  auto reply = daemon.post("/api/v1/conversations/" + conversation + "/messages",
                           R"({"text":"Cảm ơn chị Lan, chúng tôi sẽ sửa trong tuần này."})", token);
  REQUIRE(reply.status == 201);
  CHECK(str(reply.json().at("message").at("delivery")) == "sent");
  auto answer = resident.read_until("message");
  CHECK(str(answer.at("direction")) == "out");
  CHECK(str(answer.at("text")) == "Cảm ơn chị Lan, chúng tôi sẽ sửa trong tuần này.");
  std::string answer_id = str(answer.at("id"));

  // An internal note never reaches the resident.
  REQUIRE(daemon
              .post("/api/v1/conversations/" + conversation + "/notes",
                    R"({"text":"Ticket SL-4411 opened with the streets crew"})", token)
              .status == 201);
  CHECK_FALSE(resident.read(std::chrono::milliseconds(300)).has_value());

  auto detail = daemon.get("/api/v1/conversations/" + conversation, token).json();
  CHECK(str(detail.at("conversation").at("status")) == "pending_resident");
  CHECK(str(detail.at("conversation").at("agent")) == "admin");
  CHECK_FALSE(detail.at("conversation").at("first_response_at").is_null());
  auto& messages = detail.at("messages").as_array();
  REQUIRE(messages.size() == 3);
  CHECK(str(messages[0].at("direction")) == "in");
  CHECK(str(messages[1].at("direction")) == "out");
  CHECK(str(messages[2].at("direction")) == "note");

  // The resident's network drops; resuming with the token replays what came after first_id.
  WsClient back(daemon.port(), "/chat/ws");
  back.send(json::serialize(
      json::object{{"type", "resume"}, {"token", chat_token}, {"last_id", first_id}}));
  auto welcome_back = back.read_json();
  CHECK(str(welcome_back.at("conversation_id")) == conversation);
  auto replayed = back.read_until("message");
  CHECK(str(replayed.at("id")) == answer_id);
  CHECK_FALSE(back.read(std::chrono::milliseconds(300)).has_value());

  // Sending the same client_id again (a resend after reconnecting) stores nothing new.
  back.send(json::serialize(
      json::object{{"type", "message"}, {"text", decomposed}, {"client_id", "c1"}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto after = daemon.get("/api/v1/conversations/" + conversation, token).json();
  CHECK(after.at("messages").as_array().size() == 3);

  // A new message from the resident brings the conversation back to the agent.
  back.send(R"({"type":"message","text":"Cảm ơn!","client_id":"c2"})");
  auto thanks = back.read_until("message");
  CHECK(str(thanks.at("text")) == "Cảm ơn!");
  auto conv = daemon.get("/api/v1/conversations/" + conversation, token).json();
  CHECK(str(conv.at("conversation").at("status")) == "assigned");
}

TEST_CASE("the agent stream shows only what the agent may see") {
  RedisServer redis;
  Daemon daemon(redis.url());
  auto admin = daemon.login();
  REQUIRE(daemon
              .post("/api/v1/agents",
                    R"({"username":"minh","password":"minh-password","display_name":"Minh",
                          "languages":["vi","en"],"queues":["water"]})",
                    admin)
              .status == 201);
  REQUIRE(daemon
              .post("/api/v1/agents",
                    R"({"username":"sam","password":"sam-password","role":"supervisor"})", admin)
              .status == 201);
  auto minh = daemon.login("minh", "minh-password");
  auto sam = daemon.login("sam", "sam-password");
  WsClient minh_stream(daemon.port(), "/api/v1/stream?access_token=" + minh);
  WsClient sam_stream(daemon.port(), "/api/v1/stream", {{"Authorization", "Bearer " + sam}});
  minh_stream.read_until("hello");
  sam_stream.read_until("hello");

  auto pothole = daemon.post("/open311/v2/requests.json",
                             "service_code=pothole&address_string=12+Main+St&description=Deep+hole",
                             {}, "application/x-www-form-urlencoded");
  REQUIRE(pothole.status == 201);
  std::string pothole_id = str(pothole.json().at(0).at("service_request_id"));
  auto leak = daemon.post("/open311/v2/requests.json",
                          "service_code=water_leak&address_string=3+Oak+Ave&description=Leak", {},
                          "application/x-www-form-urlencoded");
  REQUIRE(leak.status == 201);
  std::string leak_id = str(leak.json().at(0).at("service_request_id"));

  // The supervisor sees both; Minh (water queue) sees only the leak.
  CHECK(str(sam_stream.read_until("conversation.created").at("conversation_id")) == pothole_id);
  CHECK(str(sam_stream.read_until("conversation.created").at("conversation_id")) == leak_id);
  CHECK(str(minh_stream.read_until("conversation.created").at("conversation_id")) == leak_id);

  CHECK(daemon.get("/api/v1/conversations/" + pothole_id, minh).status == 403);
  CHECK(daemon.get("/api/v1/conversations/" + leak_id, minh).status == 200);
  auto list = daemon.get("/api/v1/conversations", minh).json();
  REQUIRE(list.at("conversations").as_array().size() == 1);
  CHECK(str(list.at("conversations").at(0).at("id")) == leak_id);
  CHECK(daemon.get("/api/v1/conversations?queue=streets", sam)
            .json()
            .at("conversations")
            .as_array()
            .size() == 1);

  // Agents claim for themselves; only supervisors assign to others; only admins add agents.
  CHECK(daemon.post("/api/v1/conversations/" + leak_id + "/assign", R"({"agent":"sam"})", minh)
            .status == 403);
  CHECK(daemon.post("/api/v1/conversations/" + leak_id + "/assign", "{}", minh).status == 200);
  CHECK(daemon.post("/api/v1/conversations/" + leak_id + "/assign", "{}", sam).status == 200);
  auto taken = daemon.post("/api/v1/conversations/" + leak_id + "/assign", "{}", minh);
  CHECK(taken.status == 409);  // Sam holds it now; only a supervisor moves it again
  CHECK(daemon.post("/api/v1/conversations/" + leak_id + "/assign", R"({"agent":"minh"})", sam)
            .status == 200);
  CHECK(daemon.post("/api/v1/conversations/" + pothole_id + "/assign", R"({"agent":"minh"})", sam)
            .status == 200);
  CHECK(daemon.get("/api/v1/conversations/" + pothole_id, minh).status == 200);
  CHECK(daemon.post("/api/v1/agents", R"({"username":"x","password":"long-enough"})", sam).status ==
        403);
  CHECK(daemon.post("/api/v1/agents", R"({"username":"minh","password":"long-enough"})", admin)
            .status == 409);

  // A reply to a resolved conversation reopens it.
  CHECK(
      daemon.post("/api/v1/conversations/" + leak_id + "/status", R"({"status":"resolved"})", minh)
          .status == 200);
  auto resolved = daemon.get("/api/v1/conversations/" + leak_id, minh).json().at("conversation");
  CHECK_FALSE(resolved.at("resolved_at").is_null());
  CHECK(daemon
            .post("/api/v1/conversations/" + leak_id + "/messages", R"({"text":"One more thing"})",
                  minh)
            .status == 201);
  auto reopened = daemon.get("/api/v1/conversations/" + leak_id, minh).json().at("conversation");
  CHECK(str(reopened.at("status")) == "pending_resident");
  CHECK(reopened.at("resolved_at").is_null());

  // Resolve, then close: a closed conversation takes no replies.
  CHECK(
      daemon.post("/api/v1/conversations/" + leak_id + "/status", R"({"status":"resolved"})", minh)
          .status == 200);
  CHECK(daemon.post("/api/v1/conversations/" + leak_id + "/status", R"({"status":"closed"})", minh)
            .status == 200);
  auto closed =
      daemon.post("/api/v1/conversations/" + leak_id + "/messages", R"({"text":"hello?"})", minh);
  CHECK(closed.status == 409);
  CHECK(str(closed.json().at("error").at("code")) == "conflict");
}
