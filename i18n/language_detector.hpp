// What language a resident's text is in, among the city's languages, or "unknown": the detector
// would rather not guess. Pure logic (ICU and CLD2 in memory), no I/O; one detector is shared by
// every thread (detect() is const and keeps no state).
//
// Contract
//  1. The answer is one of the configured languages, or unknown (tag ""). One exception: Chinese
//     whose characters are common to both scripts ("好的", "垃圾") is "zh" when zh-Hans, zh-Hant
//     or zh is configured: the language is certain, the script is not, and the matcher of the
//     reader (agent, template) decides.
//  2. The writing system is read first (ICU uscript, letters only: digits, punctuation, emoji and
//     marks do not count): it decides alone, at any length, when it names one configured
//     language — Hangul → ko; kana (with or without kanji) → ja; Han → zh-Hans or zh-Hant by
//     characters only one script uses (ICU's Hans-Hant and Hant-Hans transforms, without the
//     simplified forms that are also ordinary traditional characters, 后 面 干 台…), → ja by
//     kanji only Japanese writes (駅 騒 払 気…); Lao, Khmer, Thai, … → the one configured
//     language written in it; Cyrillic → uk when it has і ї є ґ and no ы э ъ ё, → ru the other
//     way round; Latin → vi by letters only Vietnamese has (ơ ư ả ạ ế…), → ro by ș ț.
//  3. Latin text, and text in any script several configured languages share, goes to CLD2 (full
//     tables) with at least `min_letters` letters; below that it stays unknown unless rule 2
//     decided. CLD2's top three are restricted to the languages written in that script; its
//     "reliable" flag only halves the confidence. For a script that names one configured
//     language but many others in the world (Arabic, Devanagari, Cyrillic with one of ru/uk),
//     text of at least `min_letters` letters that CLD2 reliably gives to a language the city
//     did not configure is unknown.
//  4. In Latin text, the everyday little words (articles, prepositions, particles) of en, es,
//     vi, ro, so and fil are counted: when a configured language's words clearly outnumber
//     those of CLD2's choice, the two disagree and the answer is unknown. CLD2 reads English
//     loanwords ("traffic light", "graffiti") as English in Tagalog and Spanish texts.
//  5. Confidence (0..1): the share of the text's letters in the deciding writing system, times,
//     for Han, the share of script-specific characters pointing the chosen way; times, for CLD2,
//     its percentage of the text and ½ when it is not "reliable". Below `min_confidence` the
//     answer is unknown.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor::i18n {

// How a language was recognized.
enum class DetectionSource {
  none,    // unknown
  script,  // the writing system (and letters only one language uses), rule 2
  text,    // CLD2's statistics of the words, rule 3
};
std::string_view to_string(DetectionSource source);  // "", "script", "text"

struct DetectedLanguage {
  std::string tag;  // a configured language, "zh" (rule 1), or "" for unknown
  double confidence = 0;
  DetectionSource source = DetectionSource::none;

  bool known() const { return !tag.empty(); }
};

class LanguageDetector {
 public:
  struct Settings {
    std::vector<std::string> languages;  // BCP 47; canonicalized, garbage dropped
    double min_confidence = 0.5;         // 0..1
    std::size_t min_letters = 12;        // below this, text alone never decides
  };

  explicit LanguageDetector(Settings settings);
  ~LanguageDetector();
  LanguageDetector(LanguageDetector&&) noexcept;
  LanguageDetector& operator=(LanguageDetector&&) noexcept;

  // The language of `utf8` (rules 1–5); unknown for empty or ill-formed text.
  DetectedLanguage detect(std::string_view utf8) const;

  // The configured languages, canonical.
  const std::vector<std::string>& languages() const;

 private:
  struct Tables;
  std::unique_ptr<Tables> tables_;
};

}  // namespace frontdoor::i18n
