// Message templates in the city's languages: one TOML file per locale in templates/ (en.toml,
// es.toml, zh-Hant.toml, …), each value an ICU MessageFormat pattern with named arguments
// ({reference}, {wait_minutes, plural, one {# minute} other {# minutes}}).
//
// Keys. A message has a generic text and, where a channel needs other words, variants:
//
//   [ack]
//   generic = "…"            "ack"                chat, web form, anything without its own text
//   sms = "…"                "ack.sms"            short, fits its SMS budget
//   email_subject = "…"      "ack.email_subject"
//   email_body = "…"         "ack.email_body"
//   chat = "…"               "ack.chat"
//   tty = "…"                "ack.tty"            upper-case ASCII a TTY can print
//
// Any other leaf is a message of its own: `[sms] stop = "…"` is the message "sms.stop".
// Every file opens with a [meta] table:
//
//   locale = "vi"                        the file's name, a BCP 47 tag
//   reviewed_by_native_speaker = false   true only once a native speaker has read every text
//   note = "…"                           who wrote it, what is pending
//   tty_in_english = true                this language's TTY texts are the English ones
//   format_locale = "ar-u-nu-latn"       optional: the ICU locale that formats numbers and times
//
// render() promises:
//  1. The resident's language is matched against the catalogs present with ICU's LocaleMatcher
//     (CLDR's language distances: zh-TW and yue → zh-Hant, zh-SG → zh-Hans, es-MX → es,
//     fil → tl); no acceptable match, an empty or ill-formed tag → en.
//  2. The text is the first present of: the variant in that locale, the generic text in that
//     locale, the variant in English, the generic text in English. The resident's language
//     comes before the channel's shape.
//  3. For Variant::tty the locale is English when its catalog says tty_in_english, and the result
//     is always folded to TTY-printable upper-case ASCII (i18n/tty_text.hpp), so an argument
//     cannot bring in what a TTY cannot print.
//  4. It never throws and never returns an empty text: a missing key, or arguments that do not
//     fit the pattern, are logged (template_missing, template_failed) and the key itself is
//     returned. The tests in tests/unit/templates_*_test.cpp keep that from reaching a resident.
#pragma once

#include <unicode/uversion.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

U_NAMESPACE_BEGIN
class LocaleMatcher;
U_NAMESPACE_END

namespace frontdoor::templates {

// Which text of a message a channel sends.
enum class Variant { generic, sms, email_subject, email_body, chat, tty };

// "generic", "sms", "email_subject", "email_body", "chat", "tty": the key suffix.
std::string_view to_string(Variant variant);

// The key of `message`'s `variant`: "ack" for generic, else "ack.sms", "ack.tty", …
std::string key_of(std::string_view message, Variant variant);

// The variant a key names by its last segment ("ack.sms" → sms); generic for any other key.
Variant variant_of(std::string_view key);

// The variant a message sent on `channel` uses: sms, email_body for email, chat for webchat,
// tty; generic for any other channel.
Variant variant_for_channel(std::string_view channel);

// A moment shown as weekday and time of day in the message's language, in the IANA time zone
// `zone` ("America/Los_Angeles"; empty: the process's zone): "Monday, 8:00 AM", "월요일 오전 8:00".
struct LocalTime {
  std::chrono::sys_seconds at;
  std::string zone;
};

// A language shown by its name in the message's language: {"so"} is "Somali", "Soomaali",
// "somalí", "索马里语".
struct LanguageName {
  std::string tag;
};

// One argument of a pattern. Text and numbers stay what they are: a reference "1048576" is text
// (never "1,048,576"), and plural arguments need numbers.
class Arg {
 public:
  using Value = std::variant<std::string, std::int64_t, LocalTime, LanguageName>;

  Arg(std::string text) : value_(std::move(text)) {}
  Arg(std::string_view text) : value_(std::string(text)) {}
  Arg(const char* text) : value_(std::string(text)) {}
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Arg(T number)
      : value_(static_cast<std::int64_t>(number)) {}
  Arg(LocalTime time) : value_(std::move(time)) {}
  Arg(LanguageName language) : value_(std::move(language)) {}

  const Value& value() const { return value_; }

 private:
  Value value_;
};

using Args = std::map<std::string, Arg, std::less<>>;

// What a catalog's [meta] table says.
struct LocaleInfo {
  std::string locale;
  bool reviewed_by_native_speaker = false;
  std::string note;
  bool tty_in_english = false;
  std::string format_locale;  // the locale itself unless [meta] names another
};

// <source>/templates, where the catalogs ship.
std::string default_directory();

class Catalog {
 public:
  // Reads every <locale>.toml in `directory`; throws std::runtime_error naming the file and
  // line of a syntax error, of a bad or missing [meta] entry, or of a pattern ICU cannot parse,
  // and when en.toml (the last fallback) is missing.
  static Catalog load(const std::string& directory);
  // load(directory), or of default_directory() when `directory` is empty (server.templates_dir
  // unset).
  static Catalog load_configured(const std::string& directory) {
    return load(directory.empty() ? default_directory() : directory);
  }

  // `key` (a message, or a message's variant) in the resident's `language` (BCP 47): see the
  // promises at the top of this file. render(key, language) alone looks up `key` as written.
  std::string render(std::string_view key, std::string_view language, const Args& args = {},
                     Variant variant = Variant::generic) const;

  // The catalog render() uses for `language` (rule 1), e.g. "zh-Hant" for "zh-TW".
  std::string locale_for(std::string_view language) const;

  bool has(std::string_view key, std::string_view locale) const;
  // The pattern of `key` in `locale` as written, or nullptr.
  const std::string* pattern(std::string_view key, std::string_view locale) const;
  // Locales present, sorted; "en" among them.
  std::vector<std::string> locales() const;
  // Keys of `locale`, sorted; empty for a locale not present.
  std::vector<std::string> keys(std::string_view locale) const;
  // The [meta] of `locale`, or nullptr.
  const LocaleInfo* info(std::string_view locale) const;

  // `pattern` formatted with `args` in `format_locale`. Throws std::runtime_error when ICU cannot
  // parse it, when an argument it names is not in `args`, or when an argument's type does not fit
  // (a plural needs a number).
  static std::string format(std::string_view format_locale, std::string_view pattern,
                            const Args& args);

 private:
  struct LocaleCatalog {
    LocaleInfo info;
    std::map<std::string, std::string, std::less<>> messages;
  };

  std::map<std::string, LocaleCatalog, std::less<>> locales_;
  std::vector<std::string> supported_;  // in the matcher's order
  std::shared_ptr<const icu::LocaleMatcher> matcher_;
};

// Names of the arguments `pattern` uses, once each in order of first use; empty when ICU cannot
// parse it.
std::vector<std::string> argument_names(std::string_view pattern);

}  // namespace frontdoor::templates
