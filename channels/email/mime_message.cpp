#include "channels/email/mime_message.hpp"

#include <gmime/gmime.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace frontdoor::email {
namespace {

constexpr std::size_t kMaxProblems = 50;
constexpr std::size_t kMaxWarnings = 1000;  // parser warnings kept per message
constexpr int kMaxDepth = 64;               // MIME nesting walked; GMime has its own limit too
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// ---------------------------------------------------------------------------------------------
// Ownership of the GLib/GMime values that are not GObjects.

struct GFree {
  void operator()(void* memory) const noexcept { g_free(memory); }
};
using GCharPtr = std::unique_ptr<char, GFree>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const noexcept {
    g_mime_parser_options_free(options);
  }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

// Keeps glibc's conversion module for `charset` loaded for the life of the process. glibc
// unloads a module soon after its last descriptor closes, and GMime and Converter open and close
// one per use: with mail in many charsets, most messages would load theirs from disk again
// (measured: 40 % of parsing; docs/performance.md). One descriptor per charset seen stays open
// (at most kPinnedCharsets; the labels that exist are finite, and unknown ones never open).
void keep_charset_loaded(const char* charset) {
  constexpr std::size_t kPinnedCharsets = 64;
  static std::mutex mutex;
  static std::map<std::string, iconv_t, std::less<>> pinned;
  std::lock_guard lock(mutex);
  if (pinned.size() >= kPinnedCharsets || pinned.contains(std::string_view(charset))) return;
  iconv_t cd = g_mime_iconv_open("UTF-8", charset);
  if (cd == reinterpret_cast<iconv_t>(std::intptr_t{-1})) return;
  pinned.emplace(charset, cd);  // never closed
}

// An iconv descriptor from GMime's cache, returned to it when destroyed.
class Converter {
 public:
  // Converts from `charset` (any label GMime or iconv knows) to UTF-8; !ok() when unsupported.
  explicit Converter(const char* charset) : cd_(g_mime_iconv_open("UTF-8", charset)) {
    if (ok()) keep_charset_loaded(charset);
  }
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;
  ~Converter() { g_mime_iconv_close(cd_); }  // a no-op for (iconv_t)-1

  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(std::intptr_t{-1}); }

  // `in` as UTF-8; each byte sequence that is not valid in the charset becomes U+FFFD, counted
  // in `replaced`.
  std::string convert(std::string_view in, std::size_t& replaced) const {
    std::string out(in.size() * 2 + 16, '\0');
    std::size_t used = 0;
    auto append_replacement = [&] {
      out.resize(std::max(out.size(), used + kReplacement.size()));
      out.replace(used, kReplacement.size(), kReplacement);
      used += kReplacement.size();
      ++replaced;
    };
    char* in_ptr = const_cast<char*>(in.data());  // iconv's signature; the input is not written
    std::size_t in_left = in.size();
    while (in_left > 0) {
      char* out_ptr = out.data() + used;
      std::size_t out_left = out.size() - used;
      const std::size_t result = g_mime_iconv(cd_, &in_ptr, &in_left, &out_ptr, &out_left);
      used = static_cast<std::size_t>(out_ptr - out.data());
      if (result != static_cast<std::size_t>(-1)) continue;
      if (errno == E2BIG) {
        out.resize(out.size() * 2);
      } else if (errno == EILSEQ) {  // skip one byte and try again from the next
        append_replacement();
        ++in_ptr;
        --in_left;
      } else {  // EINVAL: a sequence cut off by the end of the input
        append_replacement();
        in_left = 0;
      }
    }
    for (;;) {  // back to the initial shift state (ISO-2022-JP)
      out.resize(std::max(out.size(), used + 16));
      char* out_ptr = out.data() + used;
      std::size_t out_left = out.size() - used;
      const std::size_t result = g_mime_iconv(cd_, nullptr, nullptr, &out_ptr, &out_left);
      used = static_cast<std::size_t>(out_ptr - out.data());
      if (result != static_cast<std::size_t>(-1) || errno != E2BIG) break;
      out.resize(out.size() * 2);
    }
    out.resize(used);
    return out;
  }

 private:
  iconv_t cd_;
};

// ---------------------------------------------------------------------------------------------
// Strings.

std::string str(const char* maybe_null) { return maybe_null != nullptr ? maybe_null : ""; }

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool is_blank(std::string_view s) { return trim(s).empty(); }

bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char c) { return is_ascii_alpha(c) || is_ascii_digit(c); }

// The value of a hexadecimal digit, or -1.
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// `bytes` as valid UTF-8: each maximal ill-formed subsequence (Unicode 15, 3.9) becomes one
// U+FFFD, counted in `replaced`.
std::string valid_utf8(std::string_view bytes, std::size_t& replaced) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    if (lead < 0x80) {
      out += bytes[i++];
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // no overlong forms
      if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // no overlong forms
      if (lead == 0xF4) high = 0x8F;  // nothing beyond U+10FFFF
    }
    std::size_t good = 1;
    while (length > 0 && good < length && i + good < bytes.size()) {
      const auto next = static_cast<unsigned char>(bytes[i + good]);
      const bool in_range = good == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xBF;
      if (!in_range) break;
      ++good;
    }
    if (length > 0 && good == length) {
      out.append(bytes.substr(i, length));
    } else {
      out.append(kReplacement);
      ++replaced;
    }
    i += good;
  }
  return out;
}

std::string valid_utf8(std::string_view bytes) {
  std::size_t replaced = 0;
  return valid_utf8(bytes, replaced);
}

// Line breaks as "\n"; control characters other than tab and newline removed; blank lines at
// the start and whitespace at the end removed.
std::string clean_text(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const char c = utf8[i];
    if (c == '\r') {
      out += '\n';
      if (i + 1 < utf8.size() && utf8[i + 1] == '\n') ++i;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7F) continue;
    out += c;
  }
  const std::size_t first = out.find_first_not_of(" \t\n");
  if (first == std::string::npos) return {};
  const std::size_t line_start = out.rfind('\n', first);
  out.erase(0, line_start == std::string::npos ? 0 : line_start + 1);
  out.erase(out.find_last_not_of(" \t\n") + 1);
  return out;
}

// Header text on one line: line breaks and tabs become spaces, controls go, ends trimmed.
std::string one_line(std::string_view utf8) {
  std::string out;
  for (const char c : utf8) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t') {
      out += ' ';
    } else if (u >= 0x20 && u != 0x7F) {
      out += c;
    }
  }
  return std::string(trim(out));
}

// ---------------------------------------------------------------------------------------------
// Problems.

class Problems {
 public:
  explicit Problems(std::vector<std::string>& list) : list_(list) {}

  void add(std::string problem) {
    if (std::find(list_.begin(), list_.end(), problem) != list_.end()) return;
    if (list_.size() < kMaxProblems) {
      list_.push_back(valid_utf8(problem));
    } else {
      ++unlisted_;
    }
  }

  void finish() {
    if (unlisted_ > 0) list_.push_back(std::to_string(unlisted_) + " more problems not listed");
  }

 private:
  std::vector<std::string>& list_;
  std::size_t unlisted_ = 0;
};

// What GMime's parser reported, kept until the message has been read (header values are
// decoded lazily and may report too).
struct Warning {
  gint64 offset = -1;
  GMimeParserWarning code{};
  std::string item;
};

void collect_warning(gint64 offset, GMimeParserWarning code, const gchar* item,
                     gpointer user_data) noexcept {
  auto& warnings = *static_cast<std::vector<Warning>*>(user_data);
  if (warnings.size() >= kMaxWarnings) return;
  try {
    warnings.push_back({offset, code, str(item).substr(0, 64)});
  } catch (...) {  // an exception must not cross GMime's C frames; a lost warning is harmless
  }
}

