// Residents text the city through a Twilio-compatible provider: signed webhooks in, replies out
// through the provider's REST API (a local stand-in), status callbacks back.
#include <catch2/catch.hpp>

#include <thread>

#include "channels/sms/twilio_signature.hpp"
#include "daemon/net/http_client.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/twilio_standin.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return std::string(v.as_string()); }

constexpr const char* kPublic = "https://311.example.gov";
constexpr const char* kToken = "test-auth-token";
constexpr const char* kCity = "+15035550100";
constexpr const char* kLan = "+15035550123";

std::map<std::string, std::string> sms_env(const TwilioStandin& standin) {
  return {{"CHANNELS_SMS_ENABLED", "true"},
          {"CHANNELS_SMS_PUBLIC_URL", kPublic},
          {"CHANNELS_SMS_RETRY_BASE_MS", "50"},
          {"CHANNELS_SMS_TWILIO_ENABLED", "true"},
          {"CHANNELS_SMS_TWILIO_NUMBERS", std::string(kCity) + ",+15035550199"},
          {"CHANNELS_SMS_TWILIO_ACCOUNT_SID", "AC0123"},
          {"CHANNELS_SMS_TWILIO_AUTH_TOKEN", kToken},
          {"CHANNELS_SMS_TWILIO_API_BASE", standin.api_base()}};
}

// Posts a webhook as Twilio would: form-encoded and signed over the public URL.
HttpResult webhook(const Daemon& daemon, const std::string& path,
                   const frontdoor::sms::FormParams& params, const std::string& token = kToken) {
  std::map<std::string, std::string> headers{{"Content-Type", "application/x-www-form-urlencoded"}};
  if (!token.empty()) {
    headers["X-Twilio-Signature"] =
        frontdoor::sms::twilio_signature(token, std::string(kPublic) + path, params);
  }
  return http(daemon.port(), "POST", path, frontdoor::net::form_encode(params), headers);
}

HttpResult text_in(const Daemon& daemon, const std::string& sid, const std::string& from,
                   const std::string& body) {
  return webhook(daemon, "/webhooks/twilio/sms",
                 {{"MessageSid", sid},
                  {"AccountSid", "AC0123"},
                  {"From", from},
                  {"To", kCity},
                  {"Body", body},
                  {"NumMedia", "0"}});
}

// The newest conversation's id.
std::string newest_conversation(const Daemon& daemon, const std::string& token) {
  auto list = daemon.get("/api/v1/conversations?limit=1", token).json();
  return str(list.at("conversations").at(0).at("id"));
}

std::string delivery_of_last_reply(const Daemon& daemon, const std::string& token,
                                   const std::string& conversation) {
  auto messages = daemon.get("/api/v1/conversations/" + conversation, token).json().at("messages");
  for (auto it = messages.as_array().rbegin(); it != messages.as_array().rend(); ++it) {
    if (str(it->at("direction")) == "out") return str(it->at("delivery"));
  }
  return {};
}

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 100; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("a text reaches the agent, the reply reaches the phone, and its status comes back") {
  TwilioStandin standin;
  RedisServer redis;
  Daemon daemon(redis.url(), sms_env(standin));
  auto token = daemon.login();
  WsClient agent(daemon.port(), "/api/v1/stream", {{"Authorization", "Bearer " + token}});
  agent.read_until("hello");

  auto in = text_in(daemon, "SM_in_1", kLan, "Đèn đường trước nhà tôi bị hỏng rồi");
  REQUIRE(in.status == 200);
  CHECK(in.body.find("<Response/>") != std::string::npos);
  auto created = agent.read_until("conversation.created");
  CHECK(str(created.at("conversation").at("origin_channel")) == "sms");
  CHECK(str(created.at("conversation").at("attributes").at("sms_to")) == kCity);
  std::string conversation = str(created.at("conversation_id"));
  CHECK(str(agent.read_until("message.created").at("message").at("text")) ==
        "Đèn đường trước nhà tôi bị hỏng rồi");

  // Twilio retries a webhook it thinks failed: the same MessageSid makes no second message.
  REQUIRE(text_in(daemon, "SM_in_1", kLan, "Đèn đường trước nhà tôi bị hỏng rồi").status == 200);
  auto detail = daemon.get("/api/v1/conversations/" + conversation, token).json();
  CHECK(detail.at("messages").as_array().size() == 1);

  // The agent sees how a draft would go: Vietnamese needs UCS-2.
  auto draft = daemon.post("/api/v1/conversations/" + conversation + "/draft",
                           R"({"text":"Chúng tôi sẽ sửa đèn trong tuần này."})", token);
  REQUIRE(draft.status == 200);
  CHECK(str(draft.json().at("delivery").at("encoding")) == "UCS-2");
  CHECK(draft.json().at("delivery").at("segments").as_int64() == 1);
  CHECK(draft.json().at("sendable").as_bool());

  auto reply = daemon.post("/api/v1/conversations/" + conversation + "/messages",
                           R"({"text":"Chúng tôi sẽ sửa đèn trong tuần này."})", token);
  REQUIRE(reply.status == 201);
  CHECK(str(reply.json().at("message").at("delivery")) == "sent");
  auto sends = standin.wait_for(1, std::chrono::seconds(5));
  REQUIRE(sends.size() == 1);
  CHECK(sends[0].account_path == "/2010-04-01/Accounts/AC0123/Messages.json");
  CHECK(sends[0].form["From"] == kCity);  // from the number Lan wrote to
  CHECK(sends[0].form["To"] == kLan);
  CHECK(sends[0].form["Body"] == "Chúng tôi sẽ sửa đèn trong tuần này.");
  CHECK(sends[0].form["StatusCallback"] == std::string(kPublic) + "/webhooks/twilio/status");
  CHECK(sends[0].authorization.rfind("Basic ", 0) == 0);

  // The provider reports delivery.
  auto status = webhook(daemon, "/webhooks/twilio/status",
                        {{"MessageSid", sends[0].sid}, {"MessageStatus", "delivered"}});
  CHECK(status.status == 204);
  CHECK(eventually(
      [&] { return delivery_of_last_reply(daemon, token, conversation) == "delivered"; }));
}

