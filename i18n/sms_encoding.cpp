#include "i18n/sms_encoding.hpp"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace frontdoor::i18n {
namespace {

constexpr std::uint8_t kEscapeSeptet = 0x1B;
constexpr std::uint8_t kUnknownSeptet = 0x3F;  // '?'

// 3GPP TS 23.038 §6.2.1, the GSM 7-bit default alphabet, indexed by septet. 0x1B is the escape to
// the extension table and stands for no character.
constexpr std::array<char32_t, 128> kDefaultAlphabet = {
    U'@', U'£', U'$',  U'¥',    U'è', U'é',  U'ù', U'ì',   // 0x00
    U'ò', U'Ç', U'\n', U'Ø',    U'ø', U'\r', U'Å', U'å',   // 0x08
    U'Δ', U'_', U'Φ',  U'Γ',    U'Λ', U'Ω',  U'Π', U'Ψ',   // 0x10
    U'Σ', U'Θ', U'Ξ',  U'\x1B', U'Æ', U'æ',  U'ß', U'É',   // 0x18
    U' ', U'!', U'"',  U'#',    U'¤', U'%',  U'&', U'\'',  // 0x20
    U'(', U')', U'*',  U'+',    U',', U'-',  U'.', U'/',   // 0x28
    U'0', U'1', U'2',  U'3',    U'4', U'5',  U'6', U'7',   // 0x30
    U'8', U'9', U':',  U';',    U'<', U'=',  U'>', U'?',   // 0x38
    U'¡', U'A', U'B',  U'C',    U'D', U'E',  U'F', U'G',   // 0x40
    U'H', U'I', U'J',  U'K',    U'L', U'M',  U'N', U'O',   // 0x48
    U'P', U'Q', U'R',  U'S',    U'T', U'U',  U'V', U'W',   // 0x50
    U'X', U'Y', U'Z',  U'Ä',    U'Ö', U'Ñ',  U'Ü', U'§',   // 0x58
    U'¿', U'a', U'b',  U'c',    U'd', U'e',  U'f', U'g',   // 0x60
    U'h', U'i', U'j',  U'k',    U'l', U'm',  U'n', U'o',   // 0x68
    U'p', U'q', U'r',  U's',    U't', U'u',  U'v', U'w',   // 0x70
    U'x', U'y', U'z',  U'ä',    U'ö', U'ñ',  U'ü', U'à',   // 0x78
};

struct ExtensionCharacter {
  char32_t character;
  std::uint8_t septet;  // sent after kEscapeSeptet
};

// 3GPP TS 23.038 §6.2.1.1, the default extension table.
constexpr std::array<ExtensionCharacter, 10> kExtensionTable = {{
    {U'\f', 0x0A},
    {U'^', 0x14},
    {U'{', 0x28},
    {U'}', 0x29},
    {U'\\', 0x2F},
    {U'[', 0x3C},
    {U'~', 0x3D},
    {U']', 0x3E},
    {U'|', 0x40},
    {U'€', 0x65},
}};

struct Gsm7Code {
  std::uint8_t septet;
  bool extension;  // preceded by kEscapeSeptet on the air
};

std::optional<Gsm7Code> gsm7_code(char32_t c) {
  const auto basic = std::find(kDefaultAlphabet.begin(), kDefaultAlphabet.end(), c);
  const auto septet = static_cast<std::uint8_t>(basic - kDefaultAlphabet.begin());
  if (basic != kDefaultAlphabet.end() && septet != kEscapeSeptet) return Gsm7Code{septet, false};
  const auto extended = std::find_if(kExtensionTable.begin(), kExtensionTable.end(),
                                     [c](const ExtensionCharacter& e) { return e.character == c; });
  if (extended != kExtensionTable.end()) return Gsm7Code{extended->septet, true};
  return std::nullopt;
}

struct Lookalike {
  char32_t character;
  std::string_view gsm7_twin;  // ASCII
};

// See SmsOptions::replace_lookalikes.
constexpr std::array<Lookalike, 24> kLookalikes = {{
    {U'\u2018', "'"},    // LEFT SINGLE QUOTATION MARK
    {U'\u2019', "'"},    // RIGHT SINGLE QUOTATION MARK (typographic apostrophe)
    {U'\u201A', "'"},    // SINGLE LOW-9 QUOTATION MARK
    {U'\u201B', "'"},    // SINGLE HIGH-REVERSED-9 QUOTATION MARK
    {U'\u201C', "\""},   // LEFT DOUBLE QUOTATION MARK
    {U'\u201D', "\""},   // RIGHT DOUBLE QUOTATION MARK
    {U'\u201E', "\""},   // DOUBLE LOW-9 QUOTATION MARK
    {U'\u201F', "\""},   // DOUBLE HIGH-REVERSED-9 QUOTATION MARK
    {U'\u00AB', "\""},   // LEFT-POINTING DOUBLE ANGLE QUOTATION MARK
    {U'\u00BB', "\""},   // RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK
    {U'\u2010', "-"},    // HYPHEN
    {U'\u2011', "-"},    // NON-BREAKING HYPHEN
    {U'\u2012', "-"},    // FIGURE DASH
    {U'\u2013', "-"},    // EN DASH
    {U'\u2014', "-"},    // EM DASH
    {U'\u2212', "-"},    // MINUS SIGN
    {U'\u2026', "..."},  // HORIZONTAL ELLIPSIS
    {U'\u00A0', " "},    // NO-BREAK SPACE
    {U'\u202F', " "},    // NARROW NO-BREAK SPACE
    {U'\u2007', " "},    // FIGURE SPACE
    {U'\u2002', " "},    // EN SPACE
    {U'\u2003', " "},    // EM SPACE
    {U'\u2009', " "},    // THIN SPACE
    {U'\u200A', " "},    // HAIR SPACE
}};

const Lookalike* find_lookalike(char32_t c) {
  const auto found = std::find_if(kLookalikes.begin(), kLookalikes.end(),
                                  [c](const Lookalike& l) { return l.character == c; });
  return found == kLookalikes.end() ? nullptr : &*found;
}

icu::UnicodeString from_utf8(std::string_view utf8) {
  return icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
}

std::string to_utf8(const icu::UnicodeString& text) {
  std::string utf8;
  text.toUTF8String(utf8);
  return utf8;
}

bool all_gsm7(const icu::UnicodeString& text) {
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    if (gsm7_septets(static_cast<char32_t>(text.char32At(i))) == 0) return false;
  }
  return true;
}