// A description of `warning` that names headers and MIME structure only, never message text.
std::string describe(const Warning& warning) {
  const std::string item = one_line(valid_utf8(warning.item));
  std::string text;
  switch (warning.code) {
    case GMIME_WARN_DUPLICATED_HEADER:
      text = "header " + item + " appears more than once";
      break;
    case GMIME_WARN_DUPLICATED_PARAMETER:
      text = "parameter " + item + " appears more than once";
      break;
    case GMIME_WARN_UNENCODED_8BIT_HEADER:
      text = "header " + item + " has unencoded 8-bit bytes";
      break;
    case GMIME_WARN_INVALID_CONTENT_TYPE:
      text = "invalid Content-Type \"" + item + "\", read as application/octet-stream";
      break;
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
      text = "invalid RFC 2047 encoded word in a header";
      break;
    case GMIME_WARN_MALFORMED_MULTIPART:
      text = "multipart whose boundary never appears";
      break;
    case GMIME_WARN_TRUNCATED_MESSAGE:
      text = "message truncated (a multipart is not closed)";
      break;
    case GMIME_WARN_MALFORMED_MESSAGE:
      text = "malformed message";
      break;
    case GMIME_CRIT_INVALID_HEADER_NAME:
      text = "invalid header line";
      break;
    case GMIME_CRIT_CONFLICTING_HEADER:
      text = "conflicting header " + item;
      break;
    case GMIME_CRIT_CONFLICTING_PARAMETER:
      text = "conflicting parameter " + item;
      break;
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      text = "multipart/" + item + " without a boundary parameter";
      break;
    case GMIME_WARN_INVALID_PARAMETER:
      text = "invalid header parameter";
      break;
    case GMIME_WARN_INVALID_ADDRESS_LIST:
      text = "invalid address list";
      break;
    case GMIME_CRIT_NESTING_OVERFLOW:
      text = "MIME nesting too deep";
      break;
    case GMIME_WARN_PART_WITHOUT_CONTENT:
      text = "MIME part without content";
      break;
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      text = "MIME part without headers or content";
      break;
    default:
      text = "MIME parser warning " + std::to_string(static_cast<int>(warning.code));
      break;
  }
  if (warning.offset >= 0) text += " (at byte " + std::to_string(warning.offset) + ")";
  return text;
}

// Adds the parser's warnings to `problems`, leaving out 8-bit message headers that are valid
// UTF-8 (RFC 6532 allows them).
void report_warnings(const std::vector<Warning>& warnings, GMimeObject* message,
                     Problems& problems) {
  for (const Warning& warning : warnings) {
    if (warning.code == GMIME_WARN_UNENCODED_8BIT_HEADER && message != nullptr) {
      GMimeHeader* header = g_mime_header_list_get_header(g_mime_object_get_header_list(message),
                                                          warning.item.c_str());
      std::size_t replaced = 0;
      if (header != nullptr) valid_utf8(str(g_mime_header_get_raw_value(header)), replaced);
      if (header != nullptr && replaced == 0) continue;
    }
    problems.add(describe(warning));
  }
}

// ---------------------------------------------------------------------------------------------
// Charsets (contract 2, 3).

// The iconv name to read `label` (lower-case) with: its common superset, else `label`.
std::string superset_charset(const std::string& label) {
  struct Superset {
    const char* iconv_name;
    std::string_view labels;  // space-separated, with a space at each end
  };
  static constexpr std::array<Superset, 5> kSupersets{{
      {"CP1252", " iso-8859-1 iso8859-1 iso_8859-1 latin1 l1 cp819 ibm819 windows-1252 cp1252 "},
      {"GB18030", " gb2312 gbk cp936 x-gbk euc-cn csgb2312 gb_2312-80 windows-936 ms936 "},
      {"CP949",
       " euc-kr ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 cseuckr windows-949 cp949 "},
      {"CP932", " shift_jis shift-jis sjis x-sjis ms_kanji csshiftjis windows-31j cp932 ms932 "},
      {"BIG5-HKSCS", " big5 big5-hkscs cn-big5 x-x-big5 csbig5 "},
  }};
  const std::string token = " " + label + " ";
  for (const Superset& superset : kSupersets) {
    if (superset.labels.find(token) != std::string_view::npos) return superset.iconv_name;
  }
  return label;
}

bool is_undeclared(const std::string& label) {
  static constexpr std::array<std::string_view, 7> kUndeclared{
      "", "us-ascii", "ascii", "ansi_x3.4-1968", "x-unknown", "unknown-8bit", "unknown"};
  return std::find(kUndeclared.begin(), kUndeclared.end(), label) != kUndeclared.end();
}

// `bytes` in `charset` (an iconv or GMime name) as UTF-8, or nullopt when iconv lacks it.
std::optional<std::string> convert(const char* charset, std::string_view bytes,
                                   std::size_t& replaced) {
  const Converter converter(charset);
  if (!converter.ok()) return std::nullopt;
  return converter.convert(bytes, replaced);
}

// Text without a (usable) charset: UTF-8 when it is valid UTF-8, else windows-1252.
std::string decode_undeclared(std::string_view bytes, std::size_t& replaced) {
  std::size_t invalid = 0;
  std::string utf8 = valid_utf8(bytes, invalid);
  if (invalid == 0) return utf8;
  std::optional<std::string> windows_1252 = convert("CP1252", bytes, replaced);
  if (windows_1252) return std::move(*windows_1252);
  replaced += invalid;
  return utf8;
}

// ISO-2022-JP text with each two-byte JIS X 0208 code written as the Shift_JIS code of the same
// row and cell (and JIS X 0201 katakana as its one-byte code): the CP932 reading of what Windows
// writes as ISO-2022-JP (CP50220/CP50221), whose NEC and IBM extensions (①, ㈱, Ⅲ) sit in
// rows that plain JIS X 0208 leaves empty.
std::string jis_to_shift_jis(std::string_view in) {
  enum class Set { ascii, jis_x0208, katakana };
  Set set = Set::ascii;
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    const std::string_view escape = in.substr(i + 1, 2);
    if (c == 0x1B && (escape == "(B" || escape == "(J")) {
      set = Set::ascii;
      i += 3;
    } else if (c == 0x1B && (escape == "$B" || escape == "$@")) {
      set = Set::jis_x0208;
      i += 3;
    } else if (c == 0x1B && escape == "(I") {
      set = Set::katakana;
      i += 3;
    } else if (c == 0x0E || c == 0x0F) {  // SO/SI around katakana (CP50222)
      set = c == 0x0E ? Set::katakana : Set::ascii;
      ++i;
    } else if (set == Set::katakana && c >= 0x21 && c <= 0x5F) {
      out += static_cast<char>(c + 0x80);
      ++i;
    } else if (set == Set::jis_x0208 && c >= 0x21 && c <= 0x7E && i + 1 < in.size()) {
      const auto cell = static_cast<unsigned char>(in[i + 1]);
      out += static_cast<char>(((c + 1) >> 1) + (c <= 0x5E ? 0x70 : 0xB0));
      out += static_cast<char>(cell + ((c & 1) != 0 ? (cell <= 0x5F ? 0x1F : 0x20) : 0x7E));
      i += 2;
    } else {
      out += static_cast<char>(c);
      ++i;
    }
  }
  return out;
}

// ISO-2022-JP as UTF-8. When the strict reading has to replace something, the text is read
// again the way Windows writes it (jis_to_shift_jis), and the reading that replaces less wins.
std::string decode_iso_2022_jp(std::string_view bytes, std::size_t& replaced) {
  std::size_t strict_replaced = 0;
  std::optional<std::string> strict = convert("ISO-2022-JP", bytes, strict_replaced);
  if (strict && strict_replaced == 0) return std::move(*strict);
  std::size_t windows_replaced = 0;
  std::optional<std::string> windows = convert("CP932", jis_to_shift_jis(bytes), windows_replaced);
  if (windows && (!strict || windows_replaced < strict_replaced)) {
    replaced += windows_replaced;
    return std::move(*windows);
  }
  if (strict) {
    replaced += strict_replaced;
    return std::move(*strict);
  }
  return decode_undeclared(bytes, replaced);
}

// `bytes` in the charset `label` as UTF-8. `where` names the part in problems.
std::string decode_text(std::string_view bytes, std::string_view label, const std::string& where,
                        Problems& problems) {
  const std::string charset = ascii_lower(trim(label));
  std::size_t replaced = 0;
  std::string text;
  if (is_undeclared(charset)) {
    text = decode_undeclared(bytes, replaced);
  } else if (charset == "utf-8" || charset == "utf8") {
    text = valid_utf8(bytes, replaced);
  } else if (charset == "iso-2022-jp" || charset == "csiso2022jp") {
    text = decode_iso_2022_jp(bytes, replaced);
  } else if (std::optional<std::string> converted =
                 convert(superset_charset(charset).c_str(), bytes, replaced)) {
    text = std::move(*converted);
  } else {
    problems.add(where + " in unknown charset \"" + one_line(valid_utf8(charset.substr(0, 40))) +
                 "\", read as undeclared");
    text = decode_undeclared(bytes, replaced);
  }
  if (replaced > 0) {
    problems.add(where + ": " + std::to_string(replaced) +
                 " byte sequence(s) invalid in charset \"" +
                 one_line(valid_utf8(charset.substr(0, 40))) + "\" replaced by U+FFFD");
  }
  return text;
}

