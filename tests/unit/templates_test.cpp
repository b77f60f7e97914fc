// How the catalog picks a text (variant, locale, fallbacks), how it formats arguments, what the
// loader refuses, and that the audit names the locale and key of every fault: on small catalogs
// written into a fresh folder.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "i18n/tty_text.hpp"
#include "templates/audit.hpp"
#include "templates/catalog.hpp"

using Catch::Matchers::Contains;
using namespace frontdoor::templates;
using namespace std::chrono_literals;

namespace {

// A folder of <locale>.toml files, removed when the test ends.
class TempCatalog {
 public:
  explicit TempCatalog(const std::map<std::string, std::string>& files) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("frontdoor-templates-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(++counter));
    std::filesystem::create_directories(path_);
    for (const auto& [locale, text] : files) std::ofstream(path_ / (locale + ".toml")) << text;
  }
  ~TempCatalog() { std::filesystem::remove_all(path_); }
  TempCatalog(const TempCatalog&) = delete;
  TempCatalog& operator=(const TempCatalog&) = delete;

  std::string path() const { return path_.string(); }
  Catalog load() const { return Catalog::load(path()); }

 private:
  std::filesystem::path path_;
};

std::string meta(const std::string& locale, bool tty_in_english = false,
                 const std::string& extra = "") {
  return "[meta]\nlocale = \"" + locale +
         "\"\nreviewed_by_native_speaker = false\nnote = \"test\"\ntty_in_english = " +
         (tty_in_english ? "true" : "false") + "\n" + extra + "\n";
}

const std::string kEnglish = meta("en") + R"(
[ack]
generic = "Ref {reference}, about {wait_minutes, plural, one {# minute} other {# minutes}}."
sms = "SMS ref {reference}, {wait_minutes, plural, one {# min} other {# min}}."
tty = "REF {reference}, {wait_minutes, plural, one {# MINUTE} other {# MINUTES}}."

[interpreter_joining]
generic = "An interpreter ({language_name}) is joining."
tty = "AN INTERPRETER ({language_name}) IS JOINING."

[after_hours]
generic = "Closed. We open {opens_at}."

[sms]
stop = "Unsubscribed."
)";

const std::string kSpanish = meta("es") + R"(
[ack]
generic = "Ref. {reference}, unos {wait_minutes, plural, one {# minuto} other {# minutos}}."
tty = "REF. {reference}, UNOS {wait_minutes, plural, one {# MINUTO} other {# MINUTOS}}."

[interpreter_joining]
generic = "Un intérprete ({language_name}) se une."
tty = "UN INTERPRETE ({language_name}) SE UNE."

[after_hours]
generic = "Cerrado. Abrimos {opens_at}."

[sms]
stop = "Baja."
)";

const std::string kRussian = meta("ru", true) + R"(
[ack]
generic = "Номер {reference}, через {wait_minutes, plural, one {# минуту} few {# минуты} many {# минут} other {# минуты}}."

[interpreter_joining]
generic = "Подключается переводчик (язык: {language_name})."

[after_hours]
generic = "Закрыто. Откроемся: {opens_at}."

[sms]
stop = "Отписка."
)";