struct LookalikeReplacement {
  icu::UnicodeString text;
  std::vector<std::string> replaced;  // "’→'", once each
};

LookalikeReplacement replace_lookalikes(const icu::UnicodeString& text) {
  LookalikeReplacement result;
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    const UChar32 c = text.char32At(i);
    const Lookalike* lookalike = find_lookalike(static_cast<char32_t>(c));
    if (lookalike == nullptr) {
      result.text.append(c);
      continue;
    }
    for (char ascii : lookalike->gsm7_twin) result.text.append(static_cast<char16_t>(ascii));
    std::string entry = to_utf8(icu::UnicodeString(c)) + "→" + std::string(lookalike->gsm7_twin);
    if (std::find(result.replaced.begin(), result.replaced.end(), entry) == result.replaced.end()) {
      result.replaced.push_back(std::move(entry));
    }
  }
  return result;
}

// cost_before[i] is what the first i UTF-16 code units of `text` cost in `encoding`.
std::vector<std::size_t> cumulative_costs(const icu::UnicodeString& text, SmsEncoding encoding) {
  std::vector<std::size_t> cost_before(static_cast<std::size_t>(text.length()) + 1, 0);
  for (int32_t i = 0; i < text.length(); ++i) {
    // A GSM-7 text is all BMP, so each code unit is a whole character.
    const std::size_t cost = encoding == SmsEncoding::gsm7 ? gsm7_septets(text.charAt(i)) : 1;
    cost_before[static_cast<std::size_t>(i) + 1] = cost_before[static_cast<std::size_t>(i)] + cost;
  }
  return cost_before;
}

// BreakIterator::createCharacterInstance, createLineInstance…
using BreakIteratorFactory = icu::BreakIterator* (*)(const icu::Locale&, UErrorCode&);

// A break iterator of `create`'s kind over `text`, which must outlive it.
std::unique_ptr<icu::BreakIterator> break_iterator(BreakIteratorFactory create,
                                                   const icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> iterator(create(icu::Locale::getRoot(), status));
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("ICU break iterator unavailable: ") + u_errorName(status));
  }
  iterator->setText(text);
  return iterator;
}

// Only the last 15% of a segment is searched for a line-break opportunity.
constexpr std::size_t kPreferredBreakWindowPercent = 15;

