#include "channels/email/reply_trimmer.hpp"
#include "tests/corpus/corpus_text.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using frontdoor::email::is_forward_subject;
using frontdoor::email::trim_reply;
using frontdoor::email::TrimmedReply;

namespace {

using frontdoor::testing::line_counts;
using frontdoor::testing::read_file;
using frontdoor::testing::rtrim;

const std::filesystem::path kCorpus =
    std::filesystem::path(FRONTDOOR_SOURCE_DIR) / "tests/corpus/email/replies";

// Every line of the message is in exactly one of text, quoted and signature.
void check_nothing_lost(const std::string& message, const TrimmedReply& reply) {
  CHECK(line_counts(message) ==
        line_counts(reply.text + "\n" + reply.quoted + "\n" + reply.signature));
}

}  // namespace

TEST_CASE("the reply corpus holds a sample of every client shape") {
  for (const char* name :
       {"gmail-en", "gmail-es", "gmail-fr", "gmail-ru", "gmail-zh", "gmail-vi", "outlook-en",
        "outlook-es", "apple-mail-en", "thunderbird-en", "ios-quoted-whole-thread", "inline-reply",
        "forwarded-with-note", "top-post-with-greater-than-inside-text", "no-quote-plain",
        "only-quote", "wrapped-gmail-header", "forwarded-iphone-signature-es",
        "samsung-original-message-en"}) {
    INFO(name);
    CHECK(std::filesystem::exists(kCorpus / (std::string(name) + ".txt")));
    CHECK(std::filesystem::exists(kCorpus / (std::string(name) + ".expected.txt")));
  }
}

TEST_CASE("every corpus reply trims to exactly its expected text") {
  std::vector<std::filesystem::path> messages;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus)) {
    const std::string file = entry.path().filename().string();
    if (file.ends_with(".txt") && !file.ends_with(".expected.txt")) {
      messages.push_back(entry.path());
    }
  }
  REQUIRE(messages.size() >= 17);
  for (const std::filesystem::path& path : messages) {
    const std::string name = path.stem().string();
    INFO(name);
    const std::filesystem::path expected_path = kCorpus / (name + ".expected.txt");
    REQUIRE(std::filesystem::exists(expected_path));
    std::string expected = read_file(expected_path);
    REQUIRE(expected.ends_with('\n'));  // the file is the text plus one final newline
    expected.pop_back();

    const std::string message = read_file(path);
    const TrimmedReply reply = trim_reply(message);
    CHECK(reply.text == expected);
    CHECK(reply.trimmed == (reply.text != rtrim(message)));
    CHECK(reply.trimmed == (!reply.quoted.empty() || !reply.signature.empty()));
    check_nothing_lost(message, reply);
  }
}

TEST_CASE("what is removed is kept for the full message") {
  const TrimmedReply gmail = trim_reply(read_file(kCorpus / "gmail-en.txt"));
  CHECK(gmail.quoted.starts_with(
      "On Tue, Nov 24, 2026 at 11:04 PM City of Springfield 311 <311@springfield.gov> wrote:\n"
      "\n> Hi Ana,\n"));
  CHECK(gmail.quoted.ends_with(">> Photo attached.\n>>"));
  CHECK(gmail.signature.empty());

  const TrimmedReply iphone = trim_reply(read_file(kCorpus / "apple-mail-en.txt"));
  CHECK(iphone.signature == "Sent from my iPhone");

  const TrimmedReply thunderbird = trim_reply(read_file(kCorpus / "thunderbird-en.txt"));
  CHECK(thunderbird.signature ==
        "-- \nAna López\nElm Street Neighborhood Association\n(555) 010-4477");
  CHECK(thunderbird.quoted.starts_with("On 11/24/26 11:04 PM, City of Springfield 311 wrote:\n"));

  const TrimmedReply outlook = trim_reply(read_file(kCorpus / "outlook-en.txt"));
  CHECK(outlook.quoted.starts_with("________________________________\nFrom: City of"));

  const TrimmedReply inline_reply = trim_reply(read_file(kCorpus / "inline-reply.txt"));
  CHECK(inline_reply.quoted ==
        "On Tue, Nov 24, 2026 at 11:04 PM City of Springfield 311 <311@springfield.gov> wrote:\n"
        "\n> Hi Bo,\n>\n> To schedule the bulk pickup we need two details:\n>\n"
        "> 1. Which day works for you, Tuesday or Friday?\n\n"
        "> 2. How many items, and are any of them mattresses?\n\n"
        "> Thank you,\n> City of Springfield 311");
}