// An RFC 2047 encoded word of a header value.
struct EncodedWord {
  std::size_t start = 0;  // of "=?"
  std::size_t end = 0;    // just past "?="
  std::string charset;    // lower-case, without an RFC 2231 language
  std::string bytes;      // the B or Q payload, decoded
};

// The well-formed encoded words of `raw`, in order.
std::vector<EncodedWord> encoded_words(std::string_view raw) {
  std::vector<EncodedWord> words;
  for (std::size_t start = raw.find("=?"); start != std::string_view::npos;
       start = raw.find("=?", start + 2)) {
    const std::size_t charset_end = raw.find('?', start + 2);
    if (charset_end == std::string_view::npos || charset_end + 2 >= raw.size() ||
        raw[charset_end + 2] != '?') {
      continue;
    }
    const char encoding = ascii_lower(raw[charset_end + 1]);
    const std::size_t text_start = charset_end + 3;
    const std::size_t end = raw.find("?=", text_start);
    if ((encoding != 'b' && encoding != 'q') || end == std::string_view::npos) continue;
    std::string_view charset = raw.substr(start + 2, charset_end - start - 2);
    charset = charset.substr(0, charset.find('*'));
    const std::string_view text = raw.substr(text_start, end - text_start);
    if (charset.empty() || charset.find_first_of(" \t") != std::string_view::npos ||
        text.find_first_of(" \t") != std::string_view::npos) {
      continue;
    }
    EncodedWord word{start, end + 2, ascii_lower(charset), {}};
    if (encoding == 'b') {
      word.bytes.resize(text.size() * 3 / 4 + 3);
      gint state = 0;
      guint save = 0;
      word.bytes.resize(g_base64_decode_step(
          text.data(), text.size(), reinterpret_cast<guchar*>(word.bytes.data()), &state, &save));
    } else {
      for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '_') {
          word.bytes += ' ';
        } else if (text[i] == '=' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
                   hex_digit(text[i + 2]) >= 0) {
          word.bytes += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
          i += 2;
        } else {
          word.bytes += text[i];
        }
      }
    }
    words.push_back(std::move(word));
    start = end;
  }
  return words;
}

// `raw` (an unfolded header value) with each run of encoded words (words separated by nothing
// but whitespace) written as one UTF-8 encoded word, for GMime's header parsers to read.
// The words are decoded by decode_text(), so by the charset rules of bodies (contract 3);
// adjacent words in one charset are decoded together, so a character split between two words
// survives. GMime on its own reads the words of a run in one charset as one base64 stream and
// loses what follows a padded word ("=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IFdvcmxk?=" gives "Hello").
std::string with_utf8_encoded_words(std::string_view raw, Problems& problems) {
  const std::vector<EncodedWord> words = encoded_words(raw);
  // Whether words[i] and words[i + 1] are in one run.
  auto adjacent = [&](std::size_t i) {
    return i + 1 < words.size() &&
           is_blank(raw.substr(words[i].end, words[i + 1].start - words[i].end));
  };
  std::string out;
  std::size_t copied = 0;
  for (std::size_t first = 0; first < words.size();) {
    std::string utf8;
    std::size_t i = first;
    for (;;) {
      std::string bytes = words[i].bytes;
      while (adjacent(i) && words[i + 1].charset == words[i].charset) bytes += words[++i].bytes;
      utf8 += decode_text(bytes, words[i].charset, "encoded word in a header", problems);
      if (!adjacent(i)) break;
      ++i;
    }
    const GCharPtr base64(
        g_base64_encode(reinterpret_cast<const guchar*>(utf8.data()), utf8.size()));
    out.append(raw.substr(copied, words[first].start - copied));
    out.append("=?UTF-8?B?").append(str(base64.get())).append("?=");
    copied = words[i].end;
    first = i + 1;
  }
  out.append(raw.substr(copied));
  return out;
}

