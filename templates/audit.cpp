#include "templates/audit.hpp"

#include <unicode/locid.h>
#include <unicode/messagepattern.h>
#include <unicode/plurrule.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <set>
#include <tuple>

#include "i18n/tty_text.hpp"

namespace frontdoor::templates {
namespace {

using namespace std::chrono_literals;

struct Sample {
  Arg value;
  std::string shown;  // how a finding names it
};

// A week of opening times, Monday 5 January 2026 onwards, in a city's zone: every weekday name
// and a short and a long time of day.
std::vector<Sample> opening_times() {
  const std::chrono::sys_days monday{std::chrono::year{2026} / std::chrono::January / 5};
  const std::array<std::pair<std::chrono::minutes, const char*>, 2> times{
      {{8h, "08:00"}, {10h + 30min, "10:30"}}};
  std::vector<Sample> out;
  for (int day = 0; day < 7; ++day) {
    for (const auto& [time, shown] : times) {
      // Los Angeles is UTC-8 in January: 08:00 there is 16:00 UTC.
      const std::chrono::sys_seconds at = monday + std::chrono::days{day} + time + 8h;
      out.push_back(
          {LocalTime{at, "America/Los_Angeles"}, "day " + std::to_string(day + 1) + " " + shown});
    }
  }
  return out;
}

// Values each argument is rendered with; `tty` asks for what a TTY pattern is checked with
// (upper-case ASCII, as render() folds arguments for TTY anyway, so that only the pattern's own
// words are judged). Empty: no sample is known for the argument.
std::vector<Sample> samples(std::string_view argument, bool tty, const Catalog& catalog) {
  std::vector<Sample> out;
  if (argument == "reference") {
    out.push_back({"1048576", "1048576"});  // seven digits: a city's millionth conversation
  } else if (argument == "wait_minutes" || argument == "position") {
    for (int n : {0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 25, 45, 100, 101, 102, 120}) {
      out.push_back({n, std::to_string(n)});
    }
  } else if (argument == "opens_at") {
    if (tty) {
      for (const char* shown : {"WEDNESDAY, 10:30 AM", "MONDAY, 8:00 AM"})
        out.push_back({shown, shown});
    } else {
      out = opening_times();
    }
  } else if (argument == "choices") {
    // The SMS language menu of six languages in their own names (channels.sms.language_menu):
    // every catalog's prompt must leave room for that many within two UCS-2 segments.
    const char* menu =
        "1 English\n2 Español\n3 Tiếng Việt\n4 中文（简体）\n5 中文（繁體）\n6 Русский";
    out.push_back({tty ? "1 ENGLISH\n2 ESPANOL" : menu, "the menu"});
  } else if (argument == "language_name") {
    if (tty) {
      for (const char* shown : {"VIETNAMESE", "SOMALI"}) out.push_back({shown, shown});
    } else {
      for (const auto& locale : catalog.locales()) out.push_back({LanguageName{locale}, locale});
    }
  }
  return out;
}

// Every combination of the arguments' samples, each with how a finding names it.
std::vector<std::pair<Args, std::string>> combinations(const std::vector<std::string>& names,
                                                       bool tty, const Catalog& catalog,
                                                       std::vector<std::string>& unknown) {
  std::vector<std::pair<Args, std::string>> out{{Args{}, ""}};
  for (const auto& name : names) {
    const auto values = samples(name, tty, catalog);
    if (values.empty()) {
      unknown.push_back(name);
      continue;
    }
    std::vector<std::pair<Args, std::string>> next;
    for (const auto& [args, shown] : out) {
      for (const auto& sample : values) {
        Args more = args;
        more.insert_or_assign(name, sample.value);
        next.emplace_back(std::move(more),
                          (shown.empty() ? "" : shown + ", ") + name + "=" + sample.shown);
      }
    }
    out = std::move(next);
  }
  return out;
}

bool is_sms_key(std::string_view key) {
  return variant_of(key) == Variant::sms || key.starts_with("sms.");
}

struct PluralUse {
  std::string argument;
  bool ordinal = false;
  std::vector<std::string> keywords;  // "one", "other"…; explicit "=0" selectors left out
};

std::vector<PluralUse> plurals(std::string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  icu::MessagePattern parsed(
      icu::UnicodeString::fromUTF8(icu::StringPiece(pattern.data(), pattern.size())), nullptr,
      status);
  std::vector<PluralUse> out;
  if (U_FAILURE(status)) return out;
  auto text = [&](int32_t i) {
    std::string s;
    parsed.getSubstring(parsed.getPart(i)).toUTF8String(s);
    return s;
  };
  for (int32_t i = 0; i < parsed.countParts(); ++i) {
    const auto& start = parsed.getPart(i);
    if (start.getType() != UMSGPAT_PART_TYPE_ARG_START) continue;
    const UMessagePatternArgType type = start.getArgType();
    if (type != UMSGPAT_ARG_TYPE_PLURAL && type != UMSGPAT_ARG_TYPE_SELECTORDINAL) continue;
    PluralUse use{text(i + 1), type == UMSGPAT_ARG_TYPE_SELECTORDINAL, {}};
    const int32_t limit = parsed.getLimitPartIndex(i);
    for (int32_t j = i + 2; j < limit;) {
      if (parsed.getPartType(j) != UMSGPAT_PART_TYPE_ARG_SELECTOR) {
        ++j;  // an offset
        continue;
      }
      std::string selector = text(j++);
      if (!selector.starts_with("=")) use.keywords.push_back(selector);
      if (parsed.getPartType(j) != UMSGPAT_PART_TYPE_MSG_START) ++j;  // the value of "=N"
      j = parsed.getLimitPartIndex(j) + 1;
    }
    out.push_back(std::move(use));
  }
  return out;
}

// The plural categories `format_locale` selects for 0…1000, each with the first number that
// selects it, "other" always; and every category the language has.
std::pair<std::map<std::string, int>, std::set<std::string>> categories(
    const std::string& format_locale, bool ordinal) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Locale locale = icu::Locale::forLanguageTag(format_locale, status);
  std::unique_ptr<icu::PluralRules> rules(icu::PluralRules::forLocale(
      locale, ordinal ? UPLURAL_TYPE_ORDINAL : UPLURAL_TYPE_CARDINAL, status));
  std::map<std::string, int> selected{{"other", -1}};
  std::set<std::string> all;
  if (U_FAILURE(status) || !rules) return {selected, all};
  for (int n = 0; n <= 1000; ++n) {
    std::string keyword;
    rules->select(static_cast<int32_t>(n)).toUTF8String(keyword);
    selected.try_emplace(keyword, n);
  }
  std::unique_ptr<icu::StringEnumeration> keywords(rules->getKeywords(status));
  while (const char* keyword = keywords ? keywords->next(nullptr, status) : nullptr) {
    all.insert(keyword);
  }
  return {selected, all};
}

void check_plurals(const LocaleInfo& info, const std::string& key, const std::string& pattern,
                   std::vector<Finding>& findings) {
  for (const auto& use : plurals(pattern)) {
    const auto [selected, all] = categories(info.format_locale, use.ordinal);
    for (const auto& [keyword, first] : selected) {
      if (std::find(use.keywords.begin(), use.keywords.end(), keyword) != use.keywords.end()) {
        continue;
      }
      findings.push_back(
          {info.locale, key,
           "plural {" + use.argument + "} has no '" + keyword + "'" +
               (first >= 0 ? " (" + info.locale + " uses it for " + std::to_string(first) + ")"
                           : "")});
    }
    for (const auto& keyword : use.keywords) {
      if (!all.contains(keyword)) {
        findings.push_back({info.locale, key,
                            "plural {" + use.argument + "} has '" + keyword + "', which " +
                                info.locale + " never uses (copied from another language?)"});
      }
    }
  }
}

std::string first_unprintable(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!i18n::is_tty_printable(static_cast<char32_t>(static_cast<unsigned char>(text[i])))) {
      std::size_t end = i + 1;
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
      return text.substr(i, end - i);
    }
  }
  return {};
}

