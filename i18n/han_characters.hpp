// Which writing tradition a Han character belongs to, for telling Simplified from Traditional
// Chinese, and Chinese from Japanese written without kana. Pure; the table is built once, on
// first use, from ICU's Hans-Hant and Hant-Hans transforms (about 0.1 s).
#pragma once

#include <cstdint>

namespace frontdoor::i18n {

enum class HanUse : std::uint8_t {
  common,       // written alike in Simplified and Traditional Chinese (and often Japanese)
  simplified,   // a simplified form whose traditional form differs: 这 们 门 灯 坏
  traditional,  // a traditional form whose simplified form differs: 這 們 門 燈 壞
  japanese,     // a Japanese form neither script of Chinese writes: 駅 騒 払 気 円 壊
};

// How `c` (any code point) is used; not a CJK Unified Ideograph (U+4E00–U+9FFF) is common.
//
// Simplified forms that are also ordinary characters of Traditional text are common, not
// simplified: 后 (後, but also 皇后), 面 (麵, but also 前面), 干 里 台 几 云 于 范 征 … — a
// Taiwanese resident writes them every day.
HanUse han_use(char32_t c);

}  // namespace frontdoor::i18n
