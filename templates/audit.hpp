// The checks a catalog must pass before a resident reads it, and the coverage table that
// docs/templates.md shows. The unit tests run audit() on the shipped catalogs; an operator's own
// templates_dir can be checked the same way.
//
// audit() reports, per locale and key:
//  - a key English has that the locale lacks, or one it has that English does not (a misspelling);
//    a locale whose [meta] says tty_in_english must have no TTY texts and is not asked for them;
//  - arguments other than English's for the same key (a translation that drops {reference});
//  - an argument no sample is known for (add it to kSamples in audit.cpp and to en.toml's notes);
//  - a pattern that does not render with every sample (including each plural category), renders
//    empty, or leaves a '{' or '}' behind;
//  - a plural without a category the locale's CLDR rules select for some whole number from 0 to
//    1000 (Russian one/few/many, Arabic zero/one/two/few/many), or with a category the language
//    never uses (a copied English `one`);
//  - a TTY text (".tty") with anything but upper-case TTY-printable ASCII (i18n/tty_text.hpp);
//  - an SMS text (".sms" and "sms.*") over its budget, kSmsBudget below, for any sample.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "i18n/sms_encoding.hpp"
#include "templates/catalog.hpp"

namespace frontdoor::templates {

struct Finding {
  std::string locale;
  std::string key;
  std::string problem;
};

// "vi: ack.sms: missing (en.toml has it)".
std::string to_string(const Finding& finding);

// Segments an SMS text may take: one when it is GSM-7; two when it needs UCS-2 (70 UTF-16 units
// is too little for a reference number and a wait in Vietnamese, Russian or Khmer).
std::size_t sms_budget(i18n::SmsEncoding encoding);

std::vector<Finding> audit(const Catalog& catalog);

// What docs/templates.md shows for one locale.
struct Coverage {
  std::string locale;
  std::string language;  // "Vietnamese (Tiếng Việt)"
  std::size_t keys = 0;
  std::size_t english_keys = 0;
  bool reviewed_by_native_speaker = false;
  bool tty_in_english = false;
  // The SMS text that takes the most segments (then units) with any sample.
  std::string longest_sms_key;
  i18n::SmsEncoding longest_sms_encoding = i18n::SmsEncoding::gsm7;
  std::size_t longest_sms_segments = 0;
  std::size_t longest_sms_units = 0;
};

std::vector<Coverage> coverage(const Catalog& catalog);

// coverage() as the Markdown table in docs/templates.md, one line per locale, "\n" at the end.
std::string coverage_table(const Catalog& catalog);

}  // namespace frontdoor::templates