TEST_CASE("forged and unsigned webhooks are refused and counted") {
  TwilioStandin standin;
  RedisServer redis;
  Daemon daemon(redis.url(), sms_env(standin));
  auto token = daemon.login();

  auto forged = webhook(daemon, "/webhooks/twilio/sms",
                        {{"MessageSid", "SM_x"}, {"From", kLan}, {"To", kCity}, {"Body", "hi"}},
                        "not-the-token");
  CHECK(forged.status == 403);
  auto unsigned_ =
      webhook(daemon, "/webhooks/twilio/sms",
              {{"MessageSid", "SM_y"}, {"From", kLan}, {"To", kCity}, {"Body", "hi"}}, "");
  CHECK(unsigned_.status == 403);
  // A signature over other parameters than those sent.
  std::map<std::string, std::string> headers{
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"X-Twilio-Signature",
       frontdoor::sms::twilio_signature(kToken, std::string(kPublic) + "/webhooks/twilio/sms",
                                        {{"MessageSid", "SM_z"}, {"Body", "hi"}})}};
  CHECK(http(daemon.port(), "POST", "/webhooks/twilio/sms",
             "MessageSid=SM_z&Body=changed&From=%2B15035550123&To=%2B15035550100", headers)
            .status == 403);
  CHECK(daemon.get("/api/v1/conversations", token).json().at("conversations").as_array().empty());
  auto metrics = daemon.get("/metrics").body;
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="sms",reason="forged_webhook"} 2)") !=
        std::string::npos);
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="sms",reason="unsigned_webhook"} 1)") !=
        std::string::npos);

  // A number libphonenumber rejects is refused, not stored.
  CHECK(text_in(daemon, "SM_bad", "12", "hello").status == 400);
}

