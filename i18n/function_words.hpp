// The little words of the city's Latin-script languages (articles, prepositions, pronouns,
// particles: "the", "la", "ng", "iyo", "și", "của"), for a second opinion on a statistical
// language guess. Pure; tables in the source.
#pragma once

#include <array>
#include <string_view>

namespace frontdoor::i18n {

// The languages with a table, as canonical tags.
inline constexpr std::array<std::string_view, 6> kFunctionWordLanguages = {"en", "es", "vi",
                                                                           "ro", "so", "fil"};

struct FunctionWordHits {
  // For each language of kFunctionWordLanguages (same order), how many words of the text are
  // among its function words. A word several languages share ("a", "la", "de", "may") counts
  // for each.
  std::array<int, kFunctionWordLanguages.size()> hits{};
  int words = 0;  // words in the text
};

// Words are runs of letters, marks and apostrophes, compared lower-cased (ICU simple case
// mapping), with accents as written; "ş"/"ţ" (cedilla) count as "ș"/"ț".
FunctionWordHits function_word_hits(std::string_view utf8);

}  // namespace frontdoor::i18n