bool has_finding(const std::vector<Finding>& findings, const std::string& locale,
                 const std::string& key, const std::string& part) {
  for (const auto& f : findings) {
    if (f.locale == locale && f.key == key && f.problem.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string all(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) out += to_string(f) + "\n";
  return out;
}

}  // namespace

TEST_CASE("a message's channel variant is chosen, else its generic text") {
  TempCatalog dir({{"en", kEnglish}, {"es", kSpanish}, {"ru", kRussian}});
  const Catalog catalog = dir.load();
  const Args args{{"reference", "1048576"}, {"wait_minutes", 5}};
  CHECK(catalog.render("ack", "en", args, Variant::sms) == "SMS ref 1048576, 5 min.");
  CHECK(catalog.render("ack", "en", args) == "Ref 1048576, about 5 minutes.");
  CHECK(catalog.render("ack", "en", args, Variant::chat) == "Ref 1048576, about 5 minutes.");
  CHECK(catalog.render("ack", "en", {{"reference", "7"}, {"wait_minutes", 1}}) ==
        "Ref 7, about 1 minute.");
  // The resident's language comes before the channel's shape: Spanish has no ack.sms.
  CHECK(catalog.render("ack", "es", args, Variant::sms) == "Ref. 1048576, unos 5 minutos.");
  // A key as written, as the SMS and email channels ask for sms.stop and email.footer.
  CHECK(catalog.render("sms.stop", "es") == "Baja.");
  CHECK(catalog.render("ack.sms", "en", args) == "SMS ref 1048576, 5 min.");
}

TEST_CASE("plural arguments take each language's CLDR categories") {
  TempCatalog dir({{"en", kEnglish}, {"ru", kRussian}});
  const Catalog catalog = dir.load();
  auto wait = [&](int minutes) {
    return catalog.render("ack", "ru", {{"reference", "1"}, {"wait_minutes", minutes}});
  };
  CHECK(wait(1) == "Номер 1, через 1 минуту.");
  CHECK(wait(3) == "Номер 1, через 3 минуты.");
  CHECK(wait(5) == "Номер 1, через 5 минут.");
  CHECK(wait(21) == "Номер 1, через 21 минуту.");
  // A reference is text, never a number with grouping separators.
  CHECK(catalog.render("ack", "en", {{"reference", "1048576"}, {"wait_minutes", 2}}) ==
        "Ref 1048576, about 2 minutes.");
}

TEST_CASE("select arguments choose by their text, with other as the default and plurals inside") {
  const std::string pattern =
      "{channel, select, sms {Responda a este mensaje} email {Responda a este correo} "
      "other {Escriba aquí}}{count, plural, one { (# mensaje nuevo)} other { (# mensajes "
      "nuevos)}}.";
  CHECK(Catalog::format("es", pattern, {{"channel", "sms"}, {"count", 1}}) ==
        "Responda a este mensaje (1 mensaje nuevo).");
  CHECK(Catalog::format("es", pattern, {{"channel", "email"}, {"count", 3}}) ==
        "Responda a este correo (3 mensajes nuevos).");
  CHECK(Catalog::format("es", pattern, {{"channel", "webchat"}, {"count", 2}}) ==
        "Escriba aquí (2 mensajes nuevos).");
  // ICU requires the other case: a select without it is a bad pattern, never a blank.
  CHECK_THROWS(Catalog::format("es", "{channel, select, sms {x}}", {{"channel", "sms"}}));
}

TEST_CASE("the language is matched to the closest catalog, else English") {
  TempCatalog dir({{"en", kEnglish},
                   {"es", kSpanish},
                   {"ru", kRussian},
                   {"zh-Hans", meta("zh-Hans", true) + "[sms]\nstop = \"已退订。\"\n"},
                   {"zh-Hant", meta("zh-Hant", true) + "[sms]\nstop = \"已取消訂閱。\"\n"},
                   {"tl", meta("tl") + "[sms]\nstop = \"Hindi na naka-subscribe.\"\n"}});
  const Catalog catalog = dir.load();
  const std::map<std::string, std::string> expected{
      {"zh-TW", "zh-Hant"}, {"zh-HK", "zh-Hant"}, {"zh-MO", "zh-Hant"}, {"yue", "zh-Hant"},
      {"zh-CN", "zh-Hans"}, {"zh-SG", "zh-Hans"}, {"zh", "zh-Hans"},    {"zh-Hans", "zh-Hans"},
      {"es-MX", "es"},      {"es-419", "es"},     {"es", "es"},         {"fil", "tl"},
      {"tl-PH", "tl"},      {"be", "ru"},         {"ru-UA", "ru"},      {"en-GB", "en"},
      {"fr", "en"},         {"pt-BR", "en"},      {"und", "en"},        {"", "en"},
      {"zh_TW", "zh-Hant"}, {"not a tag!", "en"}, {"x-klingon", "en"}};
  for (const auto& [language, locale] : expected) {
    INFO(language);
    CHECK(catalog.locale_for(language) == locale);
  }
  CHECK(catalog.render("sms.stop", "zh-TW") == "已取消訂閱。");
  CHECK(catalog.render("sms.stop", "zh-SG") == "已退订。");
  CHECK(catalog.render("sms.stop", "pt-BR") == "Unsubscribed.");
  // A key the matched catalog lacks comes from English.
  CHECK(catalog.render("ack", "zh-TW", {{"reference", "9"}, {"wait_minutes", 2}}) ==
        "Ref 9, about 2 minutes.");
}

TEST_CASE("TTY texts are upper-case ASCII, in English where the catalog says so") {
  TempCatalog dir({{"en", kEnglish}, {"es", kSpanish}, {"ru", kRussian}});
  const Catalog catalog = dir.load();
  const Args args{{"reference", "42"}, {"wait_minutes", 3}};
  CHECK(catalog.render("ack", "es", args, Variant::tty) == "REF. 42, UNOS 3 MINUTOS.");
  CHECK(catalog.render("ack", "ru", args, Variant::tty) == "REF 42, 3 MINUTES.");
  // Arguments are named in the text's language, then folded: "somalí" → "SOMALI".
  CHECK(catalog.render("interpreter_joining", "es", {{"language_name", LanguageName{"so"}}},
                       Variant::tty) == "UN INTERPRETE (SOMALI) SE UNE.");
  CHECK(catalog.render("interpreter_joining", "ru", {{"language_name", LanguageName{"so"}}},
                       Variant::tty) == "AN INTERPRETER (SOMALI) IS JOINING.");
  // No TTY text at all: the generic one, folded.
  const LocalTime monday{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5} + 16h,
                         "America/Los_Angeles"};
  const std::string closed =
      catalog.render("after_hours", "es", {{"opens_at", monday}}, Variant::tty);
  CHECK(closed == "CERRADO. ABRIMOS LUNES, 8:00.");
  CHECK(frontdoor::i18n::is_tty_printable(closed));
}

