#include <catch2/catch.hpp>

#include <unicode/ustring.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "channels/email/mime_message.hpp"
#include "tests/corpus/charset_cases.hpp"

using namespace frontdoor::email;
using frontdoor::testing::charset_cases;
using frontdoor::testing::CharsetCase;

namespace {

std::string fixture(const std::string& name) {
  const std::string path = std::string(FRONTDOOR_SOURCE_DIR) + "/tests/corpus/email/mime/" + name;
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ParsedMail parse_fixture(const std::string& name) { return parse_mail(fixture(name)); }

bool has_problem(const ParsedMail& mail, const std::string& fragment) {
  for (const std::string& problem : mail.problems) {
    if (problem.find(fragment) != std::string::npos) return true;
  }
  return false;
}

bool is_utf8(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = 0;
  u_strFromUTF8(nullptr, 0, &length, text.data(), static_cast<int32_t>(text.size()), &status);
  return status != U_INVALID_CHAR_FOUND && status != U_ILLEGAL_ARGUMENT_ERROR;
}

// Every string parse_mail() returns except attachment data (contract 2).
bool all_utf8(const ParsedMail& mail) {
  std::vector<std::string> strings{
      mail.message_id,    mail.in_reply_to,      mail.from.name,   mail.from.address,
      mail.reply_to.name, mail.reply_to.address, mail.subject,     mail.date,
      mail.text,          mail.content_language, mail.auto_reason, mail.bounced_message_id,
      mail.bounce_status};
  strings.insert(strings.end(), mail.references.begin(), mail.references.end());
  strings.insert(strings.end(), mail.problems.begin(), mail.problems.end());
  for (const auto* list : {&mail.to, &mail.cc}) {
    for (const MailAddress& address : *list) {
      strings.push_back(address.name);
      strings.push_back(address.address);
    }
  }
  for (const MailAttachment& attachment : mail.attachments) {
    strings.push_back(attachment.filename);
    strings.push_back(attachment.content_type);
    strings.push_back(attachment.content_id);
  }
  for (const std::string& s : strings) {
    if (!is_utf8(s)) return false;
  }
  return true;
}

// A small message with `headers` (CRLF-terminated lines) and a plain-text body.
std::string message_with(const std::string& headers, const std::string& body = "Hello.\r\n") {
  return "From: Resident <resident@example.net>\r\n"
         "To: 311@city.example\r\n"
         "Date: Mon, 2 Jun 2025 09:15:00 -0700\r\n"
         "Message-ID: <inline@example.net>\r\n" +
         headers + "\r\n" + body;
}

}  // namespace

TEST_CASE("a plain ASCII message gives its headers, addresses and text") {
  const ParsedMail mail = parse_fixture("plain-ascii.eml");
  CHECK(mail.message_id == "CAF=q7mK2x9@mail.example.org");
  CHECK(mail.in_reply_to == "reply-41c2@311.city.example");
  CHECK(mail.references ==
        std::vector<std::string>{"first-77a1@mail.example.org", "reply-41c2@311.city.example"});
  CHECK(mail.from.name == "Maria Lopez");
  CHECK(mail.from.address == "Maria.Lopez@Example.ORG");
  CHECK(mail.from.address_lower() == "maria.lopez@example.org");
  CHECK(mail.reply_to.name == "Lopez, Maria");
  CHECK(mail.reply_to.address == "maria.home@example.org");
  REQUIRE(mail.to.size() == 1);
  CHECK(mail.to[0].name == "City 311");
  CHECK(mail.to[0].address == "311@city.example");
  REQUIRE(mail.cc.size() == 3);  // the group's members, then the last mailbox
  CHECK(mail.cc[0].address == "ana@example.org");
  CHECK(mail.cc[1].name == "Ben Ortiz");
  CHECK(mail.cc[1].address == "ben@example.com");
  CHECK(mail.cc[2].address == "council-district-4@city.example");
  CHECK(mail.subject == "Streetlight out on 5th Ave and Pine St");
  CHECK(mail.date == "Mon, 2 Jun 2025 08:01:05 -0700");
  CHECK(mail.date_unix == 1748876465);
  CHECK(mail.content_language == "en-US");
  CHECK(mail.text ==
        "Hello,\n\nThe streetlight in front of 512 5th Ave (corner of Pine St) has been out\n"
        "since Friday night. The block is very dark and kids walk there to school.\n\n"
        "Thanks,\nMaria");
  CHECK_FALSE(mail.text_from_html);
  CHECK(mail.attachments.empty());
  CHECK_FALSE(mail.auto_submitted);
  CHECK(mail.auto_reason.empty());
  CHECK_FALSE(mail.is_bounce);
  CHECK(mail.problems.empty());
}

TEST_CASE("threading headers survive sloppy writers") {
  const ParsedMail mail = parse_mail(
      "From: a@example.org\r\nIn-Reply-To: reply-1@311.city.example\r\n"
      "References: <first@example.org> junk (comment) <second\r\n @example.org>\r\n"
      "  <reply-1@311.city.example>\r\n\r\nbody\r\n");
  CHECK(mail.in_reply_to == "reply-1@311.city.example");
  CHECK(mail.references == std::vector<std::string>{"first@example.org", "second@example.org",
                                                    "reply-1@311.city.example"});
  const ParsedMail phrase = parse_mail(
      "From: a@example.org\r\nIn-Reply-To: Your message of Monday "
      "<reply-2@311.city.example>\r\n\r\nbody\r\n");
  CHECK(phrase.in_reply_to == "reply-2@311.city.example");
}

TEST_CASE("multipart/alternative: the plain text is preferred over the HTML") {
  const ParsedMail mail = parse_fixture("alternative.eml");
  CHECK(mail.from.name == "Tran, Linh");
  CHECK(mail.text ==
        "Our recycling on Birch Ln was not picked up this week \xE2\x80\x93 the bins are still at "
        "the curb.");
  CHECK_FALSE(mail.text_from_html);
  CHECK(mail.attachments.empty());
  CHECK(mail.problems.empty());
}

TEST_CASE("multipart/alternative: a blank plain-text part gives way to the HTML") {
  const ParsedMail mail = parse_mail(message_with(
      "Content-Type: multipart/alternative; boundary=\"b\"\r\n",
      "--b\r\nContent-Type: text/plain\r\n\r\n \r\n\r\n"
      "--b\r\nContent-Type: text/html\r\n\r\n<p>Broken <i>hydrant</i> on Ash St</p>\r\n--b--\r\n"));
  CHECK(mail.text == "Broken hydrant on Ash St");
  CHECK(mail.text_from_html);
}

TEST_CASE("an HTML-only message becomes safe plain text") {
  const ParsedMail mail = parse_fixture("html-only.eml");
  CHECK(mail.text_from_html);
  CHECK(mail.text ==
        "Hello 311,\n\n"
        "There is graffiti on the wall at Caf\xC3\xA9 Plaza & 3rd St\xE2\x80\x94"
        "again.\nIt says \"<tag>\".\n\n"
        "North wall\nBus shelter\n\n"
        "Photos: my album (https://photos.example.net/album?id=7&view=grid)\n"
        "Contact: sam@example.net\n"
        "click me top\n\n"
        "Line one\n  indented line");
  for (const char* hidden : {"gotcha", "hidden", "alert", "color", "Report", "tracking", "<b>"}) {
    INFO(hidden);
    CHECK(mail.text.find(hidden) == std::string::npos);
  }
  CHECK(mail.problems.empty());
}

TEST_CASE("html_to_text decodes entities, breaks lines and keeps link targets") {
  CHECK(html_to_text("&#x41;&#66;&#150;&euro;&copy;&Ntilde;&unknown; &amp") ==
        "AB\xE2\x80\x93\xE2\x82\xAC\xC2\xA9\xC3\x91&unknown; &amp");
  CHECK(html_to_text("&#0;&#xD800;&#1114112;") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(html_to_text("a<br><br><br><br>b") == "a\n\nb");
  CHECK(html_to_text("a<br/>b</br>c") == "a\nb\nc");
  CHECK(html_to_text("<p>one</p><p>two</p>") == "one\n\ntwo");
  CHECK(html_to_text("<div>a</div><div>b</div>") == "a\nb");
  CHECK(html_to_text("<ol><li>first<li>second</ol>after") == "first\nsecond\n\nafter");
  CHECK(html_to_text("<table><tr><td>Name</td><td>Ana</td></tr><tr><td>Ward</td><td>4</td>"
                     "</tr></table>") == "Name Ana\nWard 4");
  CHECK(html_to_text("<a href='https://x.example/'>https://x.example/</a>") ==
        "https://x.example/");
  CHECK(html_to_text("<a href=https://x.example/a>here</a>.") == "here (https://x.example/a).");
  CHECK(html_to_text("<a href=\" JavaScript:steal()\">x</a><a href='data:text/html,hi'>y</a>") ==
        "xy");
  CHECK(html_to_text("<a href=\"https://x.example/\"><img src=\"logo.png\"></a>") ==
        "(https://x.example/)");
  CHECK(html_to_text("a < b and c > d") == "a < b and c > d");
  CHECK(html_to_text("<html><head><title>t</title><meta x>Hello <b>there</b>") == "Hello there");
  CHECK(html_to_text("<SCRIPT>x()</script >y<STYLE type=x>p{}</Style>z") == "yz");
  CHECK(html_to_text("<xml><o:DocumentSettings>96</o:DocumentSettings></xml>Text") == "Text");
  CHECK(html_to_text("<!--[if mso]><p>mso</p><![endif]-->shown<!-- unclosed") == "shown");
  CHECK(html_to_text("tab\there\x01\x7F and\r\nnew  line") == "tab here and new line");
  CHECK(html_to_text("<pre>a\n\n\n\nb  c</pre>") == "a\n\nb  c");
  CHECK(html_to_text("<p title=\"a > b\">quoted &gt; attribute</p>") == "quoted > attribute");
  CHECK(html_to_text("caf\xE9 <b>\xC3\xA9</b>") == "caf\xEF\xBF\xBD \xC3\xA9");
  CHECK(html_to_text("") == "");
  CHECK(html_to_text("<p><unterminated") == "");
}

TEST_CASE("html_to_text marks quoted mail with \"> \" as plain-text mail does") {
  SECTION("a blockquote, its paragraphs and the text around it") {
    CHECK(html_to_text("<p>New</p><blockquote>old</blockquote>after") == "New\n\n> old\n\nafter");
    CHECK(html_to_text("<blockquote><p>one</p><p>two</p></blockquote>") == "> one\n>\n> two");
    CHECK(html_to_text("<blockquote>a<br>b</blockquote>") == "> a\n> b");
    CHECK(html_to_text("<blockquote><pre>x\n  y</pre></blockquote>") == "> x\n>   y");
  }
  SECTION("nested quotes, and the blank lines between levels") {
    CHECK(html_to_text("<blockquote type=\"cite\">a<blockquote type=\"cite\">b</blockquote>c"
                       "</blockquote>") == "> a\n>\n> > b\n>\n> c");
    CHECK(html_to_text("<blockquote><blockquote><p>x</p><p>y</p></blockquote></blockquote>") ==
          "> > x\n> >\n> > y");
    std::string deep;
    for (int i = 0; i < 40; ++i) deep += "<blockquote>";
    deep += "x";
    std::string marks;
    for (int i = 0; i < 16; ++i) marks += "> ";
    CHECK(html_to_text(deep) == marks + "x");  // at most 16 marks
  }
  SECTION("the indent button's blockquote is indentation, not a quote") {
    CHECK(html_to_text("<blockquote style=\"margin:0 0 0 40px;border:none;padding:0px\">"
                       "indented</blockquote>") == "indented");
    CHECK(html_to_text("<blockquote style=\"margin: 0 0 0 40px; border: none; padding: 0px;\">"
                       "indented</blockquote>") == "indented");
    CHECK(html_to_text("<blockquote type=\"cite\" style=\"border:none\">q</blockquote>") == "> q");
    CHECK(html_to_text("<blockquote style=\"border:none;border-left:solid blue 1.5pt\">q"
                       "</blockquote>") == "> q");
    CHECK(html_to_text("<blockquote type=\"cite\"><blockquote style=\"border:none\">q"
                       "</blockquote></blockquote>") == "> q");
  }
  SECTION("Yahoo's quote is a div, closed by its own end tag") {
    CHECK(html_to_text("<div>r</div><div class=\"yahoo_quoted\"><div>On Mon, Ann wrote:</div>"
                       "<div><div>q</div></div></div><div>after</div>") ==
          "r\n> On Mon, Ann wrote:\n> q\nafter");
    CHECK(html_to_text("<div class=\"ydp1a2b3cyahoo_quoted\">q</div>") == "> q");
  }
  SECTION("Gmail's and Outlook's containers are not quotes themselves") {
    // Gmail puts a forwarded message in a gmail_quote div without a blockquote.
    CHECK(html_to_text("<div class=\"gmail_quote\"><div class=\"gmail_attr\">---------- Forwarded"
                       " message ---------<br>From: W</div><div>Dear customer</div></div>") ==
          "---------- Forwarded message ---------\nFrom: W\nDear customer");
    CHECK(html_to_text("<div id=\"divRplyFwdMsg\"><b>From:</b> W<br><b>Sent:</b> Mon</div>") ==
          "From: W\nSent: Mon");
  }
  SECTION("broken nesting never loses text") {
    CHECK(html_to_text("</blockquote></div>x") == "x");
    CHECK(html_to_text("<blockquote>x") == "> x");
    CHECK(html_to_text("<blockquote>a</blockquote></blockquote>b") == "> a\n\nb");
    CHECK(html_to_text("<div class=\"yahoo_quoted\"><div>q</div>") == "> q");
  }
  SECTION("still text only: no markup passes through") {
    const std::string text = html_to_text(
        "<blockquote type=\"cite\"><script>alert(1)</script><b>bold</b> &lt;i&gt;"
        "<a href=\"javascript:x()\">link</a><style>p{}</style></blockquote>");
    CHECK(text == "> bold <i>link");
    CHECK(text.find("<b>") == std::string::npos);
    CHECK(text.find("script") == std::string::npos);
  }
}

TEST_CASE("multipart/mixed keeps a PDF named with RFC 2231 continuations") {
  const ParsedMail mail = parse_fixture("mixed-pdf-rfc2231.eml");
  CHECK(mail.from.name ==
        "Jos\xC3\xA9 N\xC3\xBA\xC3\xB1"
        "ez");
  CHECK(mail.subject == "Solicitud de reparaci\xC3\xB3n");
  CHECK(mail.text ==
        "Adjunto el informe del bache en la calle N\xC3\xBA\xC3\xB1"
        "ez.");
  REQUIRE(mail.attachments.size() == 2);
  const MailAttachment& pdf = mail.attachments[0];
  CHECK(pdf.filename ==
        "Solicitud de reparaci\xC3\xB3n \xE2\x80\x93 calle N\xC3\xBA\xC3\xB1"
        "ez.pdf");
  CHECK(pdf.content_type == "application/pdf");
  CHECK(pdf.data.size() == 210);
  CHECK(pdf.data.starts_with("%PDF-1.4\n"));
  CHECK(pdf.data.ends_with("%%EOF\n"));
  CHECK_FALSE(pdf.is_inline);
  // A name that tries to leave the attachment folder keeps only its last component.
  CHECK(mail.attachments[1].filename == "passwd");
  CHECK(mail.attachments[1].data == "root:x:0:0:");
  CHECK(mail.problems.empty());
}

TEST_CASE("an inline image of an HTML alternative is kept although the plain text wins") {
  const ParsedMail mail = parse_fixture("related-inline-image.eml");
  CHECK(mail.text == "Pothole at Oak St and 9th, photo attached inline.\n\n[image: pothole.png]");
  CHECK_FALSE(mail.text_from_html);
  REQUIRE(mail.attachments.size() == 1);
  const MailAttachment& image = mail.attachments[0];
  CHECK(image.content_type == "image/png");
  CHECK(image.content_id == "pothole1@example.com");
  CHECK(image.filename == "pothole.png");
  CHECK(image.is_inline);
  CHECK(image.data.size() == 70);
  CHECK(image.data.starts_with("\x89PNG\r\n"));
}

TEST_CASE("multipart/related shows the root its start parameter names") {
  const ParsedMail mail = parse_mail(
      message_with("Content-Type: multipart/related; boundary=\"r\"; start=\"<root@x>\"\r\n",
                   "--r\r\nContent-Type: image/gif\r\nContent-ID: <logo@x>\r\nContent-Disposition: "
                   "attachment; filename=logo.gif\r\n\r\nGIF89a\r\n"
                   "--r\r\nContent-Type: text/html\r\nContent-ID: <root@x>\r\n\r\n<b>Root</b> "
                   "text\r\n--r--\r\n"));
  CHECK(mail.text == "Root text");
  REQUIRE(mail.attachments.size() == 1);
  CHECK(mail.attachments[0].content_id == "logo@x");
  CHECK_FALSE(mail.attachments[0].is_inline);  // its disposition says attachment
}

TEST_CASE("multipart/mixed joins inline text parts and attaches a forwarded message") {
  const ParsedMail mail = parse_mail(message_with(
      "Content-Type: multipart/mixed; boundary=\"m\"\r\nContent-Language: es\r\n",
      "--m\r\nContent-Type: text/plain\r\n\r\nFirst part.\r\n"
      "--m\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b.example\r\nSubject: original\r\n"
      "Message-ID: <orig@b.example>\r\n\r\nForwarded body.\r\n"
      "--m\r\nContent-Type: text/plain\r\n\r\nSecond part.\r\n--m--\r\n"));
  CHECK(mail.text == "First part.\n\nSecond part.");
  CHECK(mail.content_language == "es");
  REQUIRE(mail.attachments.size() == 1);
  CHECK(mail.attachments[0].content_type == "message/rfc822");
  CHECK(mail.attachments[0].data.find("Subject: original") != std::string::npos);
  CHECK(mail.attachments[0].data.find("Forwarded body.") != std::string::npos);
}

TEST_CASE("every required charset is converted to UTF-8") {
  const auto cases = charset_cases();
  REQUIRE(cases.size() >= 15);
  for (const CharsetCase& c : cases) {
    INFO(c.file);
    const ParsedMail mail = parse_fixture(c.file);
    CHECK(mail.subject == c.subject);
    CHECK(mail.text == c.text);
    CHECK(mail.problems.empty());
    CHECK(all_utf8(mail));
  }
}

TEST_CASE("RFC 2047 encoded words in B and Q encodings are decoded") {
  const ParsedMail b = parse_fixture("subject-b.eml");
  CHECK(b.subject == "Đèn đường bị hỏng ở phố Huế");
  CHECK(b.from.name == "Nguyễn Văn An");
  CHECK(b.text == "Đèn đường trước nhà số 12 bị hỏng.");

  const ParsedMail q = parse_fixture("subject-q.eml");
  CHECK(q.subject == "Réparation de la chaussée rue François");  // adjacent words joined
  CHECK(q.from.name == "François Pérez");
  CHECK(q.text == "La chaussée est abîmée.");
}

TEST_CASE("encoded words in headers follow the charset rules of bodies") {
  const ParsedMail mail = parse_mail(
      message_with("Subject: =?iso-8859-1?q?It=92s_broken?= =?UTF-8*es?Q?_Se=C3=B1al?=\r\n"
                   "Cc: =?Shift_JIS?B?h0CNho66gsyTY5KG?= <tanaka@example.jp>, =?x-klingon?Q?Worf?= "
                   "<worf@example.org>\r\n"));
  CHECK(mail.subject == "It’s broken Señal");
  REQUIRE(mail.cc.size() == 2);
  CHECK(mail.cc[0].name == "①号室の田中");
  CHECK(mail.cc[0].address == "tanaka@example.jp");
  CHECK(mail.cc[1].name == "Worf");
  CHECK(has_problem(mail, "encoded word in a header in unknown charset \"x-klingon\""));
}

TEST_CASE("runs of encoded words keep every word, padded or split inside a character") {
  // GMime alone reads "Hello" for the first two and loses the second word of the name.
  CHECK(
      parse_mail(message_with("Subject: =?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IFdvcmxk?=\r\n")).subject ==
      "Hello World");
  CHECK(parse_mail(message_with("Subject: =?utf-8?B?b2LD?=\r\n =?utf-8?B?pHI=?=\r\n")).subject ==
        "obär");
  CHECK(parse_mail(
            message_with("Subject: Re: =?UTF-8?Q?caf=C3=A9?= ok =?UTF-8?Q?d=C3=A9j=C3=A0?=\r\n"))
            .subject == "Re: café ok déjà");
  const ParsedMail mail = parse_mail(
      "From: =?UTF-8?B?Tmd1eeG7hW4=?= =?UTF-8?B?IFbEg24gQW4=?= <an@example.vn>\r\n\r\nhi\r\n");
  CHECK(mail.from.name == "Nguyễn Văn An");
  CHECK(mail.from.address == "an@example.vn");

  const ParsedMail named = parse_mail(
      message_with("Content-Type: multipart/mixed; boundary=\"b\"\r\n",
                   "--b\r\nContent-Type: application/pdf; name=\"=?UTF-8?B?SGVsbG8=?= "
                   "=?UTF-8?B?IFdvcmxkLnBkZg==?=\"\r\n\r\n%PDF\r\n"
                   "--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment;\r\n"
                   " filename=\"=?ISO-8859-1?Q?Stra=DFe.jpg?=\"\r\n\r\nJFIF\r\n--b--\r\n"));
  REQUIRE(named.attachments.size() == 2);
  CHECK(named.attachments[0].filename == "Hello World.pdf");
  CHECK(named.attachments[1].filename == "Straße.jpg");
}

TEST_CASE("text is valid UTF-8 whatever the bytes say") {
  SECTION("invalid UTF-8 in a UTF-8 part becomes U+FFFD") {
    const ParsedMail mail = parse_mail(message_with(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
        "caf\xC3\xA9 \xFF\xFE ok \xE2\x82\r\n"));
    CHECK(mail.text == "caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD ok \xEF\xBF\xBD");
    CHECK(has_problem(mail, "replaced by U+FFFD"));
  }
  SECTION("undeclared 8-bit text is UTF-8 when valid, else windows-1252") {
    CHECK(parse_mail(message_with("",
                                  "Stra\xC3\x9F"
                                  "e\r\n"))
              .text ==
          "Stra\xC3\x9F"
          "e");
    CHECK(parse_mail(message_with("Content-Type: text/plain; charset=us-ascii\r\n",
                                  "caf\xE9 \x93ok\x94\r\n"))
              .text == "caf\xC3\xA9 \xE2\x80\x9Cok\xE2\x80\x9D");
  }
  SECTION("an unknown charset is read as undeclared and noted") {
    const ParsedMail mail = parse_mail(
        message_with("Content-Type: text/plain; charset=x-klingon\r\n", "qapla\xE9\r\n"));
    CHECK(mail.text == "qapla\xC3\xA9");
    CHECK(has_problem(mail, "unknown charset \"x-klingon\""));
  }
  SECTION("an HTML part without a charset parameter uses its <meta> charset") {
    const ParsedMail mail = parse_mail(
        message_with("Content-Type: text/html\r\n",
                     "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                     "charset=windows-1251\"></head><body>\xCF\xF0\xE8\xE2\xE5\xF2</body></html>"));
    CHECK(mail.text == "Привет");
  }
  SECTION("8-bit headers: UTF-8 is fine, anything else is read as windows-1252 and noted") {
    const ParsedMail utf8 = parse_mail(message_with("Subject: Caf\xC3\xA9 ouvert\r\n"));
    CHECK(utf8.subject == "Café ouvert");
    CHECK(utf8.problems.empty());
    const ParsedMail latin1 = parse_mail(message_with("Subject: Caf\xE9 ferm\xE9\r\n"));
    CHECK(latin1.subject == "Café fermé");
    CHECK(has_problem(latin1, "header Subject has unencoded 8-bit bytes"));
  }
}

TEST_CASE("automatic replies are recognized") {
  const ParsedMail oof = parse_fixture("autoreply-oof.eml");
  CHECK(oof.auto_submitted);
  CHECK(oof.auto_reason == "Auto-Submitted: auto-generated");
  CHECK(oof.in_reply_to == "reply-4821@311.city.example");
  CHECK(oof.text == "I am out of the office until June 16 with limited access to email.");

  const ParsedMail vacation = parse_fixture("autoreply-subject-es.eml");
  CHECK(vacation.subject == "RESPUESTA AUTOMÁTICA: Su solicitud 4822");
  CHECK(vacation.auto_submitted);
  CHECK(vacation.auto_reason == "subject: respuesta automática");

  struct Case {
    std::string headers;
    std::string reason;  // "" when the message is not automatic
  };
  const std::vector<Case> cases{
      {"Subject: hi\r\nPrecedence: bulk\r\n", "Precedence: bulk"},
      {"Subject: hi\r\nPrecedence: JUNK\r\n", "Precedence: junk"},
      {"Subject: hi\r\nPrecedence: list\r\n", "Precedence: list"},
      {"Subject: hi\r\nPrecedence: auto_reply\r\n", "Precedence: auto_reply"},
      {"Subject: hi\r\nPrecedence: first-class\r\n", ""},
      {"Subject: hi\r\nAuto-Submitted: auto-replied; owner-email=\"x@y\"\r\n",
       "Auto-Submitted: auto-replied"},
      {"Subject: hi\r\nAuto-Submitted: no\r\n", ""},
      {"Subject: hi\r\nX-Autoreply: yes\r\n", "X-Autoreply"},
      {"Subject: hi\r\nX-Autorespond: Vacation\r\n", "X-Autorespond"},
      {"Subject: hi\r\nX-Auto-Response-Suppress: OOF\r\n", "X-Auto-Response-Suppress: OOF"},
      {"Subject: hi\r\nX-Auto-Response-Suppress: DR, RN, NRN\r\n", ""},
      {"Subject: hi\r\nReturn-Path: <>\r\n", "Return-Path: <>"},
      {"Subject: Out of Office: Re: pothole\r\n", "subject: out of office"},
      {"Subject: Automatic reply: Your request\r\n", "subject: automatic reply"},
      {"Subject: Auto: Ihre Anfrage\r\n", "subject: auto:"},
      {"Subject: Fuera de la oficina: Re: bache\r\n", "subject: fuera de la oficina"},
      {"Subject: =?UTF-8?Q?R=C3=A9ponse_automatique_=3A_demande?=\r\n",
       "subject: réponse automatique"},
      {"Subject: Absence : Re: demande\r\n", "subject: absence"},
      {"Subject: Abwesenheitsnotiz: Re: Schlagloch\r\n", "subject: abwesenheitsnotiz"},
      {"Subject: Absence of street lights on Elm\r\n", ""},
      {"Subject: Out of office hours construction noise\r\n", ""},
      {"Subject: Automobile parked on the sidewalk\r\n", ""},
      {"Subject: Re: Automatic reply: pothole\r\n", ""},
  };
  for (const Case& c : cases) {
    INFO(c.headers);
    const ParsedMail mail = parse_mail(message_with(c.headers));
    CHECK(mail.auto_submitted == !c.reason.empty());
    CHECK(mail.auto_reason == c.reason);
  }
}

TEST_CASE("a delivery status notification names the message it returns") {
  const ParsedMail failed = parse_fixture("bounce-dsn.eml");
  CHECK(failed.is_bounce);
  CHECK(failed.bounced_message_id == "reply-8f3a2c@311.city.example");
  CHECK(failed.bounce_status == "5.1.1");
  CHECK(failed.bounce_permanent);
  CHECK(failed.auto_submitted);  // never answered
  CHECK(failed.auto_reason == "delivery status notification");
  CHECK(failed.text.find("could not\nbe delivered") != std::string::npos);
  REQUIRE(failed.attachments.size() == 2);
  CHECK(failed.attachments[0].content_type == "message/delivery-status");
  CHECK(failed.attachments[1].content_type == "text/rfc822-headers");
  CHECK(failed.problems.empty());

  const ParsedMail delayed = parse_fixture("bounce-delayed-rfc822.eml");
  CHECK(delayed.is_bounce);
  CHECK(delayed.bounced_message_id == "reply-99d0@311.city.example");
  CHECK(delayed.bounce_status == "4.4.7");
  CHECK_FALSE(delayed.bounce_permanent);
  CHECK(delayed.text == "Delivery to the following recipient has been delayed: slow@example.net");

  SECTION("the failed recipient wins over others; a failure without Status is permanent") {
    const ParsedMail mail = parse_mail(message_with(
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\r\n",
        "--d\r\nContent-Type: text/plain\r\n\r\nReport.\r\n"
        "--d\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
        "Final-Recipient: rfc822; ok@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\n\r\n"
        "--d--\r\n"));
    CHECK(mail.is_bounce);
    CHECK(mail.bounce_status.empty());
    CHECK(mail.bounce_permanent);
    CHECK(has_problem(mail, "without the returned Message-ID"));
  }
  SECTION("a multipart/report of another type is not a bounce") {
    const ParsedMail mail = parse_mail(message_with(
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"d\"\r\n",
        "--d\r\nContent-Type: text/plain\r\n\r\nRead receipt.\r\n--d--\r\n"));
    CHECK_FALSE(mail.is_bounce);
    CHECK(mail.text == "Read receipt.");
  }
}

TEST_CASE("malformed MIME is read as well as it can be, never thrown") {
  SECTION("a boundary that never appears, no From, no Date, an unclosed multipart") {
    const ParsedMail mail = parse_fixture("malformed-boundary.eml");
    CHECK(mail.subject == "sidewalk");
    CHECK(mail.text ==
          "The sidewalk on Elm Street is cracked and lifted near the library \xE2\x80\x93 "
          "someone will trip.");
    REQUIRE(mail.attachments.size() == 1);
    CHECK(mail.attachments[0].filename == "elm.jpg");
    CHECK(mail.attachments[0].data.starts_with("\xFF\xD8\xFF"));
    CHECK(has_problem(mail, "no From address"));
    CHECK(has_problem(mail, "no Date header"));
    CHECK(has_problem(mail, "multipart/mixed: boundary not found"));
  }
  SECTION("a multipart without a boundary parameter") {
    const ParsedMail mail = parse_mail(message_with(
        "Content-Type: multipart/mixed\r\n",
        "--abc\r\nContent-Type: text/plain\r\n\r\nNo boundary declared.\r\n--abc--\r\n"));
    CHECK(mail.text == "No boundary declared.");
    CHECK(has_problem(mail, "without a boundary parameter"));
  }
  SECTION("a multipart whose content has no delimiter at all is plain text") {
    const ParsedMail mail = parse_mail(message_with(
        "Content-Type: multipart/mixed; boundary=\"zz\"\r\n", "Just words, no parts.\r\n"));
    CHECK(mail.text == "Just words, no parts.");
    CHECK(has_problem(mail, "without readable parts"));
  }
  SECTION("no headers at all") {
    const ParsedMail mail = parse_mail("just some words\r\nmore words\xE9\r\n");
    CHECK(mail.text == "just some words\nmore words\xC3\xA9");
    CHECK(has_problem(mail, "no message headers"));
  }
  SECTION("empty input") {
    const ParsedMail mail = parse_mail("");
    CHECK(mail.text.empty());
    CHECK_FALSE(mail.problems.empty());
  }
  SECTION("binary noise and truncations of every fixture") {
    std::string noise;
    for (int i = 0; i < 4096; ++i) noise += static_cast<char>((i * 7919 + 13) % 256);
    CHECK(all_utf8(parse_mail(noise)));
    const std::string whole = fixture("related-inline-image.eml");
    for (std::size_t cut = 0; cut < whole.size(); cut += 37) {
      INFO(cut);
      CHECK(all_utf8(parse_mail(std::string_view(whole).substr(0, cut))));
    }
  }
  SECTION("deep nesting is cut off, not followed to the end of the stack") {
    std::string deep = "Subject: deep\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n";
    for (int i = 1; i < 500; ++i) {
      deep += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=\"b" +
              std::to_string(i) + "\"\r\n\r\n";
    }
    deep += "--b499\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n";
    const ParsedMail mail = parse_mail(deep);
    CHECK(mail.subject == "deep");
    CHECK_FALSE(mail.problems.empty());
    CHECK(mail.problems.size() <= 51);
  }
}

TEST_CASE("address_lower lower-cases ASCII letters only") {
  CHECK(MailAddress{"",
                    "Ana.D\xC3\x8D"
                    "AZ@Example.COM"}
            .address_lower() ==
        "ana.d\xC3\x8D"
        "az@example.com");
}

TEST_CASE("several threads parse at once without sharing state") {
  const std::vector<std::string> names{"plain-ascii.eml",
                                       "alternative.eml",
                                       "html-only.eml",
                                       "mixed-pdf-rfc2231.eml",
                                       "related-inline-image.eml",
                                       "charset-iso-2022-jp.eml",
                                       "charset-shift_jis.eml",
                                       "charset-koi8-r.eml",
                                       "bounce-dsn.eml",
                                       "malformed-boundary.eml",
                                       "subject-q.eml"};
  std::vector<std::string> raws;
  std::vector<std::string> expected;
  for (const std::string& name : names) {
    raws.push_back(fixture(name));
    const ParsedMail mail = parse_mail(raws.back());
    expected.push_back(mail.subject + "|" + mail.text + "|" +
                       std::to_string(mail.attachments.size()) + "|" + mail.bounce_status);
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < raws.size(); ++i) {
          const std::size_t at = (i + static_cast<std::size_t>(t)) % raws.size();
          const ParsedMail mail = parse_mail(raws[at]);
          const std::string got = mail.subject + "|" + mail.text + "|" +
                                  std::to_string(mail.attachments.size()) + "|" +
                                  mail.bounce_status;
          if (got != expected[at]) ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(mismatches == 0);
}
