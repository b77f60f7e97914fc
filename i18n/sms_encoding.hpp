// How a reply travels as SMS: GSM-7 (the 3GPP TS 23.038 default alphabet and its extension table)
// when every character of the text is in it, else UCS-2 (UTF-16 on the air); how many segments
// that costs, and where a long text is split into concatenated parts. Pure logic, no I/O.
//
// Capacities: one message holds 160 septets (GSM-7) or 70 UTF-16 code units (UCS-2); once a text
// needs more, every part carries a 6-octet concatenation header (UDH) and holds 153 septets or 67
// code units.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor::i18n {

enum class SmsEncoding { gsm7, ucs2 };

// "GSM-7" or "UCS-2", as agents see it next to a draft.
std::string_view to_string(SmsEncoding encoding);

inline constexpr std::size_t kGsm7SingleSeptets = 160;
inline constexpr std::size_t kGsm7PartSeptets = 153;
inline constexpr std::size_t kUcs2SingleUnits = 70;
inline constexpr std::size_t kUcs2PartUnits = 67;

struct SmsOptions {
  // Replace typographic look-alikes with their GSM-7 twins when, and only when, that makes the
  // whole text GSM-7 (otherwise the text is kept as written and goes UCS-2):
  //   ‘ ’ ‚ ‛ → '      “ ” „ ‟ « » → "      ‐ ‑ ‒ – — − → -      … → ...
  //   no-break, narrow no-break, figure, en, em, thin and hair spaces → space
  // Off by default (channels.sms.replace_lookalikes turns it on for every reply).
  bool replace_lookalikes = false;
};

struct SmsPlan {
  SmsEncoding encoding = SmsEncoding::gsm7;
  // Septets for GSM-7 (an extension character costs two: escape and character), UTF-16 code units
  // for UCS-2 (a character outside the BMP costs two: a surrogate pair).
  std::size_t units = 0;
  // Number of messages the text is sent as; equal to parts.size(). An empty text has none.
  std::size_t segments = 0;
  // Capacity of each segment: 160/70 for a single message, 153/67 for concatenated parts.
  std::size_t per_segment = 0;
  // Units still free in the last segment (the whole single-message capacity for an empty text).
  std::size_t remaining_in_last = 0;
  // The text as it will be sent, after any look-alike replacement.
  std::string text;
  // `text` split into segments, UTF-8; concatenated they are exactly `text`. Each part fits its
  // segment, ends on an extended grapheme cluster boundary (so never inside a surrogate pair, a
  // combining sequence, an emoji ZWJ sequence or an extension escape) and, when a line-break
  // opportunity (UAX #14: after a space, between ideographs…) lies within the last 15% of the
  // segment, ends at the last such opportunity. Only a single grapheme cluster longer than a
  // whole segment is cut inside, between code points.
  std::vector<std::string> parts;
  // The look-alikes that were replaced, once each in order of first appearance, e.g. "’→'".
  std::vector<std::string> replaced;
};

// Plans sending `utf8_nfc_text` (NFC UTF-8, as the hub stores text). Ill-formed UTF-8 sequences
// are planned, and appear in `text`, as U+FFFD.
SmsPlan plan_sms(std::string_view utf8_nfc_text, const SmsOptions& options = {});

// Septets `c` takes in GSM-7: 1 in the default alphabet, 2 in the extension table (^ { } \ [ ~ ]
// | € and form feed), 0 when GSM-7 cannot carry it.
std::size_t gsm7_septets(char32_t c);

// Whether `utf8` is well-formed UTF-8 and every character of it is GSM-7.
bool is_gsm7(std::string_view utf8);

// `utf8` as unpacked septet values (one per byte, 0x00–0x7F), an extension character as the escape
// 0x1B followed by its code. A character GSM-7 cannot carry, or an ill-formed sequence, becomes
// '?' (0x3F), as SMS centres do: check `is_gsm7` or `plan_sms` first.
std::vector<std::uint8_t> encode_gsm7_unpacked(std::string_view utf8);

// `utf8` as UTF-16 code units, what "UCS-2" SMS carries; ill-formed sequences become U+FFFD.
std::u16string encode_ucs2(std::string_view utf8);

}  // namespace frontdoor::i18n