// The charset an HTML document declares in a <meta> tag near its start, or "".
std::string meta_charset(std::string_view html) {
  const std::string head = ascii_lower(html.substr(0, 4096));
  for (std::size_t meta = head.find("<meta"); meta != std::string::npos;
       meta = head.find("<meta", meta + 5)) {
    const std::size_t end = head.find('>', meta);
    const std::size_t at = head.find("charset=", meta);
    if (at == std::string::npos || (end != std::string::npos && at > end)) continue;
    std::size_t begin = at + 8;
    while (begin < head.size() && (head[begin] == '"' || head[begin] == '\'')) ++begin;
    std::size_t stop = begin;
    while (stop < head.size() && (is_ascii_alnum(head[stop]) || head[stop] == '-' ||
                                  head[stop] == '_' || head[stop] == '.' || head[stop] == ':')) {
      ++stop;
    }
    return head.substr(begin, stop - begin);
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// HTML.

constexpr int kMaxQuoteMarks = 16;  // "> " marks shown before a line, however deep the quote

// The text of an HTML document as it is rendered, built from text runs and block boundaries.
// Each line carries the quote level it started at, shown as "> " marks by finish().
class TextBuilder {
 public:
  // Text content: whitespace runs collapse to one space unless `preformatted`.
  void text(std::string_view utf8, bool preformatted) {
    for (std::size_t i = 0; i < utf8.size(); ++i) {
      const char c = utf8[i];
      if (c == '\xC2' && i + 1 < utf8.size() && utf8[i + 1] == '\xA0') {  // no-break space
        emit(' ');
        ++i;
      } else if (preformatted && c == '\n') {
        line_break();
      } else if (preformatted && (c == ' ' || c == '\t')) {
        emit(c);
      } else if (is_ascii_space(c)) {
        if (!preformatted) space_ = true;
      } else {
        emit(c);
      }
    }
  }
  void space() { space_ = true; }
  void line_break() { breaks_ = std::min(breaks_ + 1, 2); }
  void block(int lines) { breaks_ = std::max(breaks_, lines); }
  // The quote level of the lines that start from now on (0: not quoted).
  void quote_level(int level) { level_ = std::clamp(level, 0, kMaxQuoteMarks); }

  std::size_t size() const { return out_.size(); }
  std::string_view since(std::size_t position) const {
    return std::string_view(out_).substr(position);
  }

  // Lines trimmed at their end, each quoted line after "> " per level (a quoted blank line is
  // ">", "> >", ...), at most one blank line in a row, no controls but tab/newline.
  std::string finish() const {
    std::string out;
    std::size_t blank_lines = 0;
    std::size_t start = 0;
    for (std::size_t index = 0; start <= out_.size(); ++index) {
      std::size_t end = out_.find('\n', start);
      if (end == std::string::npos) end = out_.size();
      std::string_view line = std::string_view(out_).substr(start, end - start);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
      const int level = index < line_levels_.size() ? line_levels_[index] : 0;
      if (line.empty() && level == 0) {
        ++blank_lines;
      } else {
        if (!out.empty()) out.append(blank_lines > 0 ? "\n\n" : "\n");
        for (int i = 0; i < level; ++i) out.append(i + 1 < level || !line.empty() ? "> " : ">");
        out.append(line);
        blank_lines = 0;
      }
      start = end + 1;
    }
    return clean_text(out);
  }

 private:
  void emit(char c) {
    if (line_levels_.empty()) {  // the first line
      line_levels_.push_back(level_);
      breaks_ = 0;
      space_ = false;
    } else if (breaks_ > 0) {
      // A blank line between two lines is quoted as deep as the shallower of them.
      for (int i = 1; i <= breaks_; ++i) {
        out_ += '\n';
        line_levels_.push_back(i < breaks_ ? std::min(line_levels_.back(), level_) : level_);
      }
      breaks_ = 0;
      space_ = false;
    } else if (space_) {
      if (!out_.empty() && out_.back() != '\n') out_ += ' ';
      space_ = false;
    }
    out_ += c;
  }

  std::string out_;
  std::vector<int> line_levels_;  // the quote level of each line of out_
  int breaks_ = 0;
  bool space_ = false;
  int level_ = 0;
};

// Names of U+00A0..U+00FF, in order (HTML 4 Latin-1 entities).
constexpr std::array<std::string_view, 96> kLatin1Entities{
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",
    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn",
    "sup2",   "sup3",   "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",
    "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde",
    "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave",
    "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde",
    "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",
    "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",   "eth",
    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
    "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};

struct NamedEntity {
  std::string_view name;
  char32_t code_point;
};
constexpr std::array<NamedEntity, 45> kOtherEntities{{
    {"amp", U'&'},      {"lt", U'<'},       {"gt", U'>'},      {"quot", U'"'},
    {"apos", U'\''},    {"OElig", 0x152},   {"oelig", 0x153},  {"Scaron", 0x160},
    {"scaron", 0x161},  {"Yuml", 0x178},    {"fnof", 0x192},   {"circ", 0x2C6},
    {"tilde", 0x2DC},   {"ensp", 0x2002},   {"emsp", 0x2003},  {"thinsp", 0x2009},
    {"zwnj", 0x200C},   {"zwj", 0x200D},    {"lrm", 0x200E},   {"rlm", 0x200F},
    {"ndash", 0x2013},  {"mdash", 0x2014},  {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"sbquo", 0x201A},  {"ldquo", 0x201C},  {"rdquo", 0x201D}, {"bdquo", 0x201E},
    {"dagger", 0x2020}, {"Dagger", 0x2021}, {"bull", 0x2022},  {"hellip", 0x2026},
    {"permil", 0x2030}, {"prime", 0x2032},  {"Prime", 0x2033}, {"lsaquo", 0x2039},
    {"rsaquo", 0x203A}, {"euro", 0x20AC},   {"trade", 0x2122}, {"larr", 0x2190},
    {"uarr", 0x2191},   {"rarr", 0x2192},   {"darr", 0x2193},  {"harr", 0x2194},
    {"minus", 0x2212},
}};

// What numeric references to 0x80..0x9F mean (the HTML standard reads them as windows-1252).
constexpr std::array<char32_t, 32> kWindows1252C1{
    0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,  0x2030, 0x160,
    0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};

std::optional<char32_t> named_entity(std::string_view name) {
  for (std::size_t i = 0; i < kLatin1Entities.size(); ++i) {
    if (kLatin1Entities[i] == name) return static_cast<char32_t>(0xA0 + i);
  }
  for (const NamedEntity& entity : kOtherEntities) {
    if (entity.name == name) return entity.code_point;
  }
  return std::nullopt;
}

// The character reference starting at html[at] == '&': its UTF-8 text and length, or nullopt
// when there is none (the '&' is then plain text).
std::optional<std::pair<std::string, std::size_t>> character_reference(std::string_view html,
                                                                       std::size_t at) {
  std::size_t i = at + 1;
  if (i < html.size() && html[i] == '#') {
    ++i;
    const bool hex = i < html.size() && (html[i] == 'x' || html[i] == 'X');
    if (hex) ++i;
    const std::size_t digits_start = i;
    std::uint32_t value = 0;
    while (i < html.size() && (hex ? hex_digit(html[i]) >= 0 : is_ascii_digit(html[i]))) {
      const auto digit = static_cast<std::uint32_t>(hex_digit(html[i]));
      value = std::min<std::uint32_t>(value * (hex ? 16 : 10) + digit, 0x110000);
      ++i;
    }
    if (i == digits_start) return std::nullopt;
    if (i < html.size() && html[i] == ';') ++i;
    char32_t cp = value;
    if (cp >= 0x80 && cp <= 0x9F) {
      cp = kWindows1252C1[cp - 0x80];
    } else if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      cp = 0xFFFD;
    }
    std::string text;
    append_utf8(text, cp);
    return std::pair{text, i - at};
  }
  while (i < html.size() && i - at <= 32 && is_ascii_alnum(html[i])) ++i;
  if (i >= html.size() || html[i] != ';') return std::nullopt;
  const std::optional<char32_t> cp = named_entity(html.substr(at + 1, i - at - 1));
  if (!cp) return std::nullopt;
  std::string text;
  append_utf8(text, *cp);
  return std::pair{text, i + 1 - at};
}

std::string decode_character_references(std::string_view html) {
  std::string out;
  for (std::size_t i = 0; i < html.size();) {
    if (html[i] == '&') {
      if (auto reference = character_reference(html, i)) {
        out += reference->first;
        i += reference->second;
        continue;
      }
    }
    out += html[i++];
  }
  return out;
}

struct Tag {
  std::string name;  // lower-case
  bool closing = false;
  bool self_closing = false;  // "<x/>"
  std::string href;           // decoded, for <a>
  std::string type;           // decoded, lower-case (<blockquote type="cite">)
  std::string style;          // decoded, lower-case, without white space
  std::string classes;        // decoded, lower-case
  std::size_t end = 0;        // just past the '>'
};

// The tag starting at html[at] == '<', or nullopt when this '<' starts no tag (it is text).
std::optional<Tag> parse_tag(std::string_view html, std::size_t at) {
  Tag tag;
  std::size_t i = at + 1;
  if (i < html.size() && html[i] == '/') {
    tag.closing = true;
    ++i;
  }
  if (i >= html.size() || !is_ascii_alpha(html[i])) return std::nullopt;
  const std::size_t name_start = i;
  while (i < html.size() && (is_ascii_alnum(html[i]) || html[i] == '-' || html[i] == ':')) ++i;
  tag.name = ascii_lower(html.substr(name_start, i - name_start));
  while (i < html.size() && html[i] != '>') {
    if (is_ascii_space(html[i]) || html[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t attribute_start = i;
    while (i < html.size() && !is_ascii_space(html[i]) && html[i] != '=' && html[i] != '>' &&
           html[i] != '/') {
      ++i;
    }
    const std::string attribute = ascii_lower(html.substr(attribute_start, i - attribute_start));
    while (i < html.size() && is_ascii_space(html[i])) ++i;
    std::string_view value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      while (i < html.size() && is_ascii_space(html[i])) ++i;
      if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
        const char quote = html[i++];
        const std::size_t value_end = std::min(html.find(quote, i), html.size());
        value = html.substr(i, value_end - i);
        i = std::min(value_end + 1, html.size());
      } else {
        const std::size_t value_start = i;
        while (i < html.size() && !is_ascii_space(html[i]) && html[i] != '>') ++i;
        value = html.substr(value_start, i - value_start);
      }
    } else if (i == attribute_start) {
      ++i;  // a stray '=' or the like
    }
    if (attribute == "href") {
      tag.href = decode_character_references(value);
    } else if (attribute == "type") {
      tag.type = ascii_lower(trim(decode_character_references(value)));
    } else if (attribute == "class") {
      tag.classes = ascii_lower(decode_character_references(value));
    } else if (attribute == "style") {
      for (const char c : decode_character_references(value)) {
        if (!is_ascii_space(c)) tag.style += ascii_lower(c);
      }
    }
  }
  tag.self_closing = i < html.size() && html[i - 1] == '/';
  tag.end = std::min(i + 1, html.size());
  return tag;
}

// Just past the end tag of `name` (lower-case) from html[from], or html.size() when none.
std::size_t after_end_tag(std::string_view html, std::size_t from, std::string_view name) {
  for (std::size_t at = html.find("</", from); at != std::string_view::npos;
       at = html.find("</", at + 2)) {
    const std::string_view candidate = html.substr(at + 2, name.size());
    if (ascii_lower(candidate) != name) continue;
    const std::size_t close = html.find('>', at);
    return close == std::string_view::npos ? html.size() : close + 1;
  }
  return html.size();
}

// Elements that may stand in <head>; any other tag, or text, ends the head as in a browser.
bool is_head_element(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kHead{
      "html",  "head",   "meta",     "link",     "base", "title",
      "style", "script", "noscript", "template", "xml",  "basefont"};
  return std::find(kHead.begin(), kHead.end(), name) != kHead.end();
}

// Elements whose content is never shown; skipped up to their end tag.
bool is_hidden_element(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kHidden{"script", "style",   "title", "template",
                                                           "svg",    "noembed", "xml"};
  return std::find(kHidden.begin(), kHidden.end(), name) != kHidden.end();
}

// Line breaks a block element leaves before and after itself: 2 (a blank line), 1, or 0.
int block_lines(std::string_view name) {
  static constexpr std::array<std::string_view, 28> kParagraphs{
      "p",      "h1",       "h2",   "h3",      "h4",      "h5",     "h6",
      "pre",    "ul",       "ol",   "dl",      "table",   "hr",     "address",
      "figure", "fieldset", "form", "section", "article", "header", "footer",
      "nav",    "aside",    "main", "center",  "details", "menu",   "blockquote"};
  static constexpr std::array<std::string_view, 8> kLines{
      "div", "li", "tr", "dt", "dd", "caption", "figcaption", "summary"};
  if (std::find(kParagraphs.begin(), kParagraphs.end(), name) != kParagraphs.end()) return 2;
  if (std::find(kLines.begin(), kLines.end(), name) != kLines.end()) return 1;
  return 0;
}

// Whether an element holds quoted mail: a <blockquote>, except the one Gmail's and Apple Mail's
// "indent" button writes (style "margin:0 0 0 40px;border:none;padding:0px", no type="cite"),
// or Yahoo Mail's <div class="yahoo_quoted"> (the class prefixed, "ydp…yahoo_quoted", once a
// reply quotes it again).
bool is_quote_element(const Tag& tag) {
  if (tag.name == "blockquote") {
    const bool indentation = tag.style.find("border:none") != std::string::npos &&
                             tag.style.find("border-left") == std::string::npos;
    return tag.type == "cite" || !indentation;
  }
  return tag.name == "div" && tag.classes.find("yahoo_quoted") != std::string::npos;
}

// The open elements of one name and how many of them are quotes. End tags close the innermost
// open element, so an unclosed inner element keeps an outer quote open to the end (text is
// never lost, only shown as quoted); a stray end tag is ignored.
class QuoteNesting {
 public:
  void open(bool quote) {
    if (quote) quotes_.push_back(open_);
    ++open_;
  }
  void close() {
    if (open_ == 0) return;
    --open_;
    if (!quotes_.empty() && quotes_.back() == open_) quotes_.pop_back();
  }
  int quotes() const {
    return static_cast<int>(std::min<std::size_t>(quotes_.size(), kMaxQuoteMarks));
  }

 private:
  std::size_t open_ = 0;
  std::vector<std::size_t> quotes_;  // how many were open when each open quote was opened
};

// The link target to show after a link's text, or "" for none (unsafe or in-page targets).
std::string shown_link_target(std::string_view href) {
  std::string target;
  for (const char c : trim(href)) {
    if (static_cast<unsigned char>(c) > 0x20 && c != 0x7F) target += c;  // no spaces, controls
  }
  const std::string lower = ascii_lower(target);
  if (target.empty() || target.front() == '#' || lower.starts_with("javascript:") ||
      lower.starts_with("vbscript:") || lower.starts_with("data:")) {
    return {};
  }
  return target;
}

}  // namespace

std::string html_to_text(std::string_view utf8_html) {
  const std::string valid = valid_utf8(utf8_html);
  const std::string_view html = valid;
  TextBuilder out;
  int preformatted = 0;
  bool in_head = false;
  struct OpenLink {
    std::string target;
    std::size_t text_start;
  };
  std::optional<OpenLink> link;
  QuoteNesting blockquotes;  // a quote's lines start with "> " per level
  QuoteNesting divs;
  auto close_link = [&] {
    const std::string_view shown = trim(out.since(link->text_start));
    const std::string_view without_mailto =
        std::string_view(link->target).substr(link->target.starts_with("mailto:") ? 7 : 0);
    if (shown != link->target && shown != without_mailto) {
      out.space();
      out.text("(" + link->target + ")", false);
    }
    link.reset();
  };

  std::size_t i = 0;
  std::size_t text_start = 0;
  auto shown_text = [&](std::string_view text) {
    if (in_head && !is_blank(text)) in_head = false;
    if (!in_head) out.text(text, preformatted > 0);
  };
  auto flush_text = [&](std::size_t end) {
    if (end > text_start) shown_text(html.substr(text_start, end - text_start));
  };
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      if (auto reference = character_reference(html, i)) {
        flush_text(i);
        shown_text(reference->first);
        i += reference->second;
        text_start = i;
        continue;
      }
    } else if (c == '<') {
      if (html.substr(i, 4) == "<!--") {
        flush_text(i);
        const std::size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        text_start = i;
        continue;
      }
      if (i + 1 < html.size() && (html[i + 1] == '!' || html[i + 1] == '?')) {  // doctype, PI
        flush_text(i);
        const std::size_t end = html.find('>', i);
        i = end == std::string_view::npos ? html.size() : end + 1;
        text_start = i;
        continue;
      }
      if (std::optional<Tag> tag = parse_tag(html, i)) {
        flush_text(i);
        i = tag->end;
        if (in_head && !is_head_element(tag->name)) in_head = false;
        if (!tag->closing && is_hidden_element(tag->name)) {
          if (!tag->self_closing) i = after_end_tag(html, i, tag->name);
        } else if (tag->name == "head") {
          in_head = !tag->closing;
        } else if (tag->name == "body") {
          in_head = false;
        } else if (tag->name == "br") {
          out.line_break();
        } else if (tag->name == "td" || tag->name == "th") {
          out.space();
        } else if (tag->name == "a") {
          if (link) close_link();
          const std::string target = shown_link_target(tag->href);
          if (!tag->closing && !target.empty()) link = OpenLink{target, out.size()};
        } else if (const int lines = block_lines(tag->name); lines > 0) {
          out.block(lines);
          if (tag->name == "pre") {
            preformatted = std::max(0, preformatted + (tag->closing ? -1 : 1));
          }
          QuoteNesting* nesting = tag->name == "blockquote" ? &blockquotes
                                  : tag->name == "div"      ? &divs
                                                            : nullptr;
          if (nesting != nullptr && tag->closing) {
            nesting->close();
          } else if (nesting != nullptr && !tag->self_closing) {
            nesting->open(is_quote_element(*tag));
          }
          out.quote_level(blockquotes.quotes() + divs.quotes());
        }
        text_start = i;
        continue;
      }
    }
    ++i;
  }
  flush_text(html.size());
  if (link) close_link();
  return out.finish();
}

