#include "channels/email/outbound_message.hpp"

#include "i18n/text.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>

#include "channels/email/mime_message.hpp"
#include "daemon/crypto/tokens.hpp"

namespace frontdoor::email {
namespace {

constexpr std::size_t kMaxReferences = 20;
constexpr std::string_view kIdPrefix = "fd.";
constexpr std::size_t kRandomHexDigits = 8;

struct FormatOptionsFree {
  void operator()(GMimeFormatOptions* options) const noexcept {
    g_mime_format_options_free(options);
  }
};
using FormatOptionsPtr = std::unique_ptr<GMimeFormatOptions, FormatOptionsFree>;

struct DateTimeUnref {
  void operator()(GDateTime* date) const noexcept { g_date_time_unref(date); }
};
using DateTimePtr = std::unique_ptr<GDateTime, DateTimeUnref>;

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char c) { return is_ascii_alpha(c) || is_ascii_digit(c); }

bool starts_with_ascii_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ascii_lower(s[i]) != ascii_lower(prefix[i])) return false;
  }
  return true;
}

// Header text on one line: CR, LF and tab become spaces, other controls go, runs of spaces from
// line breaks collapse, the ends are trimmed.
std::string one_line(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (const char c : utf8) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (u >= 0x20 && u != 0x7F) {
      out += c;
    }
  }
  return std::string(trim(out));
}

// A message id or addr-spec that can stand between <> in a header: printable ASCII, no
// whitespace, no '<' or '>'.
bool is_plain_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F && c != '<' && c != '>';
  });
}

bool is_plain_address(std::string_view s) {
  const std::size_t at = s.rfind('@');
  return is_plain_token(s) && at != std::string_view::npos && at > 0 && at + 1 < s.size();
}

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

bool is_id_field(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_ascii_alnum(c) || c == '-' || c == '_';
  });
}

bool is_domain(std::string_view s) {
  return !s.empty() && s.front() != '.' && s.back() != '.' &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return is_ascii_alnum(c) || c == '-' || c == '.'; });
}

// A loose BCP 47 check: subtags of 1-8 letters/digits separated by '-', the first alphabetic.
bool is_language_tag(std::string_view s) {
  if (s.empty() || s.size() > 64 || !is_ascii_alpha(s.front())) return false;
  std::size_t subtag = 0;
  for (const char c : s) {
    if (c == '-') {
      if (subtag == 0) return false;
      subtag = 0;
    } else if (is_ascii_alnum(c) && ++subtag <= 8) {
      continue;
    } else {
      return false;
    }
  }
  return subtag > 0;
}

// The References ids: `references` then `in_reply_to`, valid, without duplicates, at most
// kMaxReferences (the first and the newest).
std::vector<std::string> reference_ids(const OutboundMail& mail) {
  std::vector<std::string> ids;
  auto add = [&ids](std::string_view raw) {
    const std::string id(trim(raw));
    if (!is_plain_token(id) || std::find(ids.begin(), ids.end(), id) != ids.end()) return;
    ids.push_back(id);
  };
  for (const std::string& id : mail.references) add(id);
  add(mail.in_reply_to);
  if (ids.size() > kMaxReferences) {
    ids.erase(ids.begin() + 1, ids.end() - static_cast<std::ptrdiff_t>(kMaxReferences - 1));
  }
  return ids;
}

// Line breaks as "\n".
std::string unix_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

void append_escaped(std::string& out, std::string_view text) { out += i18n::escape_html(text); }

