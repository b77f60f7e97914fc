#include "i18n/language_policy.hpp"

#include <utility>

namespace frontdoor::i18n {

std::string_view to_string(LanguageSource source) {
  switch (source) {
    case LanguageSource::stated:
      return "stated";
    case LanguageSource::selected:
      return "selected";
    case LanguageSource::hint:
      return "hint";
    case LanguageSource::detected:
      return "detected";
    case LanguageSource::none:
      break;
  }
  return "";
}

LanguagePolicy::LanguagePolicy(LanguageDetector::Settings settings)
    : detector_(std::move(settings)), matcher_(detector_.languages()) {}

MessageLanguage LanguagePolicy::of(std::string_view text, std::string_view channel_language,
                                   bool stated) const {
  if (std::string named = stated_language(text); !named.empty()) {
    return {std::move(named), LanguageSource::stated, 1};
  }
  if (stated) {
    if (std::string chosen = canonical_tag(channel_language); !chosen.empty()) {
      std::string served = matcher_.match(chosen);
      return {served.empty() ? std::move(chosen) : std::move(served), LanguageSource::selected, 1};
    }
  }
  const DetectedLanguage detected = detector_.detect(text);
  if (!stated && !channel_language.empty()) {
    std::string hinted = matcher_.match_list(channel_language);
    const bool script_disagrees = detected.source == DetectionSource::script &&
                                  language_subtag(detected.tag) != language_subtag(hinted);
    if (!hinted.empty() && !script_disagrees) return {std::move(hinted), LanguageSource::hint, 1};
  }
  if (!detected.known()) return {};
  return {detected.tag, LanguageSource::detected, detected.confidence};
}

}  // namespace frontdoor::i18n
