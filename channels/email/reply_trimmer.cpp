#include "channels/email/reply_trimmer.hpp"

#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utypes.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace frontdoor::email {
namespace {

constexpr std::size_t kMaxAttributionLines = 3;  // contract 2: wrapped attribution lines
constexpr int32_t kMaxAttributionLength = 400;   // UTF-16 units; longer lines are prose
constexpr int32_t kMaxMarkerLength = 200;        // UTF-16 units; separators, markers, mobile lines
constexpr std::size_t kMaxHeaderBlockLines = 8;  // contract 1: fields after the From line
constexpr std::size_t kMaxSignatureLines = 10;   // contract 5: non-blank lines after "-- "
constexpr std::size_t kMinRuleUnderscores = 10;  // contract 1: "____" above a header block
constexpr char16_t kFullWidthColon = u'\uFF1A';

void check(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("reply_trimmer: ") + what + ": " + u_errorName(status));
  }
}

icu::UnicodeString to_nfc(const icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  check(status, "ICU NFC normalizer unavailable");
  icu::UnicodeString out = nfc->normalize(text, status);
  check(status, "NFC normalization failed");
  return out;
}

using Pattern = std::unique_ptr<icu::RegexPattern>;

// Patterns are written in NFC already; normalizing them again keeps that true whatever the
// editor did to the accents in this file.
Pattern compile(const icu::UnicodeString& source) {
  UParseError where{};
  UErrorCode status = U_ZERO_ERROR;
  Pattern pattern(
      icu::RegexPattern::compile(to_nfc(source), UREGEX_CASE_INSENSITIVE, where, status));
  check(status, "bad built-in pattern");
  return pattern;
}

// Contract 2's shapes, each the part of the line before its final colon. A shape is only tried
// on lines that contain its keyword (case-folded), which keeps a long message of lines ending in
// ":" cheap to scan.
struct AttributionShape {
  const char16_t* keyword;
  const char16_t* pattern;
};
constexpr AttributionShape kAttributionShapes[] = {
    {u"wrote", u"On\\s.+\\swrote"},
    {u"escribió", u"El\\s.+\\sescribió"},
    {u"écrit", u"Le\\s.+\\sa\\s+écrit"},
    {u"schrieb", u"Am\\s.+\\sschrieb\\s.+"},
    {u"написал", u".+\\sнаписал(?:\\(а\\)|а)?"},
    {u"пишет", u".+\\sпишет"},
    {u"г.", u".*\\d{4}\\s*г\\.,?\\s+в\\s+\\d{1,2}:\\d{2},?\\s.+"},  // Gmail's Russian
    {u"道", u".+(?:写|寫)\\s*道"},
    {u"viết", u".+\\sđã\\s+viết"},
};

icu::UnicodeString folded(const icu::UnicodeString& text) {
  return icu::UnicodeString(text).foldCase(U_FOLD_CASE_DEFAULT);
}

struct CompiledShape {
  icu::UnicodeString keyword;  // NFC, case-folded
  Pattern pattern;             // the whole line: a digit somewhere, the shape, the final colon
};

std::vector<CompiledShape> compile_attribution_shapes() {
  std::vector<CompiledShape> shapes;
  for (const AttributionShape& shape : kAttributionShapes) {
    const icu::UnicodeString source = icu::UnicodeString(u"(?=.*\\d)\\s*(?:")
                                          .append(icu::UnicodeString(shape.pattern))
                                          .append(u")\\s*[:：]\\s*");
    shapes.push_back(
        CompiledShape{folded(to_nfc(icu::UnicodeString(shape.keyword))), compile(source)});
  }
  return shapes;
}