TEST_CASE("STOP and START in English and Spanish, and HELP") {
  TwilioStandin standin;
  RedisServer redis;
  Daemon daemon(redis.url(), sms_env(standin));
  auto token = daemon.login();

  REQUIRE(text_in(daemon, "SM_1", kLan, "Hay un bache enorme en la calle Oak").status == 200);
  std::string conversation = newest_conversation(daemon, token);

  REQUIRE(text_in(daemon, "SM_2", kLan, "alto").status == 200);
  auto confirmations = standin.wait_for(1, std::chrono::seconds(5));
  REQUIRE(confirmations.size() == 1);
  CHECK(confirmations[0].form["To"] == kLan);
  CHECK(confirmations[0].form["Body"].find("Se canceló su suscripción") != std::string::npos);
  // A retried STOP webhook confirms once.
  REQUIRE(text_in(daemon, "SM_2", kLan, "alto").status == 200);

  auto blocked = daemon.post("/api/v1/conversations/" + conversation + "/messages",
                             R"({"text":"¿Dónde exactamente?"})", token);
  CHECK(blocked.status == 409);
  CHECK(str(blocked.json().at("error").at("message")).find("STOP") != std::string::npos);
  auto detail = daemon.get("/api/v1/conversations/" + conversation, token).json();
  auto& messages = detail.at("messages").as_array();
  CHECK(str(messages.back().at("direction")) == "system");  // the agent sees the opt-out
  CHECK(str(messages.back().at("text")).find("opted out") != std::string::npos);
  CHECK_FALSE(
      daemon.post("/api/v1/conversations/" + conversation + "/draft", R"({"text":"x"})", token)
          .json()
          .at("sendable")
          .as_bool());

  REQUIRE(text_in(daemon, "SM_3", kLan, "Start").status == 200);
  confirmations = standin.wait_for(2, std::chrono::seconds(5));
  REQUIRE(confirmations.size() == 2);
  CHECK(confirmations[1].form["Body"].find("subscribed again") != std::string::npos);
  CHECK(daemon
            .post("/api/v1/conversations/" + conversation + "/messages",
                  R"({"text":"¿Dónde exactamente?"})", token)
            .status == 201);

  REQUIRE(text_in(daemon, "SM_4", "+15035550124", "STOP").status == 200);
  REQUIRE(text_in(daemon, "SM_5", "+15035550125", "ayúda").status == 200);
  REQUIRE(text_in(daemon, "SM_6", "+15035550126", "HELP").status == 200);
  auto all = standin.wait_for(6, std::chrono::seconds(5));
  REQUIRE(all.size() == 6);
  std::map<std::string, std::string> by_number;
  for (auto s : all) by_number[s.form["To"]] = s.form["Body"];
  CHECK(by_number["+15035550124"].find("unsubscribed") != std::string::npos);
  CHECK(by_number["+15035550125"].find("Escriba aquí su pregunta") != std::string::npos);
  CHECK(by_number["+15035550126"].find("Text your question") != std::string::npos);

  // "Yes" from someone who never opted out is an answer, not a keyword.
  REQUIRE(text_in(daemon, "SM_7", kLan, "Yes").status == 200);
  auto after = daemon.get("/api/v1/conversations/" + conversation, token).json();
  CHECK(str(after.at("messages").as_array().back().at("text")) == "Yes");
  // A sentence that contains STOP is a message, not an opt-out.
  REQUIRE(text_in(daemon, "SM_8", kLan, "Please stop the noise at night").status == 200);
  CHECK(
      daemon
          .post("/api/v1/conversations/" + conversation + "/messages", R"({"text":"Noted"})", token)
          .status == 201);
}

TEST_CASE("replies are retried on 5xx, never on 4xx, and a failure is visible to the agent") {
  TwilioStandin standin;
  RedisServer redis;
  Daemon daemon(redis.url(), sms_env(standin));
  auto token = daemon.login();
  REQUIRE(text_in(daemon, "SM_1", kLan, "Water is leaking from the hydrant").status == 200);
  std::string conversation = newest_conversation(daemon, token);

  standin.fail_next({500, 503});
  auto reply = daemon.post("/api/v1/conversations/" + conversation + "/messages",
                           R"({"text":"A crew is on the way."})", token);
  REQUIRE(reply.status == 201);
  CHECK(str(reply.json().at("message").at("delivery")) == "retrying");
  REQUIRE(standin.wait_for(1, std::chrono::seconds(5)).size() == 1);
  CHECK(standin.requests() == 3);
  CHECK(eventually([&] { return delivery_of_last_reply(daemon, token, conversation) == "sent"; }));

  standin.fail_next({400});
  auto rejected = daemon.post("/api/v1/conversations/" + conversation + "/messages",
                              R"({"text":"Second note."})", token);
  REQUIRE(rejected.status == 201);
  CHECK(str(rejected.json().at("message").at("delivery")) == "failed");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(standin.requests() == 4);  // no retry after a 4xx

  standin.fail_next({500, 500, 500, 500});
  REQUIRE(daemon
              .post("/api/v1/conversations/" + conversation + "/messages",
                    R"({"text":"Third note."})", token)
              .status == 201);
  CHECK(
      eventually([&] { return delivery_of_last_reply(daemon, token, conversation) == "failed"; }));
  CHECK(standin.requests() == 8);  // channels.sms.send_attempts = 4
}

TEST_CASE("picture messages keep their media as attachments") {
  TwilioStandin standin;
  RedisServer redis;
  Daemon daemon(redis.url(), sms_env(standin));
  auto token = daemon.login();
  auto in = webhook(daemon, "/webhooks/twilio/sms",
                    {{"MessageSid", "MM_1"},
                     {"From", kLan},
                     {"To", kCity},
                     {"Body", ""},
                     {"NumMedia", "2"},
                     {"MediaUrl0", "https://media.example/one.jpg"},
                     {"MediaContentType0", "image/jpeg"},
                     {"MediaUrl1", "https://media.example/two.jpg"},
                     {"MediaContentType1", "image/jpeg"}});
  REQUIRE(in.status == 200);
  auto message = daemon.get("/api/v1/conversations/" + newest_conversation(daemon, token), token)
                     .json()
                     .at("messages")
                     .at(0);
  REQUIRE(message.as_object().contains("attachments"));
  CHECK(message.at("attachments").as_array().size() == 2);
  CHECK(str(message.at("attachments").at(0)) == "https://media.example/one.jpg");
}
