// The outbound MIME layer of the email channel: turns one reply from the city into the RFC 5322
// bytes to hand to the mail server, and names outbound mail so that a resident's answer can be
// threaded back to its conversation. Pure: no I/O (except the OS's random generator in
// make_message_id()), no Redis, no storage. Built with GMime (ensure_gmime(), GObjectRef from
// mime_message.hpp).
//
// Message-ID format (make_message_id / parse_message_id)
//
//     fd.<conversation id>.<message id>.<8 lower-case hex>@<domain>
//
//   e.g. "fd.42.1700000000000-0.9f2c01ab@mail.city.example". The conversation id and the
//   message id (a Redis stream id such as "1700000000000-0"; its '-' is kept) must each be
//   non-empty and made of ASCII letters, digits, '-' and '_' only: '.' separates the fields,
//   so it cannot appear inside one. The 8 hex digits are random (4 bytes from the OS's secure
//   generator) so that two mails for the same message (a resend) never share a Message-ID.
//   The id is a routing hint, not a credential: anyone can write one. parse_message_id() only
//   checks the shape; the caller must still confirm the conversation in the store (and may
//   check the domain) before trusting it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace frontdoor::email {

struct OutboundMail {
  std::string from_name;     // display name, UTF-8; "" for none
  std::string from_address;  // required
  std::string reply_to;      // address only; "" for no Reply-To header
  std::string to_name;       // display name, UTF-8; "" for none
  std::string to_address;    // required
  // The conversation's subject, UTF-8. build_mime() writes reply_subject(subject).
  std::string subject;
  std::string in_reply_to;              // Message-ID of the resident's last mail, without <>
  std::vector<std::string> references;  // the thread's Message-IDs, oldest first, without <>
  std::string message_id;               // without <>; required, see make_message_id()
  std::string language;                 // BCP 47 tag for Content-Language; "" for none
  std::string text;                     // UTF-8 plain text (required, may be empty)
  std::string html;                     // UTF-8 HTML document; "" makes one from `text`
  long long date_unix = 0;              // seconds since the epoch, written as UTC
};

// The RFC 5322 message for `mail`, every line ended by CRLF, no line over 998 bytes:
//  - From ("name" <address>), To, Reply-To (when given): display names RFC 2047-encoded
//    (UTF-8) when not ASCII; Subject: reply_subject(subject), RFC 2047-encoded when not ASCII;
//  - Date (UTC), Message-ID, In-Reply-To (when given);
//  - References: `references` then `in_reply_to` when it is not already among them (RFC 5322
//    3.6.4), duplicates and empty ids dropped; when there are more than 20, the first (the
//    thread's root) and the last 19 are kept. Folded by GMime;
//  - MIME-Version: 1.0, Content-Language (when `language` looks like a BCP 47 tag), and
//    multipart/alternative of text/plain; charset=utf-8 and text/html; charset=utf-8, each in
//    the transfer encoding GMime finds best (7bit, quoted-printable or base64);
//  - no Auto-Submitted header: these are replies written by people.
// Header values are made single-line (CR, LF and other controls become spaces or go), so text
// from a resident's mail cannot add headers. Ids containing whitespace, controls, '<', '>' or
// non-ASCII bytes are left out of In-Reply-To/References.
// Throws std::invalid_argument when from_address, to_address or message_id is empty or not a
// plausible address/id (whitespace, controls, '<', '>', no '@').
std::string build_mime(const OutboundMail& mail);

// The subject of a reply to a mail titled `subject`: "Re: " + subject, unless it already starts
// with a reply prefix. Recognized prefixes, ASCII case-insensitively, after leading whitespace,
// each followed by ':' (optionally after spaces, as French typography writes "Re :") and
// optionally carrying a counter such as "Re[2]:" or "Re(2):":
//   Re (Latin, most clients), Aw (German "Antwort"), SV (Scandinavian "Svar"), Antw (Dutch),
//   Rif (Italian "Riferimento"), RV (Spanish Outlook), Réf (French; "Réf" or "RÉF", with the
//   accent only: a resident's "Ref: case 123" is a reference, not a reply, and gets "Re: ").
// The prefix must be a whole word: "Review: ...", "Rework:", "Aware:" and "Sva:" get "Re: ".
// "Fwd:"/"TR:" and other forward prefixes are not reply prefixes and get "Re: " too.
// Line breaks and controls become spaces and the result is trimmed; an empty (or blank)
// subject gives "Re:".
std::string reply_subject(std::string_view subject);

// `text` (UTF-8 plain text) as a small HTML document (<!DOCTYPE html>, <html lang=...> when
// `language` is given, <meta charset="utf-8">): &, <, >, " and ' escaped; blocks separated by
// blank lines become <p>, single line breaks <br>; http://, https:// and mailto: links become
// <a href> (trailing . , ; : ! ? ' " and unbalanced ')' are left out of the link).
std::string text_to_html(std::string_view text, std::string_view language = {});

// A new Message-ID (without <>) in the format above. Throws std::invalid_argument when an id is
// empty or has other characters than ASCII letters, digits, '-' and '_', or when `domain` is not
// a plausible domain (empty, or characters other than letters, digits, '-', '.').
std::string make_message_id(std::string_view conversation_id, std::string_view message_id,
                            std::string_view domain);

// {conversation id, message id} from a Message-ID in the format above (surrounding <> and
// whitespace are allowed); nullopt for any other id (a foreign mail client's, or one with a
// malformed field). The domain is not checked.
std::optional<std::pair<std::string, std::string>> parse_message_id(std::string_view id);

// The per-conversation reply address (plus-addressing, RFC 5233): "311+c42@city.gov" for
// conversation 42 and the city's address "311@city.gov". Like a Message-ID it is a routing hint
// that anyone can write: the caller confirms the conversation is the sender's.
std::string reply_address(std::string_view conversation_id, std::string_view from_address);
// "42" from "311+c42@City.gov" (any local part before the '+'); nullopt for any other address.
std::optional<std::string> conversation_of_reply_address(std::string_view address);

}  // namespace frontdoor::email
