#include "templates/catalog.hpp"

#include <unicode/dtptngen.h>
#include <unicode/localematcher.h>
#include <unicode/locid.h>
#include <unicode/messagepattern.h>
#include <unicode/msgfmt.h>
#include <unicode/smpdtfmt.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <toml++/toml.h>
#include <algorithm>
#include <array>
#include <filesystem>
#include <stdexcept>
#include <type_traits>

#include "daemon/log/log.hpp"
#include "i18n/tty_text.hpp"

namespace frontdoor::templates {
namespace {

constexpr std::array<std::pair<Variant, std::string_view>, 6> kVariantNames{{
    {Variant::generic, "generic"},
    {Variant::sms, "sms"},
    {Variant::email_subject, "email_subject"},
    {Variant::email_body, "email_body"},
    {Variant::chat, "chat"},
    {Variant::tty, "tty"},
}};

std::string utf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

icu::UnicodeString unicode(std::string_view text) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
}

// A BCP 47 tag as an ICU locale; a tag ICU will not take as BCP 47 ("zh_TW") is read as an ICU
// locale id; an empty one is the root locale, which matches nothing.
icu::Locale to_locale(std::string_view tag) {
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale locale =
      icu::Locale::forLanguageTag(icu::StringPiece(tag.data(), tag.size()), status);
  if (U_SUCCESS(status) && !locale.isBogus()) return locale;
  return icu::Locale(std::string(tag).c_str());
}

std::string where(const std::string& file, const toml::node& node) {
  return file + ":" + std::to_string(node.source().begin.line) + ": ";
}

LocaleInfo read_meta(const toml::table& root, const std::string& file, const std::string& stem) {
  const toml::table* meta = root["meta"].as_table();
  if (!meta) throw std::runtime_error(file + ": the [meta] table is missing");
  LocaleInfo info;
  info.format_locale = stem;
  bool has_locale = false, has_reviewed = false, has_note = false, has_tty = false;
  for (const auto& [key, node] : *meta) {
    const std::string name(key.str());
    if (name == "locale" && node.is_string()) {
      info.locale = node.as_string()->get();
      has_locale = true;
    } else if (name == "reviewed_by_native_speaker" && node.is_boolean()) {
      info.reviewed_by_native_speaker = node.as_boolean()->get();
      has_reviewed = true;
    } else if (name == "note" && node.is_string()) {
      info.note = node.as_string()->get();
      has_note = true;
    } else if (name == "tty_in_english" && node.is_boolean()) {
      info.tty_in_english = node.as_boolean()->get();
      has_tty = true;
    } else if (name == "format_locale" && node.is_string()) {
      info.format_locale = node.as_string()->get();
      UErrorCode status = U_ZERO_ERROR;
      icu::Locale::forLanguageTag(info.format_locale, status);
      if (U_FAILURE(status)) {
        throw std::runtime_error(where(file, node) + "meta.format_locale is not a BCP 47 tag");
      }
    } else {
      throw std::runtime_error(where(file, node) + "meta." + name +
                               " is not a known entry of the right type (locale, "
                               "reviewed_by_native_speaker, note, tty_in_english, format_locale)");
    }
  }
  if (!has_locale || !has_reviewed || !has_note || !has_tty) {
    throw std::runtime_error(file +
                             ": [meta] needs locale, reviewed_by_native_speaker, note and "
                             "tty_in_english");
  }
  if (info.locale != stem) {
    throw std::runtime_error(file + ": meta.locale is \"" + info.locale +
                             "\" but the file is named for \"" + stem + "\"");
  }
  return info;
}

void flatten(const toml::table& table, const std::string& prefix,
             std::map<std::string, std::string, std::less<>>& out, const std::string& file) {
  for (const auto& [key, node] : table) {
    const std::string leaf(key.str());
    if (prefix.empty() && leaf == "meta") continue;
    // `[ack] generic = "…"` is the message "ack" itself.
    std::string name = leaf == "generic" && !prefix.empty() ? prefix
                       : prefix.empty()                     ? leaf
                                                            : prefix + "." + leaf;
    if (const auto* sub = node.as_table()) {
      flatten(*sub, name, out, file);
    } else if (const auto* text = node.as_string()) {
      if (leaf == "generic" && prefix.empty()) {
        throw std::runtime_error(where(file, node) + "generic belongs inside a message's table");
      }
      UErrorCode status = U_ZERO_ERROR;
      icu::MessageFormat check(unicode(text->get()), icu::Locale::getRoot(), status);
      if (U_FAILURE(status)) {
        throw std::runtime_error(where(file, node) + name +
                                 " is not a valid ICU MessageFormat pattern (" +
                                 u_errorName(status) + ")");
      }
      out[name] = text->get();
    } else {
      throw std::runtime_error(where(file, node) + name + " must be text");
    }
  }
}

// "Monday, 8:00 AM" in the locale's own words and hour cycle. ICU puts a narrow no-break space
// before AM/PM in some locales; a plain space keeps an SMS in GSM-7.
std::string format_time(const LocalTime& time, const icu::Locale& locale) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::DateTimePatternGenerator> generator(
      icu::DateTimePatternGenerator::createInstance(locale, status));
  if (U_FAILURE(status)) throw std::runtime_error("no date patterns for the locale");
  // Weekday and time joined by the locale's own glue: "EEEEjmm" alone gives "(월요일) 오전 8:00".
  icu::UnicodeString pattern = generator->getDateTimeFormat();
  pattern.findAndReplace(u"{1}", generator->getBestPattern(u"EEEE", status))
      .findAndReplace(u"{0}", generator->getBestPattern(u"jmm", status));
  icu::SimpleDateFormat format(pattern, locale, status);
  if (U_FAILURE(status)) throw std::runtime_error("no date format for the locale");
  if (!time.zone.empty()) {
    std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(unicode(time.zone)));
    icu::UnicodeString id;
    if (zone->getID(id) == icu::UnicodeString(u"Etc/Unknown")) {
      throw std::runtime_error("unknown time zone " + time.zone);
    }
    format.adoptTimeZone(zone.release());
  }
  icu::UnicodeString out;
  format.format(static_cast<UDate>(time.at.time_since_epoch().count()) * 1000.0, out);
  out.findAndReplace(u"\u202F", u" ").findAndReplace(u"\u00A0", u" ");
  return utf8(out);
}

