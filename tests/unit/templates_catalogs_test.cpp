// The catalogs that ship in templates/: every language the city serves, every message in every
// channel, checked by the audit (templates/audit.hpp) so that a missing key or a bad pattern fails
// here, with its locale and key, and never reaches a resident.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "i18n/tty_text.hpp"
#include "templates/audit.hpp"
#include "templates/catalog.hpp"
#include "tests/unit/doc_section.hpp"

using namespace frontdoor::templates;
using namespace std::chrono_literals;

namespace {

const Catalog& shipped() {
  static const Catalog catalog = Catalog::load(default_directory());
  return catalog;
}

const std::vector<std::string> kLocales{"ar", "en", "es", "ja", "km", "ko", "lo",      "ne",
                                        "ro", "ru", "so", "tl", "uk", "vi", "zh-Hans", "zh-Hant"};

const std::vector<Variant> kVariants{Variant::generic,    Variant::sms,  Variant::email_subject,
                                     Variant::email_body, Variant::chat, Variant::tty};

Args sample_args() {
  return {{"reference", "1048576"},
          {"wait_minutes", 7},
          {"position", 3},
          {"opens_at", LocalTime{std::chrono::sys_days{std::chrono::year{2026} / 1 / 5} + 16h,
                                 "America/Los_Angeles"}},
          {"language_name", LanguageName{"so"}},
          {"choices", "1 English\n2 Español\n3 Tiếng Việt"}};
}

}  // namespace

TEST_CASE("the city's fifteen languages and English ship, each saying whether it was reviewed") {
  const Catalog& catalog = shipped();
  CHECK(catalog.locales() == kLocales);
  for (const auto& locale : catalog.locales()) {
    INFO(locale);
    const LocaleInfo* info = catalog.info(locale);
    REQUIRE(info != nullptr);
    CHECK_FALSE(info->note.empty());
  }
  CHECK(catalog.info("en")->reviewed_by_native_speaker);
}

TEST_CASE("the shipped catalogs pass the audit") {
  const auto findings = audit(shipped());
  for (const auto& finding : findings) FAIL_CHECK(to_string(finding));
  CHECK(findings.empty());
}

TEST_CASE("every message renders in every language and on every channel") {
  const Catalog& catalog = shipped();
  const Args args = sample_args();
  for (const auto& key : catalog.keys("en")) {
    if (variant_of(key) != Variant::generic) continue;  // a message, not one of its variants
    for (const auto& language : catalog.locales()) {
      for (Variant variant : kVariants) {
        INFO(language << " " << key_of(key, variant));
        const std::string text = catalog.render(key, language, args, variant);
        CHECK(text != key);
        CHECK_FALSE(text.empty());
        CHECK(text.find_first_of("{}") == std::string::npos);
        if (variant == Variant::tty) CHECK(frontdoor::i18n::is_tty_printable(text));
      }
    }
  }
}

TEST_CASE("the SMS channel's own texts and the email footer keep their keys") {
  const Catalog& catalog = shipped();
  for (const char* key : {"sms.stop", "sms.start", "sms.help", "sms.language_menu",
                          "sms.language_selected", "email.footer"}) {
    for (const auto& locale : catalog.locales()) {
      INFO(locale << " " << key);
      CHECK(catalog.has(key, locale));
    }
  }
  CHECK(catalog.render("sms.stop", "en").find("unsubscribed") != std::string::npos);
  CHECK(catalog.render("email.footer", "en", {{"reference", "42"}})
            .starts_with("City 311 \xC2\xB7 Request #42\n"));
  // Spanish names the Spanish keywords the SMS channel knows.
  CHECK(catalog.render("sms.stop", "es").find("COMENZAR") != std::string::npos);
}

TEST_CASE("residents' language tags reach the closest shipped catalog") {
  const Catalog& catalog = shipped();
  CHECK(catalog.locale_for("zh-TW") == "zh-Hant");
  CHECK(catalog.locale_for("zh-HK") == "zh-Hant");
  CHECK(catalog.locale_for("zh-CN") == "zh-Hans");
  CHECK(catalog.locale_for("zh-SG") == "zh-Hans");
  CHECK(catalog.locale_for("es-MX") == "es");
  CHECK(catalog.locale_for("fil") == "tl");
  CHECK(catalog.locale_for("so-KE") == "so");
  CHECK(catalog.locale_for("ar-EG") == "ar");
  CHECK(catalog.locale_for("km-KH") == "km");
  CHECK(catalog.locale_for("ne-NP") == "ne");
  CHECK(catalog.locale_for("lo-LA") == "lo");
  CHECK(catalog.locale_for("fr") == "en");
  for (const auto& locale : catalog.locales()) CHECK(catalog.locale_for(locale) == locale);
  // TTY: English for the languages whose script a TTY cannot print.
  CHECK(catalog.render("resolved", "ru", {{"reference", "5"}}, Variant::tty) ==
        "YOUR CITY 311 REQUEST 5 IS RESOLVED. IF YOU NEED MORE HELP, REPLY AND WE WILL REOPEN IT.");
  CHECK(catalog.render("resolved", "ru", {{"reference", "5"}}).find("311") != std::string::npos);
}

TEST_CASE("docs/templates.md shows the catalogs as they are") {
  // languages.md repeats the table (what each language's residents read).
  for (const char* name : {"docs/templates.md", "docs/languages.md"}) {
    INFO(name);
    // On a difference, paste the expected table between the markers.
    CHECK(frontdoor::testing::doc_section(name, "coverage") == coverage_table(shipped()));
  }
}