// The length of the link starting at line[at], or 0 when none starts there.
std::size_t link_length(std::string_view line, std::size_t at) {
  if (at > 0 && (is_ascii_alnum(line[at - 1]) || line[at - 1] == '/' || line[at - 1] == '@')) {
    return 0;
  }
  const std::string_view rest = line.substr(at);
  std::size_t scheme = 0;
  for (std::string_view prefix : {"https://", "http://", "mailto:"}) {
    if (starts_with_ascii_ci(rest, prefix)) scheme = prefix.size();
  }
  if (scheme == 0) return 0;
  std::size_t end = scheme;
  while (end < rest.size() && !is_ascii_space(rest[end]) && rest[end] != '<' && rest[end] != '>' &&
         rest[end] != '"' && static_cast<unsigned char>(rest[end]) >= 0x20) {
    ++end;
  }
  // Trailing punctuation belongs to the sentence; ')' only when it has no '(' in the link.
  while (end > scheme) {
    const char last = rest[end - 1];
    if (std::string_view(".,;:!?'").find(last) != std::string_view::npos) {
      --end;
    } else if (last == ')') {
      const std::string_view link = rest.substr(0, end);
      if (std::count(link.begin(), link.end(), '(') >= std::count(link.begin(), link.end(), ')')) {
        break;
      }
      --end;
    } else {
      break;
    }
  }
  return end > scheme ? end : 0;
}

void append_line_html(std::string& out, std::string_view line) {
  std::size_t plain_start = 0;
  for (std::size_t i = 0; i < line.size();) {
    const std::size_t length = link_length(line, i);
    if (length == 0) {
      ++i;
      continue;
    }
    append_escaped(out, line.substr(plain_start, i - plain_start));
    const std::string_view link = line.substr(i, length);
    out += "<a href=\"";
    append_escaped(out, link);
    out += "\">";
    append_escaped(out, link);
    out += "</a>";
    i += length;
    plain_start = i;
  }
  append_escaped(out, line.substr(plain_start));
}

void set_content(GMimePart* part, const std::string& content) {
  const GObjectRef<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(content.data(), content.size()));  // copies the bytes
  const GObjectRef<GMimeDataWrapper> wrapper(
      g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, wrapper.get());
}

// One leaf of the alternative: `content` (UTF-8, "\n" line ends) as text/<subtype>;
// charset=utf-8, in the transfer encoding GMime finds best for 7-bit transport. Base64 text is
// encoded in its canonical form, with CRLF line ends (RFC 2046 4.1.1); quoted-printable and
// 7bit get CRLF from the writer.
GObjectRef<GMimeTextPart> text_part(const char* subtype, const std::string& content) {
  GObjectRef<GMimeTextPart> part(g_mime_text_part_new_with_subtype(subtype));
  GMimePart* leaf = GMIME_PART(part.get());
  set_content(leaf, content);
  g_mime_text_part_set_charset(part.get(), "utf-8");
  const GMimeContentEncoding encoding =
      g_mime_part_get_best_content_encoding(leaf, GMIME_ENCODING_CONSTRAINT_7BIT);
  if (encoding == GMIME_CONTENT_ENCODING_BASE64) {
    std::string canonical;
    canonical.reserve(content.size() + content.size() / 32);
    for (const char c : content) {
      if (c == '\n') canonical += '\r';
      canonical += c;
    }
    set_content(leaf, canonical);
  }
  g_mime_part_set_content_encoding(leaf, encoding);
  return part;
}

std::string bracketed(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ' ';
    out += '<' + id + '>';
  }
  return out;
}

// The reply prefix `subject` starts with (case-insensitively), any counter ("[2]", "(2)") and
// spaces, and the ':' — true when all are there.
bool has_reply_prefix(std::string_view subject) {
  // "Réf" as written and upper-cased (ASCII case folding does not reach the accent). Not "RV"
  // nor "ENC": Spanish and Portuguese Outlook mark forwards with them, and a reply to a forward
  // is a reply.
  static constexpr std::array<std::string_view, 8> kPrefixes{"re",
                                                             "aw",
                                                             "sv",
                                                             "antw",
                                                             "rif",
                                                             "res",
                                                             "r\xC3\xA9"
                                                             "f",
                                                             "r\xC3\x89"
                                                             "f"};
  for (std::string_view prefix : kPrefixes) {
    if (!starts_with_ascii_ci(subject, prefix)) continue;
    std::string_view rest = subject.substr(prefix.size());
    if (!rest.empty() && (rest.front() == '[' || rest.front() == '(')) {
      const char close = rest.front() == '[' ? ']' : ')';
      std::size_t i = 1;
      while (i < rest.size() && is_ascii_digit(rest[i])) ++i;
      if (i == 1 || i >= rest.size() || rest[i] != close) continue;
      rest.remove_prefix(i + 1);
    }
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == ':') return true;
  }
  return false;
}

}  // namespace

