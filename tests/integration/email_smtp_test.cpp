// Residents' mail reaches frontdoor through its SMTP/LMTP receiver, sent by a real SMTP client
// (swaks): threading by Message-ID, never by subject; limits; charsets; "try later" while the
// store is away.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "channels/email/mime_message.hpp"
#include "channels/email/outbound_message.hpp"
#include "tests/corpus/charset_cases.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/smtp_sink_rig.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return std::string(v.as_string()); }

// Sends a raw message (headers and body, LF line ends are fine) with swaks --data.
Swaks send_raw(unsigned short port, const std::string& from, const std::string& to,
               const std::string& raw) {
  const auto dir = fresh_dir("mail");
  std::ofstream(dir + "/message.eml", std::ios::binary) << raw;
  auto sent = swaks(port, "--from " + from + " --to " + to + " --data @" + dir + "/message.eml");
  std::filesystem::remove_all(dir);
  return sent;
}

struct EmailSetup {
  unsigned short smtp_port = free_port();
  std::map<std::string, std::string> env(std::size_t max_bytes = 1 << 20,
                                         const std::string& protocol = "smtp") const {
    return {{"CHANNELS_EMAIL_ENABLED", "true"},
            {"CHANNELS_EMAIL_LISTEN", "127.0.0.1:" + std::to_string(smtp_port)},
            {"CHANNELS_EMAIL_PROTOCOL", protocol},
            {"CHANNELS_EMAIL_RECIPIENTS", "311@city.test, @help.city.test"},
            {"CHANNELS_EMAIL_MAX_MESSAGE_BYTES", std::to_string(max_bytes)}};
  }
  // The receiver, and replies submitted to `sink` from 311@city.test.
  std::map<std::string, std::string> replies_env(const SmtpSinkRig& sink) const {
    auto with_replies = env();
    with_replies["CHANNELS_EMAIL_OUTBOUND_URL"] = "smtp://127.0.0.1:" + std::to_string(sink.port());
    with_replies["CHANNELS_EMAIL_OUTBOUND_REQUIRE_TLS"] = "false";
    with_replies["CHANNELS_EMAIL_FROM_ADDRESS"] = "311@city.test";
    return with_replies;
  }
};

json::array conversations(const Daemon& daemon, const std::string& token) {
  return daemon.get("/api/v1/conversations?channel=email", token)
      .json()
      .at("conversations")
      .as_array();
}

json::array messages(const Daemon& daemon, const std::string& token, const std::string& id) {
  return daemon.get("/api/v1/conversations/" + id, token).json().at("messages").as_array();
}

// Lan writes in; the id of the conversation her mail opened.
std::string lan_writes(const EmailSetup& setup, const Daemon& daemon, const std::string& token) {
  REQUIRE(send_raw(setup.smtp_port, "lan@example.org", "311@city.test",
                   "From: Lan <lan@example.org>\nTo: 311@city.test\nSubject: Trash pickup\n"
                   "Message-ID: <lan-1@example.org>\n\nMissed again this week.\n")
              .status == 0);
  return str(conversations(daemon, token).at(0).at("id"));
}

// The newest message of the conversation once its delivery is `wanted` (or after 5 s).
json::value last_delivered(const Daemon& daemon, const std::string& token,
                           const std::string& conversation, const std::string& wanted) {
  json::value last;
  for (int i = 0; i < 100; ++i) {
    last = messages(daemon, token, conversation).back();
    if (str(last.at("delivery")) == wanted) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return last;
}

}  // namespace