TEST_CASE("times and language names are written in the text's language") {
  TempCatalog dir({{"en", kEnglish}, {"es", kSpanish}, {"ru", kRussian}});
  const Catalog catalog = dir.load();
  const LocalTime monday{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5} + 16h,
                         "America/Los_Angeles"};
  // A plain space before AM, where ICU writes U+202F: an SMS stays GSM-7.
  CHECK(catalog.render("after_hours", "en", {{"opens_at", monday}}) ==
        "Closed. We open Monday, 8:00 AM.");
  CHECK(catalog.render("after_hours", "es", {{"opens_at", monday}}) ==
        "Cerrado. Abrimos lunes, 8:00.");
  CHECK(catalog.render("after_hours", "ru", {{"opens_at", monday}}) ==
        "Закрыто. Откроемся: понедельник, 08:00.");
  CHECK(catalog.render("interpreter_joining", "ru", {{"language_name", LanguageName{"so"}}}) ==
        "Подключается переводчик (язык: сомали).");
  CHECK(catalog.render("interpreter_joining", "es", {{"language_name", LanguageName{"zh-Hant"}}}) ==
        "Un intérprete (chino) se une.");
  // An unknown zone is an error of the caller: logged, and the key comes back.
  CHECK(catalog.render("after_hours", "en", {{"opens_at", LocalTime{monday.at, "Mars/Olympus"}}}) ==
        "after_hours");
}

TEST_CASE("a missing key or a missing argument never reaches the resident as a blank") {
  TempCatalog dir({{"en", kEnglish}, {"es", kSpanish}});
  const Catalog catalog = dir.load();
  CHECK(catalog.render("no_such_message", "es") == "no_such_message");
  CHECK(catalog.render("ack", "es", {{"reference", "1"}}) == "ack");  // {wait_minutes} absent
  CHECK(catalog.render("ack", "es", {{"reference", "1"}, {"wait_minutes", "five"}}) == "ack");
  CHECK_THROWS_WITH(Catalog::format("en", "{n, plural, one {a} other {b}}", {{"n", "two"}}),
                    Contains("do not fit"));
  CHECK_THROWS_WITH(Catalog::format("en", "Ref {reference}", {}), Contains("{reference}"));
}

TEST_CASE("the loader exposes each catalog's review status") {
  TempCatalog dir(
      {{"en", meta("en", false, "format_locale = \"en-US\"") + "[a]\ngeneric = \"A\"\n"},
       {"vi", meta("vi", true) + "[a]\ngeneric = \"Á\"\n"}});
  const Catalog catalog = dir.load();
  CHECK(catalog.locales() == std::vector<std::string>{"en", "vi"});
  REQUIRE(catalog.info("vi") != nullptr);
  CHECK_FALSE(catalog.info("vi")->reviewed_by_native_speaker);
  CHECK(catalog.info("vi")->note == "test");
  CHECK(catalog.info("vi")->tty_in_english);
  CHECK(catalog.info("vi")->format_locale == "vi");
  CHECK(catalog.info("en")->format_locale == "en-US");
  CHECK(catalog.info("fr") == nullptr);
  CHECK(catalog.keys("vi") == std::vector<std::string>{"a"});
  CHECK(catalog.has("a", "vi"));
  CHECK_FALSE(catalog.has("a", "fr"));
}

