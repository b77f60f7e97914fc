#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "channels/email/mime_message.hpp"
#include "channels/email/outbound_message.hpp"
#include "channels/email/smtp_receiver.hpp"

using namespace frontdoor::email;

namespace {

OutboundMail vietnamese_resident_mail() {
  OutboundMail mail;
  mail.from_name = "Trung tâm Dịch vụ Thành phố";
  mail.from_address = "311@city.example";
  mail.reply_to = "reply+42@city.example";
  mail.to_name = "Nguyễn Thị Minh Khai";
  mail.to_address = "khai@example.vn";
  mail.subject = "Đèn đường bị hỏng trên phố Hàng Bài";
  mail.in_reply_to = "CAK3x-9a@mail.example.vn";
  mail.references = {"fd.42.1700000000000-0.0badf00d@city.example", "CAK2y-1b@mail.example.vn"};
  mail.message_id = make_message_id("42", "1700000123456-0", "city.example");
  mail.language = "es";
  mail.text =
      "Hola señora Nguyễn:\n"
      "\n"
      "Gracias por su mensaje. La reparación del alumbrado está programada para el miércoles.\n"
      "Puede seguir el caso aquí: https://city.example/casos/42?idioma=es&ver=1.\n"
      "\n"
      "Saludos cordiales,\n"
      "El equipo 311 — Ayuntamiento";
  mail.date_unix = 1700000000;
  return mail;
}

std::vector<std::string> lines_of(const std::string& raw) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < raw.size()) {
    const std::size_t end = raw.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(raw.substr(start));
      break;
    }
    lines.push_back(raw.substr(start, end + 1 - start));
    start = end + 1;
  }
  return lines;
}

// The header block (before the first blank line).
std::string header_block(const std::string& raw) { return raw.substr(0, raw.find("\r\n\r\n")); }

}  // namespace

TEST_CASE("outbound mail round-trips through parse_mail") {
  const OutboundMail mail = vietnamese_resident_mail();
  const std::string raw = build_mime(mail);
  const ParsedMail parsed = parse_mail(raw);

  INFO(raw);
  CHECK(parsed.problems.empty());
  CHECK(parsed.from.name == mail.from_name);
  CHECK(parsed.from.address == mail.from_address);
  CHECK(parsed.reply_to.address == mail.reply_to);
  REQUIRE(parsed.to.size() == 1);
  CHECK(parsed.to[0].name == mail.to_name);
  CHECK(parsed.to[0].address == mail.to_address);
  CHECK(parsed.subject == "Re: " + mail.subject);
  CHECK(parsed.message_id == mail.message_id);
  CHECK(parsed.in_reply_to == mail.in_reply_to);
  const std::vector<std::string> expected_references{mail.references[0], mail.references[1],
                                                     mail.in_reply_to};
  CHECK(parsed.references == expected_references);
  CHECK(parsed.text == mail.text);
  CHECK_FALSE(parsed.text_from_html);
  CHECK(parsed.content_language == "es");
  CHECK(parsed.date_unix == mail.date_unix);
  CHECK_FALSE(parsed.auto_submitted);
  CHECK(parsed.attachments.empty());
}

TEST_CASE("outbound headers are encoded and 7-bit") {
  const OutboundMail mail = vietnamese_resident_mail();
  const std::string raw = build_mime(mail);
  const std::string headers = header_block(raw);
  INFO(headers);

  for (const char c : raw) CHECK(static_cast<unsigned char>(c) < 0x80);  // all encoded
  CHECK(headers.find("=?UTF-8?") != std::string::npos);                  // RFC 2047 words
  CHECK(headers.find("MIME-Version: 1.0") != std::string::npos);
  CHECK(headers.find("Content-Language: es") != std::string::npos);
  CHECK(headers.find("multipart/alternative") != std::string::npos);
  CHECK(headers.find("Auto-Submitted") == std::string::npos);  // written by people
  CHECK(raw.find("Content-Type: text/plain; charset=utf-8") != std::string::npos);
  CHECK(raw.find("Content-Type: text/html; charset=utf-8") != std::string::npos);
}

