#include "i18n/phone_number.hpp"

// Built without I18N_PHONENUMBERS_USE_BOOST (and without ..._USE_STDMUTEX): Debian's
// libphonenumber8 uses the pthread Singleton these headers pick by default on Linux.
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/shortnumberinfo.h>

#include <cctype>
#include <utility>

namespace frontdoor::i18n {
namespace {

namespace pn = ::i18n::phonenumbers;

// Longer than any number a person types with spaces, punctuation and an extension.
constexpr std::size_t kMaxInput = 100;

std::nullopt_t fail(std::string* reason, std::string text) {
  if (reason) *reason = std::move(text);
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_ascii_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool starts_with_tel(std::string_view s) {
  if (s.size() < 4) return false;
  std::string head(s.substr(0, 4));
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return head == "tel:";
}

const pn::ShortNumberInfo& short_numbers() {
  static const pn::ShortNumberInfo info;  // loads the short-number metadata once
  return info;
}

std::string parse_error(pn::PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case pn::PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return "unknown country code";
    case pn::PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case pn::PhoneNumberUtil::TOO_SHORT_NSN:
      return "too short";
    case pn::PhoneNumberUtil::TOO_LONG_NSN:
      return "too long";
    case pn::PhoneNumberUtil::NOT_A_NUMBER:
    case pn::PhoneNumberUtil::NO_PARSING_ERROR:
      break;
  }
  return "not a phone number";
}

// Why a number that parsed is not valid.
std::string invalid_reason(const pn::PhoneNumberUtil& util, const pn::PhoneNumber& number,
                           const std::string& default_region) {
  const auto& shorts = short_numbers();
  if (shorts.IsValidShortNumberForRegion(number, default_region) ||
      shorts.IsValidShortNumber(number))
    return "short code, not a personal number";
  std::string region;
  util.GetRegionCodeForCountryCode(number.country_code(), &region);
  switch (util.IsPossibleNumberWithReason(number)) {
    case pn::PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return "unknown country code";
    case pn::PhoneNumberUtil::TOO_SHORT:
      return "too short";
    case pn::PhoneNumberUtil::TOO_LONG:
      return "too long";
    case pn::PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return "missing area code";
    case pn::PhoneNumberUtil::INVALID_LENGTH:
      return "wrong length for " + region;
    case pn::PhoneNumberUtil::IS_POSSIBLE:
      break;
  }
  return "not a valid number for " + region;
}

}  // namespace

std::optional<PhoneNumber> to_e164(std::string_view text, std::string_view default_region,
                                   std::string* reason) {
  text = trim(text);
  if (text.empty()) return fail(reason, "empty");
  if (text.size() > kMaxInput) return fail(reason, "too long");
  // libphonenumber skips leading text; a sentence is not a number field's content.
  if (is_ascii_alpha(text.front()) && !starts_with_tel(text))
    return fail(reason, "text before the number");

  std::string region(default_region);
  for (char& c : region) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  const pn::PhoneNumberUtil& util = *pn::PhoneNumberUtil::GetInstance();
  pn::PhoneNumber number;
  if (auto error = util.Parse(std::string(text), region, &number);
      error != pn::PhoneNumberUtil::NO_PARSING_ERROR)
    return fail(reason, parse_error(error));
  if (!util.IsValidNumber(number)) return fail(reason, invalid_reason(util, number, region));

  PhoneNumber out;
  util.Format(number, pn::PhoneNumberUtil::E164, &out.e164);
  util.GetRegionCodeForNumber(number, &out.region);
  auto type = util.GetNumberType(number);
  out.mobile_possible =
      type == pn::PhoneNumberUtil::MOBILE || type == pn::PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
  return out;
}

bool is_e164(std::string_view text) {
  // "+", a country code that does not start with 0, at most 15 digits in all (ITU-T E.164).
  if (text.size() < 3 || text.size() > 16 || text[0] != '+' || text[1] < '1' || text[1] > '9')
    return false;
  for (char c : text.substr(1))
    if (c < '0' || c > '9') return false;
  auto parsed = to_e164(text, "ZZ");
  return parsed && parsed->e164 == text;
}

}  // namespace frontdoor::i18n