TEST_CASE("a 'wrote:' sentence is not an attribution") {
  SECTION("inside a sentence") {
    const std::string message =
        "On Monday I wrote: the light at 18 Oak Ave is out.\n> still out\nPlease fix it.\n";
    const TrimmedReply reply = trim_reply(message);
    CHECK_FALSE(reply.trimmed);
    CHECK(reply.text == rtrim(message));
  }
  SECTION("on its own line, followed by the resident's text") {
    const TrimmedReply reply = trim_reply("On Nov 3 I wrote:\nthe light is out.\n");
    CHECK_FALSE(reply.trimmed);
    CHECK(reply.text == "On Nov 3 I wrote:\nthe light is out.");
  }
  SECTION("on its own line, without a date, above a quote") {
    const TrimmedReply reply =
        trim_reply("Still broken.\n\nOn Monday I wrote:\n> the light is out\n\nPlease hurry.\n");
    CHECK(reply.text == "Still broken.\n\nOn Monday I wrote:\n> the light is out\n\nPlease hurry.");
    CHECK_FALSE(reply.trimmed);
  }
  SECTION("an attribution with nothing quoted under it") {
    const std::string message =
        "Thanks.\n\nOn Tue, Nov 24, 2026 at 11:04 PM 311 <311@springfield.gov> wrote:\n\nHi Ana\n";
    CHECK_FALSE(trim_reply(message).trimmed);
  }
}

TEST_CASE("attribution forms of the city's languages") {
  const auto new_text = [](const std::string& attribution) {
    return trim_reply("New text.\n\n" + attribution + "\n> quoted\n").text;
  };
  CHECK(new_text("On Nov 24, 2026, at 23:04, Ana <ana@x.org> wrote:") == "New text.");
  CHECK(new_text("El 24 nov 2026, a las 23:04, Ana <ana@x.org> escribió:") == "New text.");
  CHECK(new_text("El 24/11/26 a las 23:04, Ana escribió:") == "New text.");
  // No-break and narrow no-break spaces before the French colon.
  CHECK(new_text("Le mar. 24 nov. 2026 à 23:04, Ana <ana@x.org> a écrit\xC2\xA0:") == "New text.");
  CHECK(new_text("Le 24/11/2026 à 23:04, Ana a écrit\xE2\x80\xAF:") == "New text.");
  CHECK(new_text("Am 24.11.26 um 23:04 schrieb Ana:") == "New text.");
  CHECK(new_text("24 нояб. 2026 г., в 23:04, Ana <ana@x.org> написал(а):") == "New text.");
  CHECK(new_text("24.11.2026 23:04, Ana пишет:") == "New text.");
  CHECK(new_text("2026年11月24日 23:04，Ana <ana@x.org> 写道：") == "New text.");
  CHECK(new_text("在 2026/11/24 23:04, Ana 写道:") == "New text.");
  CHECK(new_text("Vào 23:04, ngày 24 thg 11, 2026, Ana <ana@x.org> đã viết:") == "New text.");
  // Vietnamese in NFD (combining marks), as some clients send it.
  CHECK(new_text("Vào Th 3, 24 thg 11, 2026 vào lúc 23:04 Ana <ana@x.org> "
                 "\xC4\x91\x61\xCC\x83 vie\xCC\x82\xCC\x81t:") == "New text.");
  CHECK(new_text("ON TUE, NOV 24, 2026 AT 11:04 PM ANA <ANA@X.ORG> WROTE:") == "New text.");
}

