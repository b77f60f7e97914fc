#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "i18n/language.hpp"
#include "i18n/language_detector.hpp"
#include "i18n/language_policy.hpp"

using namespace frontdoor::i18n;

namespace {

const std::vector<std::string> kCity = {"en", "es", "vi", "zh-Hans", "zh-Hant", "ru", "uk", "ro",
                                        "ja", "ko", "so", "ar",      "lo",      "ne", "km", "fil"};

const LanguageDetector& city_detector() {
  static const LanguageDetector detector({kCity, 0.5, 12});
  return detector;
}

std::string detect(std::string_view text) { return city_detector().detect(text).tag; }

}  // namespace

TEST_CASE("tags are canonicalized with ICU") {
  CHECK(canonical_tag("zh_TW") == "zh-TW");
  CHECK(canonical_tag("zh-TW") == "zh-TW");  // nothing added: not zh-Hant-TW
  CHECK(canonical_tag("iw") == "he");
  CHECK(canonical_tag("in") == "id");
  CHECK(canonical_tag("mo") == "ro");
  CHECK(canonical_tag("tl") == "fil");  // CLDR: Tagalog is an alias of Filipino
  CHECK(canonical_tag("EN-us") == "en-US");
  CHECK(canonical_tag("es_MX") == "es-MX");
  CHECK(canonical_tag("zh_Hans_CN") == "zh-Hans-CN");
  CHECK(canonical_tag(" vi ") == "vi");
  CHECK(canonical_tag("es-419") == "es-419");
  CHECK(canonical_tag("hmn") == "hmn");  // Hmong: three letters, known to CLDR
}

TEST_CASE("garbage is not a tag") {
  for (const char* garbage :
       {"", "   ", "garbage!!", "123", "a", "xx", "zz-ZZ", "und", "x-foo", "en@calendar=buddhist",
        "en--US", "-en", "en-", "toolonglanguage", "vi<script>", "e\xC3\xB1", "en US"}) {
    INFO(garbage);
    CHECK(canonical_tag(garbage).empty());
  }
  CHECK(canonical_tags("en, es_MX,,tl,xx,en") == std::vector<std::string>{"en", "es-MX", "fil"});
  CHECK(language_subtag("zh-Hant-TW") == "zh");
  CHECK(language_subtag("fil") == "fil");
}

TEST_CASE("display names in the agent's and the resident's language") {
  CHECK(display_name("zh-Hant", "en") == "Chinese (Traditional)");
  CHECK(display_name("zh-Hant", "zh-Hant") == "中文（繁體）");
  CHECK(display_name("es", "es") == "Español");  // capitalized as in a menu
  CHECK(display_name("es", "vi") == "Tiếng Tây Ban Nha");
  CHECK(display_name("vi", "vi") == "Tiếng Việt");
  CHECK(display_name("es-MX", "en") == "Spanish (Mexico)");
  CHECK(display_name("iw", "en") == "Hebrew");
  CHECK(display_name("tl", "en") == "Filipino");
  CHECK(display_name("km", "km") == "ខ្មែរ");
  CHECK(display_name("uk", "uk") == "Українська");
  CHECK(display_name("so", "en") == "Somali");
  CHECK(display_name("so", "garbage!") == "Somali");  // an unusable reader's language: English
  CHECK(display_name("xx", "en").empty());
}

TEST_CASE("a resident's language is matched to what is supported") {
  const LanguageMatcher city(kCity);
  CHECK(city.match("zh_TW") == "zh-Hant");
  CHECK(city.match("zh-TW") == "zh-Hant");
  CHECK(city.match("zh-HK") == "zh-Hant");
  CHECK(city.match("zh-MO") == "zh-Hant");
  CHECK(city.match("zh-CN") == "zh-Hans");
  CHECK(city.match("zh-SG") == "zh-Hans");
  CHECK(city.match("zh") == "zh-Hans");
  CHECK(city.match("es-MX") == "es");
  CHECK(city.match("es-419") == "es");
  CHECK(city.match("en-GB") == "en");
  CHECK(city.match("tl") == "fil");
  CHECK(city.match("ro-MD") == "ro");
  CHECK(city.match("garbage!!").empty());
  CHECK(city.match("").empty());

  const LanguageMatcher hebrew({"en", "he"});
  CHECK(hebrew.match("iw") == "he");
  CHECK(hebrew.supported() == std::vector<std::string>{"en", "he"});
}

