#include <catch2/catch.hpp>

#include "i18n/text.hpp"

using namespace frontdoor::i18n;

TEST_CASE("text is validated as UTF-8 and normalized to NFC") {
  CHECK(is_valid_utf8("Đèn đường"));
  CHECK(is_valid_utf8(""));
  CHECK_FALSE(is_valid_utf8("\xC3\x28"));                                       // bad continuation
  CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));                                   // overlong
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));                                   // surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                               // beyond U+10FFFF
  CHECK(normalize_nfc("e\xCC\x81") == std::optional<std::string>("\xC3\xA9"));  // e + ◌́ → é
  CHECK(normalize_nfc("\xEA\xB0\x80") == std::optional<std::string>("\xEA\xB0\x80"));  // 가 stays
  CHECK(normalize_nfc("\xE1\x84\x80\xE1\x85\xA1") ==
        std::optional<std::string>("\xEA\xB0\x80"));  // jamo → 가
  CHECK_FALSE(normalize_nfc("\xFF").has_value());
  CHECK(code_points("Tiếng Việt") == 10);
  CHECK(code_points("日本") == 2);
}
