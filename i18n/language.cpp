#include "i18n/language.hpp"

#include <unicode/localematcher.h>
#include <unicode/locdspnm.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <unordered_map>
#include <utility>

#include "i18n/text.hpp"

namespace frontdoor::i18n {
namespace {

std::string_view trim_ascii(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Subtags of ASCII letters and digits between single '-' or '_': the only shape ICU is asked to
// read, so that ICU keywords ("@calendar=…") and stray characters never reach it.
bool is_tag_shaped(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  bool after_separator = true;
  for (char c : s) {
    const bool separator = c == '-' || c == '_';
    if (separator && after_separator) return false;
    if (!separator && !std::isalnum(static_cast<unsigned char>(c))) return false;
    after_separator = separator;
  }
  return !after_separator;
}

// True when CLDR has an English name for the language subtag `language`.
bool is_known_language(const char* language) {
  icu::UnicodeString name;
  icu::Locale(language).getDisplayLanguage(icu::Locale::getEnglish(), name);
  return !name.isEmpty() && name != icu::UnicodeString(language, -1, US_INV);
}

icu::Locale locale_of(const std::string& canonical) {
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale locale = icu::Locale::forLanguageTag(canonical, status);
  return U_SUCCESS(status) ? locale : icu::Locale();
}

std::string utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

// The name of `locale` in `in`, as a UI list shows it, or "" when CLDR has none in that language.
std::string name_in(const icu::Locale& locale, const icu::Locale& in) {
  UDisplayContext contexts[] = {UDISPCTX_STANDARD_NAMES,
                                UDISPCTX_CAPITALIZATION_FOR_UI_LIST_OR_MENU, UDISPCTX_LENGTH_FULL,
                                UDISPCTX_NO_SUBSTITUTE};
  std::unique_ptr<icu::LocaleDisplayNames> names(
      icu::LocaleDisplayNames::createInstance(in, contexts, 4));
  if (!names) return {};
  icu::UnicodeString name;
  names->localeDisplayName(locale, name);
  return name.isBogus() ? std::string() : utf8(name);
}

}  // namespace

std::string canonical_tag(std::string_view tag) {
  tag = trim_ascii(tag);
  if (!is_tag_shaped(tag)) return {};
  const icu::Locale locale = icu::Locale::createCanonical(std::string(tag).c_str());
  if (locale.isBogus()) return {};
  const std::string_view language = locale.getLanguage();
  if (language.size() < 2 || language.size() > 3 ||
      !std::all_of(language.begin(), language.end(),
                   [](unsigned char c) { return std::isalpha(c); }) ||
      !is_known_language(locale.getLanguage())) {
    return {};
  }
  UErrorCode status = U_ZERO_ERROR;
  std::string canonical = locale.toLanguageTag<std::string>(status);
  if (U_FAILURE(status)) return {};
  return canonical;
}

std::vector<std::string> canonical_tags(std::string_view comma_separated) {
  std::vector<std::string> out;
  while (!comma_separated.empty()) {
    const std::size_t comma = std::min(comma_separated.find(','), comma_separated.size());
    std::string tag = canonical_tag(comma_separated.substr(0, comma));
    if (!tag.empty() && std::find(out.begin(), out.end(), tag) == out.end()) {
      out.push_back(std::move(tag));
    }
    comma_separated.remove_prefix(std::min(comma + 1, comma_separated.size()));
  }
  return out;
}

std::string_view language_subtag(std::string_view canonical) {
  return canonical.substr(0, canonical.find('-'));
}

std::string display_name(std::string_view tag, std::string_view in_language) {
  const std::string canonical = canonical_tag(tag);
  if (canonical.empty()) return {};
  const icu::Locale locale = locale_of(canonical);
  const std::string in = canonical_tag(in_language);
  std::string name = in.empty() ? std::string() : name_in(locale, locale_of(in));
  if (name.empty()) name = name_in(locale, icu::Locale::getEnglish());
  return name.empty() ? canonical : name;
}

// ---- LanguageMatcher ----

struct LanguageMatcher::Icu {
  std::vector<icu::Locale> locales;
  icu::LocaleMatcher matcher;
};

LanguageMatcher::LanguageMatcher(const std::vector<std::string>& supported) {
  std::vector<icu::Locale> locales;
  for (const std::string& tag : supported) {
    std::string canonical = canonical_tag(tag);
    if (canonical.empty() ||
        std::find(supported_.begin(), supported_.end(), canonical) != supported_.end()) {
      continue;
    }
    locales.push_back(locale_of(canonical));
    supported_.push_back(std::move(canonical));
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::LocaleMatcher::Builder builder;
  builder.setSupportedLocales(locales.begin(), locales.end())
      .setNoDefaultLocale()
      .setDirection(ULOCMATCH_DIRECTION_ONLY_TWO_WAY);
  icu::LocaleMatcher matcher = builder.build(status);
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("ICU LocaleMatcher: ") + u_errorName(status));
  }
  icu_ = std::make_unique<Icu>(Icu{std::move(locales), std::move(matcher)});
}

LanguageMatcher::~LanguageMatcher() = default;
LanguageMatcher::LanguageMatcher(LanguageMatcher&&) noexcept = default;
LanguageMatcher& LanguageMatcher::operator=(LanguageMatcher&&) noexcept = default;

std::string LanguageMatcher::match(std::string_view desired) const {
  const std::string canonical = canonical_tag(desired);
  if (canonical.empty() || supported_.empty()) return {};
  UErrorCode status = U_ZERO_ERROR;
  const auto result = icu_->matcher.getBestMatchResult(locale_of(canonical), status);
  const int32_t index = result.getSupportedIndex();
  if (U_FAILURE(status) || index < 0) return {};
  return supported_[static_cast<std::size_t>(index)];
}

std::vector<std::string> header_languages(std::string_view header) {
  // "tag;q=0.8" items, best first (a stable sort keeps the sender's order among equals);
  // q=0 means "not this one", "*" names nothing.
  std::vector<std::pair<double, std::string>> items;
  while (!header.empty()) {
    const std::size_t comma = std::min(header.find(','), header.size());
    std::string_view item = header.substr(0, comma);
    header.remove_prefix(std::min(comma + 1, header.size()));
    double q = 1;
    if (const auto semicolon = item.find(';'); semicolon != std::string_view::npos) {
      std::string_view parameter = trim_ascii(item.substr(semicolon + 1));
      item = item.substr(0, semicolon);
      if (parameter.starts_with("q=") || parameter.starts_with("Q=")) {
        parameter.remove_prefix(2);
        const auto [end, ec] =
            std::from_chars(parameter.data(), parameter.data() + parameter.size(), q);
        if (ec != std::errc() || q < 0 || q > 1) q = 0;
      }
    }
    std::string canonical = canonical_tag(item);
    if (q > 0 && !canonical.empty()) items.emplace_back(q, std::move(canonical));
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> tags;
  for (auto& [q, tag] : items) tags.push_back(std::move(tag));
  return tags;
}

std::string LanguageMatcher::match_list(std::string_view header) const {
  std::vector<icu::Locale> desired;
  for (const auto& tag : header_languages(header)) desired.push_back(locale_of(tag));
  if (desired.empty() || supported_.empty()) return {};
  auto range = icu::Locale::RangeIterator<std::vector<icu::Locale>::iterator>(desired.begin(),
                                                                              desired.end());
  UErrorCode status = U_ZERO_ERROR;
  const auto result = icu_->matcher.getBestMatchResult(range, status);
  const int32_t index = result.getSupportedIndex();
  if (U_FAILURE(status) || index < 0) return {};
  return supported_[static_cast<std::size_t>(index)];
}

// ---- Stated languages ----

namespace {

struct LanguageName {
  const char* tag;
  const char* name;
};

constexpr LanguageName kLanguageNames[] = {
    {"en", "ENGLISH"},    {"es", "ESPAÑOL"},       {"es", "SPANISH"},
    {"vi", "TIẾNG VIỆT"}, {"vi", "VIETNAMESE"},    {"zh", "中文"},
    {"zh", "CHINESE"},    {"zh-Hans", "中文简体"}, {"zh-Hans", "简体中文"},
    {"zh-Hans", "简体"},  {"zh-Hant", "繁體中文"}, {"zh-Hant", "中文繁體"},
    {"zh-Hant", "繁體"},  {"zh-Hant", "繁体中文"}, {"ru", "РУССКИЙ"},
    {"ru", "RUSSIAN"},    {"uk", "УКРАЇНСЬКА"},    {"uk", "UKRAINIAN"},
    {"ro", "ROMÂNĂ"},     {"ro", "ROMANIAN"},      {"ja", "日本語"},
    {"ja", "JAPANESE"},   {"ko", "한국어"},        {"ko", "KOREAN"},
    {"so", "SOOMAALI"},   {"so", "SOMALI"},        {"ar", "العربية"},
    {"ar", "ARABIC"},     {"lo", "ລາວ"},           {"lo", "LAO"},
    {"ne", "नेपाली"},      {"ne", "NEPALI"},        {"km", "ខ្មែរ"},
    {"km", "KHMER"},      {"km", "CAMBODIAN"},     {"fil", "TAGALOG"},
    {"fil", "FILIPINO"},
};

struct StatedNames {
  std::unordered_map<std::string, std::string> by_folded_name;
  std::size_t longest = 0;  // bytes of the longest folded name
};

const StatedNames& stated_names() {
  static const StatedNames names = [] {
    StatedNames out;
    for (const auto& [tag, name] : kLanguageNames) {
      std::string folded = fold_for_matching(name);
      out.longest = std::max(out.longest, folded.size());
      out.by_folded_name.emplace(std::move(folded), tag);
    }
    return out;
  }();
  return names;
}

}  // namespace

std::string stated_language(std::string_view message) {
  const StatedNames& names = stated_names();
  // Reports are longer than any language's name: skip the ICU work for anything with more
  // than three words or more letter bytes than a full-width, accented spelling could take.
  std::size_t content = 0, words = 0;
  bool in_word = false;
  for (unsigned char c : message) {
    content += c >= 0x80 || std::isalnum(c);
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    words += !space && !in_word;
    in_word = !space;
  }
  if (words > 3 || content > 4 * names.longest + 8) return {};
  const auto it = names.by_folded_name.find(fold_for_matching(message));
  return it == names.by_folded_name.end() ? std::string() : it->second;
}

}  // namespace frontdoor::i18n
