// Tables in docs/ that a test keeps true: the text between "<!-- <name>:begin -->" and
// "<!-- <name>:end -->" in a file of the source tree.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "tests/corpus/corpus_text.hpp"

namespace frontdoor::testing {

// The section `name` of `relative_path` ("docs/languages.md"), without its markers' lines.
inline std::string doc_section(const std::string& relative_path, const std::string& name) {
  const std::string doc = read_file(std::string(FRONTDOOR_SOURCE_DIR) + "/" + relative_path);
  const std::string begin = "<!-- " + name + ":begin -->\n", end = "<!-- " + name + ":end -->";
  const auto from = doc.find(begin), to = doc.find(end);
  INFO(relative_path << " has no section " << name);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  return doc.substr(from + begin.size(), to - from - begin.size());
}

}  // namespace frontdoor::testing