namespace {

// ---------------------------------------------------------------------------------------------
// GMime reading.

std::string mime_type(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) return "application/octet-stream";
  const GCharPtr name(g_mime_content_type_get_mime_type(type));
  return ascii_lower(valid_utf8(str(name.get())));
}

std::string disposition(GMimeObject* object) {
  return ascii_lower(trim(str(g_mime_object_get_disposition(object))));
}

// The content of `part` with its transfer encoding removed.
std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  const GObjectRef<GMimeStream> stream(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, stream.get());
  const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

// `object` serialized by GMime (an attached message).
std::string written(GMimeObject* object) {
  const GObjectRef<GMimeStream> stream(g_mime_stream_mem_new());
  g_mime_object_write_to_stream(object, nullptr, stream.get());
  const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::optional<std::string> header(GMimeObject* object, const char* name) {
  const char* value = g_mime_object_get_header(object, name);
  if (value == nullptr) return std::nullopt;
  return one_line(valid_utf8(value));
}

// A display-safe file name: the last path component, without control characters.
std::string safe_filename(const char* name) {
  std::string utf8 = one_line(valid_utf8(str(name)));
  const std::size_t slash = utf8.find_last_of("/\\");
  if (slash != std::string::npos) utf8.erase(0, slash + 1);
  return std::string(trim(utf8));
}

// The message ids of an In-Reply-To or References value, without <>: every <...>; when there is
// none, the words holding an '@' (some clients leave out the brackets). GMime's own parser stops
// at the first thing it does not understand, which loses the ids after it.
std::vector<std::string> message_ids(const char* value) {
  std::vector<std::string> ids;
  const std::string text = one_line(valid_utf8(str(value)));
  for (std::size_t open = text.find('<'); open != std::string::npos;) {
    const std::size_t close = text.find('>', open + 1);
    if (close == std::string::npos) break;
    std::string id;
    for (const char c : std::string_view(text).substr(open + 1, close - open - 1)) {
      if (!is_ascii_space(c)) id += c;  // folding whitespace inside an id
    }
    if (!id.empty()) ids.push_back(std::move(id));
    open = text.find('<', close + 1);
  }
  if (!ids.empty()) return ids;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string_view word = std::string_view(text).substr(start, end - start);
    while (!word.empty() && std::string_view("<>,;\"").find(word.front()) != std::string_view::npos)
      word.remove_prefix(1);
    while (!word.empty() && std::string_view("<>,;\"").find(word.back()) != std::string_view::npos)
      word.remove_suffix(1);
    if (word.find('@') != std::string_view::npos) ids.emplace_back(word);
    start = end + 1;
  }
  return ids;
}

