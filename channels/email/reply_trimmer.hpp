// Reply trimming for inbound email: finds the part of a resident's reply that is new, so the
// agent sees "It's still there" and not the whole thread quoted below it; the full message stays
// one click away. Pure: no I/O.
//
// Input is the plain-text body, UTF-8, as the MIME layer produced it (for HTML-only mail,
// html_to_text() renders quoted mail, <blockquote> and the like, as "> " lines, which rule 3
// below then sees as quote; an Outlook reply's header block is text, rule 1). Lines may end in LF,
// CRLF or CR; every output uses LF. Lines are never rewritten: every non-blank line of the
// message ends up, byte for byte (trailing white space at the very end of a field aside), in
// exactly one of text, quoted and signature. Ill-formed UTF-8 passes through unchanged (it is
// matched as U+FFFD). Throws std::runtime_error only when ICU itself fails (e.g. out of memory).
//
// Contract (patterns are matched on the NFC form of a line, case-insensitively, with any Unicode
// white space, e.g. the no-break space French puts before ":", and ":" or full-width "："):
//  1. Outlook-style quote. Everything from the first of these lines to the end is quoted:
//     - an original-message separator on a line of its own: "-----Original Message-----",
//       "-----Mensaje original-----", "-----Message d'origine-----", "-----Ursprüngliche
//       Nachricht-----", "-----Исходное сообщение-----", "-----原始邮件-----" (3+ dashes);
//     - a header block: a From line (From, De, Von, От, 发件人, 寄件者, Từ; "*From:*" too),
//       followed before the next blank or ">" line and within 8 lines by a sent/date line (Sent,
//       Date, Enviado, Enviado el, Fecha, Envoyé, Gesendet, Datum, Отправлено, Дата, 发送时间,
//       日期, Đã gửi, Ngày) and a to/subject line (To, Para, À, An, Кому, 收件人, Đến; Subject,
//       Asunto, Objet, Betreff, Тема, 主题, 主旨, Chủ đề);
//     - a line of 10 or more underscores when the next non-blank line starts such a block.
//     The text under such a block carries no ">" marks, so nothing after it is treated as new.
//  2. Attribution lines. A line of its own, or one wrapped over up to 3 lines (Gmail wraps long
//     ones: "... Ana <" / "ana@example.org> wrote:"), that contains a digit (a date) and has one of
//     these shapes:
//       "On … wrote:"       (Gmail, Apple Mail, Thunderbird, Outlook.com, Yahoo)
//       "El … escribió:"    "Le … a écrit :"    "Am … schrieb …:"
//       "… написал(а):", "… написал:", "… написала:", "… пишет:", and Gmail's Russian
//       "вт, 24 нояб. 2026 г. в 23:04, Ana <ana@x>:"
//       "… 写道：" / "… 寫道：" (Gmail: "Ana <ana@x> 于2026年11月24日周二 下午11:04写道：")
//       "… đã viết:"        (Gmail: "Vào Th 3, 24 thg 11, 2026 vào lúc 23:04 Ana <…> đã viết:")
//     is an attribution only when its next non-blank line is a ">" line or starts rule 1's
//     quote; in the second case the quote starts at the attribution. So "On Monday I wrote: …"
//     inside a sentence, or on its own line above more of the resident's text, is never a cut.
//     From the first attribution on, attribution lines and ">" lines are quoted and every other
//     line is new text: bottom-posted replies and inline replies (answers between quote blocks)
//     keep all of the resident's lines.
//  3. ">" lines. A quote line is optional spaces or tabs, ">", then a space, a tab, another ">"
//     or the end of the line (">5 potholes" is not one). Above the first attribution (or
//     anywhere, when there is none) ">" lines are quoted only as a trailing run: nothing but
//     ">" and blank lines between them and the first attribution, the rule 1 quote or the end
//     of the message. A ">" run followed by more of the resident's own text is the resident
//     quoting on purpose ("The sign says:" / "> No parking 8am-6pm" / "but …") and is kept, and
//     so is an inline reply with no attribution above it.
//  4. Forwarded mail is kept whole. A message is a forward when
//     - its subject (MailHeaders::subject) starts, after any "[tag]"s, with a forward prefix:
//       "Fwd:", "Fw:"/"FW:" (Gmail and Apple Mail write "Fwd:" in every language), "TR:"
//       (French Outlook), "WG:" (German), "RV:" (Spanish), "ENC:" (Portuguese), "Пересл:"
//       (Russian), "转发:", "轉寄:", "轉發:" (Chinese), "Chuyển tiếp:" (Vietnamese); a reply to a
//       forward ("Re: Fwd: …") is not one; or
//     - a forwarded-message marker is a line of its own, not a ">" line, above the first
//       attribution and the rule 1 quote ("---------- Forwarded message ---------" and
//       dash-framed "Forwarded Message", "Mensaje reenviado", "Message transféré",
//       "Weitergeleitete Nachricht", "Пересылаемое сообщение", "转发", "Chuyển tiếp"…; Apple
//       Mail's "Begin forwarded message:", "Inicio del mensaje reenviado:", "Début du message
//       réexpédié :", "Anfang der weitergeleiteten Nachricht:", "Начало переадресованного
//       сообщения:").
//     The forwarded part starts at that marker, or, for a forward known by its subject only, at
//     the first attribution or the rule 1 quote (an Outlook forward's From/Sent/To block,
//     Thunderbird's "-------- Original Message --------"). Nothing is quoted: text is the
//     resident's note above the forwarded part and the whole forwarded part, its header block
//     included (it says who wrote it). Only the note's own signature goes: rule 5 applied to
//     the note (its lines above the forwarded part), so "Sent from my iPhone" or a "-- " block
//     above "Begin forwarded message:" is removed, and the note and the forwarded part are
//     then joined by one blank line. A forward by subject in which no forwarded part is found
//     (forwarded as an attachment, or a form not listed) is kept whole.
//     "-----Original Message-----" and "-------- Original message --------" alone do not make a
//     forward: Outlook and Samsung Email write them above replies too (rule 1).
//  5. Signature, looked for in the last block of new text only: from the last "-- " line
//     (RFC 3676; "--" too, as HTML rendering and some transports drop the space) when at most
//     10 non-blank lines follow it, or from a last line that is a mobile client's signature
//     ("Sent from my iPhone", "Get Outlook for Android", "Enviado desde mi iPhone", "Envoyé de
//     mon iPhone", "Von meinem iPhone gesendet", "Отправлено с iPhone", "发自我的iPhone",
//     "Được gửi từ iPhone của tôi", …, optionally followed by a "<link>", "[link]" or "(link)"),
//     whichever starts earlier, to the end of that block.
//  6. Assembly. text is the kept lines in order; where quoted lines were removed between kept
//     lines, the kept blocks are joined by one blank line. quoted is the removed quote blocks,
//     joined the same way; signature is the removed signature lines. Each has no leading or
//     trailing blank lines, and its trailing white space is trimmed.
//  7. Never empty. When no non-blank new line would remain (a reply that is only a quote, only a
//     signature, or empty), and for forwarded mail with no note signature (rule 4), the result
//     is the whole message: text is the message with leading blank lines and trailing white
//     space removed, trimmed is false, quoted and signature are empty. trimmed is true exactly
//     when quoted or signature is not empty.
// Not recognised: Somali and Tagalog client forms, Apple Mail's Chinese and Vietnamese forward
// lines (no verified real samples of either), clients that quote without ">" marks and without
// an Outlook header block, signatures without a delimiter ("Thanks,\nAna" stays in text).
#pragma once

#include <string>
#include <string_view>

namespace frontdoor::email {

struct TrimmedReply {
  std::string text;        // the new part, trailing white space trimmed
  bool trimmed = false;    // whether anything was removed (quoted or signature not empty)
  std::string quoted;      // what was removed as quote (for "show full message")
  std::string signature;   // removed signature
  bool forwarded = false;  // the message is a forward (contract 4); quoted is then empty
};

// What the trimmer knows of the message besides its body.
struct MailHeaders {
  std::string_view subject;  // the decoded Subject, UTF-8; empty when unknown
};

TrimmedReply trim_reply(std::string_view utf8_plain_text, const MailHeaders& headers = {});

// Whether a subject starts with a forward prefix (contract 4).
bool is_forward_subject(std::string_view utf8_subject);

}  // namespace frontdoor::email