TEST_CASE("a wrapped attribution is removed whole") {
  const TrimmedReply reply = trim_reply(
      "Friday works.\n\nChiYuan Huang <u0084500@example.com> 於 2026年10月7日 週三 上午1:39寫\n"
      "道：\n> quoted\n");
  CHECK(reply.text == "Friday works.");
  CHECK(reply.quoted ==
        "ChiYuan Huang <u0084500@example.com> 於 2026年10月7日 週三 上午1:39寫\n道：\n> quoted");

  const TrimmedReply russian = trim_reply(
      "Спасибо.\nвт, 24 нояб. 2026 г. в 23:04, Город Спрингфилд 311 <\n311@springfield.gov>:\n"
      "> цитата\n");
  CHECK(russian.text == "Спасибо.");
}

TEST_CASE("Outlook header blocks in other languages") {
  SECTION("French, with the space before the colon") {
    const TrimmedReply reply = trim_reply(
        "Oui, toujours.\n\nDe : Ville 311 <311@springfield.gov>\nEnvoyé : mardi 24 novembre 2026 "
        "23:04\nÀ : Amélie <amelie@example.fr>\nObjet : RE : Nid-de-poule\n\nBonjour\n");
    CHECK(reply.text == "Oui, toujours.");
    CHECK(reply.quoted.starts_with("De : Ville 311"));
  }
  SECTION("Chinese, with full-width colons") {
    const TrimmedReply reply = trim_reply(
        "还在漏水。\n\n发件人：Springfield 市 311 <311@springfield.gov>\n发送时间：2026年11月24日 "
        "23:04\n收件人：李明\n主题：回复: 漏水\n\n您好\n");
    CHECK(reply.text == "还在漏水。");
  }
  SECTION("Russian, after the original-message separator") {
    const TrimmedReply reply = trim_reply(
        "Всё ещё течёт.\n\n-----Исходное сообщение-----\nОт: 311\nОтправлено: 24 ноября 2026 "
        "г. 23:04\nКому: Ольга\nТема: RE: Протечка\n");
    CHECK(reply.text == "Всё ещё течёт.");
  }
  SECTION("bold labels from HTML") {
    const TrimmedReply reply = trim_reply(
        "Done.\n\n*From:* 311 <311@springfield.gov>\n*Sent:* Tuesday, November 24, 2026\n"
        "*To:* Ana\n*Subject:* RE: Pothole\n\nHi Ana\n");
    CHECK(reply.text == "Done.");
  }
  SECTION("an attribution directly above a header block joins the quote") {
    const TrimmedReply reply = trim_reply(
        "Thanks.\n\nOn Tue, Nov 24, 2026 at 11:04 PM 311 <311@springfield.gov> wrote:\n\n"
        "From: Ana\nSent: Tuesday, November 24, 2026\nSubject: Pothole\n\nThere is a pothole.\n");
    CHECK(reply.text == "Thanks.");
    CHECK(reply.quoted.starts_with("On Tue, Nov 24, 2026"));
  }
  SECTION("a From line alone, or a rule alone, is the resident's text") {
    const std::string message =
        "From: my neighbour at 414\nShe says the leak started Sunday.\n\n____________\n\nAna\n";
    const TrimmedReply reply = trim_reply(message);
    CHECK_FALSE(reply.trimmed);
    CHECK(reply.text == rtrim(message));
  }
}

TEST_CASE("\">\" lines") {
  SECTION("a trailing run after new text is a quote, even without an attribution") {
    const TrimmedReply reply = trim_reply("Fixed, thanks!\n\n> Hi Ana,\n> is it fixed?\n");
    CHECK(reply.text == "Fixed, thanks!");
    CHECK(reply.quoted == "> Hi Ana,\n> is it fixed?");
  }
  SECTION("without an attribution, quote blocks between the resident's lines are kept") {
    const std::string message = "> Which day?\nFriday.\n> How many items?\nThree.\n";
    const TrimmedReply reply = trim_reply(message);
    CHECK_FALSE(reply.trimmed);
    CHECK(reply.text == rtrim(message));
  }
  SECTION("'>' not followed by a space is not a quote mark") {
    const TrimmedReply reply = trim_reply("There are\n>5 potholes on this block.\n");
    CHECK_FALSE(reply.trimmed);
  }
  SECTION("a bottom-posted reply keeps what follows the quote") {
    const TrimmedReply reply = trim_reply(
        "On 11/24/26 11:04 PM, 311 wrote:\n> Which day?\n\nFriday.\n\nSent from my iPhone\n");
    CHECK(reply.text == "Friday.");
    CHECK(reply.signature == "Sent from my iPhone");
  }
}

