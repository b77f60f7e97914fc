// Twilio webhook authentication (the X-Twilio-Signature header) and the form body it covers.
// Pure: no I/O.
//
// Contract
//  1. The signed string is `url` followed by every POST parameter as name then value, with no
//     delimiters, ordered by name and, for a repeated name, by value (byte order of the UTF-8,
//     which is code point order); a (name, value) pair given more than once counts once, as in
//     Twilio's helper libraries (their duplicate-value test vector depends on it). The signature
//     is the base64 of HMAC-SHA1(auth token, signed string).
//  2. `url` is the public URL exactly as Twilio called it, i.e. as configured in the Twilio
//     console, query string included, byte for byte: not the URL the daemon sees behind a proxy,
//     and not re-encoded or normalized (no port added or removed, no trailing slash changed).
//  3. Parameter names and values are the decoded form fields (parse_form()), not their encoded
//     text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace frontdoor::sms {

using FormParams = std::vector<std::pair<std::string, std::string>>;

// The X-Twilio-Signature value Twilio sends for this request (contract 1): 28 base64 characters.
std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const FormParams& params);

// True when `header_value` is the signature of this request, compared in constant time
// (CRYPTO_memcmp). An empty or absent header, or an empty auth token (a missing secret would
// make every signature forgeable), never verifies.
bool verify_twilio_signature(std::string_view auth_token, std::string_view url,
                             const FormParams& params, std::string_view header_value);

// The fields of an application/x-www-form-urlencoded body, in body order: '+' is a space and
// %XX a byte; a field without '=' has an empty value; empty fields ("a=1&&b=2", a trailing '&')
// are skipped. Decoded bytes are not checked for UTF-8. std::nullopt when the body is malformed:
// a '%' not followed by two hex digits, or a character that must be percent-encoded in a query
// (space, non-ASCII, '#', '[', ']', '"', '<', '>', '\', '^', '`', '{', '|', '}', controls).
std::optional<FormParams> parse_form(std::string_view body);

}  // namespace frontdoor::sms