// Where each part of `text` ends (UTF-16 offsets, the last one text.length()) when every part
// holds at most `per_part` units; see SmsPlan::parts.
std::vector<int32_t> part_ends(const icu::UnicodeString& text,
                               const std::vector<std::size_t>& cost_before, std::size_t per_part) {
  const auto graphemes = break_iterator(&icu::BreakIterator::createCharacterInstance, text);
  const auto line_breaks = break_iterator(&icu::BreakIterator::createLineInstance, text);
  const int32_t length = text.length();
  std::vector<int32_t> ends;
  for (int32_t start = 0; start < length; start = ends.back()) {
    const std::size_t budget = cost_before[static_cast<std::size_t>(start)] + per_part;
    // The furthest offset whose prefix fits; every character costs at most 2 < per_part.
    const auto fits_end =
        std::upper_bound(cost_before.begin() + start + 1, cost_before.end(), budget) - 1;
    auto limit = static_cast<int32_t>(fits_end - cost_before.begin());
    if (limit == length) {
      ends.push_back(length);
      break;
    }
    // Back onto a code point boundary: ICU's preceding() would skip a boundary there.
    if (U16_IS_TRAIL(text.charAt(limit)) && U16_IS_LEAD(text.charAt(limit - 1))) --limit;
    int32_t end = graphemes->isBoundary(limit) ? limit : graphemes->preceding(limit);
    if (end == icu::BreakIterator::DONE || end <= start) {
      end = limit;  // one grapheme cluster longer than a segment: cut between code points
    } else {
      const std::size_t window_start = budget - per_part * kPreferredBreakWindowPercent / 100;
      for (int32_t candidate = line_breaks->isBoundary(end) ? end : line_breaks->preceding(end);
           candidate != icu::BreakIterator::DONE && candidate > start &&
           cost_before[static_cast<std::size_t>(candidate)] >= window_start;
           candidate = line_breaks->preceding(candidate)) {
        if (graphemes->isBoundary(candidate)) {
          end = candidate;
          break;
        }
      }
    }
    ends.push_back(end);
  }
  return ends;
}

}  // namespace

std::string_view to_string(SmsEncoding encoding) {
  return encoding == SmsEncoding::gsm7 ? "GSM-7" : "UCS-2";
}

std::size_t gsm7_septets(char32_t c) {
  const std::optional<Gsm7Code> code = gsm7_code(c);
  if (!code) return 0;
  return code->extension ? 2 : 1;
}

bool is_gsm7(std::string_view utf8) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto length = static_cast<int32_t>(utf8.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0 || gsm7_septets(static_cast<char32_t>(c)) == 0) return false;
  }
  return true;
}

std::vector<std::uint8_t> encode_gsm7_unpacked(std::string_view utf8) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto length = static_cast<int32_t>(utf8.size());
  std::vector<std::uint8_t> septets;
  septets.reserve(utf8.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    const std::optional<Gsm7Code> code = c < 0 ? std::nullopt : gsm7_code(static_cast<char32_t>(c));
    if (!code) {
      septets.push_back(kUnknownSeptet);
      continue;
    }
    if (code->extension) septets.push_back(kEscapeSeptet);
    septets.push_back(code->septet);
  }
  return septets;
}

std::u16string encode_ucs2(std::string_view utf8) {
  const icu::UnicodeString text = from_utf8(utf8);
  return std::u16string(text.getBuffer(), static_cast<std::size_t>(text.length()));
}

SmsPlan plan_sms(std::string_view utf8_nfc_text, const SmsOptions& options) {
  SmsPlan plan;
  icu::UnicodeString text = from_utf8(utf8_nfc_text);
  bool gsm7 = all_gsm7(text);
  if (!gsm7 && options.replace_lookalikes) {
    LookalikeReplacement replacement = replace_lookalikes(text);
    if (all_gsm7(replacement.text)) {
      text = std::move(replacement.text);
      plan.replaced = std::move(replacement.replaced);
      gsm7 = true;
    }
  }
  plan.encoding = gsm7 ? SmsEncoding::gsm7 : SmsEncoding::ucs2;
  plan.text = to_utf8(text);

  const std::vector<std::size_t> cost_before = cumulative_costs(text, plan.encoding);
  plan.units = cost_before.back();
  const std::size_t single = gsm7 ? kGsm7SingleSeptets : kUcs2SingleUnits;
  plan.per_segment = plan.units <= single ? single : (gsm7 ? kGsm7PartSeptets : kUcs2PartUnits);
  plan.remaining_in_last = plan.per_segment;
  if (text.isEmpty()) return plan;

  int32_t last_part_start = 0;
  if (plan.units <= single) {
    plan.parts.push_back(plan.text);
  } else {
    int32_t start = 0;
    for (int32_t end : part_ends(text, cost_before, plan.per_segment)) {
      plan.parts.push_back(to_utf8(text.tempSubStringBetween(start, end)));
      last_part_start = start;
      start = end;
    }
  }
  const std::size_t last_part_units =
      plan.units - cost_before[static_cast<std::size_t>(last_part_start)];
  plan.segments = plan.parts.size();
  plan.remaining_in_last = plan.per_segment - last_part_units;
  return plan;
}

}  // namespace frontdoor::i18n