TEST_CASE(
    "a mail opens a conversation, a reply joins it, the same subject from someone else does not") {
  EmailSetup setup;
  RedisServer redis;
  Daemon daemon(redis.url(), setup.env());
  auto token = daemon.login();

  auto first = send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                        "From: Ana Lima <ana@example.org>\n"
                        "To: 311@city.test\n"
                        "Subject: Pothole on 5th Avenue\n"
                        "Message-ID: <first-1@example.org>\n"
                        "Date: Tue, 24 Nov 2026 10:00:00 -0800\n"
                        "Content-Type: text/plain; charset=utf-8\n\n"
                        "There is a deep pothole in front of number 120.\n");
  REQUIRE(first.status == 0);
  CHECK(first.output.find("250 2.0.0 queued as conversation") != std::string::npos);
  auto list = conversations(daemon, token);
  REQUIRE(list.size() == 1);
  std::string ana = str(list[0].at("id"));
  CHECK(str(list[0].at("subject")) == "Pothole on 5th Avenue");
  CHECK(str(list[0].at("contact").at("display_name")) == "Ana Lima");

  // Ana answers from her phone with the whole thread quoted: one conversation, new text only.
  REQUIRE(daemon
              .post("/api/v1/conversations/" + ana + "/status", R"({"status":"pending_resident"})",
                    token)
              .status == 200);
  auto reply = send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                        "From: Ana Lima <ana@example.org>\n"
                        "To: 311@city.test\n"
                        "Subject: Re: Pothole on 5th Avenue\n"
                        "Message-ID: <reply-2@example.org>\n"
                        "In-Reply-To: <first-1@example.org>\n"
                        "References: <first-1@example.org>\n"
                        "Content-Type: text/plain; charset=utf-8\n\n"
                        "It is getting bigger.\nPlease hurry.\n\n"
                        "On Tue, Nov 24, 2026 at 10:00 AM Ana Lima <ana@example.org> wrote:\n"
                        "> There is a deep pothole in front of number 120.\n");
  REQUIRE(reply.status == 0);
  CHECK(conversations(daemon, token).size() == 1);
  auto thread = messages(daemon, token, ana);
  REQUIRE(thread.size() >= 2);
  CHECK(str(thread.back().at("text")) == "It is getting bigger.\nPlease hurry.");

  // Bo writes with the same subject: a conversation of his own.
  REQUIRE(send_raw(setup.smtp_port, "bo@example.net", "311@city.test",
                   "From: Bo <bo@example.net>\nTo: 311@city.test\n"
                   "Subject: Pothole on 5th Avenue\nMessage-ID: <bo-1@example.net>\n\n"
                   "Same pothole, different car.\n")
              .status == 0);
  CHECK(conversations(daemon, token).size() == 2);

  // Delivering the same message again (a retrying server) stores nothing new.
  REQUIRE(send_raw(setup.smtp_port, "bo@example.net", "311@city.test",
                   "From: Bo <bo@example.net>\nTo: 311@city.test\n"
                   "Subject: Pothole on 5th Avenue\nMessage-ID: <bo-1@example.net>\n\n"
                   "Same pothole, different car.\n")
              .status == 0);
  CHECK(conversations(daemon, token).size() == 2);
}

TEST_CASE("the receiver is never a relay and enforces its limits") {
  EmailSetup setup;
  RedisServer redis;
  Daemon daemon(redis.url(), setup.env(64 * 1024));
  auto token = daemon.login();

  auto relay = swaks(setup.smtp_port,
                     "--from ana@example.org --to someone@elsewhere.example "
                     "--body hi");
  CHECK(relay.status != 0);
  CHECK(relay.output.find("550 5.1.1") != std::string::npos);
  CHECK(
      swaks(setup.smtp_port, "--from ana@example.org --to water@help.city.test --body hi").status ==
      0);

  auto big = swaks(setup.smtp_port, "--from ana@example.org --to 311@city.test --body '" +
                                        std::string(100 * 1024, 'x') + "'");
  CHECK(big.status != 0);
  INFO(big.output.substr(0, 600));
  CHECK(big.output.find("552 5.3.4") != std::string::npos);

  auto pipelined =
      swaks(setup.smtp_port, "--pipeline --from ana@example.org --to 311@city.test --body hello");
  CHECK(pipelined.status == 0);
  CHECK(conversations(daemon, token).size() == 1);  // the relay and the big one left nothing

  auto metrics = daemon.get("/metrics").body;
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="smtp",reason="unknown_recipient"} 1)") !=
        std::string::npos);
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="smtp",reason="too_big"} 1)") !=
        std::string::npos);
}