TEST_CASE("outbound mail has CRLF line ends and no line over 998 bytes") {
  OutboundMail mail = vietnamese_resident_mail();
  mail.text += "\n" + std::string(3000, 'x') + "\r\nfin\rlast";  // long line, mixed line ends
  for (int i = 0; i < 40; ++i) {
    mail.references.push_back("ref" + std::to_string(i) + "." + std::string(60, 'r') +
                              "@mail.example.vn");
  }
  const std::string raw = build_mime(mail);
  REQUIRE(raw.ends_with("\r\n"));
  for (const std::string& line : lines_of(raw)) {
    INFO(line.substr(0, 80));
    REQUIRE(line.size() >= 2);
    CHECK(line.substr(line.size() - 2) == "\r\n");
    CHECK(line.find('\r') == line.size() - 2);  // no bare CR inside
    CHECK(line.size() - 2 <= 998);
  }
  const ParsedMail parsed = parse_mail(raw);
  // At most 20 references: the thread's root and the newest 19, ending with In-Reply-To.
  REQUIRE(parsed.references.size() == 20);
  CHECK(parsed.references.front() == mail.references.front());
  CHECK(parsed.references.back() == mail.in_reply_to);
  CHECK(parsed.references[18] == mail.references.back());
  CHECK(parsed.text.find(std::string(3000, 'x') + "\nfin\nlast") != std::string::npos);
}

TEST_CASE("Re: is added once") {
  CHECK(reply_subject("Bache en la calle 5") == "Re: Bache en la calle 5");
  CHECK(reply_subject("Re: Bache") == "Re: Bache");
  CHECK(reply_subject("RE: Bache") == "RE: Bache");
  CHECK(reply_subject("re:Bache") == "re:Bache");
  CHECK(reply_subject("  Re: Bache  ") == "Re: Bache");
  CHECK(reply_subject("Re[2]: Bache") == "Re[2]: Bache");
  CHECK(reply_subject("Re : Nid-de-poule") == "Re : Nid-de-poule");
  CHECK(reply_subject("Aw: Schlagloch") == "Aw: Schlagloch");
  CHECK(reply_subject("SV: Hål i vägen") == "SV: Hål i vägen");
  CHECK(reply_subject("Antw: Gat in de weg") == "Antw: Gat in de weg");
  CHECK(reply_subject("Rif: Buca") == "Rif: Buca");
  CHECK(reply_subject("RES: Buraco na rua") == "RES: Buraco na rua");
  CHECK(reply_subject("RV: Bache") == "Re: RV: Bache");  // a forward in Spanish Outlook
  CHECK(reply_subject("Réf: Nid-de-poule") == "Réf: Nid-de-poule");
  CHECK(reply_subject("RÉF: Nid-de-poule") == "RÉF: Nid-de-poule");
  // Words that merely start like a prefix, and non-reply prefixes, get "Re: ".
  CHECK(reply_subject("Review: park bench") == "Re: Review: park bench");
  CHECK(reply_subject("Rework: sidewalk") == "Re: Rework: sidewalk");
  CHECK(reply_subject("Aware: flooding") == "Re: Aware: flooding");
  CHECK(reply_subject("Ref: case 123") == "Re: Ref: case 123");
  CHECK(reply_subject("Fwd: pothole") == "Re: Fwd: pothole");
  CHECK(reply_subject("Re") == "Re: Re");
  CHECK(reply_subject("") == "Re:");
  CHECK(reply_subject("Bache\r\nBcc: evil@example.com") == "Re: Bache Bcc: evil@example.com");

  OutboundMail mail = vietnamese_resident_mail();
  mail.subject = "Re: " + mail.subject;
  const ParsedMail parsed = parse_mail(build_mime(mail));
  CHECK(parsed.subject == mail.subject);
}