TEST_CASE("forwarded mail is kept whole, unless the forward is inside the quote") {
  SECTION("Apple Mail") {
    const std::string message =
        "See below.\n\nBegin forwarded message:\n\nFrom: Water Bureau <water@springfield.gov>\n"
        "Subject: Notice\nDate: November 23, 2026 at 9:12:00 AM PST\nTo: Bo\n\nDear customer\n";
    const TrimmedReply reply = trim_reply(message);
    CHECK_FALSE(reply.trimmed);
    CHECK(reply.text == rtrim(message));
  }
  SECTION("Thunderbird, in Spanish") {
    const std::string message =
        "Mire esto.\n\n-------- Mensaje reenviado --------\nAsunto: Aviso\nFecha: Mon, 23 Nov "
        "2026\nDe: Agua <agua@springfield.gov>\nPara: Bo\n\nEstimado cliente\n";
    CHECK(trim_reply(message).text == rtrim(message));
  }
  SECTION("a forward quoted in an earlier message does not stop trimming") {
    const TrimmedReply reply = trim_reply(
        "Got it.\n\nOn Tue, Nov 24, 2026 at 11:04 PM 311 <311@springfield.gov> wrote:\n"
        "> See below.\n> ---------- Forwarded message ---------\n> From: Water\n");
    CHECK(reply.text == "Got it.");
    CHECK_FALSE(reply.forwarded);
  }
}

TEST_CASE("forward prefixes of the city's languages") {
  for (const char* subject :
       {"Fwd: Water notice", "FWD: Water notice", "Fw: Water notice", "FW: Water notice",
        "fw:Water notice", "TR: Avis de travaux", "TR : Avis de travaux", "WG: Straßensperrung",
        "RV: Aviso de corte de agua", "ENC: Aviso", "Пересл: Отключение воды", "转发: 停水通知",
        "转发：停水通知", "轉寄: 停水通知", "Chuyển tiếp: Thông báo", "  Fwd: Re: Pothole",
        "[EXTERNAL] FW: Notice of violation", "[ext] [spam?] Fwd: x", "Fwd:"}) {
    INFO(subject);
    CHECK(is_forward_subject(subject));
  }
  for (const char* subject :
       {"", "Re: Fwd: Water notice", "RE: FW: Notice", "AW: WG: Sperrung", "Forward planning",
        "Fwd notice", "FWIW: the light is out", "Trash: not picked up", "WG 12: noise",
        "Water notice (Fwd: from my neighbour)", "Re: 转发: 停水通知"}) {
    INFO(subject);
    CHECK_FALSE(is_forward_subject(subject));
  }
}

