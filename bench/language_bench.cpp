// Language detection throughput on the labelled corpus (tests/corpus/languages/), beside CLD2
// alone on the same messages in the same run.
//
//   language_bench [--seconds S] [--rounds R]
//
// One thread, no I/O: the corpus is read once, then each phase runs over it again and again for
// S seconds (default 1), the three phases taking turns R times (default 5) so that a neighbour's
// load on the machine falls on all of them alike; each figure is the median of its R runs:
//   1. frontdoor: i18n::LanguageDetector::detect() with the daemon's default [i18n] settings
//      (ICU script detection, the Han table, CLD2 restricted to the city's languages, the
//      little-word check);
//   2. policy: i18n::LanguagePolicy::of(), what ingest runs on each message (the language-name
//      keywords first, then the detector);
//   3. baseline: CLD2 alone, ExtDetectLanguageSummaryCheckUTF8 with the same flags, nothing else.
// Prints messages/s and µs per message of each, the ratio frontdoor / baseline, and the answers
// on the corpus: correct, unknown and wrong for the detector, and for CLD2 alone taken at its
// word (its first language when it says "reliable", matched to the city's languages).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

// CLD2's public header uses FILE without including <cstdio> (included above).
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include "daemon/config/config.hpp"
#include "i18n/language.hpp"
#include "i18n/language_detector.hpp"
#include "i18n/language_policy.hpp"

namespace {

using namespace frontdoor;
using clock_type = std::chrono::steady_clock;

struct Labelled {
  std::string expected;
  std::string text;
};

std::vector<Labelled> read_corpus() {
  std::vector<Labelled> out;
  for (const auto& entry : std::filesystem::directory_iterator(CORPUS_DIR)) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back({entry.path().stem().string(), line});
    }
  }
  return out;
}

CLD2::Language cld2_alone(const std::string& text, bool* reliable) {
  CLD2::CLDHints hints{nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  CLD2::Language language3[3];
  int percent3[3];
  double score3[3];
  int text_bytes = 0, valid_prefix = 0;
  return CLD2::ExtDetectLanguageSummaryCheckUTF8(
      text.data(), static_cast<int>(text.size()), true, &hints, CLD2::kCLDFlagBestEffort, language3,
      percent3, score3, nullptr, &text_bytes, reliable, &valid_prefix);
}

// Runs `detect_one` over the corpus, round after round, for `seconds`; messages per second.
template <class Detect>
double rate(const std::vector<Labelled>& corpus, double seconds, Detect detect_one) {
  std::size_t done = 0;
  std::size_t sink = 0;  // keeps the answers alive for the optimizer
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  do {
    for (const Labelled& m : corpus) sink += detect_one(m.text);
    done += corpus.size();
  } while (clock_type::now() < end);
  const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  if (sink == 42) std::printf(" ");
  return done / elapsed;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Answers {
  int correct = 0, unknown = 0, wrong = 0;
  void count(const std::string& expected, const std::string& got) {
    if (got == expected || (got == "zh" && expected.starts_with("zh-"))) {
      ++correct;
    } else if (got.empty()) {
      ++unknown;
    } else {
      ++wrong;
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--seconds") seconds = std::atof(argv[i + 1]);
    if (std::string(argv[i]) == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  const std::vector<Labelled> corpus = read_corpus();
  const Config defaults;
  const i18n::LanguageDetector::Settings settings{
      i18n::canonical_tags(defaults.i18n.languages), defaults.i18n.detection_min_confidence / 100.0,
      static_cast<std::size_t>(defaults.i18n.detection_min_letters)};
  const i18n::LanguageDetector detector(settings);
  const i18n::LanguagePolicy policy(settings);
  const i18n::LanguageMatcher city(settings.languages);

  std::printf(
      "language_bench: %zu messages in %zu languages, %d rounds of %.1f s per phase, "
      "one thread\n",
      corpus.size(), settings.languages.size(), rounds, seconds);
  std::vector<double> ours, with_policy, baseline;
  for (int round = 0; round < rounds; ++round) {
    ours.push_back(rate(corpus, seconds,
                        [&](const std::string& text) { return detector.detect(text).tag.size(); }));
    with_policy.push_back(rate(corpus, seconds, [&](const std::string& text) {
      return policy.of(text, "", false).tag.size();
    }));
    baseline.push_back(rate(corpus, seconds, [&](const std::string& text) {
      bool reliable = false;
      return static_cast<std::size_t>(cld2_alone(text, &reliable)) + reliable;
    }));
  }

  Answers ours_answers, cld2_answers;
  for (const Labelled& m : corpus) {
    ours_answers.count(m.expected, detector.detect(m.text).tag);
    bool reliable = false;
    const CLD2::Language language = cld2_alone(m.text, &reliable);
    cld2_answers.count(m.expected, reliable ? city.match(CLD2::LanguageCode(language)) : "");
  }

  auto line = [&](const char* name, double r, const Answers& a) {
    std::printf("%-40s %9.0f msgs/s %7.2f µs/msg", name, r, 1e6 / r);
    if (a.correct + a.unknown + a.wrong > 0) {
      std::printf("   correct %d, unknown %d, wrong %d", a.correct, a.unknown, a.wrong);
    }
    std::printf("\n");
  };
  line("frontdoor: LanguageDetector::detect", median(ours), ours_answers);
  line("frontdoor: LanguagePolicy::of (ingest)", median(with_policy), {});
  line("baseline: CLD2 alone", median(baseline), cld2_answers);
  std::printf("ratio frontdoor / CLD2 alone: %.2f\n", median(ours) / median(baseline));
  return 0;
}
