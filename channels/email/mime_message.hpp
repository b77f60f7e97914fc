// The MIME layer of the email channel: turns one raw RFC 5322 message (as received over SMTP/LMTP
// or fetched over IMAP) into the facts the channel needs. Pure: no I/O, no Redis, no storage.
//
// Contract
//  1. parse_mail() never throws on bad input and never gives up: whatever the bytes, it returns
//     what it could read. Anything malformed it noticed is described in ParsedMail::problems (no
//     message text in those descriptions beyond header names and MIME structure); the text may be
//     empty. Keeping the raw message for inspection is the caller's job.
//  2. Every string it returns is valid UTF-8: text in a declared charset is converted to UTF-8,
//     undeclared 8-bit text is read as UTF-8 when it is valid UTF-8 and as windows-1252 otherwise,
//     and any byte sequence that cannot be converted becomes U+FFFD. Normalization (NFC) is left
//     to ingest. Attachment data is the decoded bytes, untouched.
//  3. Charset labels are read as their common supersets, as mail clients write them: ISO-8859-1
//     as windows-1252, US-ASCII as undeclared (2), GB2312/GBK as GB18030, EUC-KR/ks_c_5601-1987 as
//     CP949, Shift_JIS as CP932 (Windows-31J), Big5 as Big5-HKSCS; ISO-2022-JP that the strict
//     decoder cannot read is read as Windows writes it (CP50221: ①, ㈱). Other labels go through
//     GMime's charset table to iconv. The same rules hold for bodies and for RFC 2047 encoded words
//     (subject, display names, file names); RFC 2231 parameter values (filename*=) are decoded
//     by GMime alone.
//  4. Thread-safe: calls on several threads at once share no parser state. GMime is initialized
//     once per process (ensure_gmime()).
//  5. Body: see ParsedMail::text. Every MIME leaf that is not part of the body is an attachment,
//     including the images of an HTML alternative that was not chosen (a resident's inline photo
//     must never be lost because the plain-text alternative won).
#pragma once

#include <glib-object.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace frontdoor::email {

// Owns one reference to a GObject (every GMime object, stream, parser and filter): unrefs it when
// destroyed. The one ownership wrapper for GMime in the project.
template <typename T>
class GObjectRef {
 public:
  GObjectRef() = default;
  // Adopts a reference the caller owns ("transfer full" in GMime's documentation, e.g. the result
  // of g_mime_parser_new()). nullptr is allowed.
  explicit GObjectRef(T* owned) noexcept : object_(owned) {}
  GObjectRef(GObjectRef&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  GObjectRef& operator=(GObjectRef&& other) noexcept {
    if (this != &other) {
      reset();
      object_ = std::exchange(other.object_, nullptr);
    }
    return *this;
  }
  GObjectRef(const GObjectRef&) = delete;
  GObjectRef& operator=(const GObjectRef&) = delete;
  ~GObjectRef() { reset(); }

  T* get() const noexcept { return object_; }
  explicit operator bool() const noexcept { return object_ != nullptr; }
  void reset() noexcept {
    if (object_ != nullptr) g_object_unref(std::exchange(object_, nullptr));
  }

 private:
  T* object_ = nullptr;
};

// Calls g_mime_init() exactly once per process, whichever thread comes first. Code that uses
// GMime directly (e.g. to compose outbound mail) calls this instead of g_mime_init().
void ensure_gmime();

struct MailAddress {
  std::string name;     // display name, RFC 2047 decoded, UTF-8; "" when none
  std::string address;  // addr-spec as given ("" when none), except that GMime turns an IDNA
                        // ("xn--") domain into Unicode