void collect_mailboxes(InternetAddressList* list, std::vector<MailAddress>& out, bool in_group) {
  if (list == nullptr) return;
  for (int i = 0; i < internet_address_list_length(list); ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      out.push_back({one_line(valid_utf8(str(internet_address_get_name(address)))),
                     one_line(valid_utf8(str(
                         internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)))))});
    } else if (INTERNET_ADDRESS_IS_GROUP(address) && !in_group) {  // groups do not nest
      collect_mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out,
                        true);
    }
  }
}

std::vector<MailAddress> mailboxes(InternetAddressList* list) {
  std::vector<MailAddress> out;
  collect_mailboxes(list, out, false);
  return out;
}

// The unfolded raw values of the headers of `object` named `name`, in order.
std::vector<std::string> raw_headers(GMimeObject* object, const char* name) {
  std::vector<std::string> values;
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  for (int i = 0; i < g_mime_header_list_get_count(headers); ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
    if (g_ascii_strcasecmp(g_mime_header_get_name(header), name) != 0) continue;
    const GCharPtr unfolded(
        g_mime_utils_header_unfold(str(g_mime_header_get_raw_value(header)).c_str()));
    values.emplace_back(trim(str(unfolded.get())));
  }
  return values;
}

// Subject, decoded (contract 3 for its encoded words; raw 8-bit text by the fallback charsets).
std::string decoded_subject(GMimeMessage* message, GMimeParserOptions* options,
                            Problems& problems) {
  const std::vector<std::string> values = raw_headers(GMIME_OBJECT(message), "Subject");
  if (values.empty()) return {};
  const GCharPtr decoded(g_mime_utils_header_decode_text(
      options, with_utf8_encoded_words(values.front(), problems).c_str()));
  return one_line(valid_utf8(str(decoded.get())));
}

// The mailboxes of every header named `name` (several To: lines make one list).
std::vector<MailAddress> address_header(GMimeMessage* message, const char* name,
                                        GMimeParserOptions* options, Problems& problems) {
  std::string joined;
  for (const std::string& value : raw_headers(GMIME_OBJECT(message), name)) {
    joined += (joined.empty() ? "" : ", ") + value;
  }
  if (joined.empty()) return {};
  const GObjectRef<InternetAddressList> list(
      internet_address_list_parse(options, with_utf8_encoded_words(joined, problems).c_str()));
  return mailboxes(list.get());
}

void read_headers(GMimeMessage* message, GMimeParserOptions* options, ParsedMail& mail,
                  Problems& problems) {
  GMimeObject* object = GMIME_OBJECT(message);
  mail.message_id = one_line(valid_utf8(str(g_mime_message_get_message_id(message))));
  const std::vector<std::string> replied_to =
      message_ids(g_mime_object_get_header(object, "In-Reply-To"));
  if (!replied_to.empty()) mail.in_reply_to = replied_to.front();
  mail.references = message_ids(g_mime_object_get_header(object, "References"));
  for (auto [name, single] :
       {std::pair{"From", &mail.from}, std::pair{"Reply-To", &mail.reply_to}}) {
    std::vector<MailAddress> found = address_header(message, name, options, problems);
    if (!found.empty()) *single = std::move(found.front());
  }
  mail.to = address_header(message, "To", options, problems);
  mail.cc = address_header(message, "Cc", options, problems);
  mail.subject = decoded_subject(message, options, problems);
  mail.date = header(object, "Date").value_or("");
  if (GDateTime* date = g_mime_message_get_date(message)) {
    mail.date_unix = g_date_time_to_unix(date);
  } else {
    problems.add(mail.date.empty() ? "no Date header" : "unreadable Date header");
  }
  if (mail.from.address.empty()) problems.add("no From address");
  // GMime files a message's Content-* headers under its top MIME part.
  if (GMimeObject* root = g_mime_message_get_mime_part(message)) {
    mail.content_language = header(root, "Content-Language").value_or("");
  }
}

// ---------------------------------------------------------------------------------------------
// The body and attachments (ParsedMail::text, contract 5).

// How a part is used, decided by the multiparts around it.
enum class Role {
  shown,     // displayed: its text parts are the body
  resource,  // a non-root part of multipart/related: attachments, inline unless said otherwise
  unchosen,  // inside an alternative that was not chosen: text parts dropped, others attachments
};

class BodyReader {
 public:
  BodyReader(ParsedMail& mail, GMimeParserOptions* options, Problems& problems)
      : mail_(mail), options_(options), problems_(problems) {}

  void read(GMimeObject* object, Role role, int depth) {
    if (object == nullptr) return;
    if (depth > kMaxDepth) {
      problems_.add("MIME nesting deeper than " + std::to_string(kMaxDepth) +
                    " levels: deeper parts skipped");
      return;
    }
    if (GMIME_IS_MULTIPART(object)) {
      read_multipart(GMIME_MULTIPART(object), role, depth);
    } else if (GMIME_IS_MESSAGE_PART(object)) {
      add_message_attachment(GMIME_MESSAGE_PART(object));
    } else if (GMIME_IS_PART(object)) {
      read_leaf(GMIME_PART(object), role);
    }
  }

  // The body pieces joined by a blank line; sets text_from_html and a missing content_language.
  void finish() {
    std::string text;
    for (const std::string& piece : pieces_) {
      if (!text.empty()) text += "\n\n";
      text += piece;
    }
    mail_.text = std::move(text);
    if (mail_.content_language.empty()) mail_.content_language = first_piece_language_;
  }

