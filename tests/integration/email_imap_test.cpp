// Residents' mail in a hosted mailbox: frontdoor polls a real Dovecot over IMAP and takes every
// new message exactly once, by UID, whatever its flags, across restarts, crashes and a
// recreated folder.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <thread>

#include "tests/integration/harness.hpp"
#include "tests/integration/imap_rig.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string str(const json::value& v) { return std::string(v.as_string()); }

std::map<std::string, std::string> imap_env(const ImapRig& rig, const std::string& after = "seen") {
  return {{"CHANNELS_EMAIL_ENABLED", "true"},
          {"CHANNELS_EMAIL_LISTEN", "127.0.0.1:" + std::to_string(free_port())},
          {"CHANNELS_EMAIL_RECIPIENTS", "311@city.test"},
          {"CHANNELS_EMAIL_IMAP_URL", "imap://127.0.0.1:" + std::to_string(rig.port())},
          {"CHANNELS_EMAIL_IMAP_USERNAME", rig.user()},
          {"CHANNELS_EMAIL_IMAP_PASSWORD", rig.password()},
          {"CHANNELS_EMAIL_IMAP_REQUIRE_TLS", "false"},
          {"CHANNELS_EMAIL_IMAP_POLL_S", "1"},
          {"CHANNELS_EMAIL_IMAP_AFTER", after}};
}

std::string mail(const std::string& from, const std::string& id, const std::string& text,
                 const std::string& extra_headers = "") {
  return "From: " + from + "\nTo: 311@city.test\nSubject: Streetlight out\nMessage-ID: <" + id +
         ">\nDate: Wed, 25 Nov 2026 09:00:00 +0000\n" + extra_headers +
         "Content-Type: text/plain; charset=utf-8\n\n" + text + "\n";
}

json::array conversations(const Daemon& daemon, const std::string& token) {
  return daemon.get("/api/v1/conversations?channel=email&limit=200", token)
      .json()
      .at("conversations")
      .as_array();
}

// Total messages over every email conversation.
std::int64_t message_total(const Daemon& daemon, const std::string& token) {
  std::int64_t total = 0;
  for (const auto& c : conversations(daemon, token))
    total += c.at("message_count").to_number<std::int64_t>();
  return total;
}

// Waits until `ready()` holds (polls run every second); false after `timeout`.
template <class Ready>
bool eventually(Ready ready, std::chrono::seconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return ready();
}

}  // namespace

TEST_CASE("a polled mailbox gives every new message once, read or not, and flags what it stored") {
  ImapRig rig;
  rig.deliver(mail("Lan Nguyen <lan@example.org>", "lan-1@example.org",
                   "Đèn đường trước nhà số 12 bị hỏng."));
  // Read in webmail before frontdoor polled: still a new message to frontdoor.
  rig.deliver(mail("Bo <bo@example.net>", "bo-1@example.net", "The light on Elm is out too."),
              /*seen=*/true);
  RedisServer redis;
  Daemon daemon(redis.url(), imap_env(rig));
  auto token = daemon.login();

  REQUIRE(eventually([&] { return message_total(daemon, token) == 2; }));
  auto list = conversations(daemon, token);
  REQUIRE(list.size() == 2);
  std::set<std::string> names;
  for (const auto& c : list) names.insert(str(c.at("contact").at("display_name")));
  CHECK(names == std::set<std::string>{"Lan Nguyen", "Bo"});
  // Processed messages are flagged \Seen (imap_after = "seen").
  REQUIRE(eventually([&] {
    auto flags = rig.flags_of_all();
    return flags.size() == 2 && flags[0].find("\\Seen") != std::string::npos &&
           flags[1].find("\\Seen") != std::string::npos;
  }));

  // A restart resumes after the last stored UID: Lan's reply joins her conversation, and
  // nothing is taken twice.
  daemon.stop();
  rig.deliver(mail("Lan Nguyen <lan@example.org>", "lan-2@example.org", "Vẫn chưa sửa.",
                   "In-Reply-To: <lan-1@example.org>\nReferences: <lan-1@example.org>\n"));
  daemon.start();
  REQUIRE(eventually([&] { return message_total(daemon, token) == 3; }));
  std::this_thread::sleep_for(2500ms);  // two more polls
  CHECK(message_total(daemon, token) == 3);
  CHECK(conversations(daemon, token).size() == 2);
  CHECK(metric(daemon, "frontdoor_imap_messages_total{outcome=\"stored\"}") == "1");
}