icu::Formattable to_formattable(const Arg& arg, const icu::Locale& locale) {
  return std::visit(
      [&](const auto& value) -> icu::Formattable {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return icu::Formattable(unicode(value));
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return icu::Formattable(static_cast<int64_t>(value));
        } else if constexpr (std::is_same_v<T, LocalTime>) {
          return icu::Formattable(unicode(format_time(value, locale)));
        } else {
          icu::UnicodeString name;
          to_locale(value.tag).getDisplayLanguage(locale, name);
          return icu::Formattable(name.isEmpty() ? unicode(value.tag) : name);
        }
      },
      arg.value());
}

}  // namespace

std::string_view to_string(Variant variant) {
  for (const auto& [v, name] : kVariantNames) {
    if (v == variant) return name;
  }
  return "generic";
}

std::string key_of(std::string_view message, Variant variant) {
  std::string key(message);
  if (variant != Variant::generic) key.append(".").append(to_string(variant));
  return key;
}

Variant variant_of(std::string_view key) {
  const auto dot = key.rfind('.');
  if (dot == std::string_view::npos) return Variant::generic;
  const auto last = key.substr(dot + 1);
  for (const auto& [v, name] : kVariantNames) {
    if (v != Variant::generic && name == last) return v;
  }
  return Variant::generic;
}

Variant variant_for_channel(std::string_view channel) {
  if (channel == "sms") return Variant::sms;
  if (channel == "email") return Variant::email_body;
  if (channel == "webchat") return Variant::chat;
  if (channel == "tty") return Variant::tty;
  return Variant::generic;
}

std::vector<std::string> argument_names(std::string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  icu::MessagePattern parsed(unicode(pattern), nullptr, status);
  std::vector<std::string> names;
  if (U_FAILURE(status)) return names;
  for (int32_t i = 0; i < parsed.countParts(); ++i) {
    const icu::MessagePattern::Part& part = parsed.getPart(i);
    if (part.getType() != UMSGPAT_PART_TYPE_ARG_NAME) continue;
    std::string name = utf8(parsed.getSubstring(part));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

std::string default_directory() { return std::string(FRONTDOOR_SOURCE_DIR) + "/templates"; }

Catalog Catalog::load(const std::string& directory) {
  Catalog catalog;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() != ".toml") continue;
    const std::string file = entry.path().string();
    const std::string stem = entry.path().stem().string();
    toml::table table;
    try {
      table = toml::parse_file(file);
    } catch (const toml::parse_error& e) {
      throw std::runtime_error(file + ":" + std::to_string(e.source().begin.line) + ": " +
                               std::string(e.description()));
    }
    LocaleCatalog& locale = catalog.locales_[stem];
    locale.info = read_meta(table, file, stem);
    flatten(table, "", locale.messages, file);
  }
  if (!catalog.locales_.contains("en")) {
    throw std::runtime_error(directory +
                             " has no en.toml, the catalog every language falls back to");
  }

  std::vector<icu::Locale> supported;
  for (const auto& [name, locale] : catalog.locales_) {
    catalog.supported_.push_back(name);
    supported.push_back(to_locale(name));
  }
  const icu::Locale english("en");
  UErrorCode status = U_ZERO_ERROR;
  catalog.matcher_ = std::make_shared<const icu::LocaleMatcher>(
      icu::LocaleMatcher::Builder()
          .setSupportedLocales(supported.begin(), supported.end())
          .setDefaultLocale(&english)
          .build(status));
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("ICU LocaleMatcher failed: ") + u_errorName(status));
  }
  return catalog;
}