TEST_CASE("charsets and encoded words arrive as UTF-8 and auto-replies are recorded and marked") {
  EmailSetup setup;
  RedisServer redis;
  Daemon daemon(redis.url(), setup.env());
  auto token = daemon.login();

  REQUIRE(send_raw(setup.smtp_port, "maria@example.org", "311@city.test",
                   "From: =?ISO-8859-1?Q?Mar=EDa_Pe=F1a?= <maria@example.org>\n"
                   "To: 311@city.test\n"
                   "Subject: =?ISO-8859-1?Q?Se=F1al_de_tr=E1nsito_rota?=\n"
                   "Message-ID: <latin1@example.org>\n"
                   "MIME-Version: 1.0\n"
                   "Content-Type: text/plain; charset=ISO-8859-1\n"
                   "Content-Transfer-Encoding: 8bit\n\n"
                   "La se\xF1"
                   "al de alto est\xE1 ca\xED"
                   "da en la esquina.\n")
              .status == 0);
  auto list = conversations(daemon, token);
  REQUIRE(list.size() == 1);
  CHECK(str(list[0].at("subject")) == "Señal de tránsito rota");
  CHECK(str(list[0].at("contact").at("display_name")) == "María Peña");
  auto first = messages(daemon, token, str(list[0].at("id")));
  CHECK(str(first.at(0).at("text")) == "La señal de alto está caída en la esquina.");

  REQUIRE(send_raw(setup.smtp_port, "ivan@example.ru", "311@city.test",
                   "From: ivan@example.ru\nTo: 311@city.test\n"
                   "Subject: =?KOI8-R?B?8NLPwMXL1A==?=\nMessage-ID: <koi@example.ru>\n"
                   "MIME-Version: 1.0\nContent-Type: text/plain; charset=windows-1251\n"
                   "Content-Transfer-Encoding: 8bit\n\n"
                   "\xC4\xEE\xF0\xEE\xE3\xE0 \xF0\xE0\xE7\xE1\xE8\xF2\xE0.\n")
              .status == 0);
  auto russian = conversations(daemon, token);
  REQUIRE(russian.size() == 2);
  auto ivan = messages(daemon, token, str(russian[0].at("id")));
  CHECK(str(ivan.at(0).at("text")) == "Дорога разбита.");

  REQUIRE(send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                   "From: Ana <ana@example.org>\nTo: 311@city.test\n"
                   "Subject: Automatic reply: your request\nAuto-Submitted: auto-replied\n"
                   "Message-ID: <ooo@example.org>\n\nI am out of the office until Monday.\n")
              .status == 0);
  auto all = conversations(daemon, token);
  REQUIRE(all.size() == 3);
  auto ooo = messages(daemon, token, str(all[0].at("id")));
  CHECK(str(ooo.at(0).at("text")).find("out of the office") != std::string::npos);
  CHECK(str(ooo.at(0).at("auto_submitted")).find("auto-replied") != std::string::npos);
  CHECK_FALSE(first.at(0).as_object().contains("auto_submitted"));
  auto metrics = daemon.get("/metrics").body;
  CHECK(metrics.find("frontdoor_email_auto_replies_total 1") != std::string::npos);
}

