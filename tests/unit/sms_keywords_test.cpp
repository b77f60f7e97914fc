#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "channels/sms/keywords.hpp"

using namespace frontdoor::sms;

namespace {

const KeywordMatch kNone{Keyword::none, ""};

KeywordMatch en(Keyword keyword) { return {keyword, "en"}; }
KeywordMatch es(Keyword keyword) { return {keyword, "es"}; }

}  // namespace

TEST_CASE("fold_for_matching folds case, compatibility forms and accents, and trims") {
  CHECK(fold_for_matching("STOP") == "stop");
  CHECK(fold_for_matching("  Stop.  ") == "stop");
  CHECK(fold_for_matching("¡¿AYÚDA?!") == "ayuda");
  CHECK(fold_for_matching("\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0") ==
        "stop");  // ＳＴＯＰ
  CHECK(fold_for_matching("Stra\xC3\x9F"
                          "e") == "strasse");                  // ß: full case folding
  CHECK(fold_for_matching("S\xE2\x80\x8BTOP") == "stop");      // zero-width space inside
  CHECK(fold_for_matching("sto\xCC\x88p") == "stop");          // o + combining diaeresis
  CHECK(fold_for_matching("\t\"opt   out\"\n") == "opt out");  // inner whitespace collapses
  CHECK(fold_for_matching("STOP \xF0\x9F\x98\xA1") == "stop \xF0\x9F\x98\xA1");  // emoji stays
  CHECK(fold_for_matching("") == "");
  CHECK(fold_for_matching(" ?! ... ") == "");
  CHECK(fold_for_matching("\xFF") == "\xEF\xBF\xBD");  // ill-formed UTF-8 becomes U+FFFD
}

TEST_CASE("every built-in English keyword matches, in any case") {
  const KeywordMatcher matcher;
  for (const char* word :
       {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}) {
    INFO(word);
    CHECK(matcher.match(word) == en(Keyword::stop));
  }
  for (const char* word : {"START", "UNSTOP", "YES"}) {
    INFO(word);
    CHECK(matcher.match(word) == en(Keyword::start));
  }
  for (const char* word : {"HELP", "INFO"}) {
    INFO(word);
    CHECK(matcher.match(word) == en(Keyword::help));
  }
  CHECK(matcher.match("stop") == en(Keyword::stop));
  CHECK(matcher.match("Stop") == en(Keyword::stop));
  CHECK(matcher.match("sToPaLl") == en(Keyword::stop));
  CHECK(matcher.match("unsubscribe") == en(Keyword::stop));
  CHECK(matcher.match("Help") == en(Keyword::help));
}

TEST_CASE("surrounding whitespace and punctuation do not hide a keyword") {
  const KeywordMatcher matcher;
  CHECK(matcher.match("Stop.") == en(Keyword::stop));
  CHECK(matcher.match("stop!") == en(Keyword::stop));
  CHECK(matcher.match(" STOP ") == en(Keyword::stop));
  CHECK(matcher.match("\r\nSTOP\r\n") == en(Keyword::stop));
  CHECK(matcher.match("\"STOP\"") == en(Keyword::stop));
  CHECK(matcher.match("help?") == en(Keyword::help));
  CHECK(matcher.match("...quit!!!") == en(Keyword::stop));
  CHECK(matcher.match("\xC2\xA0STOP\xE3\x80\x80") == en(Keyword::stop));  // NBSP, ideographic sp.
}

TEST_CASE("accents and full-width letters are ignored") {
  const KeywordMatcher matcher;
  CHECK(matcher.match("St\xC3\xB6p") == en(Keyword::stop));  // Stöp: accent-insensitive
  CHECK(matcher.match("H\xC3\x89LP") == en(Keyword::help));  // HÉLP
  CHECK(matcher.match("\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0") ==
        en(Keyword::stop));  // ＳＴＯＰ
  CHECK(matcher.match("\xEF\xBD\x88\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x90") ==
        en(Keyword::help));  // ｈｅｌｐ
}

