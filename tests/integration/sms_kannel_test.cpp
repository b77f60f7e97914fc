// Residents text the city through Kannel: a fake phone (fakesmsc) texts in through bearerbox
// and smsbox's get-url, the agent's reply goes out through sendsms with the right coding, and
// Kannel's delivery report reaches the message.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/integration/harness.hpp"
#include "tests/integration/kannel_rig.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return std::string(v.as_string()); }

constexpr const char* kCity = "+15035550100";
constexpr const char* kLan = "+15035550123";
constexpr const char* kSecret = "s3cret";

std::map<std::string, std::string> kannel_env(const KannelRig& kannel) {
  return {{"CHANNELS_SMS_ENABLED", "true"},
          {"CHANNELS_SMS_KANNEL_ENABLED", "true"},
          {"CHANNELS_SMS_KANNEL_NUMBERS", kCity},
          {"CHANNELS_SMS_KANNEL_SENDSMS_URL", kannel.sendsms_url()},
          {"CHANNELS_SMS_KANNEL_USERNAME", kannel.username()},
          {"CHANNELS_SMS_KANNEL_PASSWORD", kannel.password()},
          {"CHANNELS_SMS_KANNEL_SECRET", kSecret}};
}

std::string mo_url(const Daemon& daemon) {
  return "http://127.0.0.1:" + std::to_string(daemon.port()) +
         "/webhooks/kannel/mo?secret=" + kSecret;
}

std::vector<ReceivedSms> received(KannelRig& kannel, std::size_t count) {
  std::vector<ReceivedSms> all;
  for (int i = 0; i < 50 && all.size() < count; ++i) {
    for (auto& sms : kannel.phone_received(std::chrono::milliseconds(200))) all.push_back(sms);
  }
  return all;
}

}  // namespace

TEST_CASE("a phone texts in through Kannel and gets the agent's reply with the right coding") {
  KannelRig kannel;
  RedisServer redis;
  Daemon daemon(redis.url(), kannel_env(kannel));
  kannel.start(mo_url(daemon));
  auto token = daemon.login();
  WsClient agent(daemon.port(), "/api/v1/stream", {{"Authorization", "Bearer " + token}});
  agent.read_until("hello");

  kannel.phone_sends(kLan, kCity, "Đèn đường trước nhà tôi bị hỏng rồi");
  auto created = agent.read_until("conversation.created", std::chrono::seconds(10));
  CHECK(str(created.at("conversation").at("origin_channel")) == "sms");
  std::string conversation = str(created.at("conversation_id"));
  auto message = agent.read_until("message.created");
  CHECK(str(message.at("message").at("text")) == "Đèn đường trước nhà tôi bị hỏng rồi");

  REQUIRE(daemon
              .post("/api/v1/conversations/" + conversation + "/messages",
                    R"({"text":"Chúng tôi sẽ sửa đèn trong tuần này."})", token)
              .status == 201);
  auto replies = received(kannel, 1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].coding == 2);  // UCS-2: Vietnamese has no GSM-7 form
  CHECK(replies[0].text == "Chúng tôi sẽ sửa đèn trong tuần này.");
  CHECK(replies[0].to.find("5035550123") != std::string::npos);

  // Kannel's delivery report reaches the message.
  bool delivered = false;
  for (int i = 0; i < 100 && !delivered; ++i) {
    auto messages =
        daemon.get("/api/v1/conversations/" + conversation, token).json().at("messages");
    delivered = str(messages.as_array().back().at("delivery")) == "delivered";
    if (!delivered) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(delivered);

  // A plain English reply goes as GSM-7.
  REQUIRE(daemon
              .post("/api/v1/conversations/" + conversation + "/messages",
                    R"({"text":"Thanks, Lan. Crew #12 is on it."})", token)
              .status == 201);
  auto english = received(kannel, 1);
  REQUIRE(english.size() == 1);
  CHECK(english[0].coding == 0);
  CHECK(english[0].text == "Thanks, Lan. Crew #12 is on it.");
}

TEST_CASE("STOP through Kannel is confirmed, and Kannel requests without the secret are refused") {
  KannelRig kannel;
  RedisServer redis;
  Daemon daemon(redis.url(), kannel_env(kannel));
  kannel.start(mo_url(daemon));

  kannel.phone_sends(kLan, kCity, "STOP");
  auto confirmation = received(kannel, 1);
  REQUIRE(confirmation.size() == 1);
  CHECK(confirmation[0].text.find("unsubscribed") != std::string::npos);

  CHECK(daemon
            .get("/webhooks/kannel/mo?secret=wrong&from=%2B15035550123&to=%2B15035550100"
                 "&text=hi&id=x1")
            .status == 403);
  CHECK(daemon.get("/webhooks/kannel/mo?from=%2B15035550123&to=%2B15035550100&text=hi&id=x2")
            .status == 403);
  CHECK(daemon.get("/webhooks/kannel/dlr?conversation=1&message=1-0&type=1").status == 403);
}
