// Text as the hub stores it: valid UTF-8, Unicode Normalization Form C.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace frontdoor::i18n {

bool is_valid_utf8(std::string_view bytes);

// The NFC form of `utf8`, or std::nullopt when it is not valid UTF-8.
std::optional<std::string> normalize_nfc(std::string_view utf8);

// Number of code points in valid UTF-8.
std::size_t code_points(std::string_view utf8);

// The form in which a whole message and a keyword (SMS STOP/HELP words, language names) are
// compared: case-, compatibility- and accent-insensitive (valid UTF-8 out; ill-formed input
// sequences become U+FFFD, which matches no keyword):
//  - NFKD, Unicode full case folding (icu::UnicodeString::foldCase, U_FOLD_CASE_DEFAULT), NFKD
//    again (folding can produce decomposable characters);
//  - nonspacing marks (General_Category Mn) and default-ignorable code points (zero-width
//    spaces and joiners, soft hyphens, variation selectors) removed; "ı" (U+0131) becomes "i";
//  - leading and trailing whitespace (White_Space) and punctuation (General_Category P*, e.g.
//    . ! ? ¡ ¿ " ' …) removed; each inner run of whitespace becomes one U+0020.
// Symbols and emoji are content, not punctuation: "STOP 😡" folds to "stop 😡".
std::string fold_for_matching(std::string_view utf8);

// `text` safe inside HTML element content and attribute values (& < > " ' escaped).
// The character reference for one of & < > " ' (valid in HTML and XML alike); empty for any
// other character.
std::string_view markup_entity(char c);
std::string escape_html(std::string_view text);

}  // namespace frontdoor::i18n
