// The mail rigs themselves: a real Dovecot holding a mailbox (driven here with curl as the IMAP
// client) and a real Exim as the outbound sink (fed by swaks).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/integration/harness.hpp"
#include "tests/integration/imap_rig.hpp"
#include "tests/integration/smtp_sink_rig.hpp"

using namespace frontdoor::testing;

namespace {

std::string run(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

std::string curl_imap(const ImapRig& rig, const std::string& url_suffix,
                      const std::string& request = {}) {
  std::string command =
      "curl -s --max-time 20 --url 'imap://127.0.0.1:" + std::to_string(rig.port()) + url_suffix +
      "' -u " + rig.user() + ":" + rig.password();
  if (!request.empty()) command += " -X '" + request + "'";
  return run(command);
}

}  // namespace

TEST_CASE("ImapRig: Dovecot holds delivered mail under stable UIDs", "[imap]") {
  ImapRig rig;
  const std::string first =
      "From: Resident <resident@example.org>\r\nTo: 311@city.test\r\n"
      "Subject: Pothole on Elm St\r\nMessage-ID: <one@example.org>\r\n"
      "Date: Mon, 02 Jun 2025 10:00:00 +0000\r\n\r\nThere is a hole.\r\n";
  const std::string second =
      "From: Other <other@example.org>\r\nTo: 311@city.test\r\nSubject: Already read\r\n"
      "Message-ID: <two@example.org>\r\nDate: Mon, 02 Jun 2025 10:05:00 +0000\r\n\r\nSeen.\r\n";
  CHECK(rig.deliver(first) == 1);
  CHECK(rig.deliver(second, true) == 2);

  auto search = curl_imap(rig, "/INBOX", "UID SEARCH ALL");
  CHECK(search.find("* SEARCH 1 2") != std::string::npos);
  CHECK(rig.uids() == std::vector<std::uint32_t>{1, 2});
  CHECK(rig.flags_of_all() == std::vector<std::string>{"", "\\Seen"});

  // curl fetches BODY[] (its ;UID= URL): the very bytes delivered. Fetching sets \Seen.
  CHECK(curl_imap(rig, "/INBOX;UID=1") == first);
  CHECK(rig.flags_of_all() == std::vector<std::string>{"\\Seen", "\\Seen"});

  auto examine = curl_imap(rig, "", "EXAMINE INBOX");
  INFO(examine);
  CHECK(examine.find("[UIDVALIDITY " + std::to_string(rig.uidvalidity()) + "]") !=
        std::string::npos);
  CHECK(examine.find("[UIDNEXT 3]") != std::string::npos);

  auto validity = rig.uidvalidity();
  rig.restart();
  CHECK(rig.uidvalidity() == validity);
  CHECK(rig.uids() == std::vector<std::uint32_t>{1, 2});
  CHECK(curl_imap(rig, "/INBOX;UID=2") == second);
  CHECK(rig.deliver(first) == 3);
}

TEST_CASE("SmtpSinkRig: Exim takes mail for anyone and keeps it raw", "[smtp-sink]") {
  SmtpSinkRig sink;
  auto mail_dir = fresh_dir("sink-mail");
  auto path = mail_dir + "/message.eml";
  std::ofstream(path, std::ios::binary)
      << "From: 311 <311@city.test>\r\nTo: Resident <resident@example.org>\r\n"
         "Subject: Re: Pothole on Elm St\r\nMessage-ID: <reply-1@city.test>\r\n"
         "In-Reply-To: <one@example.org>\r\nReferences: <one@example.org>\r\n"
         "Date: Mon, 02 Jun 2025 11:00:00 +0000\r\n\r\nWe are on it.\r\n";
  auto out = run("swaks --server 127.0.0.1 --port " + std::to_string(sink.port()) +
                 " --timeout 20 --from 311@city.test --to resident@example.org --data @" + path);
  INFO(out);
  auto messages = sink.wait_for(1, std::chrono::seconds(10));
  INFO(sink.logs());
  REQUIRE(messages.size() == 1);
  const auto& m = messages[0];
  CHECK(m.rfind("Return-path: <311@city.test>\nEnvelope-to: resident@example.org\n", 0) == 0);
  CHECK(m.find("\nMessage-ID: <reply-1@city.test>\n") != std::string::npos);
  CHECK(m.find("\nIn-Reply-To: <one@example.org>\n") != std::string::npos);
  CHECK(m.find("\nReferences: <one@example.org>\n") != std::string::npos);
  CHECK(m.find("\n\nWe are on it.\n") != std::string::npos);

  // AUTH is offered and checked; mail for another domain, authenticated, lands too.
  auto bad = run("swaks --server 127.0.0.1 --port " + std::to_string(sink.port()) +
                 " --timeout 20 --from a@city.test --to b@elsewhere.test -a LOGIN -au " +
                 sink.username() + " -ap wrong");
  CHECK(bad.find("535") != std::string::npos);
  run("swaks --server 127.0.0.1 --port " + std::to_string(sink.port()) +
      " --timeout 20 --from a@city.test --to b@elsewhere.test -a PLAIN -au " + sink.username() +
      " -ap " + sink.password());
  messages = sink.wait_for(2, std::chrono::seconds(10));
  REQUIRE(messages.size() == 2);
  CHECK(messages[1].find("Envelope-to: b@elsewhere.test\n") != std::string::npos);
  std::filesystem::remove_all(mail_dir);
}