TEST_CASE("the matching threshold: same language, yes; another language or script, no") {
  const LanguageMatcher city(kCity);
  // Another language, even one CLDR lets fall back one way.
  CHECK(city.match("ca").empty());   // Catalan → Spanish: not a match
  CHECK(city.match("gl").empty());   // Galician
  CHECK(city.match("be").empty());   // Belarusian → Russian
  CHECK(city.match("am").empty());   // Amharic → English
  CHECK(city.match("yue").empty());  // Cantonese → Chinese (Traditional)
  CHECK(city.match("pt-BR").empty());
  CHECK(city.match("fr").empty());
  CHECK(city.match("hi").empty());  // Hindi is not Nepali although both are Devanagari
  // Chinese in the other script.
  const LanguageMatcher traditional_only({"en", "zh-Hant"});
  CHECK(traditional_only.match("zh-CN").empty());
  CHECK(traditional_only.match("zh-Hans").empty());
  CHECK(traditional_only.match("zh-HK") == "zh-Hant");
  // What CLDR deems read both ways.
  const LanguageMatcher nordic({"no"});
  CHECK(nordic.match("nb") == "no");
  CHECK(nordic.match("da") == "no");
  // Nothing supported: nothing matches.
  CHECK(LanguageMatcher({}).match("en").empty());
}

TEST_CASE("header lists are matched best first") {
  const LanguageMatcher city(kCity);
  CHECK(city.match_list("fr-CA, es-MX;q=0.8, en;q=0.5") == "es");
  CHECK(city.match_list("en;q=0.5, vi") == "vi");
  CHECK(city.match_list("vi;q=0, en") == "en");  // q=0: not this one
  CHECK(city.match_list("zh_TW") == "zh-Hant");
  CHECK(city.match_list("fr, de;q=0.8").empty());
  CHECK(city.match_list("*").empty());
  CHECK(city.match_list("garbage!!!, ko") == "ko");  // a bad item does not spoil the list
  CHECK(city.match_list("").empty());
}

TEST_CASE("a header list's languages, canonical and best first") {
  using V = std::vector<std::string>;
  CHECK(header_languages("fr-CA, es-MX;q=0.8, en;q=0.5") == V{"fr-CA", "es-MX", "en"});
  CHECK(header_languages("en;q=0.3, so;q=0.7, iw;q=0.5") == V{"so", "he", "en"});
  CHECK(header_languages("vi;q=0, *, garbage!!!, zh_TW") == V{"zh-TW"});
  CHECK(header_languages(" ru ;  q=0.4 ,  uk ; Q=0.600 ") == V{"uk", "ru"});
  CHECK(header_languages("").empty());
}

TEST_CASE("Accept-Language headers as browsers and apps send them") {
  const LanguageMatcher city(kCity);
  CHECK(city.match_list("es-MX,es;q=0.9") == "es");
  CHECK(city.match_list("es-MX,es;q=0.9,en-US;q=0.8,en;q=0.7") == "es");
  CHECK(city.match_list("en-US,en;q=0.9,vi;q=0.8") == "en");
  CHECK(city.match_list("vi-VN,vi;q=0.9,fr-FR;q=0.8,fr;q=0.7,en-US;q=0.6,en;q=0.5") == "vi");
  CHECK(city.match_list("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7") == "zh-Hant");
  CHECK(city.match_list("zh-CN,zh;q=0.9") == "zh-Hans");
  CHECK(city.match_list("tl-PH, en;q=0.5") == "fil");
  // Order comes from the q-values, not from the position; ties keep the sender's order.
  CHECK(city.match_list("en;q=0.3, so;q=0.7, ar;q=0.5") == "so");
  CHECK(city.match_list("ko, ja") == "ko");
  // Spelling: spaces around separators, an upper-case Q, three decimals.
  CHECK(city.match_list(" ru ;  q=0.4 ,  uk ; Q=0.600 ") == "uk");
  // A q-value out of range or unreadable counts as q=0 (not this one); * names nothing.
  CHECK(city.match_list("vi;q=1.5, km;q=0.2") == "km");
  CHECK(city.match_list("vi;q=high, km;q=0.2") == "km");
  CHECK(city.match_list("*;q=0.8, ne;q=0.1") == "ne");
  // A language the city does not list, in every form, gives nothing: detection decides.
  CHECK(city.match_list("fr-CA,fr;q=0.9").empty());
  CHECK(city.match_list("pt-BR, de;q=0.5").empty());
}