TEST_CASE("the loader refuses a catalog it cannot trust, naming file and line") {
  auto error = [](const std::map<std::string, std::string>& files) {
    TempCatalog dir(files);
    try {
      dir.load();
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  const std::string en = meta("en") + "[a]\ngeneric = \"A\"\n";
  CHECK_THAT(error({{"en", en}, {"es", meta("es") + "[a]\ngeneric = \"{n, plural, one {x}}\"\n"}}),
             Contains("es.toml:8: a is not a valid ICU MessageFormat pattern"));
  CHECK_THAT(error({{"en", en}, {"es", "[a]\ngeneric = \"A\"\n"}}),
             Contains("es.toml: the [meta] table is missing"));
  CHECK_THAT(error({{"en", en}, {"es", meta("vi") + "[a]\ngeneric = \"A\"\n"}}),
             Contains("meta.locale is \"vi\" but the file is named for \"es\""));
  CHECK_THAT(error({{"en", en}, {"es", meta("es", false, "reviewed = true")}}),
             Contains("es.toml:6: meta.reviewed is not a known entry"));
  CHECK_THAT(
      error({{"en", en}, {"es", "[meta]\nlocale = \"es\"\nreviewed_by_native_speaker = \"no\"\n"}}),
      Contains("meta.reviewed_by_native_speaker is not a known entry of the right type"));
  CHECK_THAT(error({{"en", en}, {"es", meta("es") + "[a]\ngeneric = 3\n"}}),
             Contains("es.toml:8: a must be text"));
  CHECK_THAT(error({{"es", meta("es")}}), Contains("has no en.toml"));
  CHECK(error({{"en", en}}) == "loaded");
}

TEST_CASE("the audit names the locale and key of every fault") {
  const std::string english = meta("en") + R"(
[ack]
generic = "Ref {reference}, {wait_minutes, plural, one {# minute} other {# minutes}}."
sms = "City 311: ref {reference}."
tty = "REF {reference}."
[extra]
generic = "Only in English."
)";
  const std::string broken_spanish = meta("es") + R"(
[ack]
generic = "Ref. {reference}, {wait_minutes, plural, one {# minuto} other {# minutos}} {wait}."
sms = "Ciudad 311: su número de referencia es {reference}. Ciudad 311: su número de referencia es {reference}. Ciudad 311: su número de referencia es {reference}."
tty = "Ref {reference}."
[ackk]
generic = "Misspelt."
)";
  const std::string broken_russian = meta("ru", true) + R"(
[ack]
generic = "Номер, через {wait_minutes, plural, one {# минуту} other {# минуты}}."
sms = "Номер {reference}."
tty = "REF {reference}."
[extra]
generic = "{opens_at, plural, other {#}}"
)";
  const std::string copied_vietnamese = meta("vi", true) + R"(
[ack]
generic = "Số {reference}, {wait_minutes, plural, one {# phút} other {# phút}}."
sms = "Số {reference}."
[extra]
generic = "Chỉ {mystery}."
)";
  TempCatalog dir(
      {{"en", english}, {"es", broken_spanish}, {"ru", broken_russian}, {"vi", copied_vietnamese}});
  const auto findings = audit(dir.load());
  INFO(all(findings));
  CHECK(has_finding(findings, "es", "extra", "missing (en.toml has it)"));
  CHECK(has_finding(findings, "es", "ackk", "not in en.toml"));
  CHECK(has_finding(findings, "es", "ack", "uses {reference}, {wait}, {wait_minutes}"));
  CHECK(has_finding(findings, "es", "ack", "argument {wait} has no sample"));
  CHECK(has_finding(findings, "es", "ack.sms", "SMS takes 3 UCS-2 segments"));
  CHECK(has_finding(findings, "es", "ack.tty", "TTY text has \"e\""));
  CHECK(has_finding(findings, "ru", "ack", "where en.toml uses {reference}, {wait_minutes}"));
  CHECK(
      has_finding(findings, "ru", "ack", "plural {wait_minutes} has no 'few' (ru uses it for 2)"));
  CHECK(has_finding(findings, "ru", "ack", "has no 'many' (ru uses it for 0)"));
  CHECK(has_finding(findings, "ru", "ack.tty", "tty_in_english"));
  CHECK(has_finding(findings, "ru", "extra", "do not fit"));  // a time is not a number
  CHECK(has_finding(findings, "vi", "ack", "has 'one', which vi never uses"));
  CHECK(has_finding(findings, "vi", "extra", "argument {mystery} has no sample"));
  // vi says tty_in_english: its missing ack.tty is deliberate.
  CHECK_FALSE(has_finding(findings, "vi", "ack.tty", "missing"));
  CHECK_FALSE(has_finding(findings, "en", "ack", ""));
}

TEST_CASE("keys name their variants") {
  CHECK(key_of("ack", Variant::generic) == "ack");
  CHECK(key_of("ack", Variant::email_subject) == "ack.email_subject");
  CHECK(variant_of("ack.tty") == Variant::tty);
  CHECK(variant_of("ack") == Variant::generic);
  CHECK(variant_of("sms.stop") == Variant::generic);
  CHECK(to_string(Variant::email_body) == "email_body");
  CHECK(argument_names("{a} {b, plural, other {# {c}}} {a}") ==
        std::vector<std::string>{"a", "b", "c"});
  CHECK(sms_budget(frontdoor::i18n::SmsEncoding::gsm7) == 1);
  CHECK(sms_budget(frontdoor::i18n::SmsEncoding::ucs2) == 2);
}
