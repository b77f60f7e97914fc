#include "i18n/function_words.hpp"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <string>
#include <unordered_map>

namespace frontdoor::i18n {
namespace {

// One space-separated list per language of kFunctionWordLanguages: the most frequent words that
// carry grammar rather than topic, so that they say which language a report is in whatever it
// is about. Unaccented Vietnamese forms are included where no other language has them (people
// text Vietnamese without its marks).
constexpr std::array<std::string_view, kFunctionWordLanguages.size()> kWords = {
    // en
    "the a an and or of to in on at for with from by is are was were be been it its this that "
    "there here my our your their his her we you they he she me us them not can do does did "
    "have has had will would please what when where who how why since about but if just any "
    "some i i'm it's im u ur pls plz",
    // es
    "el la los las un una unos unas de del al en y o que es está están hay por para con sin mi "
    "mis su sus tu se no lo le les me nos muy desde cuando dónde donde qué cómo como pero este "
    "esta esto ese esa hace son ya también a",
    // vi
    "tôi có không là và của ở được bị đã này cho một những các với từ đến trong rồi chưa đang "
    "sẽ thì mà gì nào ạ xin toi khong duoc nhung cua chua dang roi bi nay cac voi trong thi nao",
    // ro
    "și de la în pe cu nu e este o un sunt din mai să se am ne mi ce care pentru foarte dar lui "
    "ei lângă după acum când unde cum sau al ale iar fără până ați vă mă noi voi meu mea "
    "noastră nostru",
    // so
    "waa iyo ee oo ku ka u la ayaa waxaa aan ma in uu ay baa soo ah si wax kale ii aad buu way "
    "waan ayuu ayey kuma kama lama laguma lagama lagu loo waxay wuxuu waxaan yahay tahay jira "
    "sidee goorma maxaa halkee",
    // fil
    "ang ng sa mga na at ay ko mo namin natin kami tayo po ito iyon hindi may wala para nang si "
    "ni pa ba lang din rin siya akin ako ikaw ka kayo sila niya nila kung pero dahil mula kasi "
    "opo",
};

using LanguageSet = std::uint8_t;  // bit i: kFunctionWordLanguages[i]

const std::unordered_map<std::string, LanguageSet>& words() {
  static const auto table = [] {
    std::unordered_map<std::string, LanguageSet> out;
    for (std::size_t language = 0; language < kWords.size(); ++language) {
      std::string_view list = kWords[language];
      while (!list.empty()) {
        const std::size_t space = std::min(list.find(' '), list.size());
        if (space > 0) out[std::string(list.substr(0, space))] |= LanguageSet(1u << language);
        list.remove_prefix(std::min(space + 1, list.size()));
      }
    }
    return out;
  }();
  return table;
}

bool in_word(UChar32 c) {
  return u_isalpha(c) || u_charType(c) == U_NON_SPACING_MARK || c == '\'' || c == 0x2019;
}

}  // namespace

FunctionWordHits function_word_hits(std::string_view utf8) {
  FunctionWordHits out;
  const auto& table = words();
  const auto* s = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto length = static_cast<int32_t>(utf8.size());
  std::string word;
  auto finish = [&] {
    if (word.empty()) return;
    ++out.words;
    if (const auto it = table.find(word); it != table.end()) {
      for (std::size_t i = 0; i < out.hits.size(); ++i) out.hits[i] += (it->second >> i) & 1;
    }
    word.clear();
  };
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0 || !in_word(c)) {
      finish();
      continue;
    }
    c = u_tolower(c);
    if (c == 0x2019) c = '\'';
    if (c == 0x015F) c = 0x0219;  // ş → ș
    if (c == 0x0163) c = 0x021B;  // ţ → ț
    char buffer[U8_MAX_LENGTH];
    int32_t n = 0;
    U8_APPEND_UNSAFE(buffer, n, c);
    word.append(buffer, static_cast<std::size_t>(n));
  }
  finish();
  return out;
}

}  // namespace frontdoor::i18n
