#include "channels/sms/language_menu.hpp"

#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "i18n/language.hpp"
#include "i18n/text.hpp"

namespace frontdoor::sms {

namespace {

constexpr UChar32 kCombiningKeycap = 0x20E3;  // "2️⃣" is 2, U+FE0F (dropped by folding), U+20E3

}  // namespace

std::optional<int> menu_number(std::string_view utf8_message) {
  // A menu answer is a few characters; anything longer is a message (and skips the ICU work).
  if (utf8_message.size() > 64) return std::nullopt;
  const std::string folded = i18n::fold_for_matching(utf8_message);
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(folded);
  int value = 0;
  int digits = 0;
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    i += U16_LENGTH(c);
    if (c == kCombiningKeycap && digits > 0) continue;
    const int32_t digit = u_charDigitValue(c);  // decimal digits (Nd) of any script, else -1
    if (digit < 0 || u_charType(c) != U_DECIMAL_DIGIT_NUMBER) return std::nullopt;
    value = value * 10 + digit;
    if (++digits > 3 || value > 9) return std::nullopt;
  }
  if (value < 1) return std::nullopt;
  return value;
}

LanguageMenu::LanguageMenu(const std::vector<std::string>& languages) {
  for (const auto& tag : languages) {
    std::string canonical = i18n::canonical_tag(tag);
    if (canonical.empty() || languages_.size() == kMaxLanguages ||
        std::find(languages_.begin(), languages_.end(), canonical) != languages_.end()) {
      continue;
    }
    languages_.push_back(std::move(canonical));
  }
}

std::string LanguageMenu::choices() const {
  std::string out;
  for (std::size_t i = 0; i < languages_.size(); ++i) {
    if (i > 0) out += '\n';
    out += std::to_string(i + 1) + ' ' + i18n::display_name(languages_[i], languages_[i]);
  }
  return out;
}

std::string LanguageMenu::choice(std::string_view message, const std::vector<std::string>& sent) {
  const auto number = menu_number(message);
  if (!number || static_cast<std::size_t>(*number) > sent.size()) return {};
  return sent[static_cast<std::size_t>(*number) - 1];
}

}  // namespace frontdoor::sms