std::string reply_subject(std::string_view subject) {
  const std::string line = one_line(subject);
  if (line.empty()) return "Re:";
  if (has_reply_prefix(line)) return line;
  return "Re: " + line;
}

std::string text_to_html(std::string_view text, std::string_view language) {
  std::string out = "<!DOCTYPE html>\n<html";
  if (is_language_tag(language)) {
    out += " lang=\"";
    append_escaped(out, language);
    out += '"';
  }
  out += ">\n<head><meta charset=\"utf-8\"></head>\n<body>\n";
  const std::string normalized = unix_newlines(text);
  std::vector<std::string_view> paragraph;
  auto end_paragraph = [&] {
    if (paragraph.empty()) return;
    out += "<p>";
    for (std::size_t i = 0; i < paragraph.size(); ++i) {
      if (i > 0) out += "<br>\n";
      append_line_html(out, paragraph[i]);
    }
    out += "</p>\n";
    paragraph.clear();
  };
  std::string_view rest(normalized);
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (trim(line).empty()) {
      end_paragraph();
    } else {
      std::string_view kept = line;
      while (!kept.empty() && is_ascii_space(kept.back())) kept.remove_suffix(1);
      paragraph.push_back(kept);
    }
  }
  end_paragraph();
  out += "</body>\n</html>\n";
  return out;
}