TEST_CASE(
    "while Redis is away the sending server is told to try later, and LMTP answers per recipient") {
  EmailSetup setup;
  RedisServer redis;
  Daemon daemon(redis.url(), setup.env(1 << 20, "lmtp"));
  auto token = daemon.login();

  auto lmtp = swaks(setup.smtp_port,
                    "--protocol LMTP --from ana@example.org "
                    "--to 311@city.test,water@help.city.test --body hello");
  CHECK(lmtp.status == 0);
  std::size_t answers = 0;
  for (auto at = lmtp.output.find("250 2.0.0 queued"); at != std::string::npos;
       at = lmtp.output.find("250 2.0.0 queued", at + 1)) {
    ++answers;
  }
  CHECK(answers == 2);

  redis.stop();
  for (int i = 0; i < 100 && daemon.get("/readyz").status != 503; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto later = swaks(setup.smtp_port,
                     "--protocol LMTP --from bo@example.net --to 311@city.test "
                     "--body 'while redis is away'");
  CHECK(later.status != 0);
  CHECK(later.output.find("451 4.3.0") != std::string::npos);
  redis.start();
  REQUIRE(daemon.wait_ready(std::chrono::seconds(10)));
  CHECK(swaks(setup.smtp_port,
              "--protocol LMTP --from bo@example.net --to 311@city.test "
              "--body 'while redis is away'")
            .status == 0);
  CHECK(conversations(daemon, token).size() == 2);
}

TEST_CASE("a long mail is kept shortened and a bounce of a foreign mail is noted, never deferred") {
  EmailSetup setup;
  RedisServer redis;
  Daemon daemon(redis.url(), setup.env());
  auto token = daemon.login();

  std::string body;
  for (int i = 0; i < 1500; ++i) body += "Line " + std::to_string(i) + " of a very long report.\n";
  REQUIRE(send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                   "From: Ana <ana@example.org>\nTo: 311@city.test\nSubject: Long\n"
                   "Message-ID: <long@example.org>\n\n" +
                       body)
              .status == 0);
  auto list = conversations(daemon, token);
  REQUIRE(list.size() == 1);
  auto text = str(messages(daemon, token, str(list[0].at("id"))).at(0).at("text"));
  CHECK(text.find("Line 0 of a very long report.") == 0);
  CHECK(text.find("(shortened: the full mail is kept)") != std::string::npos);

  // A delivery report about a mail that was never ours (here: the resident's own).
  auto bounce =
      send_raw(setup.smtp_port, "", "311@city.test",
               "From: MAILER-DAEMON@example.org\nTo: 311@city.test\n"
               "Subject: Undelivered Mail Returned to Sender\n"
               "Message-ID: <dsn-1@example.org>\nMIME-Version: 1.0\n"
               "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
               "--b\nContent-Type: text/plain\n\nDelivery failed.\n\n"
               "--b\nContent-Type: message/delivery-status\n\n"
               "Reporting-MTA: dns; example.org\n\n"
               "Final-Recipient: rfc822; nobody@example.org\nAction: failed\nStatus: 5.1.1\n\n"
               "--b\nContent-Type: text/rfc822-headers\n\n"
               "Message-ID: <long@example.org>\nSubject: Long\n\n--b--\n");
  CHECK(bounce.status == 0);
  CHECK(bounce.output.find("250 2.0.0 bounce noted") != std::string::npos);
  CHECK(conversations(daemon, token).size() == 1);
}

TEST_CASE("the agent's reply reaches the resident's thread and her answer comes back to it") {
  SmtpSinkRig sink;
  EmailSetup setup;
  RedisServer redis;
  auto env = setup.replies_env(sink);
  env["CHANNELS_EMAIL_OUTBOUND_USERNAME"] = sink.username();
  env["CHANNELS_EMAIL_OUTBOUND_PASSWORD"] = sink.password();
  env["CHANNELS_EMAIL_FROM_NAME"] = "City 311";
  env["CHANNELS_EMAIL_REPLY_TO"] = "311-replies@city.test";
  Daemon daemon(redis.url(), env);
  auto token = daemon.login();

  REQUIRE(send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                   "From: Ana Lima <ana@example.org>\nTo: 311@city.test\n"
                   "Subject: Pothole on 5th Avenue\nMessage-ID: <ana-1@example.org>\n"
                   "Content-Language: en\n\nThere is a deep pothole in front of number 120.\n")
              .status == 0);
  std::string conversation = str(conversations(daemon, token).at(0).at("id"));

  auto reply = daemon.post("/api/v1/conversations/" + conversation + "/messages",
                           R"({"text":"Thank you, Ana. A crew will fill it on Thursday."})", token);
  REQUIRE(reply.status == 201);
  CHECK(str(reply.json().at("message").at("delivery")) == "sent");
  auto received = sink.wait_for(1, std::chrono::seconds(10));
  REQUIRE(received.size() == 1);
  auto out = frontdoor::email::parse_mail(received[0]);
  CHECK(out.to.at(0).address == "ana@example.org");
  CHECK(out.from.address == "311@city.test");
  CHECK(received[0].find("\nReply-To: 311-replies@city.test") != std::string::npos);
  CHECK(out.subject == "Re: Pothole on 5th Avenue");
  CHECK(out.in_reply_to == "ana-1@example.org");
  CHECK(out.text.find("A crew will fill it on Thursday.") != std::string::npos);
  // The footer from the templates, in the conversation's language, below "-- ".
  CHECK(out.text.find("\n-- \nCity 311 · Request #" + conversation) != std::string::npos);
  REQUIRE(frontdoor::email::parse_message_id(out.message_id).has_value());

  // Ana answers from her phone: her client quotes our reply and threads on its Message-ID only.
  REQUIRE(send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                   "From: Ana Lima <ana@example.org>\nTo: 311@city.test\n"
                   "Subject: Re: Re: Pothole on 5th Avenue (photo)\n"
                   "Message-ID: <ana-2@example.org>\nIn-Reply-To: <" +
                       out.message_id +
                       ">\n\n"
                       "Great, thank you!\n\n"
                       "On Wed, Nov 25, 2026 at 9:00 AM City 311 <311@city.test> wrote:\n"
                       "> Thank you, Ana. A crew will fill it on Thursday.\n")
              .status == 0);
  auto list = conversations(daemon, token);
  REQUIRE(list.size() == 1);
  auto thread = messages(daemon, token, conversation);
  CHECK(str(thread.back().at("text")) == "Great, thank you!");

  // Later replies go out the same way.
  REQUIRE(daemon
              .post("/api/v1/conversations/" + conversation + "/messages",
                    R"({"text":"Crew scheduled."})", token)
              .status == 201);
  CHECK(sink.wait_for(2, std::chrono::seconds(10)).size() == 2);
}

