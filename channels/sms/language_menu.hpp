// The SMS language menu: a resident whose first text leaves the conversation's language unknown
// gets one short numbered list of languages, and a reply that is just one of its numbers is the
// resident's choice (docs/languages.md). Pure: no I/O; sms_channel.cpp sends the menu and keeps
// it pending.
//
// Contract
//  1. The menu lists the languages of channels.sms.language_menu (at most nine, so every answer
//     is one digit), in the order given, one per line, each after its number and in its own
//     name, as CLDR writes it (i18n::display_name(tag, tag)):
//       1 English
//       2 Español
//       3 Tiếng Việt
//       4 中文（简体）
//     One line each, not one line for all: a line break ends a bidirectional paragraph, so an
//     Arabic name never pulls the next entry's number to the wrong side.
//  2. menu_number() reads a whole message as one menu number, 1 to 9, or nothing. It is
//     compared as SMS keywords are (i18n::fold_for_matching: surrounding whitespace and
//     punctuation, full width and case do not count), so "2", " 2.", "(2)", "#2", "２" and the
//     keycap "2️⃣" are 2; so are the decimal digits of other scripts residents' keyboards type:
//     Arabic-Indic "٢", Persian "۲", Devanagari "२", Khmer "២", Lao "໒", Thai "๒", Myanmar "၂".
//     Leading zeros count ("02" is 2). Anything else is not a menu answer: "0", "10", "2 3",
//     "2 lights", "two", "2nd", an empty text.
//  3. choice() is the tag at that number of a menu as it was sent, or "" when the message is not
//     a number of it (out of range: "7" for a four-line menu). The caller decides whether a menu
//     is pending: a number when none is, is an ordinary message.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor::sms {

// The number a whole message is (contract 2), 1 to 9; nullopt when it is not one.
std::optional<int> menu_number(std::string_view utf8_message);

class LanguageMenu {
 public:
  static constexpr std::size_t kMaxLanguages = 9;

  // `languages`: BCP 47 tags, canonicalized; garbage and repeats are dropped, and anything past
  // the ninth.
  explicit LanguageMenu(const std::vector<std::string>& languages);

  bool empty() const { return languages_.empty(); }
  const std::vector<std::string>& languages() const { return languages_; }

  // The numbered lines of contract 1, joined by "\n" (no trailing line break).
  std::string choices() const;

  // The language `message` chooses from `sent` (the menu's languages as they were sent), or "".
  static std::string choice(std::string_view message, const std::vector<std::string>& sent);

 private:
  std::vector<std::string> languages_;
};

}  // namespace frontdoor::sms
