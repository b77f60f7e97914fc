#include "i18n/language_detector.hpp"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

// CLD2's public header uses FILE without including <cstdio>: it comes first, in a block of its
// own so that include sorting keeps it there.
#include <cstdio>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "i18n/function_words.hpp"
#include "i18n/han_characters.hpp"
#include "i18n/language.hpp"

namespace frontdoor::i18n {

std::string_view to_string(DetectionSource source) {
  switch (source) {
    case DetectionSource::script:
      return "script";
    case DetectionSource::text:
      return "text";
    case DetectionSource::none:
      break;
  }
  return "";
}

namespace {

// A writing system as the configured languages' likely scripts name it (ICU addLikelySubtags):
// "Latn", "Cyrl", "Arab", "Deva", "Laoo", "Khmr", …; Chinese characters without kana are "Hani"
// (zh-Hans and zh-Hant both), kana with or without kanji "Jpan", Hangul "Kore".
using Writing = std::string;

constexpr int kCjkWeight = 3;  // one CJK character carries about as much as three letters

// Letters of a text, by writing system, and the characters that single out one language.
struct Letters {
  std::map<UScriptCode, int> by_script;
  int simplified = 0, traditional = 0, japanese = 0;  // Han characters by use
  int ukrainian = 0, russian = 0;                     // і ї є ґ / ы э ё
  int vietnamese = 0, romanian = 0;                   // ơ ư ạ ả … / ș ț
  int spanish_marks = 0;                              // ¿ ¡
  bool valid = true;
};

bool is_vietnamese_letter(UChar32 c) {
  return (c >= 0x1EA0 && c <= 0x1EF9) || c == 0x01A0 || c == 0x01A1 || c == 0x01AF || c == 0x01B0;
}

bool is_romanian_letter(UChar32 c) {
  return (c >= 0x0218 && c <= 0x021B) || c == 0x0162 || c == 0x0163;
}

Letters read_letters(std::string_view utf8) {
  Letters out;
  const auto* s = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto length = static_cast<int32_t>(utf8.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0) {
      out.valid = false;
      return out;
    }
    if (c == 0x00BF || c == 0x00A1) ++out.spanish_marks;
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &status);
    if (U_FAILURE(status) || script == USCRIPT_COMMON || script == USCRIPT_INHERITED ||
        script == USCRIPT_UNKNOWN) {
      continue;
    }
    ++out.by_script[script];
    switch (script) {
      case USCRIPT_HAN:
        switch (han_use(static_cast<char32_t>(c))) {
          case HanUse::simplified:
            ++out.simplified;
            break;
          case HanUse::traditional:
            ++out.traditional;
            break;
          case HanUse::japanese:
            ++out.japanese;
            break;
          case HanUse::common:
            break;
        }
        break;
      case USCRIPT_CYRILLIC: {
        const UChar32 lower = u_tolower(c);
        out.ukrainian += lower == 0x0456 || lower == 0x0457 || lower == 0x0454 || lower == 0x0491;
        out.russian += lower == 0x044B || lower == 0x044D || lower == 0x0451;
        break;
      }
      case USCRIPT_LATIN:
        out.vietnamese += is_vietnamese_letter(c);
        out.romanian += is_romanian_letter(c);
        break;
      default:
        break;
    }
  }
  return out;
}

// The writing system most of the text's letters are in, its share of them (CJK characters
// weighted), and how many letters it has.
struct Dominant {
  Writing writing;
  double share = 0;
  int letters = 0;
};

Dominant dominant_writing(const Letters& letters) {
  auto count = [&](UScriptCode script) {
    const auto it = letters.by_script.find(script);
    return it == letters.by_script.end() ? 0 : it->second;
  };
  const int han = count(USCRIPT_HAN);
  const int kana = count(USCRIPT_HIRAGANA) + count(USCRIPT_KATAKANA);
  const int hangul = count(USCRIPT_HANGUL);
  std::map<Writing, std::pair<int, int>> weights;  // writing → {weight, letters}
  for (const auto& [script, n] : letters.by_script) {
    if (script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA ||
        script == USCRIPT_HANGUL) {
      continue;
    }
    weights[uscript_getShortName(script)] = {n, n};
  }
  // Kanji go with kana when there is kana enough for Japanese (a stray の in Chinese is not),
  // with Hangul when there is Hangul (Korean written with hanja), else they are Chinese.
  if (kana > 0 && kana * 10 >= han) {
    weights["Jpan"] = {kCjkWeight * (kana + han), kana + han};
  } else if (hangul > 0) {
    weights["Kore"] = {kCjkWeight * (hangul + han), hangul + han};
    if (kana > 0) weights["Jpan"] = {kCjkWeight * kana, kana};
  } else {
    if (han > 0) weights["Hani"] = {kCjkWeight * han, han};
    if (kana > 0) weights["Jpan"] = {kCjkWeight * kana, kana};
  }
  Dominant best;
  int total = 0, best_weight = 0;
  for (const auto& [writing, wl] : weights) {
    total += wl.first;
    if (wl.first > best_weight) {
      best_weight = wl.first;
      best = {writing, 0, wl.second};
    }
  }
  if (total > 0) best.share = static_cast<double>(best_weight) / total;
  return best;
}

