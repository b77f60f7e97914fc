// What each charset message of tests/corpus/email/mime says in UTF-8 (charsets.tsv there), for
// the parser's unit tests and the receiver's end-to-end test alike.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace frontdoor::testing {

struct CharsetCase {
  std::string file;  // name under tests/corpus/email/mime/
  std::string subject, text;
};

inline std::vector<CharsetCase> charset_cases() {
  std::ifstream in(std::string(FRONTDOOR_SOURCE_DIR) + "/tests/corpus/email/mime/charsets.tsv");
  std::vector<CharsetCase> cases;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.starts_with('#')) continue;
    auto tab1 = line.find('\t'), tab2 = line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos) continue;
    cases.push_back(
        {line.substr(0, tab1), line.substr(tab1 + 1, tab2 - tab1 - 1), line.substr(tab2 + 1)});
  }
  return cases;
}

}  // namespace frontdoor::testing