// Whole-line patterns (matched with matches()) and field-label prefixes (matched with
// lookingAt()). Every pattern allows white space around the line.
struct Patterns {
  std::vector<CompiledShape> attribution_shapes = compile_attribution_shapes();
  // Contract 1 field labels, as line prefixes.
  Pattern from_field =
      compile(u"\\s*\\*{0,2}(?:From|De|Von|От|发件人|寄件者|Từ)\\s*\\*{0,2}\\s*[:：]");
  Pattern sent_field = compile(
      u"\\s*\\*{0,2}(?:Sent|Date|Enviado(?:\\s+el)?|Fecha|Envoyé|Gesendet|Datum|Отправлено|Дата"
      u"|发送时间|日期|寄件日期|Đã\\s+gửi|Ngày)\\s*\\*{0,2}\\s*[:：]");
  Pattern addressed_field = compile(
      u"\\s*\\*{0,2}(?:To|Para|À|An|Кому|收件人|Đến|Subject|Asunto|Objet|Betreff|Тема|主题|主旨"
      u"|Chủ\\s+đề)\\s*\\*{0,2}\\s*[:：]");
  Pattern original_separator = compile(
      u"\\s*-{3,}\\s*(?:Original Message|Mensaje original|Message d'origine"
      u"|Ursprüngliche Nachricht|Исходное сообщение|原始邮件|原始郵件)\\s*-{3,}\\s*");
  // Contract 4.
  Pattern forward_marker = compile(
      u"\\s*(?:-{3,}[^-]*(?:forward|reenviad|transféré|weitergeleitet|пересыла|переслан|转发"
      u"|轉寄|轉發|chuyển\\s+tiếp)[^-]*-{3,}"
      u"|(?:Begin forwarded message|Inicio del mensaje reenviado|Début du message réexpédié"
      u"|Anfang der weitergeleiteten (?:Nachricht|E-Mail)"
      u"|Начало переадресованного (?:сообщения|письма))\\s*[:：])\\s*");
  Pattern forward_subject = compile(
      u"\\s*(?:\\[[^\\]]{0,60}\\]\\s*)*"
      u"(?:Fwd?|TR|WG|RV|ENC|Пересл\\.?|转发|轉寄|轉發|Chuyển\\s+tiếp)\\s*[:：]");
  // Contract 5.
  Pattern mobile_signature = compile(
      u"\\s*(?:Sent from my\\s.{1,40}"
      u"|Sent from (?:Yahoo Mail|Outlook|Mail for Windows|AOL Mobile Mail|Proton Mail)\\b.{0,40}"
      u"|Get Outlook for (?:iOS|Android)"
      u"|Enviado desde mi\\s.{1,40}"
      u"|Enviado desde (?:Yahoo Mail|Outlook|Correo para Windows)\\b.{0,40}"
      u"|Obtener Outlook para (?:iOS|Android)"
      u"|Envoyé (?:de|depuis) mon\\s.{1,40}"
      u"|Obtenir Outlook pour (?:iOS|Android)"
      u"|Von meinem\\s.{1,40}\\sgesendet"
      u"|Отправлено (?:с|из)\\s(?:моего\\s)?(?:iPhone|iPad|Android|Galaxy|Samsung|мобильно|телефона"
      u"|устройства).{0,30}"
      u"|发自我的.{1,40}"
      u"|从我的.{1,40}发送"
      u"|Được gửi từ\\s.{1,40}"
      u")\\s*(?:<[^>\\s]*>|\\[[^\\]\\s]*\\]|\\([^)\\s]*\\))?\\s*");
};

const Patterns& patterns() {
  static const Patterns instance;
  return instance;
}

// A matcher of one built-in pattern, reused for every line of one message: compiled patterns are
// shared between threads, matchers are not.
class Matcher {
 public:
  explicit Matcher(const Pattern& pattern) {
    UErrorCode status = U_ZERO_ERROR;
    matcher_.reset(pattern->matcher(status));
    check(status, "regex matcher");
  }

  // Whether the pattern matches all of `text`.
  bool matches(const icu::UnicodeString& text) { return run(text, true); }
  // Whether the pattern matches a prefix of `text`.
  bool starts(const icu::UnicodeString& text) { return run(text, false); }

 private:
  bool run(const icu::UnicodeString& text, bool whole) {
    UErrorCode status = U_ZERO_ERROR;
    matcher_->reset(text);
    const bool found = whole ? matcher_->matches(status) : matcher_->lookingAt(status);
    check(status, "regex match");
    return found;
  }

  std::unique_ptr<icu::RegexMatcher> matcher_;
};

std::vector<Matcher> attribution_matchers() {
  std::vector<Matcher> matchers;
  for (const CompiledShape& shape : patterns().attribution_shapes)
    matchers.emplace_back(shape.pattern);
  return matchers;
}

struct Matchers {
  std::vector<Matcher> attribution = attribution_matchers();  // one per attribution shape
  Matcher from_field{patterns().from_field};
  Matcher sent_field{patterns().sent_field};
  Matcher addressed_field{patterns().addressed_field};
  Matcher original_separator{patterns().original_separator};
  Matcher forward_marker{patterns().forward_marker};
  Matcher forward_subject{patterns().forward_subject};
  Matcher mobile_signature{patterns().mobile_signature};
};

