// What an agent sees of a whole mail: parse_mail, then trim_reply with the mail's subject, as
// the email channel does. The corpus is tests/corpus/email/agent-view/ (see its README).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "channels/email/mime_message.hpp"
#include "channels/email/reply_trimmer.hpp"
#include "tests/corpus/corpus_text.hpp"

using namespace frontdoor::email;

namespace {

using frontdoor::testing::line_counts;
using frontdoor::testing::read_file;
using frontdoor::testing::rtrim;

const std::filesystem::path kCorpus =
    std::filesystem::path(FRONTDOOR_SOURCE_DIR) / "tests/corpus/email/agent-view";

struct AgentView {
  ParsedMail mail;
  TrimmedReply reply;
};

// What the email channel shows of the corpus mail `name`.
AgentView view(const std::string& name) {
  const std::filesystem::path path = kCorpus / (name + ".eml");
  INFO(path);
  REQUIRE(std::filesystem::exists(path));
  AgentView seen;
  seen.mail = parse_mail(read_file(path));
  seen.reply = trim_reply(seen.mail.text, {.subject = seen.mail.subject});
  return seen;
}

}  // namespace

TEST_CASE("the agent-view corpus holds HTML-only replies and forwards of every client") {
  for (const char* name :
       {"html-gmail-reply-en", "html-apple-mail-reply-fr", "html-outlook-web-reply-es",
        "html-thunderbird-nested-de", "html-yahoo-reply-vi", "fwd-gmail-en", "fwd-gmail-es",
        "fwd-outlook-en", "fwd-outlook-web-de", "fwd-outlook-zh", "fwd-apple-mail-en",
        "fwd-thunderbird-fr", "fwd-thunderbird-original-ru"}) {
    INFO(name);
    CHECK(std::filesystem::exists(kCorpus / (std::string(name) + ".eml")));
    CHECK(std::filesystem::exists(kCorpus / (std::string(name) + ".expected.txt")));
  }
}

TEST_CASE("every corpus mail shows the agent exactly its expected text") {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus)) {
    if (entry.path().extension() == ".eml") names.push_back(entry.path().stem().string());
  }
  REQUIRE(names.size() >= 13);
  for (const std::string& name : names) {
    INFO(name);
    const std::filesystem::path expected_path = kCorpus / (name + ".expected.txt");
    REQUIRE(std::filesystem::exists(expected_path));
    std::string expected = read_file(expected_path);
    REQUIRE(expected.ends_with('\n'));  // the file is the text plus one final newline
    expected.pop_back();

    const AgentView seen = view(name);
    CHECK(seen.mail.problems.empty());
    CHECK(seen.reply.text == expected);
    // Nothing is lost: every line of the body is shown, or kept as quote or signature.
    CHECK(line_counts(seen.mail.text) ==
          line_counts(seen.reply.text + "\n" + seen.reply.quoted + "\n" + seen.reply.signature));
    if (name.starts_with("html-")) {
      CHECK(seen.mail.text_from_html);
      CHECK(seen.reply.trimmed);
      CHECK_FALSE(seen.reply.forwarded);
      CHECK_FALSE(seen.reply.quoted.empty());
    }
    if (name.starts_with("fwd-")) {
      CHECK(seen.reply.forwarded);
      CHECK(seen.reply.quoted.empty());
    }
  }
}

TEST_CASE("an HTML-only reply keeps its quote, attribution and all, for the full message") {
  SECTION("Gmail: the attribution above the blockquote, nested quotes as \"> > \"") {
    const AgentView seen = view("html-gmail-reply-en");
    CHECK(seen.reply.quoted.starts_with(
        "On Tue, Nov 24, 2026 at 11:04\xE2\x80\xAFPM City of Springfield 311 "
        "<311@springfield.gov> wrote:\n\n> Hi Ana,\n>\n"));
    CHECK(seen.reply.quoted.ends_with(
        "\n> > There is water coming up through the sidewalk in front of 412 Elm St."));
  }
  SECTION("Apple Mail: the attribution inside the blockquote, the iPhone line a signature") {
    const AgentView seen = view("html-apple-mail-reply-fr");
    CHECK(seen.reply.signature == "Envoy\xC3\xA9 de mon iPhone");
    CHECK(seen.reply.quoted.starts_with("> Le 24 nov. 2026 \xC3\xA0 23:04, Ville de Springfield"));
  }
  SECTION("Outlook on the web: the From/Sent/To block under the rule") {
    const AgentView seen = view("html-outlook-web-reply-es");
    CHECK(
        seen.reply.quoted.starts_with("De: Ciudad de Springfield 311 <311@springfield.gov>\n"
                                      "Enviado: martes, 24 de noviembre de 2026 23:04\n"));
    CHECK(seen.reply.signature.empty());
  }
  SECTION("Thunderbird: a bottom-posted reply below nested quotes, its signature removed") {
    const AgentView seen = view("html-thunderbird-nested-de");
    CHECK(seen.reply.quoted.starts_with(
        "Am 24.11.26 um 23:04 schrieb Stadt Springfield 311:\n\n> Guten Tag Herr Becker,"));
    CHECK(seen.reply.quoted.find("\n> Am 24.11.26 um 21:50 schrieb Jonas Becker:\n>\n> > Vor") !=
          std::string::npos);
    CHECK(seen.reply.signature == "--\nJonas Becker\nBirkenweg 7, Springfield\nTel. 0555 010 8842");
  }
  SECTION("Yahoo Mail: the yahoo_quoted div, attribution inside it") {
    const AgentView seen = view("html-yahoo-reply-vi");
    CHECK(seen.reply.quoted.starts_with("> V\xC3\xA0o Th\xE1\xBB\xA9 Ba, 24 th\xC3\xA1ng 11"));
  }
}