TEST_CASE(
    "an out-of-office answer to the agent's mail is recorded but does not requeue the "
    "conversation") {
  SmtpSinkRig sink;
  EmailSetup setup;
  RedisServer redis;
  auto env = setup.replies_env(sink);
  Daemon daemon(redis.url(), env);
  auto token = daemon.login();
  REQUIRE(send_raw(setup.smtp_port, "bo@example.net", "311@city.test",
                   "From: Bo <bo@example.net>\nTo: 311@city.test\nSubject: Noise\n"
                   "Message-ID: <bo-1@example.net>\n\nLoud music every night.\n")
              .status == 0);
  std::string conversation = str(conversations(daemon, token).at(0).at("id"));
  REQUIRE(daemon
              .post("/api/v1/conversations/" + conversation + "/messages",
                    R"({"text":"We will send an officer tonight."})", token)
              .status == 201);
  auto sent = sink.wait_for(1, std::chrono::seconds(10));
  REQUIRE(sent.size() == 1);
  auto ours = frontdoor::email::parse_mail(sent[0]).message_id;

  REQUIRE(send_raw(setup.smtp_port, "bo@example.net", "311@city.test",
                   "From: Bo <bo@example.net>\nTo: 311@city.test\n"
                   "Subject: Automatic reply: Re: Noise\nAuto-Submitted: auto-replied\n"
                   "Message-ID: <bo-ooo@example.net>\nIn-Reply-To: <" +
                       ours +
                       ">\n\n"
                       "I am away until Monday.\n")
              .status == 0);
  auto detail = daemon.get("/api/v1/conversations/" + conversation, token).json();
  CHECK(str(detail.at("conversation").at("status")) == "pending_resident");
  CHECK(str(detail.at("messages").as_array().back().at("text")) == "I am away until Monday.");
  CHECK(conversations(daemon, token).size() == 1);
}

TEST_CASE("a reply the mail server cannot take now is tried again, also after a restart") {
  SmtpSinkRig sink;
  sink.stop();  // the city's mail server is down: connections are refused
  EmailSetup setup;
  RedisServer redis;
  auto env = setup.replies_env(sink);
  env["CHANNELS_EMAIL_RETRY_BASE_MS"] = "300";
  env["CHANNELS_EMAIL_SEND_ATTEMPTS"] = "30";
  Daemon daemon(redis.url(), env);
  auto token = daemon.login();
  std::string conversation = lan_writes(setup, daemon, token);
  auto reply = daemon.post("/api/v1/conversations/" + conversation + "/messages",
                           R"({"text":"Sorry, Lan. The truck comes back tomorrow."})", token);
  REQUIRE(reply.status == 201);
  CHECK(str(reply.json().at("message").at("delivery")) == "retrying");
  CHECK(str(reply.json().at("message").at("delivery_detail")).find("connect") != std::string::npos);

  // frontdoord restarts while the reply waits; the mail server comes back.
  daemon.stop();
  sink.start();
  daemon.start();
  auto received = sink.wait_for(1, std::chrono::seconds(30));
  REQUIRE(received.size() == 1);
  CHECK(frontdoor::email::parse_mail(received[0]).text.find("The truck comes back tomorrow.") !=
        std::string::npos);
  CHECK(str(last_delivered(daemon, token, conversation, "sent").at("delivery")) == "sent");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(sink.received().size() == 1);  // sent once
}

