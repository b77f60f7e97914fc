// Residents' phone numbers in E.164 form (`+16502530000`), the form their identities use
// (`ident:phone:+16502530000`). Parsing and validation are libphonenumber's
// (PhoneNumberUtil).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace frontdoor::i18n {

struct PhoneNumber {
  std::string e164;              // "+16502530000"
  std::string region;            // ISO 3166-1 alpha-2 of the number itself: "US", "CA", "MX", "VN"
  bool mobile_possible = false;  // MOBILE, or FIXED_LINE_OR_MOBILE (every +1 number): may take SMS
};

// Parses what a resident typed or a gateway sent: a national number of `default_region`
// ("(650) 253-0000" for "US"), an international one ("+44 20 7946 0958", "011 44 20 7946 0958"
// from the US), full-width digits, vanity letters ("1-800-FLOWERS"). An extension
// ("650 253 0000 ext. 12") is dropped: E.164 has none.
//
// Returns std::nullopt, and a short reason in `*reason` when given, for:
//  - empty text, or text before the number ("call me at 650 ...": a sentence, not a number);
//  - what libphonenumber cannot parse: "not a phone number", "unknown country code",
//    "too short", "too long";
//  - numbers that parse but are not valid (PhoneNumberUtil::IsValidNumber): "missing area code"
//    (a 7-digit US number), "wrong length for US", "not a valid number for US";
//  - short codes ("311", "911", "+1 311"): "short code, not a personal number". 311 itself is a
//    short code; a resident's number never is, and an identity keyed on one would merge everyone
//    who reached us through it.
// Numbers libphonenumber deems valid are accepted whatever their type, including toll-free and
// premium-rate ones, and fictional 555-01XX ones (validity is by pattern, not by assignment).
// `default_region` is a CLDR region code ("US"); an unknown one accepts only "+" numbers.
std::optional<PhoneNumber> to_e164(std::string_view text, std::string_view default_region = "US",
                                   std::string* reason = nullptr);

// True when `text` is exactly a valid number in canonical E.164 form: what to_e164 returns.
bool is_e164(std::string_view text);

}  // namespace frontdoor::i18n