TEST_CASE("header injection through names and subject is impossible") {
  OutboundMail mail = vietnamese_resident_mail();
  mail.to_name = "Khai\r\nBcc: evil@example.com";
  mail.subject = "Hi\r\nBcc: evil@example.com";
  const std::string raw = build_mime(mail);
  CHECK(raw.find("\r\nBcc:") == std::string::npos);
  CHECK(parse_mail(raw).to.size() == 1);
}

TEST_CASE("invalid addresses and ids are refused or left out") {
  OutboundMail mail = vietnamese_resident_mail();
  mail.from_address = "";
  CHECK_THROWS_AS(build_mime(mail), std::invalid_argument);
  mail = vietnamese_resident_mail();
  mail.to_address = "a@b.example>\r\nBcc: x@y";
  CHECK_THROWS_AS(build_mime(mail), std::invalid_argument);
  mail = vietnamese_resident_mail();
  mail.message_id = "";
  CHECK_THROWS_AS(build_mime(mail), std::invalid_argument);

  mail = vietnamese_resident_mail();
  mail.in_reply_to = "bad id@x";
  mail.references = {"", "ok@x", "ok@x", "<bad>@x"};
  mail.reply_to = "";
  mail.language = "es\r\nX: y";
  const std::string raw = build_mime(mail);
  const ParsedMail parsed = parse_mail(raw);
  CHECK(parsed.in_reply_to.empty());
  CHECK(parsed.references == std::vector<std::string>{"ok@x"});
  CHECK(parsed.reply_to.address.empty());
  CHECK(parsed.content_language.empty());
}

TEST_CASE("the HTML alternative is made from the text when none is given") {
  const std::string html = text_to_html(
      "Dear <resident> & co,\n\nSee https://city.example/a?b=1&c=2. Or (https://x.example/p)\n"
      "mailto:help@city.example!",
      "es-MX");
  CHECK(html.find("<html lang=\"es-MX\">") != std::string::npos);
  CHECK(html.find("<p>Dear &lt;resident&gt; &amp; co,</p>") != std::string::npos);
  CHECK(html.find("<a href=\"https://city.example/a?b=1&amp;c=2\">"
                  "https://city.example/a?b=1&amp;c=2</a>. Or (") != std::string::npos);
  CHECK(html.find("<a href=\"https://x.example/p\">https://x.example/p</a>)<br>") !=
        std::string::npos);
  CHECK(html.find("<a href=\"mailto:help@city.example\">mailto:help@city.example</a>!") !=
        std::string::npos);
  CHECK(text_to_html("javascript:alert(1) <script>").find("<script>") == std::string::npos);

  OutboundMail mail = vietnamese_resident_mail();
  mail.html = "<p>Hola <b>señora</b></p>";
  const std::string raw = build_mime(mail);
  CHECK(raw.find("text/html") != std::string::npos);
  CHECK(parse_mail(raw).text == mail.text);  // the plain alternative is the body
}

TEST_CASE("make_message_id and parse_message_id round-trip") {
  const std::string id = make_message_id("42", "1700000000000-0", "city.example");
  INFO(id);
  CHECK(id.starts_with("fd.42.1700000000000-0."));
  CHECK(id.ends_with("@city.example"));
  CHECK(id.size() == std::string("fd.42.1700000000000-0.").size() + 8 + 13);
  const auto parsed = parse_message_id(id);
  REQUIRE(parsed);
  CHECK(parsed->first == "42");
  CHECK(parsed->second == "1700000000000-0");
  CHECK(parse_message_id("<" + id + ">") == parsed);

  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.insert(make_message_id("42", "1-0", "city.example"));
  CHECK(ids.size() == 50);  // a resend never reuses an id

  CHECK_THROWS_AS(make_message_id("", "1-0", "city.example"), std::invalid_argument);
  CHECK_THROWS_AS(make_message_id("4.2", "1-0", "city.example"), std::invalid_argument);
  CHECK_THROWS_AS(make_message_id("42", "1 0", "city.example"), std::invalid_argument);
  CHECK_THROWS_AS(make_message_id("42", "1-0", ""), std::invalid_argument);
  CHECK_THROWS_AS(make_message_id("42", "1-0", "city.example>"), std::invalid_argument);
}