TEST_CASE("a reply that never gets through fails with the reason after its attempts") {
  SmtpSinkRig sink;
  sink.stop();
  EmailSetup setup;
  RedisServer redis;
  auto env = setup.replies_env(sink);
  env["CHANNELS_EMAIL_RETRY_BASE_MS"] = "50";
  env["CHANNELS_EMAIL_SEND_ATTEMPTS"] = "3";
  Daemon daemon(redis.url(), env);
  auto token = daemon.login();
  std::string conversation = lan_writes(setup, daemon, token);
  REQUIRE(daemon
              .post("/api/v1/conversations/" + conversation + "/messages",
                    R"({"text":"We are on it."})", token)
              .status == 201);
  auto last = last_delivered(daemon, token, conversation, "failed");
  CHECK(str(last.at("delivery")) == "failed");
  CHECK(str(last.at("delivery_detail")).starts_with("gave up after 3 attempts"));
  CHECK(daemon.get("/metrics")
            .body.find(
                "frontdoor_outbound_messages_total{channel=\"email\",outcome=\"gave_up\"} 1") !=
        std::string::npos);
}

TEST_CASE("the agent sees the new text and gets the whole mail and its attachments in one click") {
  EmailSetup setup;
  RedisServer redis;
  Daemon daemon(redis.url(), setup.env());
  auto token = daemon.login();
  const std::string raw =
      "From: Minh <minh@example.net>\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\n"
      "Message-ID: <minh-2@example.net>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
      "Here is the photo.\r\n\r\nOn Tue, Nov 24, 2026 at 9:00 AM City 311 <311@city.test> "
      "wrote:\r\n"
      "> Could you send a photo?\r\n"
      "--b1\r\nContent-Type: image/jpeg\r\n"
      "Content-Disposition: attachment; filename*=UTF-8''c%C3%A2y%20%C4%91%E1%BB%95.jpg\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRgABAQ==\r\n"
      "--b1\r\nContent-Type: text/html\r\nContent-Disposition: attachment; "
      "filename=\"note.html\"\r\n\r\n"
      "<script>alert(1)</script>\r\n--b1--\r\n";
  REQUIRE(send_raw(setup.smtp_port, "minh@example.net", "311@city.test", raw).status == 0);
  std::string id = str(conversations(daemon, token).at(0).at("id"));
  auto message = messages(daemon, token, id).at(0).as_object();
  CHECK(str(message.at("text")) == "Here is the photo.");
  const auto& original = message.at("original").as_object();
  CHECK(original.at("trimmed").as_bool());

  auto full = daemon.get(str(original.at("text")), token);
  REQUIRE(full.status == 200);
  CHECK(full.body.find("> Could you send a photo?") != std::string::npos);

  auto whole = daemon.get(str(original.at("raw")), token);
  REQUIRE(whole.status == 200);
  CHECK(whole.headers["content-type"] == "message/rfc822");
  CHECK(whole.body.find("Message-ID: <minh-2@example.net>") != std::string::npos);
  CHECK(whole.body.find("/9j/4AAQSkZJRgABAQ==") != std::string::npos);

  auto files = message.at("attachments").as_array();
  REQUIRE(files.size() == 2);
  auto photo = daemon.get(str(files[0]), token);
  REQUIRE(photo.status == 200);
  CHECK(photo.headers["content-type"] == "image/jpeg");
  CHECK(photo.body == std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01", 13));
  CHECK(photo.headers["content-disposition"].find(
            "filename*=UTF-8''c%C3%A2y%20%C4%91%E1%BB%95.jpg") != std::string::npos);
  // An HTML file is a download, never a page of the inbox's origin.
  auto note = daemon.get(str(files[1]), token);
  REQUIRE(note.status == 200);
  CHECK(note.headers["content-disposition"].starts_with("attachment;"));
  CHECK(note.headers["x-content-type-options"] == "nosniff");
  CHECK(note.headers["content-security-policy"] == "sandbox");

  // Only for agents who may see the conversation, and only what the message names.
  CHECK(daemon.get(str(original.at("raw"))).status == 401);
  CHECK(daemon
            .get("/api/v1/conversations/" + id + "/messages/" + str(message.at("id")) +
                     "/attachments/2",
                 token)
            .status == 404);
  CHECK(daemon.get("/api/v1/conversations/" + id + "/messages/1-0/raw", token).status == 404);
  CHECK(daemon.get("/api/v1/conversations/" + id + "/messages/..%2F..%2Fetc/raw", token).status ==
        404);
}

TEST_CASE(
    "a mail joins only its sender's conversation: reply address, later references, resolved") {
  SmtpSinkRig sink;
  EmailSetup setup;
  RedisServer redis;
  auto env = setup.replies_env(sink);
  env["CHANNELS_EMAIL_REPLY_ADDRESS_TAGS"] = "true";
  Daemon daemon(redis.url(), env);
  auto token = daemon.login();
  auto resolve = [&](const std::string& id) {
    REQUIRE(
        daemon.post("/api/v1/conversations/" + id + "/status", R"({"status":"resolved"})", token)
            .status == 200);
  };
  auto count_of = [&](const std::string& id) {
    return daemon.get("/api/v1/conversations/" + id, token)
        .json()
        .at("conversation")
        .at("message_count")
        .to_number<int>();
  };

  REQUIRE(send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                   "From: Ana <ana@example.org>\nTo: 311@city.test\nSubject: Broken bench\n"
                   "Message-ID: <ana-1@example.org>\n\nThe bench in Laurelhurst Park is broken.\n")
              .status == 0);
  std::string ana = str(conversations(daemon, token).at(0).at("id"));
  REQUIRE(daemon
              .post("/api/v1/conversations/" + ana + "/messages",
                    R"({"text":"Thanks, Ana. Parks will fix it."})", token)
              .status == 201);
  auto sent = sink.wait_for(1, std::chrono::seconds(10));
  REQUIRE(sent.size() == 1);
  const std::string tagged = "311+c" + ana + "@city.test";
  CHECK(sent[0].find("Reply-To: " + tagged) != std::string::npos);

  // Ana's client dropped the thread headers, but she answers the reply address: the resolved
  // conversation is hers and opens again.
  resolve(ana);
  REQUIRE(send_raw(setup.smtp_port, "ana@example.org", tagged,
                   "From: Ana <ana@example.org>\nTo: " + tagged +
                       "\nSubject: bench\nMessage-ID: <ana-2@example.org>\n\nIt is still broken.\n")
              .status == 0);
  CHECK(conversations(daemon, token).size() == 1);
  CHECK(count_of(ana) == 3);

  // A new mail without any thread after her conversation was resolved: a new conversation.
  resolve(ana);
  REQUIRE(send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                   "From: Ana <ana@example.org>\nTo: 311@city.test\nSubject: Graffiti\n"
                   "Message-ID: <ana-3@example.org>\n\nGraffiti on the library wall.\n")
              .status == 0);
  CHECK(conversations(daemon, token).size() == 2);

  // Bo writes to Ana's reply address: his own conversation, Ana's untouched.
  REQUIRE(send_raw(setup.smtp_port, "bo@example.net", tagged,
                   "From: Bo <bo@example.net>\nTo: " + tagged +
                       "\nSubject: bench\nMessage-ID: <bo-1@example.net>\n\nI saw it too.\n")
              .status == 0);
  auto list = conversations(daemon, token);
  REQUIRE(list.size() == 3);
  CHECK(count_of(ana) == 3);
  std::string bo;
  for (const auto& c : list) {
    if (str(c.at("contact").at("display_name")) == "Bo") bo = str(c.at("id"));
  }
  REQUIRE(!bo.empty());

  // Bo answers in a thread Ana started (In-Reply-To is hers) that also names his own mail
  // further back: his resolved conversation opens again, Ana's is not joined.
  resolve(bo);
  REQUIRE(send_raw(setup.smtp_port, "bo@example.net", "311@city.test",
                   "From: Bo <bo@example.net>\nTo: 311@city.test\nSubject: Re: bench\n"
                   "Message-ID: <bo-2@example.net>\nIn-Reply-To: <ana-1@example.org>\n"
                   "References: <bo-1@example.net> <ana-1@example.org>\n\nStill there.\n")
              .status == 0);
  CHECK(conversations(daemon, token).size() == 3);
  CHECK(count_of(ana) == 3);
  CHECK(count_of(bo) >= 2);
}

