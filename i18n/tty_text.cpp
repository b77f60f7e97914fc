#include "i18n/tty_text.hpp"

#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace frontdoor::i18n {
namespace {

constexpr std::u32string_view kFigures = U"-?:$!&#'().,;/\"";

// One instance per thread: ICU transliterators keep state while they run.
const icu::Transliterator& romanizer() {
  thread_local std::unique_ptr<icu::Transliterator> instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> made(icu::Transliterator::createInstance(
        "Any-Latin; Latin-ASCII; Upper", UTRANS_FORWARD, status));
    if (U_FAILURE(status) || !made) {
      throw std::runtime_error(std::string("ICU transliterator unavailable: ") +
                               u_errorName(status));
    }
    return made;
  }();
  return *instance;
}

}  // namespace

bool is_tty_printable(char32_t c) {
  return (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9') || c == U' ' || c == U'\n' ||
         kFigures.find(c) != std::u32string_view::npos;
}

bool is_tty_printable(std::string_view utf8) {
  for (unsigned char c : utf8) {
    if (!is_tty_printable(static_cast<char32_t>(c))) return false;  // any non-ASCII byte fails
  }
  return true;
}

std::string to_tty_text(std::string_view utf8) {
  icu::UnicodeString text =
      icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), utf8.size()));
  romanizer().transliterate(text);
  std::string out;
  out.reserve(static_cast<std::size_t>(text.length()));
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    i += U16_LENGTH(c);
    if (c != U'\n' && u_isUWhiteSpace(c)) {
      out += ' ';  // tab, carriage return, no-break and other spaces
    } else if (is_tty_printable(static_cast<char32_t>(c))) {
      out += static_cast<char>(c);
    } else {
      out += '?';
    }
  }
  return out;
}

}  // namespace frontdoor::i18n