std::string build_mime(const OutboundMail& mail) {
  const std::string from_address(trim(mail.from_address));
  const std::string to_address(trim(mail.to_address));
  const std::string reply_to(trim(mail.reply_to));
  const std::string message_id(trim(mail.message_id));
  require(is_plain_address(from_address), "build_mime: invalid from_address");
  require(is_plain_address(to_address), "build_mime: invalid to_address");
  require(reply_to.empty() || is_plain_address(reply_to), "build_mime: invalid reply_to");
  require(is_plain_address(message_id), "build_mime: invalid message_id");

  ensure_gmime();
  const GObjectRef<GMimeMessage> message(g_mime_message_new(TRUE));
  GMimeObject* headers = GMIME_OBJECT(message.get());

  const std::string from_name = one_line(mail.from_name);
  const std::string to_name = one_line(mail.to_name);
  g_mime_message_add_mailbox(message.get(), GMIME_ADDRESS_TYPE_FROM,
                             from_name.empty() ? nullptr : from_name.c_str(), from_address.c_str());
  g_mime_message_add_mailbox(message.get(), GMIME_ADDRESS_TYPE_TO,
                             to_name.empty() ? nullptr : to_name.c_str(), to_address.c_str());
  if (!reply_to.empty()) {
    g_mime_message_add_mailbox(message.get(), GMIME_ADDRESS_TYPE_REPLY_TO, nullptr,
                               reply_to.c_str());
  }
  g_mime_message_set_subject(message.get(), reply_subject(mail.subject).c_str(), "utf-8");
  const DateTimePtr date(g_date_time_new_from_unix_utc(mail.date_unix));
  if (date) g_mime_message_set_date(message.get(), date.get());
  g_mime_message_set_message_id(message.get(), message_id.c_str());

  const std::string in_reply_to(trim(mail.in_reply_to));
  if (is_plain_token(in_reply_to)) {
    g_mime_object_set_header(headers, "In-Reply-To", ('<' + in_reply_to + '>').c_str(), nullptr);
  }
  const std::vector<std::string> references = reference_ids(mail);
  if (!references.empty()) {
    g_mime_object_set_header(headers, "References", bracketed(references).c_str(), nullptr);
  }

  // Each part ends with a line break: the one before a boundary belongs to the boundary.
  auto ended = [](std::string s) {
    if (!s.empty() && s.back() != '\n') s += '\n';
    return s;
  };
  const std::string text = ended(unix_newlines(mail.text));
  const std::string html =
      mail.html.empty() ? text_to_html(text, mail.language) : ended(unix_newlines(mail.html));
  const GObjectRef<GMimeMultipart> alternative(g_mime_multipart_new_with_subtype("alternative"));
  const GObjectRef<GMimeTextPart> plain_part = text_part("plain", text);
  const GObjectRef<GMimeTextPart> html_part = text_part("html", html);
  g_mime_multipart_add(alternative.get(), GMIME_OBJECT(plain_part.get()));
  g_mime_multipart_add(alternative.get(), GMIME_OBJECT(html_part.get()));
  const std::string language(trim(mail.language));
  if (is_language_tag(language)) {
    // GMime keeps a message's Content-* headers on its top MIME part.
    g_mime_object_set_header(GMIME_OBJECT(alternative.get()), "Content-Language", language.c_str(),
                             nullptr);
  }
  g_mime_message_set_mime_part(message.get(), GMIME_OBJECT(alternative.get()));

  const FormatOptionsPtr options(g_mime_format_options_new());
  g_mime_format_options_set_newline_format(options.get(), GMIME_NEWLINE_FORMAT_DOS);
  const GObjectRef<GMimeStream> out(g_mime_stream_mem_new());
  if (g_mime_object_write_to_stream(headers, options.get(), out.get()) < 0) {
    throw std::runtime_error("build_mime: GMime could not write the message");
  }
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string make_message_id(std::string_view conversation_id, std::string_view message_id,
                            std::string_view domain) {
  require(is_id_field(conversation_id), "make_message_id: invalid conversation id");
  require(is_id_field(message_id), "make_message_id: invalid message id");
  require(is_domain(domain), "make_message_id: invalid domain");
  std::string id(kIdPrefix);
  id.append(conversation_id);
  id += '.';
  id.append(message_id);
  id += '.';
  id += crypto::random_hex(kRandomHexDigits / 2);
  id += '@';
  id.append(domain);
  return id;
}

std::optional<std::pair<std::string, std::string>> parse_message_id(std::string_view id) {
  id = trim(id);
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>')
    id = trim(id.substr(1, id.size() - 2));
  const std::size_t at = id.rfind('@');
  if (at == std::string_view::npos || at + 1 >= id.size()) return std::nullopt;
  std::string_view local = id.substr(0, at);
  if (!local.starts_with(kIdPrefix)) return std::nullopt;
  local.remove_prefix(kIdPrefix.size());
  const std::size_t first_dot = local.find('.');
  if (first_dot == std::string_view::npos) return std::nullopt;
  const std::size_t second_dot = local.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return std::nullopt;
  const std::string_view conversation = local.substr(0, first_dot);
  const std::string_view message = local.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view random = local.substr(second_dot + 1);
  const bool random_ok =
      random.size() == kRandomHexDigits && std::all_of(random.begin(), random.end(), [](char c) {
        return is_ascii_digit(c) || (c >= 'a' && c <= 'f');
      });
  if (!is_id_field(conversation) || !is_id_field(message) || !random_ok) return std::nullopt;
  return std::pair{std::string(conversation), std::string(message)};
}

std::string reply_address(std::string_view conversation_id, std::string_view from_address) {
  const std::size_t at = from_address.rfind('@');
  if (at == std::string_view::npos || !is_id_field(conversation_id)) {
    throw std::invalid_argument("no reply address for this conversation or from address");
  }
  std::string_view local = from_address.substr(0, at);
  local = local.substr(0, local.find('+'));  // the city's own tag, if it has one, is replaced
  return std::string(local) + "+c" + std::string(conversation_id) +
         std::string(from_address.substr(at));
}

std::optional<std::string> conversation_of_reply_address(std::string_view address) {
  address = trim(address);
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    address = trim(address.substr(1, address.size() - 2));
  }
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view local = address.substr(0, at);
  const std::size_t plus = local.find('+');
  if (plus == std::string_view::npos || plus + 1 >= local.size()) return std::nullopt;
  std::string_view tag = local.substr(plus + 1);
  if (tag.front() != 'c' && tag.front() != 'C') return std::nullopt;
  tag.remove_prefix(1);
  if (!is_id_field(tag)) return std::nullopt;
  return std::string(tag);
}

}  // namespace frontdoor::email