std::string Catalog::locale_for(std::string_view language) const {
  if (language.empty()) return "en";
  UErrorCode status = U_ZERO_ERROR;
  const int32_t index =
      matcher_->getBestMatchResult(to_locale(language), status).getSupportedIndex();
  if (U_FAILURE(status) || index < 0) return "en";
  return supported_[static_cast<std::size_t>(index)];
}

bool Catalog::has(std::string_view key, std::string_view locale) const {
  return pattern(key, locale) != nullptr;
}

const std::string* Catalog::pattern(std::string_view key, std::string_view locale) const {
  auto catalog = locales_.find(locale);
  if (catalog == locales_.end()) return nullptr;
  auto message = catalog->second.messages.find(key);
  return message == catalog->second.messages.end() ? nullptr : &message->second;
}

std::vector<std::string> Catalog::locales() const { return supported_; }

std::vector<std::string> Catalog::keys(std::string_view locale) const {
  std::vector<std::string> out;
  if (auto catalog = locales_.find(locale); catalog != locales_.end()) {
    for (const auto& [key, text] : catalog->second.messages) out.push_back(key);
  }
  return out;
}

const LocaleInfo* Catalog::info(std::string_view locale) const {
  auto catalog = locales_.find(locale);
  return catalog == locales_.end() ? nullptr : &catalog->second.info;
}

std::string Catalog::format(std::string_view format_locale, std::string_view pattern,
                            const Args& args) {
  const icu::Locale locale = to_locale(format_locale);
  UErrorCode status = U_ZERO_ERROR;
  icu::MessageFormat message(unicode(pattern), locale, status);
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("not a valid ICU MessageFormat pattern (") +
                             u_errorName(status) + ")");
  }
  for (const auto& name : argument_names(pattern)) {
    if (!args.contains(name)) throw std::runtime_error("argument {" + name + "} is not given");
  }
  std::vector<icu::UnicodeString> names;
  std::vector<icu::Formattable> values;
  for (const auto& [name, value] : args) {
    names.push_back(unicode(name));
    values.push_back(to_formattable(value, locale));
  }
  icu::UnicodeString result;
  message.format(names.data(), values.data(), static_cast<int32_t>(names.size()), result, status);
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("arguments do not fit the pattern (") +
                             u_errorName(status) + ")");
  }
  return utf8(result);
}

std::string Catalog::render(std::string_view key, std::string_view language, const Args& args,
                            Variant variant) const {
  std::string locale = locale_for(language);
  if (variant == Variant::tty && locales_.find(locale)->second.info.tty_in_english) locale = "en";
  const std::string wanted = key_of(key, variant);
  std::vector<std::pair<std::string, std::string>> chain;  // (locale, key), first present wins
  for (const std::string& in : {locale, std::string("en")}) {
    if (!chain.empty() && in == chain.front().first) break;  // the resident's locale is English
    chain.emplace_back(in, wanted);
    if (variant != Variant::generic) chain.emplace_back(in, std::string(key));
  }
  bool found = false;
  for (const auto& [in, name] : chain) {
    const std::string* text = pattern(name, in);
    if (!text) continue;
    found = true;
    try {
      std::string out = format(locales_.find(in)->second.info.format_locale, *text, args);
      if (variant == Variant::tty) out = i18n::to_tty_text(out);
      if (!out.empty()) return out;
    } catch (const std::exception& e) {
      log::error("template_failed", {{"key", name}, {"locale", in}, {"reason", e.what()}});
    }
  }
  if (!found) log::error("template_missing", {{"key", wanted}, {"language", language}});
  return std::string(key);
}

}  // namespace frontdoor::templates
