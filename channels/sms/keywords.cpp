#include "channels/sms/keywords.hpp"

#include <cctype>

#include <stdexcept>
#include <utility>

namespace frontdoor::sms {

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
