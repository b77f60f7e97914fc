// Residents' languages as BCP 47 tags: canonical forms, names people read, matching a resident's
// language to what the city supports, and the words a resident sends to say which language they
// want. ICU (CLDR data) does the work; pure logic, no I/O.
//
// Canonical tags
//  1. canonical_tag() is the one form the hub stores and compares: ICU's canonical BCP 47
//     (Locale::createCanonical, then toLanguageTag). It accepts '-' or '_' between subtags and
//     any letter case, and replaces deprecated codes: "zh_TW" → "zh-TW", "iw" → "he",
//     "in" → "id", "mo" → "ro", "EN-us" → "en-US". It adds nothing ("zh-TW" stays "zh-TW", not
//     "zh-Hant-TW").
//  2. CLDR makes "tl" (Tagalog) an alias of "fil" (Filipino, its standard form): "tl" → "fil".
//  3. Garbage is "": empty or blank text, characters other than ASCII letters, digits, '-' and
//     '_', ICU keywords ("en@calendar=…"), no language ("und", "x-private"), a language subtag
//     that is not 2 or 3 letters, or one CLDR has no English name for ("xx", "zz-ZZ").
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor::i18n {

// The canonical form of `tag`, or "" when it is not a usable language tag (rules 1–3).
std::string canonical_tag(std::string_view tag);

// The canonical tags of a comma-separated list ("en, es_MX,tl"), in order, without repeats;
// items canonical_tag() refuses are left out.
std::vector<std::string> canonical_tags(std::string_view comma_separated);

// The language subtag of a canonical tag: "zh" for "zh-Hant-TW".
std::string_view language_subtag(std::string_view canonical);

// `tag`'s name in the language `in_language`, as CLDR writes it for a heading or a list:
// ("zh-Hant", "en") → "Chinese (Traditional)", ("zh-Hant", "zh-Hant") → "中文（繁體）",
// ("es", "vi") → "Tiếng Tây Ban Nha", ("es-MX", "en") → "Spanish (Mexico)". An `in_language`
// CLDR lacks falls back to English; a `tag` that canonical_tag() refuses gives "".
std::string display_name(std::string_view tag, std::string_view in_language);

// The languages of a list as HTTP Accept-Language or Content-Language carry it
// ("fr-CA, es-MX;q=0.8, en;q=0.5"), canonical, best q-value first (the sender's order among
// equals); items with q=0, "*" and garbage are left out.
std::vector<std::string> header_languages(std::string_view header);

// Maps a resident's language to the closest of a supported set (agents' languages, template
// locales, interpreters' languages), with ICU's LocaleMatcher and CLDR's language distances.
//
// What counts as a match (the threshold):
//  - the same language in another region or with the script it implies: "es-MX" → "es",
//    "en-GB" → "en", "zh-TW" and "zh-HK" → "zh-Hant", "zh-CN", "zh-SG" and "zh" → "zh-Hans";
//  - aliases: "iw" → "he", "tl" → "fil", "mo" → "ro";
//  - what CLDR deems read both ways: Norwegian "nb" ↔ "no" ↔ Danish "da", Serbian in either
//    script.
// What does not: another language, even one CLDR lets fall back one way because its speakers
// often read it ("ca" → "es", "be" → "ru", "am" → "en", "yue" → "zh-Hant": the matcher runs
// with ULOCMATCH_DIRECTION_ONLY_TWO_WAY), and Chinese in the other script ("zh-Hant" ↔
// "zh-Hans"): a resident would be answered in what they may not read. Those give "", so the
// caller can bring in an interpreter instead of guessing.
class LanguageMatcher {
 public:
  // `supported`: BCP 47 tags, canonicalized; garbage and repeats are dropped. The order breaks
  // ties (the first wins).
  explicit LanguageMatcher(const std::vector<std::string>& supported);
  ~LanguageMatcher();
  LanguageMatcher(LanguageMatcher&&) noexcept;
  LanguageMatcher& operator=(LanguageMatcher&&) noexcept;

  // The supported tag (as canonicalized) that serves `desired`, or "" (see above; also for
  // garbage and for an empty set).
  std::string match(std::string_view desired) const;

  // The best supported tag for a list as HTTP Accept-Language or Content-Language carry it
  // ("fr-CA, es-MX;q=0.8, en;q=0.5", "vi"), q-values respected; "" when nothing matches.
  std::string match_list(std::string_view header) const;

  // The canonical supported tags, in the order given.
  const std::vector<std::string>& supported() const { return supported_; }

 private:
  struct Icu;
  std::vector<std::string> supported_;
  std::unique_ptr<Icu> icu_;
};

// The language a resident asks for when their WHOLE message is the name of a language (an answer
// to "reply ESPAÑOL, TIẾNG VIỆT, 中文…", a tap on a menu that sends the name), compared as
// i18n::fold_for_matching does (case, accents, width and surrounding punctuation do not count:
// "Español", "ESPANOL", "español." all mean "es"). Each language is known by its own name and
// its English name:
//   en ENGLISH · es ESPAÑOL, SPANISH · vi TIẾNG VIỆT, VIETNAMESE · zh 中文, CHINESE ·
//   zh-Hans 中文简体, 简体中文, 简体 · zh-Hant 繁體中文, 中文繁體, 繁體, 繁体中文 ·
//   ru РУССКИЙ, RUSSIAN · uk УКРАЇНСЬКА, UKRAINIAN · ro ROMÂNĂ, ROMANIAN · ja 日本語, JAPANESE ·
//   ko 한국어, KOREAN · so SOOMAALI, SOMALI · ar العربية, ARABIC · lo ລາວ, LAO ·
//   ne नेपाली, NEPALI · km ខ្មែរ, KHMER, CAMBODIAN · fil TAGALOG, FILIPINO
// "中文" alone says Chinese but not which script: it gives "zh". A sentence that merely contains
// a language's name ("I speak Spanish") is not a choice. Returns the canonical tag, or "".
std::string stated_language(std::string_view message);

}  // namespace frontdoor::i18n
