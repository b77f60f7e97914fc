#include "templates/catalog.hpp"

#include <unicode/msgfmt.h>
#include <unicode/unistr.h>

#include <toml++/toml.h>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "daemon/log/log.hpp"

namespace frontdoor::templates {
namespace {

void flatten(const toml::table& table, const std::string& prefix,
             std::map<std::string, std::string, std::less<>>& out, const std::string& file) {
  for (const auto& [key, node] : table) {
    std::string name =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      flatten(*sub, name, out, file);
    } else if (const auto* text = node.as_string()) {
      UErrorCode status = U_ZERO_ERROR;
      icu::MessageFormat check(icu::UnicodeString::fromUTF8(text->get()), icu::Locale::getRoot(),
                               status);
      if (U_FAILURE(status)) {
        throw std::runtime_error(file + ":" + std::to_string(node.source().begin.line) + ": " +
                                 name + " is not a valid ICU MessageFormat pattern");
      }
      out[name] = text->get();
    } else {
      throw std::runtime_error(file + ":" + std::to_string(node.source().begin.line) + ": " + name +
                               " must be text");
    }
  }
}

}  // namespace

std::string default_directory() { return std::string(FRONTDOOR_SOURCE_DIR) + "/templates"; }

Catalog Catalog::load(const std::string& directory) {
  Catalog catalog;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() != ".toml") continue;
    std::string file = entry.path().string();
    toml::table table;
    try {
      table = toml::parse_file(file);
    } catch (const toml::parse_error& e) {
      throw std::runtime_error(file + ":" + std::to_string(e.source().begin.line) + ": " +
                               std::string(e.description()));
    }
    flatten(table, "", catalog.messages_[entry.path().stem().string()], file);
  }
  return catalog;
}

bool Catalog::has(std::string_view key, std::string_view locale) const {
  auto it = messages_.find(locale);
  return it != messages_.end() && it->second.find(key) != it->second.end();
}

std::string Catalog::render(std::string_view key, std::string_view language,
                            const std::map<std::string, std::string>& args) const {
  std::vector<std::string> chain{std::string(language)};
  if (auto dash = language.find('-'); dash != std::string_view::npos) {
    chain.emplace_back(language.substr(0, dash));
  }
  chain.emplace_back("en");
  for (const auto& locale : chain) {
    auto catalog = messages_.find(locale);
    if (catalog == messages_.end()) continue;
    auto message = catalog->second.find(key);
    if (message == catalog->second.end()) continue;
    UErrorCode status = U_ZERO_ERROR;
    icu::MessageFormat format(icu::UnicodeString::fromUTF8(message->second),
                              icu::Locale::forLanguageTag(locale, status), status);
    std::vector<icu::UnicodeString> names;
    std::vector<icu::Formattable> values;
    for (const auto& [name, value] : args) {
      names.push_back(icu::UnicodeString::fromUTF8(name));
      values.emplace_back(icu::UnicodeString::fromUTF8(value));
    }
    icu::UnicodeString result;
    format.format(names.data(), values.data(), static_cast<int32_t>(names.size()), result, status);
    if (U_FAILURE(status)) break;
    std::string out;
    result.toUTF8String(out);
    return out;
  }
  log::error("template_missing", {{"key", key}, {"language", language}});
  return std::string(key);
}

}  // namespace frontdoor::templates