TEST_CASE("a forwarded mail shows the note and the whole forwarded message") {
  SECTION("Gmail: the note's \"-- \" signature goes, the forwarded headers stay") {
    const AgentView seen = view("fwd-gmail-en");
    CHECK(seen.reply.signature == "-- \nBo Chen\nElm Street Neighborhood Association");
    CHECK(seen.reply.text.find("---------- Forwarded message ---------\nFrom: Springfield Water "
                               "Bureau <water@springfield.gov>\n") != std::string::npos);
  }
  SECTION("Apple Mail: \"Sent from my iPhone\" above the forward goes, the \"> \" lines stay") {
    const AgentView seen = view("fwd-apple-mail-en");
    CHECK(seen.reply.signature == "Sent from my iPhone");
    CHECK(seen.reply.text.find("\n\nBegin forwarded message:\n\n> From: Springfield Power") !=
          std::string::npos);
  }
  SECTION("Thunderbird: a signature below the forwarded message is not the note's; it stays") {
    const AgentView seen = view("fwd-thunderbird-fr");
    CHECK_FALSE(seen.reply.trimmed);
    CHECK(seen.reply.text.ends_with("Syndic Dupont\n\n-- \nAm\xC3\xA9lie Durand\n06 55 01 02 03"));
  }
}

TEST_CASE("an Outlook forward is known by its subject, or read as a reply") {
  for (const char* name : {"fwd-outlook-en", "fwd-outlook-web-de", "fwd-outlook-zh"}) {
    INFO(name);
    const AgentView seen = view(name);
    CHECK(is_forward_subject(seen.mail.subject));
    CHECK(seen.reply.text == rtrim(seen.mail.text));
    // The same body without its subject looks exactly like a reply: only the note is left.
    const TrimmedReply as_reply = trim_reply(seen.mail.text);
    CHECK_FALSE(as_reply.forwarded);
    CHECK(as_reply.trimmed);
    CHECK(as_reply.text.size() < seen.reply.text.size() / 2);
  }
}

TEST_CASE("\"-------- Original Message --------\" is a forward only under a forward subject") {
  const AgentView seen = view("fwd-thunderbird-original-ru");
  CHECK(seen.reply.forwarded);
  CHECK_FALSE(seen.reply.trimmed);

  // Samsung Email and others write the same line above replies.
  const TrimmedReply reply =
      trim_reply(seen.mail.text, {.subject = "Re: \xD0\x9E\xD1\x82\xD0\xBA\xD0\xBB"});
  CHECK_FALSE(reply.forwarded);
  CHECK(reply.quoted.starts_with("-------- Original Message --------\n"));
}

TEST_CASE("an Outlook desktop HTML reply is cut at the header block under its border-top div") {
  const std::string raw =
      "From: Bo Chen <bo.chen@example.net>\r\nTo: 311@springfield.gov\r\n"
      "Subject: RE: Broken streetlight on Oak Ave [#311-4901]\r\n"
      "Message-ID: <000a01db4c2e$5e8f1c20$1bad5460$@example.net>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/html; charset=\"us-ascii\"\r\n\r\n"
      "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head><style><!--\r\n"
      "p.MsoNormal {margin:0in;}\r\n--></style></head><body lang=\"EN-US\">"
      "<div class=\"WordSection1\"><p class=\"MsoNormal\">Still out tonight.<o:p></o:p></p>"
      "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p><p class=\"MsoNormal\">Bo<o:p></o:p></p>"
      "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p><div><div style=\"border:none;border-top:solid "
      "#E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in\"><p class=\"MsoNormal\"><b>From:</b> City of "
      "Springfield 311 &lt;311@springfield.gov&gt; <br><b>Sent:</b> Monday, November 30, 2026 "
      "9:15 AM<br><b>To:</b> Bo Chen &lt;bo.chen@example.net&gt;<br><b>Subject:</b> RE: Broken "
      "streetlight on Oak Ave [#311-4901]<o:p></o:p></p></div></div><p class=\"MsoNormal\">"
      "<o:p>&nbsp;</o:p></p><p class=\"MsoNormal\">Hi Bo,<o:p></o:p></p><p class=\"MsoNormal\">"
      "A crew is scheduled for this afternoon.<o:p></o:p></p></div></body></html>\r\n";
  const ParsedMail mail = parse_mail(raw);
  const TrimmedReply reply = trim_reply(mail.text, {.subject = mail.subject});
  CHECK(reply.text == "Still out tonight.\n\nBo");
  CHECK(reply.quoted.starts_with("From: City of Springfield 311 <311@springfield.gov>\nSent:"));
  CHECK(reply.quoted.ends_with("A crew is scheduled for this afternoon."));
}