TEST_CASE("a whole message naming a language is the resident's choice") {
  CHECK(stated_language("ESPAÑOL") == "es");
  CHECK(stated_language("espanol") == "es");
  CHECK(stated_language("  Español. ") == "es");
  CHECK(stated_language("ＥＳＰＡÑＯＬ") == "es");  // full width
  CHECK(stated_language("TIẾNG VIỆT") == "vi");
  CHECK(stated_language("tieng viet") == "vi");
  CHECK(stated_language("Tiếng  Việt!") == "vi");
  CHECK(stated_language("中文") == "zh");  // Chinese, script not said
  CHECK(stated_language("中文简体") == "zh-Hans");
  CHECK(stated_language("繁體中文") == "zh-Hant");
  CHECK(stated_language("РУССКИЙ") == "ru");
  CHECK(stated_language("русский") == "ru");
  CHECK(stated_language("УКРАЇНСЬКА") == "uk");
  CHECK(stated_language("ROMÂNĂ") == "ro");
  CHECK(stated_language("romana") == "ro");
  CHECK(stated_language("日本語") == "ja");
  CHECK(stated_language("한국어") == "ko");
  CHECK(stated_language("Soomaali") == "so");
  CHECK(stated_language("العربية") == "ar");
  CHECK(stated_language("ລາວ") == "lo");
  CHECK(stated_language("नेपाली") == "ne");
  CHECK(stated_language("ខ្មែរ") == "km");
  CHECK(stated_language("TAGALOG") == "fil");
  CHECK(stated_language("Filipino") == "fil");
  CHECK(stated_language("English") == "en");
  CHECK(stated_language("spanish") == "es");
  // Not a choice: a sentence, another word, nothing.
  CHECK(stated_language("I speak Spanish").empty());
  CHECK(stated_language("Hablo español, por favor").empty());
  CHECK(stated_language("STOP").empty());
  CHECK(stated_language("").empty());
  CHECK(stated_language("español español español español").empty());
}

TEST_CASE("the writing system decides, at any length") {
  CHECK(detect("네") == "ko");
  CHECK(detect("물이 안 나와요") == "ko");
  CHECK(detect("はい") == "ja");
  CHECK(detect("騒音") == "ja");  // kanji only Japanese writes
  CHECK(detect("谢谢") == "zh-Hans");
  CHECK(detect("謝謝") == "zh-Hant");
  CHECK(detect("好的") == "zh");                 // common to both scripts
  CHECK(detect("學校前面的馬路") == "zh-Hant");  // 面 is traditional too: no simplified vote
  CHECK(detect("ຂອບໃຈ") == "lo");
  CHECK(detect("អរគុណ") == "km");
  CHECK(detect("हो") == "ne");
  CHECK(detect("نعم") == "ar");
  CHECK(detect("Дякую, світло") == "uk");  // і/ї/є/ґ, no ы/э/ё
  CHECK(detect("Нет воды") == "ru");       // ы
  CHECK(detect("Cảm ơn") == "vi");         // letters only Vietnamese has
  CHECK(detect("Mulțumesc") == "ro");      // ț
  CHECK(detect("¿Qué?") == "es");
  // Mixed with digits, Latin street names and emoji: the dominant writing system.
  CHECK(detect("SE Stark街4410号门口有垃圾 🙏") == "zh-Hans");
  CHECK(detect("Division 거리 가로등") == "ko");
}

TEST_CASE("short Latin text stays unknown; longer text is read by CLD2, checked by little words") {
  CHECK(detect("Gracias").empty());
  CHECK(detect("ok").empty());
  CHECK(detect("Da").empty());
  CHECK(detect("12345 !!!").empty());
  CHECK(detect("🙏🙏").empty());
  CHECK(detect("").empty());
  CHECK(detect("\xFF\xFE").empty());  // not UTF-8
  CHECK(detect("The streetlight in front of my house has been out for a week") == "en");
  CHECK(detect("La basura no fue recogida esta semana en mi cuadra") == "es");
  CHECK(detect("Walang kumuha ng basura sa kalye namin ngayong linggo") == "fil");
  CHECK(detect("Qashinka laguma qaadin wadadayada toddobaadkan") == "so");
  CHECK(detect("Săptămâna asta nu a venit nimeni să ridice gunoiul") == "ro");
  // CLD2 calls these English (loanwords); the little words disagree: unknown, not a guess.
  CHECK(detect("Laging pula ang traffic light sa kanto ng 82nd at Foster").empty());
  CHECK(detect("Hay grafiti en la pared de la biblioteca").empty());
  // Transliterated Russian: CLD2 says English, without one English little word.
  CHECK(detect("net vody v dome s utra").empty());
}

