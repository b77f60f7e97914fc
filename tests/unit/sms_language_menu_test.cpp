// The SMS language menu: how it reads, and which answers choose from it
// (channels/sms/language_menu.hpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "channels/sms/language_menu.hpp"
#include "i18n/sms_encoding.hpp"

using namespace frontdoor::sms;

TEST_CASE("a bare menu number is read in any digits residents type") {
  CHECK(menu_number("2") == 2);
  CHECK(menu_number(" 2.") == 2);
  CHECK(menu_number("2!") == 2);
  CHECK(menu_number("(3)") == 3);
  CHECK(menu_number("#4") == 4);
  CHECK(menu_number("\t5\n") == 5);
  CHECK(menu_number("\"6\"") == 6);
  CHECK(menu_number("02") == 2);
  CHECK(menu_number("\xEF\xBC\x92") == 2);              // ２ full width
  CHECK(menu_number("\xEF\xBC\x93\xE3\x80\x82") == 3);  // ３。 full-width digit, ideographic stop
  CHECK(menu_number("2\xEF\xB8\x8F\xE2\x83\xA3") == 2);  // 2️⃣ keycap emoji
  CHECK(menu_number("\xD9\xA3") == 3);                   // ٣ Arabic-Indic
  CHECK(menu_number("\xDB\xB4") == 4);                   // ۴ Extended Arabic-Indic (Persian, Urdu)
  CHECK(menu_number("\xE0\xA5\xA8") == 2);               // २ Devanagari (Nepali)
  CHECK(menu_number("\xE1\x9F\xA5") == 5);               // ៥ Khmer
  CHECK(menu_number("\xE0\xBB\x97") == 7);               // ໗ Lao
  CHECK(menu_number("\xE0\xB9\x92") == 2);               // ๒ Thai
  CHECK(menu_number("\xE2\x80\x8B"
                    "8\xE2\x80\x8B") == 8);  // zero-width spaces around
  // Compatibility forms are their digit, as in keywords: ² superscript, ② circled.
  CHECK(menu_number("\xC2\xB2") == 2);
  CHECK(menu_number("\xE2\x91\xA1") == 2);
}

TEST_CASE("anything but one number from 1 to 9 is an ordinary message") {
  CHECK_FALSE(menu_number(""));
  CHECK_FALSE(menu_number("   "));
  CHECK_FALSE(menu_number("0"));
  CHECK_FALSE(menu_number("00"));
  CHECK_FALSE(menu_number("10"));
  CHECK_FALSE(menu_number("12"));
  CHECK_FALSE(menu_number("911"));
  CHECK_FALSE(menu_number("2 3"));
  CHECK_FALSE(menu_number("2, 3"));
  CHECK_FALSE(menu_number("2nd"));
  CHECK_FALSE(menu_number("two"));
  CHECK_FALSE(menu_number("2 lights are out"));
  CHECK_FALSE(menu_number("Apt 2"));
  CHECK_FALSE(menu_number("\xE2\x85\xA1"));  // Ⅱ Roman numeral: NFKD makes it "II"
  CHECK_FALSE(menu_number(std::string(100, '2')));
}

TEST_CASE("the menu lists each language in its own name, one per line") {
  const LanguageMenu menu({"en", "es", "vi", "zh_CN", "zh-Hant", "ru", "ar"});
  CHECK(menu.choices() ==
        "1 English\n2 Español\n3 Tiếng Việt\n4 中文（中国）\n5 中文（繁體）\n6 Русский\n7 العربية");
  CHECK(menu.languages().size() == 7);
}

TEST_CASE("the menu keeps nine languages, in order, without repeats or garbage") {
  const LanguageMenu menu(
      {"en", "EN", "tl", "??", "es", "vi", "ru", "uk", "so", "ar", "ko", "ja", "km"});
  CHECK(menu.languages() ==
        std::vector<std::string>{"en", "fil", "es", "vi", "ru", "uk", "so", "ar", "ko"});
  CHECK(LanguageMenu({}).empty());
  CHECK(LanguageMenu({"", "xx"}).empty());
}

TEST_CASE("an answer chooses from the menu as it was sent, and only within it") {
  const std::vector<std::string> sent{"en", "es", "vi", "zh-Hans"};
  CHECK(LanguageMenu::choice("1", sent) == "en");
  CHECK(LanguageMenu::choice(" 3. ", sent) == "vi");
  CHECK(LanguageMenu::choice("\xEF\xBC\x94", sent) == "zh-Hans");  // ４
  CHECK(LanguageMenu::choice("5", sent).empty());                  // out of range
  CHECK(LanguageMenu::choice("9", sent).empty());
  CHECK(LanguageMenu::choice("hola", sent).empty());
  CHECK(LanguageMenu::choice("2", {}).empty());
}

TEST_CASE("eight languages in their own names stay within two UCS-2 segments") {
  const LanguageMenu menu({"en", "es", "vi", "zh-Hans", "zh-Hant", "ru", "uk", "so"});
  const auto plan =
      frontdoor::i18n::plan_sms("City 311: Reply with your language's number.\n" + menu.choices());
  CHECK(plan.encoding == frontdoor::i18n::SmsEncoding::ucs2);
  CHECK(plan.segments == 2);
}
