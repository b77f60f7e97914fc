// SMS consent keywords: recognizes an inbound SMS that is nothing but an opt-out (STOP), opt-in
// (START) or HELP keyword, in English and in configured other languages. Pure: no I/O.
//
// Contract
//  1. A message matches only when the WHOLE message, after fold_for_matching(), equals one
//     keyword folded the same way. "Please stop the noise" never matches: a resident describing a
//     problem must never be unsubscribed by accident.
//  2. Matching is case-insensitive (Unicode full case folding), compatibility-insensitive (NFKD:
//     full-width "ＳＴＯＰ" is "STOP") and accent-insensitive: nonspacing marks are removed, so
//     "AYÚDA" is "AYUDA", "sí" is "si" and "stöp" is "stop". This is deliberate: residents type
//     on phones whose keyboards and autocorrect add or drop accents, and a STOP that is missed is
//     worse than a STOP that is matched. The cost is that two configured words differing only in
//     marks are the same keyword.
//  3. Turkish: dotted "İ" and dotless "ı" both fold to "i", so Turkish-locale case mappings of
//     the built-ins ("QUİT", "ınfo") still match. Folding is never locale-dependent: "QUIT" folds
//     to "quit", not to "quıt".
//  4. START words are also everyday answers ("YES", "SÍ"). A match tells the caller the message
//     is a keyword; whether a START from a resident who never opted out is also an ordinary reply
//     in the conversation is the caller's decision.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "i18n/text.hpp"

namespace frontdoor::sms {

enum class Keyword { none, stop, start, help };

struct KeywordMatch {
  Keyword keyword = Keyword::none;
  std::string language;  // "en" for the built-ins, else the tag given to add(); "" for none

  bool operator==(const KeywordMatch&) const = default;
};

// The form in which a message and a keyword are compared: i18n::fold_for_matching (NFKD, case
// folding, marks and default-ignorables removed, trimmed, inner whitespace collapsed).
using i18n::fold_for_matching;

class KeywordMatcher {
 public:
  // The built-in English set ("en"): STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE,
  // OPTOUT (stop); START, UNSTOP, YES (start); HELP, INFO (help).
  KeywordMatcher();

  // Adds `word` (UTF-8) as a keyword of `language` (a BCP 47 tag, reported back in matches).
  // Adding a word that folds to one already present for the same keyword is a no-op: the first
  // registration's language is kept. Throws std::invalid_argument when `keyword` is none, when
  // `word` folds to nothing, or when it folds to a word already registered for another keyword
  // (one word must not mean both STOP and START).
  void add(Keyword keyword, std::string language, std::string word);

  // The keyword the whole message is (contract 1), or {Keyword::none, ""}.
  KeywordMatch match(std::string_view utf8_text) const;

 private:
  std::unordered_map<std::string, KeywordMatch> words_;  // folded word -> keyword
  std::size_t longest_ = 0;                              // bytes of the longest folded word
};

// Adds the default Spanish ("es") keywords, the words US carriers and SMS platforms commonly
// accept in Spanish-language programs:
//   stop:  ALTO, PARAR, PARE, DETENER, CANCELAR
//   start: COMENZAR, INICIAR, SÍ (accent-insensitive, so "SI" too)
//   help:  AYUDA
// ALTO is kept although "alto" also means "tall/high": it is the Spanish STOP word residents
// see most often, and missing an opt-out is the worse error. Deliberately left out: BAJA ("dar
// de baja", unsubscribe) and ALTA ("dar de alta", subscribe), which add little over the words
// above and are plausible one-word answers ("low", "high") to an agent's question; INFO, which
// is already an English built-in.
void add_spanish_defaults(KeywordMatcher& matcher);

}  // namespace frontdoor::sms