TEST_CASE("only configured languages are answered") {
  const LanguageDetector english_only({{"en"}, 0.5, 12});
  CHECK(english_only.detect("The streetlight in front of my house is out").tag == "en");
  CHECK(english_only.detect("La basura no fue recogida esta semana en mi cuadra").tag.empty());
  CHECK(english_only.detect("물이 안 나와요").tag.empty());
  CHECK(english_only.detect("谢谢").tag.empty());

  const LanguageDetector russian_only({{"en", "ru"}, 0.5, 12});
  CHECK(russian_only.detect("Дякую, світло").tag.empty());  // Ukrainian is not Russian
  CHECK(russian_only.detect("Свет").tag == "ru");           // the one Cyrillic language

  const LanguageDetector traditional_only({{"en", "zh-Hant"}, 0.5, 12});
  CHECK(traditional_only.detect("謝謝").tag == "zh-Hant");
  CHECK(traditional_only.detect("谢谢").tag == "zh");  // Chinese, in a script not configured
  CHECK(traditional_only.languages() == std::vector<std::string>{"en", "zh-Hant"});
}

TEST_CASE("confidence and its threshold") {
  const DetectedLanguage korean = city_detector().detect("물이 안 나와요");
  CHECK(korean.source == DetectionSource::script);
  CHECK(korean.confidence == Approx(1.0));
  const DetectedLanguage english =
      city_detector().detect("The streetlight in front of my house has been out for a week");
  CHECK(english.source == DetectionSource::text);
  CHECK(english.confidence > 0.5);
  CHECK(english.confidence <= 1.0);
  CHECK(to_string(DetectionSource::text) == "text");
  CHECK(to_string(DetectionSource::none).empty());

  // Chinese with as many simplified as traditional characters: half sure, under 0.6.
  const LanguageDetector strict({kCity, 0.6, 12});
  CHECK(strict.detect("这這").tag.empty());
  CHECK(city_detector().detect("这這个").tag == "zh-Hans");
  // Nothing passes a threshold of 1 but what is certain.
  const LanguageDetector certain({kCity, 1.0, 12});
  CHECK(certain.detect("물이 안 나와요").tag == "ko");
  CHECK(certain.detect("The streetlight in front of my house has been out for a week").tag == "");
}

TEST_CASE("the order of trust") {
  const LanguagePolicy policy({kCity, 0.5, 12});
  const auto is = [](const MessageLanguage& m, const std::string& tag, LanguageSource source) {
    return m.tag == tag && m.source == source;
  };
  // 1. the message names a language: stated, whatever the channel says.
  CHECK(is(policy.of("ESPAÑOL", "en", true), "es", LanguageSource::stated));
  CHECK(is(policy.of("tieng viet", "", false), "vi", LanguageSource::stated));
  // 2. the channel's selection, matched to the city's languages, or kept as given.
  CHECK(is(policy.of("hello there, my street light is out", "zh-TW", true), "zh-Hant",
           LanguageSource::selected));
  CHECK(is(policy.of("Bonjour", "fr", true), "fr", LanguageSource::selected));
  CHECK(is(policy.of("물이 안 나와요", "es-MX", true), "es", LanguageSource::selected));
  // 4. a hint, matched; ignored when it matches nothing; outranked by the writing system.
  CHECK(is(policy.of("The light is out", "es-MX, en;q=0.5", false), "es", LanguageSource::hint));
  CHECK(is(policy.of("The streetlight in front of my house has been out for a week", "fr", false),
           "en", LanguageSource::detected));
  CHECK(is(policy.of("我家门口的路灯坏了", "en-US", false), "zh-Hans", LanguageSource::detected));
  CHECK(is(policy.of("好的", "zh-TW", false), "zh-Hant", LanguageSource::hint));
  // 5. detection; 6. unknown.
  const MessageLanguage detected = policy.of("Walang kumuha ng basura sa kalye namin", "", false);
  CHECK(is(detected, "fil", LanguageSource::detected));
  CHECK(detected.confidence > 0.5);
  CHECK(is(policy.of("ok", "", false), "", LanguageSource::none));
  CHECK(is(policy.of("ok", "garbage!!", true), "", LanguageSource::none));
  CHECK(to_string(LanguageSource::hint) == "hint");
  CHECK(to_string(LanguageSource::selected) == "selected");
  CHECK(to_string(LanguageSource::none).empty());
}
