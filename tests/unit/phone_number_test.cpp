#include <catch2/catch.hpp>

#include "i18n/phone_number.hpp"

using namespace frontdoor::i18n;

namespace {

std::string e164_of(std::string_view text, std::string_view region = "US") {
  std::string reason;
  auto number = to_e164(text, region, &reason);
  return number ? number->e164 : "error: " + reason;
}

std::string reason_for(std::string_view text, std::string_view region = "US") {
  std::string reason;
  auto number = to_e164(text, region, &reason);
  return number ? "accepted as " + number->e164 : reason;
}

}  // namespace

TEST_CASE("US numbers in national and international formats become E.164") {
  CHECK(e164_of("(650) 253-0000") == "+16502530000");
  CHECK(e164_of("650.253.0000") == "+16502530000");
  CHECK(e164_of("1-650-253-0000") == "+16502530000");
  CHECK(e164_of("+1 650 253 0000") == "+16502530000");
  CHECK(e164_of("  6502530000\n") == "+16502530000");
  CHECK(e164_of("tel:+1-650-253-0000") == "+16502530000");
  CHECK(e164_of("650 253 0000 ext. 12") == "+16502530000");     // the extension is dropped
  CHECK(e164_of("1-800-FLOWERS") == "+18003569377");            // vanity letters
  CHECK(e164_of("(650) 253-0000", "us") == "+16502530000");     // region case
  CHECK(e164_of("+1 (416) 979-1234", "US") == "+14169791234");  // Canada shares +1

  auto number = to_e164("(650) 253-0000", "US");
  REQUIRE(number);
  CHECK(number->region == "US");
  CHECK(number->mobile_possible);  // +1 numbers cannot tell fixed lines from mobiles
  auto canada = to_e164("+1 416 979 1234", "US");
  REQUIRE(canada);
  CHECK(canada->region == "CA");
}

TEST_CASE("full-width digits are read as digits") {
  // "＋１ ６５０ ２５３ ００００"
  CHECK(e164_of("\xEF\xBC\x8B\xEF\xBC\x91 \xEF\xBC\x96\xEF\xBC\x95\xEF\xBC\x90 "
                "\xEF\xBC\x92\xEF\xBC\x95\xEF\xBC\x93 "
                "\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90") == "+16502530000");
}

TEST_CASE("international numbers: UK, Mexico, Vietnam") {
  auto uk = to_e164("+44 20 7946 0958", "US");
  REQUIRE(uk);
  CHECK(uk->e164 == "+442079460958");
  CHECK(uk->region == "GB");
  CHECK_FALSE(uk->mobile_possible);                          // a London fixed line
  CHECK(e164_of("011 44 20 7946 0958") == "+442079460958");  // dialled from the US
  CHECK(e164_of("020 7946 0958", "GB") == "+442079460958");  // national format in the UK

  auto mx = to_e164("+52 55 1234 5678", "US");
  REQUIRE(mx);
  CHECK(mx->e164 == "+525512345678");
  CHECK(mx->region == "MX");
  CHECK(e164_of("+52 1 55 1234 5678") == "+525512345678");  // the old mobile "1" is dropped
  CHECK(e164_of("55 1234 5678", "MX") == "+525512345678");

  auto vn_mobile = to_e164("+84 912 345 678", "US");
  REQUIRE(vn_mobile);
  CHECK(vn_mobile->e164 == "+84912345678");
  CHECK(vn_mobile->region == "VN");
  CHECK(vn_mobile->mobile_possible);
  CHECK(e164_of("0912 345 678", "VN") == "+84912345678");
  auto vn_hanoi = to_e164("+84 24 3825 3611", "US");
  REQUIRE(vn_hanoi);
  CHECK(vn_hanoi->e164 == "+842438253611");
  CHECK_FALSE(vn_hanoi->mobile_possible);
}

TEST_CASE("invalid numbers are refused with a reason") {
  CHECK(reason_for("0912 345 678") == "not a valid number for US");  // Vietnamese, national
  CHECK(reason_for("+1 650 253 00000") == "too long");
  CHECK(reason_for("020 7946 0958") == "too long");  // a UK national number read as US
  CHECK(reason_for("253-0000") == "missing area code");
  CHECK(reason_for("12") == "too short");
  CHECK(reason_for("+999 1234 5678") == "unknown country code");
  CHECK(reason_for("(650) 253-0000", "ZZ") == "unknown country code");  // no default region
  CHECK(reason_for("+1 650 253 0000", "ZZ") == "accepted as +16502530000");
}

TEST_CASE("short codes are not residents' numbers") {
  CHECK(reason_for("311") == "short code, not a personal number");
  CHECK(reason_for("911") == "short code, not a personal number");
  CHECK(reason_for("+1 311") == "short code, not a personal number");
}

TEST_CASE("garbage is refused") {
  CHECK(reason_for("") == "empty");
  CHECK(reason_for("   ") == "empty");
  CHECK(reason_for("hello") == "text before the number");
  CHECK(reason_for("call me at 650 253 0000") == "text before the number");
  CHECK(reason_for("+") == "not a phone number");
  CHECK(reason_for("--- ...") == "not a phone number");
  CHECK(reason_for("\xFF\xFE 650") == "not a phone number");  // not UTF-8
  CHECK(reason_for("650-253-0000 or 212-555-1212") == "too long");
  CHECK(reason_for(std::string(200, '1')) == "too long");
  CHECK_FALSE(to_e164("hello"));  // no reason pointer: still refused
}

TEST_CASE("E.164 round trip") {
  for (const char* text : {"+16502530000", "+442079460958", "+525512345678", "+84912345678",
                           "+842438253611", "+14169791234"}) {
    CAPTURE(text);
    auto number = to_e164(text, "US");
    REQUIRE(number);
    CHECK(number->e164 == text);
    CHECK(is_e164(text));
    CHECK(is_e164(number->e164));
  }
  CHECK_FALSE(is_e164("6502530000"));       // no "+"
  CHECK_FALSE(is_e164("+1 650 253 0000"));  // not canonical
  CHECK_FALSE(is_e164("+1(650)2530000"));
  CHECK_FALSE(is_e164("+165025300000"));      // too long for +1
  CHECK_FALSE(is_e164("+1311"));              // short code
  CHECK_FALSE(is_e164("+0123456789"));        // no country code starts with 0
  CHECK_FALSE(is_e164("+1234567890123456"));  // 16 digits
  CHECK_FALSE(is_e164("+5215512345678"));     // valid input, but E.164 drops the "1"
  CHECK_FALSE(is_e164(""));
  CHECK_FALSE(is_e164("+"));
}