TEST_CASE("Turkish dotted and dotless i fold to plain i, locale-independently") {
  const KeywordMatcher matcher;
  CHECK(fold_for_matching("\xC4\xB0") == "i");               // İ
  CHECK(fold_for_matching("\xC4\xB1") == "i");               // ı
  CHECK(fold_for_matching("I") == "i");                      // never the Turkish-locale ı
  CHECK(matcher.match("QU\xC4\xB0T") == en(Keyword::stop));  // QUİT
  CHECK(matcher.match("qu\xC4\xB1t") == en(Keyword::stop));  // quıt
  CHECK(matcher.match("\xC4\xB1nfo") == en(Keyword::help));  // ınfo
  CHECK(matcher.match("\xC4\xB0NFO") == en(Keyword::help));  // İNFO
}

TEST_CASE("a message that merely contains a keyword is not a keyword") {
  KeywordMatcher matcher;
  add_spanish_defaults(matcher);
  CHECK(matcher.match("Please stop the noise") == kNone);
  CHECK(matcher.match("stop sign is down at 5th and Main") == kNone);
  CHECK(matcher.match("STOP STOP") == kNone);
  CHECK(matcher.match("stop it") == kNone);
  CHECK(matcher.match("yes please") == kNone);
  CHECK(matcher.match("I need help") == kNone);
  CHECK(matcher.match("Alto el ruido por favor") == kNone);
  CHECK(matcher.match("stopped") == kNone);
  CHECK(matcher.match("STOP \xF0\x9F\x98\xA1") == kNone);  // emoji is content
  CHECK(matcher.match("S-T-O-P") == kNone);
}

TEST_CASE("empty and punctuation-only messages match nothing") {
  const KeywordMatcher matcher;
  CHECK(matcher.match("") == kNone);
  CHECK(matcher.match("   ") == kNone);
  CHECK(matcher.match("?!") == kNone);
  CHECK(matcher.match("\xFF\xFE") == kNone);
}

TEST_CASE("Spanish defaults match with or without accents") {
  KeywordMatcher matcher;
  add_spanish_defaults(matcher);
  for (const char* word : {"ALTO", "PARAR", "PARE", "DETENER", "CANCELAR"}) {
    INFO(word);
    CHECK(matcher.match(word) == es(Keyword::stop));
  }
  for (const char* word : {"COMENZAR", "INICIAR", "S\xC3\x8D"}) {
    INFO(word);
    CHECK(matcher.match(word) == es(Keyword::start));
  }
  CHECK(matcher.match("AYUDA") == es(Keyword::help));
  CHECK(matcher.match("AY\xC3\x9A"
                      "DA") == es(Keyword::help));  // AYÚDA
  CHECK(matcher.match("\xC2\xBF"
                      "ayuda?") == es(Keyword::help));      // ¿ayuda?
  CHECK(matcher.match("s\xC3\xAD") == es(Keyword::start));  // sí
  CHECK(matcher.match("Si") == es(Keyword::start));
  CHECK(matcher.match("\xC2\xA1"
                      "Alto!") == es(Keyword::stop));  // ¡Alto!
  CHECK(matcher.match("STOP") == en(Keyword::stop));   // built-ins still English
  CHECK(KeywordMatcher().match("ALTO") == kNone);      // Spanish only when added
}

TEST_CASE("configured words: languages, duplicates and conflicts") {
  KeywordMatcher matcher;
  matcher.add(Keyword::stop, "fr", "ARR\xC3\x8ATER");  // ARRÊTER
  CHECK(matcher.match("arreter") == KeywordMatch{Keyword::stop, "fr"});
  CHECK(matcher.match("Arr\xC3\xAAter !") == KeywordMatch{Keyword::stop, "fr"});

  matcher.add(Keyword::help, "fr", "info");  // same word, same keyword: English stays
  CHECK(matcher.match("INFO") == en(Keyword::help));

  matcher.add(Keyword::stop, "vi", "D\xE1\xBB\xAANG");  // DỪNG
  CHECK(matcher.match("dung") == KeywordMatch{Keyword::stop, "vi"});

  CHECK_THROWS_AS(matcher.add(Keyword::start, "xx", "stop"), std::invalid_argument);
  CHECK_THROWS_AS(matcher.add(Keyword::none, "xx", "foo"), std::invalid_argument);
  CHECK_THROWS_AS(matcher.add(Keyword::help, "xx", " ?! "), std::invalid_argument);
  CHECK(matcher.match("stop") == en(Keyword::stop));  // a rejected add changes nothing
}
