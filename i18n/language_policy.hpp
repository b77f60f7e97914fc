// The language of one message from a resident, decided in the order of trust. Pure logic; ingest
// applies it to every message and the store keeps the answer (docs/languages.md).
//
// Contract, most trusted first:
//  1. stated by the message itself: the whole message is a language's name (stated_language():
//     "ESPAÑOL", "tieng viet", "中文") → that language, source "stated";
//  2. selected in the channel: the resident picked it (the chat widget's selector, a form's
//     language field; Inbound::language_stated) → the configured language it matches
//     (LanguageMatcher: "zh-TW" → "zh-Hant", "es-MX" → "es"), else its canonical tag as given
//     (a choice the city has no agent for is still the resident's choice: routing brings in an
//     interpreter), source "selected". The channel repeats it with every message, so the store
//     lets it set a conversation's language but not replace one the resident stated by message
//     since (rule 1 is the newer choice); it stores it as "stated";
//  3. the conversation's earlier language: applied by the store, not here (ingest.lua keeps a
//     conversation's language against anything but a new statement);
//  4. a channel hint (Content-Language, Accept-Language: a list, q-values respected) → the
//     configured language it matches, source "hint"; a hint that matches none is ignored. The
//     writing system outranks a hint: a text that detection recognized by its script as
//     another language (Chinese characters under "Content-Language: en-US") is detected;
//  5. detection of the text (LanguageDetector), source "detected", with its confidence;
//  6. otherwise unknown: tag "", source none.
#pragma once

#include <string>
#include <string_view>

#include "i18n/language.hpp"
#include "i18n/language_detector.hpp"

namespace frontdoor::i18n {

enum class LanguageSource { none, stated, selected, hint, detected };

// As ingest.lua takes it (ARGV 10): "", "stated", "selected", "hint", "detected".
std::string_view to_string(LanguageSource source);

struct MessageLanguage {
  std::string tag;  // canonical BCP 47, "" for unknown
  LanguageSource source = LanguageSource::none;
  double confidence = 0;  // 1 for stated, selected and hinted languages; the detector's else
};

class LanguagePolicy {
 public:
  explicit LanguagePolicy(LanguageDetector::Settings settings);

  // `channel_language`: what the channel knew (Inbound::language), a tag or a header's list;
  // `stated`: whether the resident chose it (Inbound::language_stated).
  MessageLanguage of(std::string_view text, std::string_view channel_language, bool stated) const;

  const LanguageDetector& detector() const { return detector_; }

 private:
  LanguageDetector detector_;
  LanguageMatcher matcher_;
};

}  // namespace frontdoor::i18n
