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

// `text` safe inside HTML element content and attribute values (& < > " ' escaped).
std::string escape_html(std::string_view text);

}  // namespace frontdoor::i18n