TEST_CASE("a forward known by its subject keeps the forwarded part whole") {
  const std::string outlook =
      "Please see the notice below.\n\nMarcus\n\n________________________________\n"
      "From: Code Enforcement <code@springfield.gov>\nSent: Thursday, November 19, 2026 2:40 "
      "PM\nTo: Tenant\nSubject: Notice of violation\n\nDear occupant,\n";
  SECTION("Outlook's header block is the forwarded message's, not a quote") {
    const TrimmedReply forward = trim_reply(outlook, {.subject = "FW: Notice of violation"});
    CHECK(forward.forwarded);
    CHECK_FALSE(forward.trimmed);
    CHECK(forward.text == rtrim(outlook));
    check_nothing_lost(outlook, forward);
  }
  SECTION("without the subject it reads as a reply, as before") {
    const TrimmedReply reply = trim_reply(outlook);
    CHECK_FALSE(reply.forwarded);
    CHECK(reply.text == "Please see the notice below.\n\nMarcus");
  }
  SECTION("a reply to a forward is a reply") {
    const TrimmedReply reply = trim_reply(outlook, {.subject = "RE: FW: Notice of violation"});
    CHECK_FALSE(reply.forwarded);
    CHECK(reply.text == "Please see the notice below.\n\nMarcus");
  }
  SECTION("German Outlook, WG:") {
    const std::string message =
        "Die Sperrung gilt schon seit Montag.\n\nVon: Bauer Tiefbau <info@bauer.example>\n"
        "Gesendet: Freitag, 20. November 2026 10:15\nAn: Anwohner\nBetreff: Sperrung\n\n"
        "Sehr geehrte Anwohner,\n";
    CHECK(trim_reply(message, {.subject = "WG: Sperrung"}).text == rtrim(message));
  }
  SECTION("an attribution and quote under a forward subject are the forwarded part") {
    const std::string message =
        "FYI\n\nOn Tue, Nov 24, 2026 at 11:04 PM Water <water@x.gov> wrote:\n> Crews will come.\n";
    const TrimmedReply forward = trim_reply(message, {.subject = "Fwd: Crews"});
    CHECK(forward.forwarded);
    CHECK(forward.text == rtrim(message));
  }
  SECTION("a forward with no forwarded part found is kept whole, signature and all") {
    const std::string message = "The notice is attached.\n\nSent from my iPhone\n";
    const TrimmedReply forward = trim_reply(message, {.subject = "Fwd: Notice"});
    CHECK(forward.forwarded);
    CHECK_FALSE(forward.trimmed);
    CHECK(forward.text == rtrim(message));
  }
}

TEST_CASE("a forward loses only the signature of the note above it") {
  SECTION("a mobile line directly above the marker") {
    const std::string message =
        "Look at this.\n\nSent from my iPhone\n\nBegin forwarded message:\n\n"
        "> From: Water <water@x.gov>\n> Subject: Notice\n>\n> Dear customer\n";
    const TrimmedReply forward = trim_reply(message);
    CHECK(forward.forwarded);
    CHECK(forward.trimmed);
    CHECK(forward.signature == "Sent from my iPhone");
    CHECK(forward.text ==
          "Look at this.\n\nBegin forwarded message:\n\n"
          "> From: Water <water@x.gov>\n> Subject: Notice\n>\n> Dear customer");
    CHECK(forward.quoted.empty());
    check_nothing_lost(message, forward);
  }
  SECTION("a \"-- \" block, found by the subject's forward") {
    const std::string message =
        "For 311.\n\n-- \nAna\n555-0100\n\n-------- Original Message --------\n"
        "Subject: Notice\nFrom: Water\n\nDear customer\n\n-- \nWater Bureau\n";
    const TrimmedReply forward = trim_reply(message, {.subject = "Fwd: Notice"});
    CHECK(forward.signature == "-- \nAna\n555-0100");
    CHECK(forward.text ==
          "For 311.\n\n-------- Original Message --------\nSubject: Notice\nFrom: Water\n\n"
          "Dear customer\n\n-- \nWater Bureau");
  }
  SECTION("a note that is only a signature leaves the forwarded part") {
    const TrimmedReply forward = trim_reply(
        "Sent from my iPhone\n\n---------- Forwarded message ---------\nFrom: Water\n\nHi\n");
    CHECK(forward.signature == "Sent from my iPhone");
    CHECK(forward.text == "---------- Forwarded message ---------\nFrom: Water\n\nHi");
  }
  SECTION("no note at all") {
    const std::string message = "---------- Forwarded message ---------\nFrom: Water\n\nHi\n";
    const TrimmedReply forward = trim_reply(message);
    CHECK(forward.forwarded);
    CHECK_FALSE(forward.trimmed);
    CHECK(forward.text == rtrim(message));
  }
  SECTION("the forwarded message's own signature stays") {
    const std::string message =
        "See below.\n\n---------- Forwarded message ---------\nFrom: Water\n\nHi\n\n"
        "Sent from my iPhone\n";
    const TrimmedReply forward = trim_reply(message);
    CHECK_FALSE(forward.trimmed);
    CHECK(forward.text == rtrim(message));
  }
}