 private:
  void read_multipart(GMimeMultipart* multipart, Role role, int depth) {
    const int count = g_mime_multipart_get_count(multipart);
    if (count == 0) {
      recover_multipart(multipart, role, depth);
      return;
    }
    GMimeObject* object = GMIME_OBJECT(multipart);
    const std::string subtype = ascii_lower(
        str(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(object))));
    int special = -1;  // the chosen alternative or the related root
    if (role == Role::shown && subtype == "alternative") special = chosen_alternative(multipart);
    if (subtype == "related") special = related_root(multipart);
    for (int i = 0; i < count; ++i) {
      Role child_role = role;
      if (subtype == "alternative" && role == Role::shown && i != special) {
        child_role = Role::unchosen;
      } else if (subtype == "related" && i != special) {
        child_role = Role::resource;
      }
      read(g_mime_multipart_get_part(multipart, i), child_role, depth + 1);
    }
  }

  static bool is_body_text(GMimeObject* object, const std::string& type) {
    return (type == "text/plain" || type == "text/html") && disposition(object) != "attachment";
  }

  // The first text/plain alternative that is not blank; else the first multipart; else the
  // first text/html; else the first part.
  static int chosen_alternative(GMimeMultipart* multipart) {
    int first_multipart = -1;
    int first_html = -1;
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
      GMimeObject* child = g_mime_multipart_get_part(multipart, i);
      const std::string type = mime_type(child);
      if (GMIME_IS_PART(child) && is_body_text(child, type)) {
        if (type == "text/plain" && !is_blank(decoded_content(GMIME_PART(child)))) return i;
        if (type == "text/html" && first_html < 0) first_html = i;
      } else if (GMIME_IS_MULTIPART(child) && first_multipart < 0) {
        first_multipart = i;
      }
    }
    if (first_multipart >= 0) return first_multipart;
    return std::max(first_html, 0);
  }

  // The part the "start" parameter names, else the first.
  static int related_root(GMimeMultipart* multipart) {
    const std::string start = one_line(valid_utf8(
        str(g_mime_object_get_content_type_parameter(GMIME_OBJECT(multipart), "start"))));
    const std::string_view id = start.size() >= 2 && start.front() == '<' && start.back() == '>'
                                    ? std::string_view(start).substr(1, start.size() - 2)
                                    : std::string_view(start);
    for (int i = 0; !id.empty() && i < g_mime_multipart_get_count(multipart); ++i) {
      if (str(g_mime_object_get_content_id(g_mime_multipart_get_part(multipart, i))) == id) {
        return i;
      }
    }
    return 0;
  }

  // A multipart in which the parser found no parts (the boundary is missing or not the one the
  // body uses): re-read its content with the boundary its first delimiter line shows; failing
  // that, its content is plain text.
  void recover_multipart(GMimeMultipart* multipart, Role role, int depth) {
    GMimeObject* object = GMIME_OBJECT(multipart);
    const std::string type = mime_type(object);
    const std::string content = str(g_mime_multipart_get_prologue(multipart)) +
                                str(g_mime_multipart_get_epilogue(multipart));
    const std::string declared = str(g_mime_multipart_get_boundary(multipart));
    if (const std::optional<std::string> used = delimiter_boundary(content);
        used && *used != declared) {
      const std::string rewritten =
          "Content-Type: " + type + "; boundary=\"" + *used + "\"\r\n\r\n" + content;
      const GObjectRef<GMimeStream> stream(
          g_mime_stream_mem_new_with_buffer(rewritten.data(), rewritten.size()));
      const GObjectRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
      const GObjectRef<GMimeObject> reparsed(g_mime_parser_construct_part(parser.get(), options_));
      if (reparsed && GMIME_IS_MULTIPART(reparsed.get()) &&
          g_mime_multipart_get_count(GMIME_MULTIPART(reparsed.get())) > 0) {
        problems_.add(type + ": boundary not found; parts read with the boundary the body uses");
        read(reparsed.get(), role, depth + 1);
        return;
      }
    }
    problems_.add(type + " without readable parts: its content is read as plain text");
    if (role == Role::shown) {
      add_piece(clean_text(decode_text(content, "", type + " content", problems_)), object);
    }
  }

  // The boundary of the first line that looks like a MIME delimiter ("--" and a boundary of
  // RFC 2046 characters with at least one letter or digit), or nullopt.
  static std::optional<std::string> delimiter_boundary(std::string_view content) {
    static constexpr std::string_view kBoundaryPunctuation = "'()+_,-./:=? ";
    std::size_t start = 0;
    while (start < content.size()) {
      std::size_t end = content.find('\n', start);
      if (end == std::string_view::npos) end = content.size();
      std::string_view line = content.substr(start, end - start);
      while (!line.empty() && is_ascii_space(line.back())) line.remove_suffix(1);
      start = end + 1;
      if (!line.starts_with("--") || line.size() < 3 || line.size() > 72) continue;
      const std::string_view boundary = line.substr(2);
      const bool valid = std::all_of(boundary.begin(), boundary.end(), [](char c) {
        return is_ascii_alnum(c) || kBoundaryPunctuation.find(c) != std::string_view::npos;
      });
      if (valid && std::any_of(boundary.begin(), boundary.end(), is_ascii_alnum)) {
        return std::string(boundary);
      }
    }
    return std::nullopt;
  }

  void read_leaf(GMimePart* part, Role role) {
    GMimeObject* object = GMIME_OBJECT(part);
    const std::string type = mime_type(object);
    if (is_body_text(object, type) && role == Role::shown) {
      add_body_part(part, type == "text/html");
    } else if (is_body_text(object, type) && role == Role::unchosen) {
      return;  // the chosen alternative shows this content
    } else {
      const std::string how = disposition(object);
      add_attachment(part, type, how == "inline" || (how.empty() && role == Role::resource));
    }
  }

  void add_body_part(GMimePart* part, bool html) {
    GMimeObject* object = GMIME_OBJECT(part);
    const std::string bytes = decoded_content(part);
    std::string charset = str(g_mime_object_get_content_type_parameter(object, "charset"));
    if (html && charset.empty()) charset = meta_charset(bytes);
    const std::string text =
        decode_text(bytes, charset, html ? "text/html part" : "text/plain part", problems_);
    const std::size_t before = pieces_.size();
    add_piece(html ? html_to_text(text) : clean_text(text), object);
    if (html && pieces_.size() > before) mail_.text_from_html = true;
  }

  void add_piece(std::string piece, GMimeObject* from) {
    if (piece.empty()) return;
    if (pieces_.empty()) first_piece_language_ = header(from, "Content-Language").value_or("");
    pieces_.push_back(std::move(piece));
  }

  // The file name of `object`: the filename parameter of Content-Disposition, else the name
  // parameter of Content-Type. RFC 2231 values are GMime's; encoded words (not standard in
  // parameters, but what Outlook and Gmail write) are read by with_utf8_encoded_words().
  std::string filename(GMimeObject* object) {
    for (const std::string& raw : raw_headers(object, "Content-Disposition")) {
      const GObjectRef<GMimeContentDisposition> disposition(g_mime_content_disposition_parse(
          options_, with_utf8_encoded_words(raw, problems_).c_str()));
      const char* name =
          disposition ? g_mime_content_disposition_get_parameter(disposition.get(), "filename")
                      : nullptr;
      if (name != nullptr) return safe_filename(name);
    }
    for (const std::string& raw : raw_headers(object, "Content-Type")) {
      const GObjectRef<GMimeContentType> type(
          g_mime_content_type_parse(options_, with_utf8_encoded_words(raw, problems_).c_str()));
      const char* name = type ? g_mime_content_type_get_parameter(type.get(), "name") : nullptr;
      if (name != nullptr) return safe_filename(name);
    }
    return {};
  }

  void add_attachment(GMimePart* part, const std::string& type, bool is_inline) {
    GMimeObject* object = GMIME_OBJECT(part);
    MailAttachment attachment;
    attachment.filename = filename(object);
    attachment.content_type = type;
    attachment.content_id = one_line(valid_utf8(str(g_mime_object_get_content_id(object))));
    attachment.data = decoded_content(part);
    attachment.is_inline = is_inline;
    mail_.attachments.push_back(std::move(attachment));
  }

  void add_message_attachment(GMimeMessagePart* part) {
    GMimeObject* object = GMIME_OBJECT(part);
    MailAttachment attachment;
    attachment.filename = filename(object);
    attachment.content_type = mime_type(object);
    attachment.content_id = one_line(valid_utf8(str(g_mime_object_get_content_id(object))));
    if (GMimeMessage* message = g_mime_message_part_get_message(part)) {
      attachment.data = written(GMIME_OBJECT(message));
    }
    attachment.is_inline = disposition(object) == "inline";
    mail_.attachments.push_back(std::move(attachment));
  }

  ParsedMail& mail_;
  GMimeParserOptions* options_;
  Problems& problems_;
  std::vector<std::string> pieces_;
  std::string first_piece_language_;
};

// ---------------------------------------------------------------------------------------------
// Delivery status notifications (RFC 3464, RFC 6533).

struct DsnRecipient {
  std::string action;  // lower-case
  std::string status;  // e.g. "5.1.1"
};

// The per-recipient field groups of a message/delivery-status body.
std::vector<DsnRecipient> dsn_recipients(std::string_view body) {
  std::vector<DsnRecipient> recipients;
  std::vector<std::pair<std::string, std::string>> fields;  // name (lower-case), value
  auto end_group = [&] {
    DsnRecipient recipient;
    bool per_recipient = false;
    for (const auto& [name, value] : fields) {
      if (name == "action") recipient.action = ascii_lower(trim(value));
      if (name == "status") {
        const std::string_view status = trim(value);
        recipient.status = std::string(status.substr(0, status.find_first_of(" \t(")));
      }
      per_recipient =
          per_recipient || name == "action" || name == "status" || name == "final-recipient";
    }
    if (per_recipient) recipients.push_back(std::move(recipient));
    fields.clear();
  };
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    if (is_blank(line)) {
      end_group();
    } else if ((line.front() == ' ' || line.front() == '\t') && !fields.empty()) {
      fields.back().second += " " + std::string(trim(line));
    } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
      fields.emplace_back(ascii_lower(trim(line.substr(0, colon))),
                          std::string(line.substr(colon + 1)));
    }
  }
  end_group();
  return recipients;
}

// The Message-ID in a block of returned header lines (text/rfc822-headers), or "".
std::string returned_message_id(const std::string& headers) {
  const std::string block = headers + "\r\n\r\n";
  const ParserOptionsPtr quiet(g_mime_parser_options_new());  // its warnings are not ours
  const GObjectRef<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(block.data(), block.size()));
  const GObjectRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  const GObjectRef<GMimeMessage> message(
      g_mime_parser_construct_message(parser.get(), quiet.get()));
  if (!message) return {};
  return one_line(valid_utf8(str(g_mime_message_get_message_id(message.get()))));
}