TEST_CASE("foreign message ids are rejected") {
  for (const char* foreign : {
           "CAKx3=abc+def@mail.gmail.com",
           "20231114221320.12345@example.org",
           "fd.42.1-0@city.example",                 // no random part
           "fd.42.1-0.0badf00d",                     // no domain
           "fd.42.1-0.0badf00d@",                    // empty domain
           "fd..1-0.0badf00d@city.example",          // empty conversation
           "fd.42..0badf00d@city.example",           // empty message
           "fd.42.1-0.0BADF00D@city.example",        // upper-case hex
           "fd.42.1-0.0badf00@city.example",         // 7 hex digits
           "fd.42.1-0.0badf00dd@city.example",       // 9 hex digits
           "fd.42.1-0.extra.0badf00d@city.example",  // an extra field
           "xfd.42.1-0.0badf00d@city.example",
           "FD.42.1-0.0badf00d@city.example",
           "fd.4 2.1-0.0badf00d@city.example",
           "",
       }) {
    INFO(foreign);
    CHECK_FALSE(parse_message_id(foreign));
  }
}

TEST_CASE("mostly non-ASCII text round-trips in base64") {
  OutboundMail mail = vietnamese_resident_mail();
  mail.text =
      "Cảm ơn bạn đã liên hệ với chúng tôi.\n\nĐèn đường sẽ được sửa chữa vào thứ Tư tuần tới.";
  mail.to_name = "Nguyễn, Thị \"Khai\"";
  const std::string raw = build_mime(mail);
  CHECK(raw.find("Content-Transfer-Encoding: base64") != std::string::npos);
  const ParsedMail parsed = parse_mail(raw);
  CHECK(parsed.text == mail.text);
  REQUIRE(parsed.to.size() == 1);
  CHECK(parsed.to[0].name == mail.to_name);
}

TEST_CASE("a conversation's reply address is the city's address tagged with it") {
  CHECK(reply_address("42", "311@city.gov") == "311+c42@city.gov");
  CHECK(reply_address("42", "311+help@city.gov") == "311+c42@city.gov");
  CHECK_THROWS_AS(reply_address("4.2", "311@city.gov"), std::invalid_argument);
  CHECK_THROWS_AS(reply_address("42", "no-at-sign"), std::invalid_argument);

  CHECK(conversation_of_reply_address("311+c42@city.gov") == std::optional<std::string>("42"));
  CHECK(conversation_of_reply_address("<311+C42@City.gov>") == std::optional<std::string>("42"));
  CHECK_FALSE(conversation_of_reply_address("311@city.gov"));
  CHECK_FALSE(conversation_of_reply_address("311+@city.gov"));
  CHECK_FALSE(conversation_of_reply_address("311+c@city.gov"));
  CHECK_FALSE(conversation_of_reply_address("311+news@city.gov"));
  CHECK_FALSE(conversation_of_reply_address("311+c4.2@city.gov"));
  CHECK_FALSE(conversation_of_reply_address("311+c42"));
}

TEST_CASE("the receiver takes tagged addresses of its mailboxes") {
  std::vector<std::string> accepted{"311@city.gov", "@help.city.gov"};
  CHECK(recipient_accepted("311@city.gov", accepted));
  CHECK(recipient_accepted("311+c42@City.gov", accepted));
  CHECK(recipient_accepted("anyone+x@help.city.gov", accepted));
  CHECK_FALSE(recipient_accepted("312+c42@city.gov", accepted));
  CHECK_FALSE(recipient_accepted("+c42@city.gov", accepted));
  CHECK_FALSE(recipient_accepted("311+c42@other.gov", accepted));
}
