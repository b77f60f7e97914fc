// Message templates in the city's languages: one TOML file per locale in templates/
// (en.toml, es.toml, …), keys grouped by channel ([sms] stop = "…" is "sms.stop"), each value an
// ICU MessageFormat pattern with named arguments ({reference}, {count, plural, …}).
//
// render() picks the resident's language with a fallback chain (the exact tag, then its
// language subtag, then English) and never fails: a missing key renders as the key itself and
// is logged, so a gap in a catalog can never stop a confirmation from going out.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace frontdoor::templates {

// <source>/templates, where the catalogs ship.
std::string default_directory();

class Catalog {
 public:
  // Reads every <locale>.toml in `directory`; throws std::runtime_error naming the file and
  // line of a syntax error or of a pattern ICU cannot parse.
  static Catalog load(const std::string& directory);
  // load(directory), or of default_directory() when `directory` is empty (server.templates_dir
  // unset).
  static Catalog load_configured(const std::string& directory) {
    return load(directory.empty() ? default_directory() : directory);
  }

  std::string render(std::string_view key, std::string_view language,
                     const std::map<std::string, std::string>& args = {}) const;
  bool has(std::string_view key, std::string_view locale) const;

 private:
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> messages_;
};

}  // namespace frontdoor::templates