TEST_CASE("a forwarded mail is shown whole and a bounce of a reply fails that reply") {
  SmtpSinkRig sink;
  EmailSetup setup;
  RedisServer redis;
  Daemon daemon(redis.url(), setup.replies_env(sink));
  auto token = daemon.login();

  // Ana forwards her landlord's notice: the forwarded part is the point, nothing is trimmed.
  REQUIRE(send_raw(setup.smtp_port, "ana@example.org", "311@city.test",
                   "From: Ana <ana@example.org>\nTo: 311@city.test\n"
                   "Subject: Fwd: Water shut-off notice\nMessage-ID: <ana-fwd@example.org>\n\n"
                   "Is this allowed? They gave us one day.\n\n"
                   "---------- Forwarded message ---------\n"
                   "From: Property Office <office@landlord.example>\n"
                   "Date: Mon, Nov 23, 2026 at 8:00 AM\n"
                   "Subject: Water shut-off notice\n"
                   "To: Tenants <tenants@landlord.example>\n\n"
                   "Water will be shut off on Nov 26 from 8 am to 6 pm.\n")
              .status == 0);
  std::string ana = str(conversations(daemon, token).at(0).at("id"));
  auto shown = str(messages(daemon, token, ana).at(0).at("text"));
  CHECK(shown.find("Is this allowed?") != std::string::npos);
  CHECK(shown.find("From: Property Office") != std::string::npos);
  CHECK(shown.find("Water will be shut off on Nov 26") != std::string::npos);

  // The reply bounces at Ana's provider: the reply shows failed, with the status.
  REQUIRE(daemon
              .post("/api/v1/conversations/" + ana + "/messages",
                    R"({"text":"No: one day is not enough notice. We will call them."})", token)
              .status == 201);
  auto sent = sink.wait_for(1, std::chrono::seconds(10));
  REQUIRE(sent.size() == 1);
  const std::string ours = frontdoor::email::parse_mail(sent[0]).message_id;
  std::string dsn =
      read_file(std::string(FRONTDOOR_SOURCE_DIR) + "/tests/corpus/email/mime/bounce-dsn.eml");
  dsn.replace(dsn.find("reply-8f3a2c@311.city.example"),
              std::string("reply-8f3a2c@311.city.example").size(), ours);
  auto bounce = send_raw(setup.smtp_port, "\"\"", "311@city.test", dsn);  // MAIL FROM:<>
  REQUIRE(bounce.status == 0);
  CHECK(bounce.output.find("bounce recorded") != std::string::npos);
  auto last = messages(daemon, token, ana).back();
  CHECK(str(last.at("delivery")) == "failed");
  CHECK(str(last.at("delivery_detail")) == "bounced: 5.1.1");
  CHECK(messages(daemon, token, ana).size() == 2);  // the bounce is not a message
}

TEST_CASE("mail in every required charset arrives through the receiver as UTF-8") {
  EmailSetup setup;
  RedisServer redis;
  Daemon daemon(redis.url(), setup.env());
  auto token = daemon.login();
  const auto cases = charset_cases();
  REQUIRE(cases.size() >= 15);
  for (const auto& c : cases) {
    INFO(c.file);
    const std::string raw =
        read_file(std::string(FRONTDOOR_SOURCE_DIR) + "/tests/corpus/email/mime/" + c.file);
    REQUIRE(send_raw(setup.smtp_port, "resident@example.net", "311@city.test", raw).status == 0);
    auto list = conversations(daemon, token);
    REQUIRE(list.size() == 1);  // one resident, one open conversation
    CHECK(str(list[0].at("attributes").at("email_subject")) == c.subject);
    CHECK(str(messages(daemon, token, str(list[0].at("id"))).back().at("text")) == c.text);
  }
}
