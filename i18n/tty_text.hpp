// Text as a TTY (TDD) prints it. US TTYs speak 5-bit Baudot at 45.45 baud: upper-case letters,
// digits, space, carriage return and line feed, and in the figures shift only
//
//   - ? : $ ! & # ' ( ) . , ; / "
//
// No lower case, no accents, no @ % + = * _ or brackets. Pure logic (ICU), no I/O.
#pragma once

#include <string>
#include <string_view>

namespace frontdoor::i18n {

// Whether `c` is one of the characters above (line feed counts; carriage return does not: lines
// end with "\n" in the hub and the TTY side writes CR LF).
bool is_tty_printable(char32_t c);

// Whether every character of `utf8` is TTY-printable.
bool is_tty_printable(std::string_view utf8);

// `utf8` as a TTY can print it: other scripts romanized and accents removed (ICU "Any-Latin;
// Latin-ASCII"), upper-cased, tabs, carriage returns and other spaces as spaces, and any character
// still not printable as '?'. Ill-formed UTF-8 becomes '?' too.
std::string to_tty_text(std::string_view utf8);

}  // namespace frontdoor::i18n
