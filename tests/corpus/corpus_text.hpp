// Reading the corpus's text files, for the tests that compare what an agent sees with what was
// expected.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace frontdoor::testing {

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string rtrim(std::string text) {
  const std::size_t end = text.find_last_not_of(" \t\n\r\f\v");
  text.erase(end == std::string::npos ? 0 : end + 1);
  return text;
}

// How many times each non-blank line (trailing white space ignored) occurs in `text`.
inline std::map<std::string, int> line_counts(const std::string& text) {
  std::map<std::string, int> counts;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = rtrim(line);
    if (!line.empty()) ++counts[line];
  }
  return counts;
}

}  // namespace frontdoor::testing