// The multipart/report with report-type=delivery-status in the multipart tree, or nullptr.
GMimeMultipart* delivery_report(GMimeObject* object, int depth) {
  if (object == nullptr || depth > kMaxDepth || !GMIME_IS_MULTIPART(object)) return nullptr;
  GMimeMultipart* multipart = GMIME_MULTIPART(object);
  const std::string report_type =
      ascii_lower(trim(str(g_mime_object_get_content_type_parameter(object, "report-type"))));
  if (mime_type(object) == "multipart/report" && report_type == "delivery-status") {
    return multipart;
  }
  for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
    if (GMimeMultipart* found =
            delivery_report(g_mime_multipart_get_part(multipart, i), depth + 1)) {
      return found;
    }
  }
  return nullptr;
}

void read_bounce(GMimeObject* root, ParsedMail& mail, Problems& problems) {
  GMimeMultipart* report = delivery_report(root, 0);
  if (report == nullptr) return;
  mail.is_bounce = true;
  std::vector<DsnRecipient> recipients;
  for (int i = 0; i < g_mime_multipart_get_count(report); ++i) {
    GMimeObject* part = g_mime_multipart_get_part(report, i);
    const std::string type = mime_type(part);
    if (GMIME_IS_MESSAGE_PART(part) && mail.bounced_message_id.empty()) {
      if (GMimeMessage* returned = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part))) {
        mail.bounced_message_id =
            one_line(valid_utf8(str(g_mime_message_get_message_id(returned))));
      }
    } else if (!GMIME_IS_PART(part)) {
      continue;
    } else if (type == "message/delivery-status" || type == "message/global-delivery-status") {
      std::vector<DsnRecipient> found = dsn_recipients(decoded_content(GMIME_PART(part)));
      recipients.insert(recipients.end(), found.begin(), found.end());
    } else if ((type == "text/rfc822-headers" || type == "message/global-headers") &&
               mail.bounced_message_id.empty()) {
      mail.bounced_message_id = returned_message_id(decoded_content(GMIME_PART(part)));
    }
  }
  const DsnRecipient* chosen = nullptr;
  for (const char* action : {"failed", "delayed"}) {
    for (const DsnRecipient& recipient : recipients) {
      if (chosen == nullptr && recipient.action == action) chosen = &recipient;
    }
  }
  if (chosen == nullptr && !recipients.empty()) chosen = &recipients.front();
  if (chosen == nullptr) {
    problems.add("delivery status notification without a per-recipient status");
  } else {
    mail.bounce_status = one_line(valid_utf8(chosen->status));
    mail.bounce_permanent = mail.bounce_status.starts_with('5') ||
                            (mail.bounce_status.empty() && chosen->action == "failed");
  }
  if (mail.bounced_message_id.empty()) {
    problems.add("delivery status notification without the returned Message-ID");
  }
}

// ---------------------------------------------------------------------------------------------
// Automatic mail.

std::string fold_case_nfc(const std::string& utf8) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(utf8);
  text.foldCase(U_FOLD_CASE_DEFAULT);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_SUCCESS(status)) text = nfc->normalize(text, status);
  std::string out;
  if (U_SUCCESS(status)) text.toUTF8String(out);
  return out;
}

// The out-of-office phrase `subject` starts with, or nullopt. A phrase counts only when the
// subject ends there or goes on with ':', '-', '(' or '[' (after spaces): residents write
// subjects such as "Absence of street lights" or "Out of office hours noise".
std::optional<std::string_view> auto_reply_subject(const std::string& subject) {
  static constexpr std::array<std::string_view, 17> kPhrases{"out of office autoreply",
                                                             "out of office",
                                                             "out of the office",
                                                             "automatic reply",
                                                             "autoreply",
                                                             "auto-reply",
                                                             "auto reply",
                                                             "auto:",
                                                             "respuesta automática",
                                                             "respuesta automatica",
                                                             "fuera de la oficina",
                                                             "réponse automatique",
                                                             "reponse automatique",
                                                             "absence",
                                                             "abwesenheitsnotiz",
                                                             "automatische antwort",
                                                             "automatic response"};
  const std::string folded = fold_case_nfc(std::string(trim(subject)));
  for (std::string_view phrase : kPhrases) {
    if (!folded.starts_with(phrase)) continue;
    const std::string_view rest = trim(std::string_view(folded).substr(phrase.size()));
    if (phrase.ends_with(':') || rest.empty() || rest.starts_with(':') || rest.starts_with('-') ||
        rest.starts_with('(') || rest.starts_with('[') || rest.starts_with("\xE2\x80\x93")) {
      return phrase;
    }
  }
  return std::nullopt;
}

bool is_negative(const std::string& value) {
  return value == "no" || value == "false" || value == "0";
}

// Evidence that `message` was sent by a program (ParsedMail::auto_submitted), or "".
std::string auto_reply_evidence(GMimeObject* message, const ParsedMail& mail) {
  if (mail.is_bounce) return "delivery status notification";
  if (const auto value = header(message, "Auto-Submitted")) {
    const std::string keyword = ascii_lower(trim(value->substr(0, value->find(';'))));
    if (keyword != "no") return "Auto-Submitted: " + keyword;
  }
  if (const auto value = header(message, "Precedence")) {
    const std::string precedence = ascii_lower(*value);
    for (const char* bulk : {"bulk", "junk", "list", "auto_reply"}) {
      if (precedence == bulk) return "Precedence: " + precedence;
    }
  }
  for (const char* name : {"X-Autoreply", "X-Autorespond"}) {
    const auto value = header(message, name);
    if (value && !is_negative(ascii_lower(*value))) return name;
  }
  if (const auto value = header(message, "X-Auto-Response-Suppress")) {
    const std::string lower = ascii_lower(*value);
    if (lower.find("oof") != std::string::npos || lower.find("all") != std::string::npos) {
      return "X-Auto-Response-Suppress: " + *value;
    }
  }
  if (const auto phrase = auto_reply_subject(mail.subject)) {
    return "subject: " + std::string(*phrase);
  }
  if (header(message, "Return-Path") == "<>") return "Return-Path: <>";
  if (ascii_lower(mail.from.address).starts_with("mailer-daemon@")) return "From: MAILER-DAEMON";
  return {};
}

}  // namespace

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_mime_init();
    // GMime converts bodies and encoded words with converters of its own: the charsets mail
    // is commonly written in keep their modules loaded from the start (see
    // keep_charset_loaded; others are kept as Converter meets them).
    for (const char* charset :
         {"iso-8859-1", "iso-8859-2", "iso-8859-5", "iso-8859-15", "windows-1250", "windows-1251",
          "windows-1252", "koi8-r", "koi8-u", "iso-2022-jp", "shift_jis", "euc-jp", "gb2312", "gbk",
          "gb18030", "big5", "euc-kr", "utf-16", "utf-7"}) {
      keep_charset_loaded(charset);
    }
  });
}

std::string MailAddress::address_lower() const { return ascii_lower(address); }

ParsedMail parse_mail(std::string_view raw) {
  ensure_gmime();
  ParsedMail mail;
  Problems problems(mail.problems);

  // Destroyed in reverse order: the message before the options its headers may still use, the
  // options before the warnings their callback writes to.
  std::vector<Warning> warnings;
  const ParserOptionsPtr options(g_mime_parser_options_new());
  g_mime_parser_options_set_rfc2047_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  const char* fallback_charsets[] = {"UTF-8", "windows-1252", nullptr};  // for 8-bit headers
  g_mime_parser_options_set_fallback_charsets(options.get(), fallback_charsets);
  g_mime_parser_options_set_warning_callback(options.get(), collect_warning, &warnings);

  const GObjectRef<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  const GObjectRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  const GObjectRef<GMimeMessage> message(
      g_mime_parser_construct_message(parser.get(), options.get()));
  if (!message) {
    report_warnings(warnings, nullptr, problems);
    problems.add("no message headers: the whole input is read as plain text");
    mail.text = clean_text(decode_text(raw, "", "message", problems));
    problems.finish();
    return mail;
  }

  read_headers(message.get(), options.get(), mail, problems);
  GMimeObject* root = g_mime_message_get_mime_part(message.get());
  BodyReader body(mail, options.get(), problems);
  body.read(root, Role::shown, 0);
  body.finish();
  read_bounce(root, mail, problems);
  mail.auto_reason = auto_reply_evidence(GMIME_OBJECT(message.get()), mail);
  mail.auto_submitted = !mail.auto_reason.empty();
  report_warnings(warnings, GMIME_OBJECT(message.get()), problems);
  problems.finish();
  return mail;
}

}  // namespace frontdoor::email