TEST_CASE("signatures") {
  SECTION("a mobile line alone at the end") {
    for (const char* line :
         {"Sent from my iPhone", "Sent from my Galaxy",
          "Get Outlook for iOS<https://aka.ms/o0ukef>",
          "Get Outlook for Android (https://aka.ms/AAb9ysg)", "Enviado desde mi iPhone",
          "Obtener Outlook para Android", "Envoyé de mon iPhone", "Von meinem iPhone gesendet",
          "Отправлено с iPhone", "发自我的iPhone", "从我的 iPhone 发送",
          "Được gửi từ iPhone của tôi", "Sent from Yahoo Mail on Android"}) {
      INFO(line);
      const TrimmedReply reply = trim_reply(std::string("Still dark.\n\n") + line + "\n");
      CHECK(reply.text == "Still dark.");
      CHECK(reply.signature == line);
      CHECK(reply.trimmed);
      CHECK(reply.quoted.empty());
    }
  }
  SECTION("a mobile line that is not the last line is text") {
    const std::string message = "Sent from my iPhone, sorry for typos\nThe light is out.\n";
    CHECK_FALSE(trim_reply(message).trimmed);
  }
  SECTION("'--' without the space, and the earlier of two signatures") {
    const TrimmedReply reply = trim_reply("Thanks\n--\nAna\n555-0100\n\nSent from my iPad\n");
    CHECK(reply.text == "Thanks");
    CHECK(reply.signature == "--\nAna\n555-0100\n\nSent from my iPad");
  }
  SECTION("more than 10 lines after '-- ' is not a signature") {
    std::string message = "Notes from the meeting\n-- \n";
    for (int i = 1; i <= 11; ++i) message += "item " + std::to_string(i) + "\n";
    CHECK_FALSE(trim_reply(message).trimmed);
  }
}

TEST_CASE("trimming never leaves nothing") {
  SECTION("empty and blank messages") {
    CHECK(trim_reply("").text.empty());
    CHECK_FALSE(trim_reply("").trimmed);
    CHECK(trim_reply(" \n\n\t\n").text.empty());
  }
  SECTION("a signature and a quote, nothing new") {
    const std::string message =
        "Sent from my iPhone\n\n> On Nov 24, 2026, at 23:04, 311 <311@springfield.gov> wrote:\n"
        "> \n> Hi Ana\n";
    const TrimmedReply reply = trim_reply(message);
    CHECK_FALSE(reply.trimmed);
    CHECK(reply.text == rtrim(message));
    CHECK(reply.quoted.empty());
    CHECK(reply.signature.empty());
  }
  SECTION("a message that is only a signature") {
    CHECK(trim_reply("-- \nAna\n").text == "-- \nAna");
  }
}

TEST_CASE("line ends and bytes") {
  SECTION("CRLF and CR line ends give the LF result") {
    std::string lf = read_file(kCorpus / "gmail-en.txt");
    std::string crlf;
    std::string cr;
    for (char c : lf) {
      crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
      cr += c == '\n' ? '\r' : c;
    }
    const TrimmedReply expected = trim_reply(lf);
    for (const std::string& message : {crlf, cr}) {
      const TrimmedReply reply = trim_reply(message);
      CHECK(reply.text == expected.text);
      CHECK(reply.quoted == expected.quoted);
    }
  }
  SECTION("leading blank lines are dropped, inner spacing is kept") {
    CHECK(trim_reply("\n\n  Indented.\n\n\nTwo blank lines above.  \n\n").text ==
          "  Indented.\n\n\nTwo blank lines above.");
  }
  SECTION("ill-formed UTF-8 passes through byte for byte") {
    const TrimmedReply reply =
        trim_reply("Caf\xE9 on 5th\n\nOn Tue, Nov 24, 2026 at 11:04 PM 311 wrote:\n> hi\n");
    CHECK(reply.text == "Caf\xE9 on 5th");
  }
}