struct Line {
  std::string_view bytes;   // without its line terminator
  icu::UnicodeString nfc;   // the line in NFC
  bool blank = false;       // only white space and default-ignorable code points (U+FEFF, ZWSP)
  bool quote_mark = false;  // contract 3's ">" line

  // Neither blank nor a ">" line: a line the patterns look at.
  bool is_text() const { return !blank && !quote_mark; }
  // Short enough to be a separator, forward marker or mobile signature line.
  bool is_short() const { return nfc.length() <= kMaxMarkerLength; }
};

bool is_quote_mark(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\t')) ++i;
  if (i == bytes.size() || bytes[i] != '>') return false;
  return i + 1 == bytes.size() || bytes[i + 1] == ' ' || bytes[i + 1] == '\t' ||
         bytes[i + 1] == '>';
}

bool is_blank(const icu::UnicodeString& text) {
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    i += U16_LENGTH(c);
    if (!u_isUWhiteSpace(c) && !u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
      return false;
    }
  }
  return true;
}

// The text with "\r\n" and lone "\r" turned into "\n".
std::string with_lf_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out.push_back(text[i]);
    } else {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    }
  }
  return out;
}

// Lines of an LF-only body; views into it. A final "\n" adds no line.
std::vector<Line> split_lines(const std::string& body) {
  std::vector<Line> lines;
  std::size_t begin = 0;
  while (begin < body.size()) {
    std::size_t end = body.find('\n', begin);
    if (end == std::string::npos) end = body.size();
    Line line;
    line.bytes = std::string_view(body).substr(begin, end - begin);
    line.nfc = to_nfc(
        icu::UnicodeString::fromUTF8(icu::StringPiece(line.bytes.data(), line.bytes.size())));
    line.blank = is_blank(line.nfc);
    line.quote_mark = !line.blank && is_quote_mark(line.bytes);
    lines.push_back(std::move(line));
    begin = end + 1;
  }
  return lines;
}

std::size_t next_non_blank(const std::vector<Line>& lines, std::size_t from) {
  while (from < lines.size() && lines[from].blank) ++from;
  return from;
}

// The text without leading and trailing White_Space (which includes the no-break spaces).
icu::UnicodeString trim_white(const icu::UnicodeString& text) {
  int32_t begin = 0;
  int32_t end = text.length();
  while (begin < end && u_isUWhiteSpace(text.char32At(begin))) {
    begin += U16_LENGTH(text.char32At(begin));
  }
  while (end > begin && u_isUWhiteSpace(text.char32At(end - 1))) {
    end = text.getChar32Start(end - 1);
  }
  return icu::UnicodeString(text, begin, end - begin);
}

bool ends_with_colon(const icu::UnicodeString& text) {
  const icu::UnicodeString trimmed = trim_white(text);
  const int32_t n = trimmed.length();
  return n > 0 && (trimmed[n - 1] == u':' || trimmed[n - 1] == kFullWidthColon);
}

bool is_rule(const icu::UnicodeString& text) {
  int32_t underscores = 0;
  for (int32_t i = 0; i < text.length(); ++i) {
    if (text[i] == u'_') {
      ++underscores;
    } else if (!u_isUWhiteSpace(text[i])) {
      return false;
    }
  }
  return underscores >= static_cast<int32_t>(kMinRuleUnderscores);
}

bool header_block_at(Matchers& m, const std::vector<Line>& lines, std::size_t at) {
  if (at >= lines.size() || !lines[at].is_text() || !m.from_field.starts(lines[at].nfc)) {
    return false;
  }
  bool sent = false;
  bool addressed = false;
  for (std::size_t i = at + 1;
       i < lines.size() && i <= at + kMaxHeaderBlockLines && lines[i].is_text(); ++i) {
    sent = sent || m.sent_field.starts(lines[i].nfc);
    addressed = addressed || m.addressed_field.starts(lines[i].nfc);
  }
  return sent && addressed;
}

// Contract 1: the first line of the Outlook-style quote, or lines.size() when there is none.
std::size_t find_outlook_quote(Matchers& m, const std::vector<Line>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].is_text()) continue;
    if ((lines[i].is_short() && m.original_separator.matches(lines[i].nfc)) ||
        header_block_at(m, lines, i) ||
        (is_rule(lines[i].nfc) && header_block_at(m, lines, next_non_blank(lines, i + 1)))) {
      return i;
    }
  }
  return lines.size();
}

struct Range {
  std::size_t begin;
  std::size_t end;
};

