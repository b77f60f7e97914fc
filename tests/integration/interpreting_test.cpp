// A conversation in a language no agent reads gets an agent plus an interpreter: from the pool,
// then a vendor over signed HTTP, then a supervisor; the transcript keeps every original beside
// its interpretation.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <thread>

#include "daemon/interpreting/interpreting.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/http_standin.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

// An account: role, languages and queues as JSON arrays' insides.
void add_account(const Daemon& daemon, const std::string& admin, const std::string& username,
                 const std::string& role, const std::string& languages,
                 const std::string& queues = "") {
  auto created = daemon.post("/api/v1/agents",
                             R"({"username":")" + username +
                                 R"(","password":"agent-password","display_name":")" + username +
                                 R"(","role":")" + role + R"(","languages":[)" + languages +
                                 R"(],"queues":[)" + queues + "]}",
                             admin);
  INFO(created.body);
  REQUIRE(created.status == 201);
}

json::object conversation_of(const Daemon& daemon, const std::string& token,
                             const std::string& id) {
  return daemon.get("/api/v1/conversations/" + id, token).json().at("conversation").as_object();
}

// Waits until the conversation's `field` is `value` (as seen by `token`); returns whether it did.
bool becomes(const Daemon& daemon, const std::string& token, const std::string& id,
             const std::string& field, const std::string& value,
             std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (str(conversation_of(daemon, token, id).at(field)) == value) return true;
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

json::array messages_of(const Daemon& daemon, const std::string& token, const std::string& id) {
  return daemon.get("/api/v1/conversations/" + id, token).json().at("messages").as_array();
}

// The newest message of `direction`.
json::object last_message(const json::array& messages, const std::string& direction) {
  json::object found;
  for (const auto& m : messages) {
    if (str(m.at("direction")) == direction) found = m.as_object();
  }
  return found;
}

bool has_system_line(const json::array& messages, const std::string& part) {
  for (const auto& m : messages) {
    if (str(m.at("direction")) == "system" && str(m.at("text")).find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// A resident in the chat widget, in Somali.
struct SomaliResident {
  explicit SomaliResident(const Daemon& daemon) : socket(daemon.port(), "/chat/ws") {
    socket.send(R"({"type":"hello","name":"Samira","language":"so"})");
    socket.read_until("welcome");
  }
  std::string say(const std::string& text) {
    socket.send(json::serialize(json::object{{"type", "message"}, {"text", text}}));
    auto receipt = socket.read_until("message");
    return str(receipt.at("conversation_id"));
  }
  // The next message to the resident (direction out).
  json::object next_reply(std::chrono::milliseconds timeout = 5000ms) {
    for (;;) {
      auto frame = socket.read_until("message", timeout);
      if (str(frame.at("direction")) == "out") return frame;
    }
  }
  WsClient socket;
};

}  // namespace

TEST_CASE(
    "a Somali chat with no Somali agent gets an agent plus an interpreter and a correct "
    "three-party transcript") {
  RedisServer redis;
  Daemon daemon(redis.url(), {{"ROUTING_LANGUAGE_WAIT_S", "1"}});
  auto admin = daemon.login();
  add_account(daemon, admin, "ana", "agent", R"("en","es")", R"("general")");
  add_account(daemon, admin, "hodan", "interpreter", R"("so","en")");
  add_account(daemon, admin, "farah", "interpreter", R"("so","ar")");  // no English: no pair
  auto ana = available(daemon, "ana");
  auto farah = available(daemon, "farah");
  auto hodan = available(daemon, "hodan");

  SomaliResident samira(daemon);
  auto id = samira.say("Waddada agteeda waxaa ku yaal god weyn oo halis ah.");
  REQUIRE(becomes(daemon, admin, id, "agent", "ana"));
  REQUIRE(becomes(daemon, admin, id, "interpreter", "hodan"));
  auto conv = conversation_of(daemon, admin, id);
  CHECK(str(conv.at("interpretation")) == "active");
  CHECK(str(conv.at("needs_interpreter")) == "so");

  // Samira is told, in Somali, on her channel.
  auto notice = samira.next_reply();
  CHECK(str(notice.at("text")).find("Turjubaan") != std::string::npos);

  // The agent sees that an interpreter was requested and who joined.
  auto seen_by_ana = messages_of(daemon, ana, id);
  CHECK(has_system_line(seen_by_ana, "interpreter requested (so ↔ en)"));
  CHECK(has_system_line(seen_by_ana, "hodan joined as interpreter (so ↔ en)"));

  // The interpreter sees the conversation, the resident's words, and no internal notes.
  REQUIRE(daemon
              .post("/api/v1/conversations/" + id + "/notes",
                    R"({"text":"Caller may be the same as last week's report."})", ana)
              .status == 201);
  auto listed = daemon.get("/api/v1/conversations", hodan).json().at("conversations").as_array();
  REQUIRE(listed.size() == 1);
  CHECK(str(listed[0].at("id")) == id);
  auto seen_by_hodan = messages_of(daemon, hodan, id);
  CHECK(last_message(seen_by_hodan, "note").empty());
  auto original = last_message(seen_by_hodan, "in");
  REQUIRE(!original.empty());
  CHECK(daemon.get("/api/v1/conversations/" + id, farah).status == 403);
  // Interpreters interpret; they do not reply, resolve or transfer.
  CHECK(
      daemon.post("/api/v1/conversations/" + id + "/messages", R"({"text":"hi"})", hodan).status ==
      403);
  CHECK(daemon.post("/api/v1/conversations/" + id + "/status", R"({"status":"resolved"})", hodan)
            .status == 403);
  // Agents do not post interpretations.
  CHECK(daemon
            .post("/api/v1/conversations/" + id + "/interpretations",
                  R"({"of":")" + str(original.at("id")) + R"(","text":"x"})", ana)
            .status == 403);

  // Resident → interpreter → agent.
  auto to_agent = daemon.post(
      "/api/v1/conversations/" + id + "/interpretations",
      json::serialize(json::object{{"of", original.at("id")},
                                   {"text", "There is a big, dangerous pothole near the road."}}),
      hodan);
  INFO(to_agent.body);
  REQUIRE(to_agent.status == 201);
  CHECK(str(to_agent.json().at("message").at("direction")) == "interpretation");
  CHECK(str(to_agent.json().at("message").at("language")) == "en");

  // Agent → interpreter → resident: the agent's English never reaches Samira.
  auto reply = daemon.post("/api/v1/conversations/" + id + "/messages",
                           R"({"text":"Thank you. A crew will fill it within two days."})", ana);
  INFO(reply.body);
  REQUIRE(reply.status == 201);
  CHECK(str(reply.json().at("message").at("direction")) == "for_interpreter");
  auto agent_reply_id = str(reply.json().at("message").at("id"));
  auto to_resident =
      daemon.post("/api/v1/conversations/" + id + "/interpretations",
                  json::serialize(json::object{
                      {"of", agent_reply_id},
                      {"text", "Mahadsanid. Koox ayaa buuxin doonta laba maalmood gudahood."}}),
                  hodan);
  INFO(to_resident.body);
  REQUIRE(to_resident.status == 201);
  CHECK(str(to_resident.json().at("message").at("direction")) == "out");
  auto received = samira.next_reply();
  CHECK(str(received.at("text")) == "Mahadsanid. Koox ayaa buuxin doonta laba maalmood gudahood.");
  // Only a message waiting for its interpretation can be interpreted.
  CHECK(daemon
            .post("/api/v1/conversations/" + id + "/interpretations",
                  R"({"of":")" + str(notice.at("id")) + R"(","text":"x"})", hodan)
            .status == 400);

  // The transcript: each original beside its interpretation, with who and when.
  auto transcript = daemon.get("/api/v1/conversations/" + id + "/transcript", ana).json();
  int paired = 0;
  for (const auto& entry : transcript.at("entries").as_array()) {
    const auto& message = entry.at("message");
    const auto& interpretations = entry.at("interpretations").as_array();
    if (str(message.at("id")) == str(original.at("id"))) {
      REQUIRE(interpretations.size() == 1);
      CHECK(str(interpretations[0].at("author")) == "interpreter:hodan");
      CHECK(str(interpretations[0].at("interpretation_of")) == str(original.at("id")));
      CHECK(str(interpretations[0].at("text")) ==
            "There is a big, dangerous pothole near the road.");
      CHECK(interpretations[0].at("created_at").is_string());
      ++paired;
    } else if (str(message.at("id")) == agent_reply_id) {
      CHECK(str(message.at("author")) == "agent:ana");
      REQUIRE(interpretations.size() == 1);
      CHECK(str(interpretations[0].at("direction")) == "out");
      CHECK(str(interpretations[0].at("author")) == "interpreter:hodan");
      CHECK(str(interpretations[0].at("language")) == "so");
      CHECK((str(interpretations[0].at("delivery")) == "sent" ||
             str(interpretations[0].at("delivery")) == "delivered"));
      ++paired;
    } else {
      CHECK(interpretations.empty());
    }
  }
  CHECK(paired == 2);

  // Resolved: the interpreter is free again.
  REQUIRE(daemon.post("/api/v1/conversations/" + id + "/status", R"({"status":"resolved"})", ana)
              .status == 200);
  CHECK(str(conversation_of(daemon, admin, id).at("interpretation")) == "ended");
  CHECK(redis.cli({"SCARD", "agent:{hodan}:interpreting"}) == "0");
  CHECK(daemon.get("/api/v1/conversations/" + id, hodan).status == 403);  // not theirs any more

  // Samira writes again: the conversation reopens and asks for an interpreter again.
  samira.say("Godka weli waa furan yahay.");
  REQUIRE(becomes(daemon, admin, id, "interpreter", "hodan"));
  CHECK(daemon.get("/api/v1/conversations/" + id, hodan).status == 200);
  // An interpreter who signs off leaves what they interpret; nobody else reads Somali and
  // English, so a supervisor hears of it once the pool wait is over.
  REQUIRE(daemon.post("/api/v1/me/presence", R"({"presence":"offline"})", hodan).status == 200);
  CHECK(redis.cli({"SCARD", "agent:{hodan}:interpreting"}) == "0");
  CHECK(str(conversation_of(daemon, admin, id).at("interpretation")) == "requested");
  CHECK(daemon.get("/metrics").body.find("frontdoor_interpreting_total{event=\"joined\"} 2") !=
        std::string::npos);
}

TEST_CASE(
    "an interpreter who does not answer is replaced, then the vendor is asked over signed HTTP, "
    "then a supervisor is alerted") {
  const std::string secret = "vendor-shared-secret";
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<StandinRequest> received;
  bool vendor_sends_someone = true;
  HttpStandin vendor([&](const StandinRequest& request) {
    std::lock_guard lock(mutex);
    received.push_back(request);
    changed.notify_all();
    if (request.target == "/requests" && !vendor_sends_someone) {
      return StandinResponse{503, R"({"error":"no Somali interpreter available"})"};
    }
    if (request.target == "/requests") return StandinResponse{201, R"({"interpreter_id":"v-77"})"};
    return StandinResponse{202, "{}"};
  });
  auto wait_for = [&](const std::string& target, std::size_t count) {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, 8s, [&] {
      std::size_t n = 0;
      for (const auto& r : received) n += r.target == target;
      return n >= count;
    });
    std::vector<StandinRequest> out;
    for (const auto& r : received) {
      if (r.target == target) out.push_back(r);
    }
    return out;
  };

  RedisServer redis;
  Daemon daemon(redis.url(), {{"ROUTING_LANGUAGE_WAIT_S", "0"},
                              {"INTERPRETERS_RESPONSE_TIMEOUT_S", "1"},
                              {"INTERPRETERS_POOL_WAIT_S", "1"},
                              {"INTERPRETERS_VENDOR_URL", vendor.base_url()},
                              {"INTERPRETERS_VENDOR_SECRET", secret}});
  auto admin = daemon.login();
  add_account(daemon, admin, "ana", "agent", R"("en")", R"("general")");
  add_account(daemon, admin, "hodan", "interpreter", R"("so","en")");
  add_account(daemon, admin, "warsame", "interpreter", R"("en","so")");
  available(daemon, "ana");
  available(daemon, "hodan");
  std::this_thread::sleep_for(20ms);
  available(daemon, "warsame");

  SomaliResident samira(daemon);
  auto id = samira.say("Biyo ayaa ka daadanaya tuubada wadada.");
  // hodan (idle longest) joins and says nothing for a second: warsame takes over, then he too
  // is silent, and the pool is out of interpreters: the vendor is asked.
  REQUIRE(becomes(daemon, admin, id, "interpreter", "hodan"));
  REQUIRE(becomes(daemon, admin, id, "interpreter", "warsame"));
  REQUIRE(becomes(daemon, admin, id, "interpreter", "vendor:v-77", 8000ms));
  auto messages = messages_of(daemon, admin, id);
  CHECK(has_system_line(messages, "interpreter hodan did not interpret within 1 s"));
  CHECK(has_system_line(messages, "asking the interpreting vendor"));

  // The request named the language and the conversation, signed.
  auto requests = wait_for("/requests", 1);
  REQUIRE(requests.size() == 1);
  auto request = json::parse(requests[0].body).as_object();
  CHECK(str(request.at("conversation_id")) == id);
  CHECK(str(request.at("language")) == "so");
  CHECK(str(request.at("into")) == "en");
  CHECK(requests[0].headers["x-frontdoor-signature"] ==
        frontdoor::interpreting::vendor_signature(
            secret, requests[0].headers["x-frontdoor-timestamp"], requests[0].body));

  // The resident's message went to the vendor's interpreter, signed, through the outbox.
  auto forwarded = wait_for("/messages", 1);
  REQUIRE(forwarded.size() >= 1);
  auto sent = json::parse(forwarded[0].body).as_object();
  CHECK(str(sent.at("interpreter_id")) == "v-77");
  CHECK(str(sent.at("kind")) == "resident");
  CHECK(str(sent.at("text")) == "Biyo ayaa ka daadanaya tuubada wadada.");
  CHECK(forwarded[0].headers["x-frontdoor-signature"] ==
        frontdoor::interpreting::vendor_signature(
            secret, forwarded[0].headers["x-frontdoor-timestamp"], forwarded[0].body));

  // The vendor answers through the signed webhook; a forged or stale one is refused.
  auto webhook = [&](const std::string& body, const std::string& key, long long at) {
    std::string timestamp = std::to_string(at);
    return http(daemon.port(), "POST", "/api/v1/interpreting/vendor", body,
                {{"Content-Type", "application/json"},
                 {"X-Frontdoor-Timestamp", timestamp},
                 {"X-Frontdoor-Signature",
                  frontdoor::interpreting::vendor_signature(key, timestamp, body)}});
  };
  const long long now = std::time(nullptr);
  std::string body =
      json::serialize(json::object{{"type", "interpretation"},
                                   {"event_id", "evt-1"},
                                   {"conversation_id", id},
                                   {"interpreter_id", "v-77"},
                                   {"of", sent.at("message_id")},
                                   {"text", "Water is leaking from the street pipe."}});
  CHECK(webhook(body, "not-the-secret", now).status == 401);
  CHECK(webhook(body, secret, now - 3600).status == 401);
  CHECK(daemon.post("/api/v1/interpreting/vendor", body).status == 401);
  auto accepted = webhook(body, secret, now);
  INFO(accepted.body);
  REQUIRE(accepted.status == 201);
  CHECK(str(accepted.json().at("direction")) == "interpretation");
  // Sent again (the vendor did not hear our answer): the same message, not a second one.
  auto again = webhook(body, secret, now);
  CHECK(str(again.json().at("message_id")) == str(accepted.json().at("message_id")));
  CHECK(str(again.json().at("direction")) == "duplicate");
  auto metrics = daemon.get("/metrics").body;
  CHECK(
      metrics.find("frontdoor_rejected_total{edge=\"interpreting\",reason=\"forged_webhook\"} 1") !=
      std::string::npos);
  CHECK(
      metrics.find("frontdoor_rejected_total{edge=\"interpreting\",reason=\"stale_webhook\"} 1") !=
      std::string::npos);

  // The vendor's interpreter leaves and the vendor has nobody else: a supervisor is alerted.
  {
    std::lock_guard lock(mutex);
    vendor_sends_someone = false;
  }
  auto left = webhook(json::serialize(json::object{
                          {"type", "left"}, {"conversation_id", id}, {"interpreter_id", "v-77"}}),
                      secret, now);
  CHECK(left.status == 200);
  REQUIRE(becomes(daemon, admin, id, "interpretation", "escalated", 8000ms));
  CHECK(has_system_line(messages_of(daemon, admin, id), "a supervisor is alerted"));
}

TEST_CASE("a vendor that never answers: a supervisor is alerted, live in the inbox") {
  // The vendor takes the request and says nothing for longer than interpreters.vendor_timeout_s.
  std::atomic<int> asked{0};
  HttpStandin vendor([&](const StandinRequest& request) {
    if (request.target == "/requests") {
      ++asked;
      std::this_thread::sleep_for(3s);
      return StandinResponse{201, R"({"interpreter_id":"v-late"})"};
    }
    return StandinResponse{202, "{}"};
  });
  RedisServer redis;
  Daemon daemon(redis.url(), {{"ROUTING_LANGUAGE_WAIT_S", "0"},
                              {"INTERPRETERS_POOL_WAIT_S", "1"},
                              {"INTERPRETERS_VENDOR_TIMEOUT_S", "1"},
                              {"INTERPRETERS_VENDOR_URL", vendor.base_url()},
                              {"INTERPRETERS_VENDOR_SECRET", "vendor-shared-secret"}});
  auto admin = daemon.login();
  add_account(daemon, admin, "ana", "agent", R"("en")", R"("general")");
  add_account(daemon, admin, "sofia", "supervisor", R"("en")");
  available(daemon, "ana");
  const std::string sofia = daemon.login("sofia", "agent-password");
  WsClient inbox(daemon.port(), "/api/v1/stream", {{"Authorization", "Bearer " + sofia}});
  REQUIRE(str(inbox.read_json().at("type")) == "hello");

  SomaliResident samira(daemon);
  auto id = samira.say("Biyo ayaa ka daadanaya tuubada wadada.");
  REQUIRE(becomes(daemon, admin, id, "agent", "ana"));
  // No pool interpreter for a second, the vendor asked, no answer within its second: the
  // supervisor hears of it on the live stream.
  std::string escalation;
  for (auto deadline = std::chrono::steady_clock::now() + 12s;
       escalation.empty() && std::chrono::steady_clock::now() < deadline;) {
    auto text = inbox.read(1000ms);
    if (!text) continue;
    auto frame = json::parse(*text).as_object();
    if (frame.contains("escalation") && str(frame.at("conversation_id")) == id) {
      escalation = str(frame.at("escalation"));
    }
  }
  CHECK(escalation == "interpreter");
  CHECK(asked == 1);
  CHECK(str(conversation_of(daemon, admin, id).at("interpretation")) == "escalated");
  auto messages = messages_of(daemon, admin, id);
  CHECK(has_system_line(messages, "asking the interpreting vendor"));
  CHECK(has_system_line(messages, "the interpreting vendor sent nobody"));
  CHECK(has_system_line(messages,
                        "no interpreter for so ↔ en could be found; a supervisor is "
                        "alerted"));
  // The resident was told in Somali that an interpreter is coming, once.
  int told = 0;
  for (const auto& m : messages) {
    if (str(m.at("direction")) == "out" && str(m.at("author")) == "system") ++told;
  }
  CHECK(told == 1);
}

TEST_CASE("a vendor's interpreter is told when the conversation no longer needs them") {
  const std::string secret = "vendor-shared-secret";
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<StandinRequest> ended;
  HttpStandin vendor([&](const StandinRequest& request) {
    if (request.target == "/requests") return StandinResponse{201, R"({"interpreter_id":"v-9"})"};
    if (request.target == "/ended") {
      std::lock_guard lock(mutex);
      ended.push_back(request);
      changed.notify_all();
    }
    return StandinResponse{202, "{}"};
  });
  RedisServer redis;
  Daemon daemon(redis.url(), {{"ROUTING_LANGUAGE_WAIT_S", "0"},
                              {"INTERPRETERS_POOL_WAIT_S", "0"},
                              {"INTERPRETERS_VENDOR_URL", vendor.base_url()},
                              {"INTERPRETERS_VENDOR_SECRET", secret}});
  auto admin = daemon.login();
  add_account(daemon, admin, "ana", "agent", R"("en")", R"("general")");
  auto ana = available(daemon, "ana");
  SomaliResident samira(daemon);
  auto id = samira.say("Qashinka lama qaadin.");
  REQUIRE(becomes(daemon, admin, id, "interpreter", "vendor:v-9"));
  REQUIRE(daemon.post("/api/v1/conversations/" + id + "/status", R"({"status":"resolved"})", ana)
              .status == 200);
  std::unique_lock lock(mutex);
  REQUIRE(changed.wait_for(lock, 5s, [&] { return !ended.empty(); }));
  auto notice = json::parse(ended[0].body).as_object();
  CHECK(str(notice.at("conversation_id")) == id);
  CHECK(str(notice.at("interpreter_id")) == "v-9");
  CHECK(ended[0].headers["x-frontdoor-signature"] ==
        frontdoor::interpreting::vendor_signature(secret, ended[0].headers["x-frontdoor-timestamp"],
                                                  ended[0].body));
}