struct SmsSize {
  std::size_t segments = 0, units = 0;
  i18n::SmsEncoding encoding = i18n::SmsEncoding::gsm7;
};

// Renders `key` in `locale` with every sample; reports what fails; returns the largest SMS.
SmsSize check_rendering(const Catalog& catalog, const LocaleInfo& info, const std::string& key,
                        const std::string& pattern, std::vector<Finding>& findings) {
  SmsSize largest;
  SmsSize over;           // the largest over its budget
  std::string over_with;  // the samples that made it
  const bool tty = variant_of(key) == Variant::tty;
  std::vector<std::string> unknown;
  const auto all = combinations(argument_names(pattern), tty, catalog, unknown);
  for (const auto& name : unknown) {
    findings.push_back({info.locale, key,
                        "argument {" + name +
                            "} has no sample: add one to templates/audit.cpp and describe it in "
                            "en.toml"});
  }
  if (!unknown.empty()) return largest;
  for (const auto& [args, shown] : all) {
    const std::string with = shown.empty() ? "" : " with " + shown;
    std::string text;
    try {
      text = Catalog::format(info.format_locale, pattern, args);
    } catch (const std::exception& e) {
      findings.push_back({info.locale, key, std::string(e.what()) + with});
      return largest;
    }
    if (text.empty() || text.find_first_of("{}") != std::string::npos) {
      findings.push_back(
          {info.locale, key, "renders empty or with a '{' or '}' left" + with + ": " + text});
      return largest;
    }
    if (tty) {
      if (auto bad = first_unprintable(text); !bad.empty()) {
        findings.push_back({info.locale, key,
                            "TTY text has \"" + bad +
                                "\", which a TTY cannot print (upper-case ASCII letters, digits "
                                "and - ? : $ ! & # ' ( ) . , ; / \" only)"});
        return largest;
      }
    }
    if (is_sms_key(key)) {
      const auto plan = i18n::plan_sms(text);
      const SmsSize size{plan.segments, plan.units, plan.encoding};
      if (std::tie(size.segments, size.units) > std::tie(largest.segments, largest.units)) {
        largest = size;
      }
      if (size.segments > sms_budget(size.encoding) &&
          std::tie(size.segments, size.units) > std::tie(over.segments, over.units)) {
        over = size;
        over_with = with;
      }
    }
  }
  if (over.segments > 0) {
    findings.push_back({info.locale, key,
                        "SMS takes " + std::to_string(over.segments) + " " +
                            std::string(i18n::to_string(over.encoding)) + " segments (" +
                            std::to_string(over.units) + " units)" + over_with +
                            "; the budget is " + std::to_string(sms_budget(over.encoding))});
  }
  return largest;
}