bool is_attribution(Matchers& m, const icu::UnicodeString& line) {
  const icu::UnicodeString folded_line = folded(line);
  const std::vector<CompiledShape>& shapes = patterns().attribution_shapes;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    if (folded_line.indexOf(shapes[i].keyword) >= 0 && m.attribution[i].matches(line)) return true;
  }
  return false;
}

// The attribution (contract 2) that ends at line `last`, not reaching above line `lowest`: the
// shortest run of text lines ending there that matches.
std::optional<Range> attribution_ending_at(Matchers& m, const std::vector<Line>& lines,
                                           std::size_t lowest, std::size_t last) {
  if (!lines[last].is_text() || !ends_with_colon(lines[last].nfc)) return std::nullopt;
  icu::UnicodeString joined;
  for (std::size_t count = 1; count <= kMaxAttributionLines && last + 1 >= lowest + count;
       ++count) {
    const std::size_t first = last + 1 - count;
    if (!lines[first].is_text()) break;
    joined = count == 1 ? lines[first].nfc
                        : icu::UnicodeString(lines[first].nfc).append(u' ').append(joined);
    if (joined.length() > kMaxAttributionLength) break;
    if (is_attribution(m, joined)) return Range{first, last + 1};
  }
  return std::nullopt;
}

// Contract 2: the attributions above `cut` that introduce a quote. An attribution directly above
// the Outlook-style quote moves `cut` up to it.
std::vector<Range> find_attributions(Matchers& m, const std::vector<Line>& lines,
                                     std::size_t& cut) {
  std::vector<Range> found;
  for (std::size_t last = 0; last < cut; ++last) {
    const std::size_t lowest = found.empty() ? 0 : found.back().end;
    const std::optional<Range> attribution = attribution_ending_at(m, lines, lowest, last);
    if (!attribution) continue;
    const std::size_t next = next_non_blank(lines, attribution->end);
    if (next == cut && cut < lines.size()) {
      cut = attribution->begin;
      break;
    }
    if (next < cut && lines[next].quote_mark) found.push_back(*attribution);
  }
  return found;
}

// Contract 5: where the signature starts in the kept block `block`, if it has one.
std::optional<std::size_t> find_signature(Matchers& m, const std::vector<Line>& lines,
                                          Range block) {
  const Line& last = lines[block.end - 1];
  std::optional<std::size_t> start;
  if (last.is_short() && m.mobile_signature.matches(last.nfc)) start = block.end - 1;
  for (std::size_t i = block.end; i-- > block.begin;) {
    if (trim_white(lines[i].nfc) != icu::UnicodeString(u"--")) continue;
    const auto after = static_cast<std::size_t>(
        std::count_if(lines.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                      lines.begin() + static_cast<std::ptrdiff_t>(block.end),
                      [](const Line& line) { return !line.blank; }));
    if (after <= kMaxSignatureLines) start = std::min(start.value_or(i), i);
    break;
  }
  return start;
}

void rtrim(std::string& text) {
  const std::size_t end = text.find_last_not_of(" \t\n\r\f\v");
  text.erase(end == std::string::npos ? 0 : end + 1);
}

std::string join_lines(const std::vector<Line>& lines, Range range) {
  std::string out;
  for (std::size_t i = range.begin; i < range.end; ++i) {
    if (i > range.begin) out.push_back('\n');
    out.append(lines[i].bytes);
  }
  return out;
}

std::string join_blocks(const std::vector<Line>& lines, const std::vector<Range>& blocks) {
  std::string out;
  for (const Range& block : blocks) {
    if (!out.empty()) out.append("\n\n");
    out.append(join_lines(lines, block));
  }
  rtrim(out);
  return out;
}

// Contract 7: the whole message, untrimmed.
TrimmedReply whole(const std::string& body, const std::vector<Line>& lines) {
  TrimmedReply reply;
  const std::size_t first = next_non_blank(lines, 0);
  if (first < lines.size()) {
    reply.text = body.substr(static_cast<std::size_t>(lines[first].bytes.data() - body.data()));
    rtrim(reply.text);
  }
  return reply;
}

bool forward_subject(Matcher& matcher, std::string_view utf8_subject) {
  return matcher.starts(to_nfc(
      icu::UnicodeString::fromUTF8(icu::StringPiece(utf8_subject.data(), utf8_subject.size()))));
}