// The likely script of a configured language: "Latn", "Hans", "Hant", "Jpan", "Kore", …
std::string script_of(const std::string& canonical) {
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale locale = icu::Locale::forLanguageTag(canonical, status);
  locale.addLikelySubtags(status);
  return U_SUCCESS(status) ? locale.getScript() : std::string();
}

// The writing system a configured language is written in: its likely script, Chinese of
// either script as "Hani".
Writing writing_of(const std::string& canonical) {
  const std::string script = script_of(canonical);
  return script == "Hans" || script == "Hant" ? "Hani" : script;
}

}  // namespace

struct LanguageDetector::Tables {
  Settings settings;
  std::vector<std::string> scripts;  // likely script of each language: "Latn", "Hant", "Kore", …
  std::vector<Writing> writings;     // writing system of each language, see writing_of()
  std::array<int, CLD2::NUM_LANGUAGES> from_cld2;  // CLD2 language → index in languages, or -1

  int index_of(std::string_view tag) const {
    const auto& l = settings.languages;
    const auto it = std::find(l.begin(), l.end(), tag);
    return it == l.end() ? -1 : static_cast<int>(it - l.begin());
  }

  DetectedLanguage answer(int index, double confidence, DetectionSource source) const {
    if (index < 0 || confidence < settings.min_confidence) return {};
    return {settings.languages[static_cast<std::size_t>(index)], confidence, source};
  }

  // What CLD2 makes of a text, restricted to the languages written in one writing system.
  struct Cld2Reading {
    int chosen = -1;           // index of the first configured language among CLD2's top three
    int percent = 0;           // CLD2's percentage of the text in it
    bool reliable = false;     // CLD2's own flag
    bool other_first = false;  // CLD2's first choice is a language not configured in `writing`
  };
  Cld2Reading read_cld2(std::string_view utf8, const Writing& writing) const;
  bool words_disagree(std::string_view utf8, int chosen) const;

  DetectedLanguage chinese(const Letters& letters, const Dominant& dominant) const;
  DetectedLanguage by_writing(const Letters& letters, const Dominant& dominant,
                              std::string_view utf8) const;
};

LanguageDetector::LanguageDetector(Settings settings) : tables_(std::make_unique<Tables>()) {
  Tables& t = *tables_;
  for (const std::string& tag : settings.languages) {
    std::string canonical = canonical_tag(tag);
    if (canonical.empty() || t.index_of(canonical) >= 0) continue;
    t.settings.languages.push_back(canonical);
    t.scripts.push_back(script_of(canonical));
    t.writings.push_back(writing_of(canonical));
  }
  t.settings.min_confidence = std::clamp(settings.min_confidence, 0.0, 1.0);
  t.settings.min_letters = settings.min_letters;
  const LanguageMatcher matcher(t.settings.languages);
  for (int l = 0; l < CLD2::NUM_LANGUAGES; ++l) {
    const std::string tag = matcher.match(CLD2::LanguageCode(static_cast<CLD2::Language>(l)));
    t.from_cld2[static_cast<std::size_t>(l)] = tag.empty() ? -1 : t.index_of(tag);
  }
  han_use(0x4E00);  // builds the Han table now rather than on the first message
}

LanguageDetector::~LanguageDetector() = default;
LanguageDetector::LanguageDetector(LanguageDetector&&) noexcept = default;
LanguageDetector& LanguageDetector::operator=(LanguageDetector&&) noexcept = default;

const std::vector<std::string>& LanguageDetector::languages() const {
  return tables_->settings.languages;
}

DetectedLanguage LanguageDetector::detect(std::string_view utf8) const {
  const Letters letters = read_letters(utf8);
  if (!letters.valid) return {};
  const Dominant dominant = dominant_writing(letters);
  if (dominant.letters == 0) return {};
  return tables_->by_writing(letters, dominant, utf8);
}

DetectedLanguage LanguageDetector::Tables::chinese(const Letters& letters,
                                                   const Dominant& dominant) const {
  const int s = letters.simplified, t = letters.traditional, j = letters.japanese;
  if (j > 0 && j >= s && j >= t) {
    return answer(index_of("ja"), dominant.share * j / (j + s + t), DetectionSource::script);
  }
  const double confidence =
      dominant.share * (s + t > 0 ? static_cast<double>(std::max(s, t)) / (s + t) : 1.0);
  bool any_chinese = false;
  for (std::size_t i = 0; i < writings.size(); ++i) {
    // Written Cantonese (yue) looks like Traditional Chinese: only a statement says it.
    if (writings[i] != "Hani" || language_subtag(settings.languages[i]) != "zh") continue;
    any_chinese = true;
    if (s != t && scripts[i] == (s > t ? "Hans" : "Hant")) {
      return answer(static_cast<int>(i), confidence, DetectionSource::script);
    }
  }
  if (!any_chinese || confidence < settings.min_confidence) return {};
  return {"zh", confidence, DetectionSource::script};  // rule 1
}