std::string sorted_names(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "{" : ", {") + name + "}";
  return out.empty() ? "none" : out;
}

}  // namespace

std::string to_string(const Finding& finding) {
  return finding.locale + ": " + finding.key + ": " + finding.problem;
}

std::size_t sms_budget(i18n::SmsEncoding encoding) {
  return encoding == i18n::SmsEncoding::gsm7 ? 1 : 2;
}

std::vector<Finding> audit(const Catalog& catalog) {
  std::vector<Finding> findings;
  const auto english = catalog.keys("en");
  if (catalog.info("en")->tty_in_english) {
    findings.push_back({"en", "meta", "English cannot take its TTY texts from English"});
  }
  for (const auto& locale : catalog.locales()) {
    const LocaleInfo& info = *catalog.info(locale);
    for (const auto& key : english) {
      const bool tty = variant_of(key) == Variant::tty;
      if (!catalog.has(key, locale) && !(tty && info.tty_in_english)) {
        findings.push_back({locale, key, "missing (en.toml has it)"});
      }
    }
    for (const auto& key : catalog.keys(locale)) {
      const std::string& pattern = *catalog.pattern(key, locale);
      if (!catalog.has(key, "en")) {
        findings.push_back({locale, key, "not in en.toml (a misspelt key?)"});
      } else if (variant_of(key) == Variant::tty && info.tty_in_english) {
        findings.push_back(
            {locale, key, "has a TTY text, but [meta] says tty_in_english: it is never used"});
      } else if (auto mine = sorted_names(argument_names(pattern)),
                 theirs = sorted_names(argument_names(*catalog.pattern(key, "en")));
                 mine != theirs) {
        findings.push_back({locale, key, "uses " + mine + " where en.toml uses " + theirs});
      }
      check_plurals(info, key, pattern, findings);
      check_rendering(catalog, info, key, pattern, findings);
    }
  }
  return findings;
}

std::vector<Coverage> coverage(const Catalog& catalog) {
  std::vector<Coverage> out;
  const std::size_t english = catalog.keys("en").size();
  for (const auto& locale : catalog.locales()) {
    const LocaleInfo& info = *catalog.info(locale);
    Coverage row;
    row.locale = locale;
    UErrorCode status = U_ZERO_ERROR;
    const icu::Locale icu_locale = icu::Locale::forLanguageTag(locale, status);
    icu::UnicodeString name, own;
    icu_locale.getDisplayName(icu::Locale::getEnglish(), name);
    icu_locale.getDisplayName(icu_locale, own);
    name.toUTF8String(row.language);
    if (own != name) {
      row.language += " (";
      own.toUTF8String(row.language);
      row.language += ")";
    }
    row.keys = catalog.keys(locale).size();
    row.english_keys = english;
    row.reviewed_by_native_speaker = info.reviewed_by_native_speaker;
    row.tty_in_english = info.tty_in_english;
    std::vector<Finding> ignored;
    for (const auto& key : catalog.keys(locale)) {
      if (!is_sms_key(key)) continue;
      const SmsSize size =
          check_rendering(catalog, info, key, *catalog.pattern(key, locale), ignored);
      if (std::tie(size.segments, size.units) >
          std::tie(row.longest_sms_segments, row.longest_sms_units)) {
        row.longest_sms_key = key;
        row.longest_sms_encoding = size.encoding;
        row.longest_sms_segments = size.segments;
        row.longest_sms_units = size.units;
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

std::string coverage_table(const Catalog& catalog) {
  std::string out =
      "| Locale | Language | Keys | Reviewed by a native speaker | TTY texts | Longest SMS |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& row : coverage(catalog)) {
    out += "| `" + row.locale + "` | " + row.language + " | " + std::to_string(row.keys) + " of " +
           std::to_string(row.english_keys) + " | " +
           (row.reviewed_by_native_speaker ? "yes" : "**no**") + " | " +
           (row.tty_in_english ? "English" : "own") + " | " +
           std::string(i18n::to_string(row.longest_sms_encoding)) + ", " +
           std::to_string(row.longest_sms_segments) +
           (row.longest_sms_segments == 1 ? " segment" : " segments") + " (`" +
           row.longest_sms_key + "`, " + std::to_string(row.longest_sms_units) + " units) |\n";
  }
  return out;
}

}  // namespace frontdoor::templates
