#include "channels/sms/keywords.hpp"

#include <cctype>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utypes.h>

#include <stdexcept>
#include <utility>

namespace frontdoor::sms {
namespace {

const icu::Normalizer2& nfkd() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* instance = icu::Normalizer2::getNFKDInstance(status);
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("ICU NFKD normalizer unavailable: ") +
                             u_errorName(status));
  }
  return *instance;
}

icu::UnicodeString normalize(const icu::Normalizer2& normalizer, const icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString out = normalizer.normalize(text, status);
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("ICU normalization failed: ") + u_errorName(status));
  }
  return out;
}

bool is_trimmed(UChar32 c) { return u_isUWhiteSpace(c) || u_ispunct(c); }

}  // namespace

std::string fold_for_matching(std::string_view utf8) {
  const icu::Normalizer2& decompose = nfkd();
  icu::UnicodeString text = normalize(
      decompose, icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), utf8.size())));
  text.foldCase(U_FOLD_CASE_DEFAULT);
  text = normalize(decompose, text);

  icu::UnicodeString kept;
  for (int32_t i = 0; i < text.length();) {
    UChar32 c = text.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK ||
        u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
      continue;
    }
    kept.append(c == 0x0131 ? UChar32{'i'} : c);  // dotless ı, like dotted İ, becomes i
  }

  int32_t begin = 0;
  int32_t end = kept.length();
  while (begin < end && is_trimmed(kept.char32At(begin))) begin += U16_LENGTH(kept.char32At(begin));
  while (end > begin && is_trimmed(kept.char32At(end - 1))) end = kept.getChar32Start(end - 1);

  icu::UnicodeString folded;
  bool in_space = false;
  for (int32_t i = begin; i < end;) {
    const UChar32 c = kept.char32At(i);
    i += U16_LENGTH(c);
    if (u_isUWhiteSpace(c)) {
      in_space = true;
      continue;
    }
    if (in_space) folded.append(UChar32{' '});
    in_space = false;
    folded.append(c);
  }

  std::string out;
  folded.toUTF8String(out);
  return out;
}

KeywordMatcher::KeywordMatcher() {
  for (const char* word :
       {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}) {
    add(Keyword::stop, "en", word);
  }
  for (const char* word : {"START", "UNSTOP", "YES"}) add(Keyword::start, "en", word);
  for (const char* word : {"HELP", "INFO"}) add(Keyword::help, "en", word);
}

void KeywordMatcher::add(Keyword keyword, std::string language, std::string word) {
  if (keyword == Keyword::none) {
    throw std::invalid_argument("an SMS keyword must be stop, start or help");
  }
  std::string folded = fold_for_matching(word);
  if (folded.empty()) {
    throw std::invalid_argument("SMS keyword \"" + word + "\" has no letters to match");
  }
  longest_ = std::max(longest_, folded.size());
  const auto [it, inserted] =
      words_.try_emplace(std::move(folded), KeywordMatch{keyword, std::move(language)});
  if (!inserted && it->second.keyword != keyword) {
    throw std::invalid_argument("SMS keyword \"" + word +
                                "\" is already registered for another keyword");
  }
}

KeywordMatch KeywordMatcher::match(std::string_view utf8_text) const {
  // Most texts are reports, far longer than any keyword: count what could be letters (ASCII
  // letters and digits, and every byte of non-ASCII characters) and skip the ICU work when
  // there are more than even a full-width, accented spelling of the longest word would take.
  std::size_t content = 0;
  for (unsigned char c : utf8_text) content += c >= 0x80 || std::isalnum(c);
  if (content > 6 * longest_ + 8) return {};
  const auto it = words_.find(fold_for_matching(utf8_text));
  return it == words_.end() ? KeywordMatch{} : it->second;
}

void add_spanish_defaults(KeywordMatcher& matcher) {
  for (const char* word : {"ALTO", "PARAR", "PARE", "DETENER", "CANCELAR"}) {
    matcher.add(Keyword::stop, "es", word);
  }
  for (const char* word : {"COMENZAR", "INICIAR", "SÍ"}) matcher.add(Keyword::start, "es", word);
  matcher.add(Keyword::help, "es", "AYUDA");
}

}  // namespace frontdoor::sms
