#include "i18n/text.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <stdexcept>

namespace frontdoor::i18n {

bool is_valid_utf8(std::string_view bytes) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(bytes.data());
  int32_t length = static_cast<int32_t>(bytes.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

std::optional<std::string> normalize_nfc(std::string_view utf8) {
  if (!is_valid_utf8(utf8)) return std::nullopt;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(utf8);
  auto text = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), utf8.size()));
  if (nfc->quickCheck(text, status) == UNORM_YES && U_SUCCESS(status)) return std::string(utf8);
  status = U_ZERO_ERROR;
  icu::UnicodeString normalized = nfc->normalize(text, status);
  if (U_FAILURE(status)) return std::string(utf8);
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

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

std::string_view markup_entity(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&#39;";
    default:
      return {};
  }
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (auto entity = markup_entity(c); !entity.empty()) {
      out += entity;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace frontdoor::i18n