TEST_CASE("a crash mid-poll and a recreated folder lose and duplicate nothing") {
  ImapRig rig;
  constexpr int kMails = 30;
  const std::string padding(60 * 1024, 'x');  // each fetch takes a moment
  for (int i = 0; i < kMails; ++i) {
    std::string id = std::to_string(i);
    rig.deliver(mail("Resident " + id + " <r" + id + "@example.org>", "m" + id + "@example.org",
                     "Report " + id + "\n\n" + padding),
                i % 2 == 0);
  }
  RedisServer redis;
  auto env = imap_env(rig, "keep");
  Daemon daemon(redis.url(), env);
  auto token = daemon.login();
  REQUIRE(eventually([&] { return message_total(daemon, token) >= 1; }));
  daemon.kill();  // in the middle of the first poll, most likely
  // One conversation per sender: what the crashed instance had stored.
  INFO("stored before the crash: " << redis.cli({"ZCARD", "convs:channel:email"}));

  daemon.start();
  REQUIRE(eventually([&] { return message_total(daemon, token) == kMails; }, 60s));
  std::this_thread::sleep_for(2500ms);
  CHECK(message_total(daemon, token) == kMails);
  CHECK(conversations(daemon, token).size() == kMails);

  // The folder is recreated (UIDVALIDITY changes): everything is looked at again, only the new
  // mail is stored.
  const auto before = rig.uidvalidity();
  rig.stop();
  for (const auto& entry : std::filesystem::directory_iterator(rig.maildir())) {
    if (entry.path().filename().string().starts_with("dovecot")) {
      std::filesystem::remove(entry.path());  // the UID list and the indexes
    }
  }
  rig.start();
  REQUIRE(rig.uidvalidity() != before);
  rig.deliver(mail("Late <late@example.org>", "late@example.org", "One more."));
  REQUIRE(eventually([&] { return message_total(daemon, token) == kMails + 1; }, 60s));
  // Every mail of the folder was looked at again and recognized (a mail fetched twice around
  // the crash counts as well).
  REQUIRE(eventually([&] {
    auto repeats = metric(daemon, "frontdoor_email_repeats_total");
    return !repeats.empty() && std::stoi(repeats) >= kMails;
  }));
  CHECK(message_total(daemon, token) == kMails + 1);
  CHECK(daemon.log().find("imap_uidvalidity_changed") != std::string::npos);
}

TEST_CASE("stored messages can be moved to a folder of their own") {
  ImapRig rig;
  rig.deliver(mail("Ana <ana@example.org>", "ana-1@example.org", "Graffiti on the library."));
  rig.deliver(mail("Ana <ana@example.org>", "ana-2@example.org", "And on the school."));
  RedisServer redis;
  Daemon daemon(redis.url(), imap_env(rig, "move"));
  auto token = daemon.login();
  REQUIRE(eventually([&] { return message_total(daemon, token) == 2; }));
  REQUIRE(eventually([&] { return rig.uids().empty(); }));
  std::string processed = rig.session({"SELECT Processed", "UID SEARCH ALL"});
  CHECK(processed.find("* 2 EXISTS") != std::string::npos);
}

TEST_CASE("a mailbox that refuses the login is retried and counted, never fatal") {
  ImapRig rig;
  rig.deliver(mail("Ana <ana@example.org>", "ana-1@example.org", "Hello."));
  RedisServer redis;
  auto env = imap_env(rig);
  env["CHANNELS_EMAIL_IMAP_PASSWORD"] = "wrong";
  Daemon daemon(redis.url(), env);
  auto token = daemon.login();
  REQUIRE(eventually([&] {
    auto failures = metric(daemon, "frontdoor_imap_poll_failures_total");
    return !failures.empty() && std::stoi(failures) >= 2;
  }));
  CHECK(message_total(daemon, token) == 0);
  CHECK(daemon.get("/readyz").status == 200);
}