DetectedLanguage LanguageDetector::Tables::by_writing(const Letters& letters,
                                                      const Dominant& dominant,
                                                      std::string_view utf8) const {
  const Writing& writing = dominant.writing;
  if (writing == "Hani") return chinese(letters, dominant);
  std::vector<int> candidates;
  for (std::size_t i = 0; i < writings.size(); ++i) {
    if (writings[i] == writing) candidates.push_back(static_cast<int>(i));
  }
  if (candidates.empty()) return {};
  const double share = dominant.share;
  const bool short_text = static_cast<std::size_t>(dominant.letters) < settings.min_letters;

  // Letters only one language uses (rule 2).
  if (writing == "Cyrl" && (index_of("ru") >= 0 || index_of("uk") >= 0) &&
      (letters.ukrainian > 0) != (letters.russian > 0)) {
    return answer(index_of(letters.ukrainian > 0 ? "uk" : "ru"), share, DetectionSource::script);
  }
  if (writing == "Latn") {
    const int vi = index_of("vi");
    if (vi >= 0 && letters.vietnamese > 0 &&
        (short_text || letters.vietnamese * 10 >= dominant.letters)) {
      return answer(vi, share, DetectionSource::script);
    }
    if (short_text && letters.romanian > 0) {
      return answer(index_of("ro"), share, DetectionSource::script);
    }
    if (short_text && letters.spanish_marks > 0) {
      return answer(index_of("es"), share, DetectionSource::script);
    }
  }
  // Writing systems of one language each (rule 2).
  if (writing == "Jpan" || writing == "Kore") {
    return answer(candidates.front(), share, DetectionSource::script);
  }
  // The one configured language written so, unless CLD2 reliably says it is another (rule 3).
  if (candidates.size() == 1 && writing != "Latn") {
    if (!short_text) {
      const Cld2Reading cld2 = read_cld2(utf8, writing);
      if (cld2.chosen < 0 && cld2.other_first && cld2.reliable) return {};
    }
    return answer(candidates.front(), share, DetectionSource::script);
  }
  // Several languages share the writing system: CLD2 chooses (rules 3 and 4).
  if (short_text) return {};
  const Cld2Reading cld2 = read_cld2(utf8, writing);
  if (cld2.chosen < 0 || (writing == "Latn" && words_disagree(utf8, cld2.chosen))) return {};
  return answer(cld2.chosen, share * cld2.percent / 100.0 * (cld2.reliable ? 1.0 : 0.5),
                DetectionSource::text);
}

LanguageDetector::Tables::Cld2Reading LanguageDetector::Tables::read_cld2(
    std::string_view utf8, const Writing& writing) const {
  CLD2::CLDHints hints{nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  CLD2::Language language3[3];
  int percent3[3];
  double score3[3];
  int text_bytes = 0, valid_prefix = 0;
  Cld2Reading out;
  CLD2::ExtDetectLanguageSummaryCheckUTF8(utf8.data(), static_cast<int>(utf8.size()), true, &hints,
                                          CLD2::kCLDFlagBestEffort, language3, percent3, score3,
                                          nullptr, &text_bytes, &out.reliable, &valid_prefix);
  for (int i = 0; i < 3; ++i) {
    if (language3[i] == CLD2::UNKNOWN_LANGUAGE || percent3[i] <= 0) continue;
    const int index = language3[i] >= 0 && language3[i] < CLD2::NUM_LANGUAGES
                          ? from_cld2[static_cast<std::size_t>(language3[i])]
                          : -1;
    if (index < 0 || writings[static_cast<std::size_t>(index)] != writing) {
      out.other_first = out.other_first || i == 0;
      continue;
    }
    if (out.chosen < 0) out.chosen = index;
    if (index == out.chosen) out.percent = std::min(100, out.percent + percent3[i]);
  }
  return out;
}

// Rule 4: a text of four words or more without one little word of `chosen`, or where another
// configured language's little words clearly outnumber those of `chosen`.
bool LanguageDetector::Tables::words_disagree(std::string_view utf8, int chosen) const {
  const auto& tables = kFunctionWordLanguages;
  const std::string& tag = settings.languages[static_cast<std::size_t>(chosen)];
  const auto own = std::find(tables.begin(), tables.end(), tag);
  if (own == tables.end()) return false;
  const auto [hits, words] = function_word_hits(utf8);
  const int own_hits = hits[static_cast<std::size_t>(own - tables.begin())];
  if (own_hits == 0 && words >= 4) return true;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (tables[i] != tag && index_of(tables[i]) >= 0 && hits[i] >= 2 && hits[i] > 2 * own_hits) {
      return true;
    }
  }
  return false;
}

}  // namespace frontdoor::i18n