// Contract 4: where the forwarded part starts (lines.size() for a forward by subject in which
// none is found), or nullopt when the message is no forward. `first_attribution` is where the
// first attribution or the rule 1 quote starts (lines.size() when neither does).
std::optional<std::size_t> find_forward(Matchers& m, const std::vector<Line>& lines,
                                        std::size_t first_attribution, bool by_subject) {
  for (std::size_t i = 0; i < first_attribution; ++i) {
    if (lines[i].is_text() && lines[i].is_short() && m.forward_marker.matches(lines[i].nfc)) {
      return i;
    }
  }
  if (by_subject) return first_attribution;
  return std::nullopt;
}

// Contract 4: the note above the forwarded part, without its signature, and the whole
// forwarded part from line `start`.
TrimmedReply forwarded(Matchers& m, const std::string& body, const std::vector<Line>& lines,
                       std::size_t start) {
  TrimmedReply reply = whole(body, lines);
  reply.forwarded = true;
  if (start >= lines.size()) return reply;
  const std::size_t first = next_non_blank(lines, 0);
  std::size_t note_end = start;
  while (note_end > first && lines[note_end - 1].blank) --note_end;
  if (note_end <= first) return reply;
  const std::optional<std::size_t> signature = find_signature(m, lines, Range{first, note_end});
  if (!signature) return reply;

  reply.signature = join_lines(lines, Range{*signature, note_end});
  rtrim(reply.signature);
  std::vector<Range> kept;
  std::size_t end = *signature;
  while (end > first && lines[end - 1].blank) --end;
  if (end > first) kept.push_back(Range{first, end});
  kept.push_back(Range{start, lines.size()});
  reply.text = join_blocks(lines, kept);
  reply.trimmed = true;
  return reply;
}

}  // namespace

bool is_forward_subject(std::string_view utf8_subject) {
  Matcher matcher(patterns().forward_subject);
  return forward_subject(matcher, utf8_subject);
}

TrimmedReply trim_reply(std::string_view utf8_plain_text, const MailHeaders& headers) {
  const std::string body = with_lf_line_ends(utf8_plain_text);
  const std::vector<Line> lines = split_lines(body);

  Matchers m;
  std::size_t cut = find_outlook_quote(m, lines);
  const std::vector<Range> attributions = find_attributions(m, lines, cut);
  const std::size_t first_attribution = attributions.empty() ? cut : attributions.front().begin;

  if (const std::optional<std::size_t> start = find_forward(
          m, lines, first_attribution, forward_subject(m.forward_subject, headers.subject))) {
    return forwarded(m, body, lines, *start);
  }

  std::vector<bool> quoted(lines.size(), false);
  std::fill(quoted.begin() + static_cast<std::ptrdiff_t>(cut), quoted.end(), true);
  for (const Range& attribution : attributions) {
    for (std::size_t i = attribution.begin; i < attribution.end; ++i) quoted[i] = true;
  }
  for (std::size_t i = first_attribution; i < cut; ++i) {
    if (lines[i].quote_mark) quoted[i] = true;
  }
  std::size_t trailing_run = first_attribution;
  while (trailing_run > 0 && !lines[trailing_run - 1].is_text()) --trailing_run;
  for (std::size_t i = trailing_run; i < first_attribution; ++i) {
    if (lines[i].quote_mark) quoted[i] = true;
  }

  // Blocks: maximal runs of non-blank lines of one kind, with the blank lines between them.
  std::vector<Range> kept;
  std::vector<Range> removed;
  std::optional<bool> previous_quoted;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].blank) continue;
    std::vector<Range>& blocks = quoted[i] ? removed : kept;
    if (previous_quoted == quoted[i]) {
      blocks.back().end = i + 1;
    } else {
      blocks.push_back(Range{i, i + 1});
    }
    previous_quoted = quoted[i];
  }
  if (kept.empty()) return whole(body, lines);

  TrimmedReply reply;
  if (const std::optional<std::size_t> signature = find_signature(m, lines, kept.back())) {
    reply.signature = join_lines(lines, Range{*signature, kept.back().end});
    rtrim(reply.signature);
    std::size_t end = *signature;
    while (end > kept.back().begin && lines[end - 1].blank) --end;
    kept.back().end = end;
    if (kept.back().begin == end) kept.pop_back();
    if (kept.empty()) return whole(body, lines);
  }
  reply.text = join_blocks(lines, kept);
  reply.quoted = join_blocks(lines, removed);
  reply.trimmed = !reply.quoted.empty() || !reply.signature.empty();
  return reply;
}

}  // namespace frontdoor::email
