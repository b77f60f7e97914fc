#include "i18n/han_characters.hpp"

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace frontdoor::i18n {
namespace {

constexpr char32_t kFirst = 0x4E00;  // CJK Unified Ideographs
constexpr char32_t kLast = 0x9FFF;

// Simplified forms that stand for several traditional characters, one of them themselves, so a
// traditional text uses them too (面 "face, side" beside 麵 "noodles"). ICU's Hans-Hant turns
// them into the other character; they prove nothing.
constexpr const char16_t* kAlsoTraditional =
    u"干后面台里发只系余松范复制斗谷丑冲志注据征准症游郁吁云于佣托咸凶朴仆卷困价借伙划卜蒙合"
    u"胡哄丰致表出才了几布梁秋千向奸姜回岳采折舍冬党沈淀御背辟占烟家杰恒痴泛并荐夸刮克累帘霉"
    u"蔑苹曲术叶";

// Japanese forms (shinjitai) and Japanese-made characters (kokuji) that neither Simplified nor
// Traditional Chinese writes.
constexpr const char16_t* kJapaneseOnly =
    u"駅騒払気円図広売読込働峠畑枠帰変戻楽薬歩浜県剤済渋隣転鉄経続絵沢択検険験桜恵覚拠拡単営"
    u"栄労総様髪悪亜圧囲隠穏仮価関歓観戯暁駆掲渓継軽鶏撃倹剣圏権顕厳黒砕雑桟賛糸歯児辺遅捜壊"
    u"懐満両巻徳聴庁発廃抜鉱焼涙縄銭";

// `from` transliterated one character at a time: each character on its own line, so that the
// transform's phrase rules (发面 → 發麵) never see a neighbour.
std::vector<icu::UnicodeString> each_transliterated(const char* id) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> transform(
      icu::Transliterator::createInstance(id, UTRANS_FORWARD, status));
  if (U_FAILURE(status) || !transform) {
    throw std::runtime_error(std::string("ICU transform ") + id + ": " + u_errorName(status));
  }
  icu::UnicodeString text;
  for (char32_t c = kFirst; c <= kLast; ++c) {
    text.append(static_cast<UChar32>(c)).append(static_cast<char16_t>(u'\n'));
  }
  transform->transliterate(text);
  std::vector<icu::UnicodeString> out;
  int32_t start = 0;
  for (int32_t i = 0; i < text.length(); ++i) {
    if (text[i] != u'\n') continue;
    out.emplace_back(text, start, i - start);
    start = i + 1;
  }
  if (out.size() != kLast - kFirst + 1) {
    throw std::runtime_error(std::string("ICU transform ") + id + " changed the line count");
  }
  return out;
}

std::vector<HanUse> build_table() {
  std::vector<HanUse> table(kLast - kFirst + 1, HanUse::common);
  const auto to_traditional = each_transliterated("Hans-Hant");
  const auto to_simplified = each_transliterated("Hant-Hans");
  for (char32_t c = kFirst; c <= kLast; ++c) {
    const icu::UnicodeString self(static_cast<UChar32>(c));
    if (to_simplified[c - kFirst] != self) {
      table[c - kFirst] = HanUse::traditional;
    } else if (to_traditional[c - kFirst] != self) {
      table[c - kFirst] = HanUse::simplified;
    }
  }
  for (const char16_t* s = kAlsoTraditional; *s != 0; ++s) table[*s - kFirst] = HanUse::common;
  for (const char16_t* s = kJapaneseOnly; *s != 0; ++s) table[*s - kFirst] = HanUse::japanese;
  return table;
}

}  // namespace

HanUse han_use(char32_t c) {
  static const std::vector<HanUse> table = build_table();
  return c < kFirst || c > kLast ? HanUse::common : table[c - kFirst];
}

}  // namespace frontdoor::i18n