  // `address` with ASCII letters lower-cased: the form identities are stored and compared in.
  // Non-ASCII characters (internationalized addresses) are kept as given.
  std::string address_lower() const;
};

struct MailAttachment {
  std::string filename;      // decoded (RFC 2231, RFC 2047) UTF-8, last path component only,
                             // control characters removed; "" when the part names none
  std::string content_type;  // lower-case "type/subtype"
  std::string content_id;    // without <>; "" when none
  std::string data;          // decoded bytes (transfer encoding removed); for an attached
                             // message (message/rfc822) the message as written by GMime
  bool is_inline = false;    // Content-Disposition: inline, or a part of multipart/related
                             // without a disposition
};

struct ParsedMail {
  std::string message_id;  // without <>
  // Message ids of In-Reply-To (the first) and References (all, in order), without <>: every
  // <...> in the header; when there is none, the words that hold an '@'.
  std::string in_reply_to;
  std::vector<std::string> references;
  MailAddress from;                 // first mailbox of From
  MailAddress reply_to;             // first mailbox of Reply-To
  std::vector<MailAddress> to, cc;  // every mailbox, groups flattened
  std::string subject;              // decoded UTF-8, line breaks made spaces, trimmed
  std::string date;                 // the Date header as given, trimmed
  long long date_unix = 0;          // seconds since the epoch; 0 when absent or unreadable
  // The body as UTF-8 text, lines separated by "\n", no control characters but tab and newline:
  //  - multipart/alternative: the first text/plain alternative that is not blank; else the
  //    first multipart alternative; else the first HTML alternative, turned into text;
  //  - multipart/related: its root part (the "start" parameter, else the first part);
  //  - multipart/mixed and other multiparts: every inline text part in order, joined by a blank
  //    line; other parts are attachments;
  //  - a multipart whose parts the parser could not find (boundary missing or not the one the
  //    body uses) is read again with the boundary of its first delimiter line, else as text;
  //  - HTML is turned into safe text by html_to_text().
  std::string text;
  bool text_from_html = false;   // some of `text` came from HTML
  std::string content_language;  // Content-Language of the message, else of the first body part
  std::vector<MailAttachment> attachments;
  // Automatic mail: never answer it automatically. auto_reason names the evidence, e.g.
  // "Auto-Submitted: auto-replied", "Precedence: bulk", "X-Autoreply", "X-Auto-Response-Suppress:
  // OOF", "subject: automatic reply" (see auto_reply_subject in the .cpp), "Return-Path: <>",
  // "From: MAILER-DAEMON", "delivery status notification".
  bool auto_submitted = false;
  std::string auto_reason;
  // A delivery status notification (multipart/report; report-type=delivery-status). The status
  // is that of the first recipient whose Action is failed, else delayed, else the first one:
  // class 2 delivered, 4 transient, 5 permanent. bounce_permanent when it starts with "5" (or
  // Action is failed without a Status). Bounces are also auto_submitted.
  bool is_bounce = false;
  std::string bounced_message_id;  // Message-ID of the returned message or headers, without <>
  std::string bounce_status;       // e.g. "5.1.1"
  bool bounce_permanent = false;
  std::vector<std::string> problems;  // malformed things noticed, at most 50 (then a count)
};

ParsedMail parse_mail(std::string_view raw_rfc5322_bytes);

// Turns HTML (UTF-8; ill-formed sequences become U+FFFD) into safe plain text: tags removed;
// the content of head, script, style, title, template, svg, noembed and xml (Word) removed;
// comments removed; entities decoded (numeric, and the HTML 4 Latin-1 and
// common typographic names; unknown names are kept as written); whitespace collapsed as a
// browser does (except in <pre>); <br> a line break; <p>, <div>, <li>, <tr>, headings, lists,
// tables and other blocks start new lines (paragraph-like blocks leave a blank line); links keep
// their target in parentheses after their text ("city site (https://city.example/)") unless the
// text is the target, javascript:/vbscript:/data: and in-page (#) targets are dropped; no control
// characters but tab and newline; lines trimmed at their end; at most one blank line in a row.
// Quoted mail is marked as plain-text mail marks it, so that trim_reply() (reply_trimmer.hpp)
// finds it: every line inside a <blockquote> starts with "> ", one per level of nesting ("> > "
// inside two; at most 16), and a blank line between two quoted lines is ">" (as deep as the
// shallower of them). The same holds inside Yahoo Mail's <div class="yahoo_quoted">. A
// <blockquote> that Gmail's or Apple Mail's indent button wrote (style with "border:none" and no
// border-left, no type="cite") is indentation, not a quote. The marks are added to text only: no
// markup reaches the result.
std::string html_to_text(std::string_view utf8_html);

}  // namespace frontdoor::email
