#include <catch2/catch.hpp>

#include "i18n/tty_text.hpp"

using namespace frontdoor::i18n;

TEST_CASE("TTY text is upper-case ASCII a Baudot TTY can print") {
  CHECK(is_tty_printable("CITY 311: REF #42 (NEW) - $5, 'OK'? YES! A&B; 1/2 \"GA\"\nGA"));
  CHECK_FALSE(is_tty_printable("City 311"));
  CHECK_FALSE(is_tty_printable("50% OFF"));
  CHECK_FALSE(is_tty_printable("A@B"));
  CHECK_FALSE(is_tty_printable("A\rB"));
  CHECK_FALSE(is_tty_printable("CAF\xC3\x89"));  // CAFÉ
  CHECK(is_tty_printable(""));
}

TEST_CASE("text for a TTY loses case, accents and other scripts, not its words") {
  CHECK(to_tty_text("Monday 8:00\xE2\x80\xAF"
                    "AM") == "MONDAY 8:00 AM");  // narrow no-break space
  CHECK(to_tty_text("Se\xC3\xB1or, \xC2\xBFqu\xC3\xA9 pas\xC3\xB3?") == "SENOR, ?QUE PASO?");
  CHECK(to_tty_text("\xC4\x90\xC3\xA8n \xC4\x91\xC6\xB0\xE1\xBB\x9Dng") ==
        "DEN DUONG");  // Đèn đường
  CHECK(to_tty_text("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82") == "PRIVET");  // Привет
  CHECK(to_tty_text("Stra\xC3\x9F"
                    "e") == "STRASSE");
  CHECK(to_tty_text("a\tb\r\nc") == "A B \nC");
  CHECK(to_tty_text("50% @ home") == "50? ? HOME");
  CHECK(to_tty_text("\xFF") == "?");
  CHECK(to_tty_text("") == "");
}
