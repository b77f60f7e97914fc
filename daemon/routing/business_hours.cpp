#include "daemon/routing/business_hours.hpp"

#include <unicode/gregocal.h>
#include <unicode/timezone.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <memory>

#include "daemon/config/config.hpp"

namespace frontdoor::routing {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr int kDayMinutes = 24 * 60;
constexpr int kLookAheadDays = 400;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int> number(std::string_view text) {
  int n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

std::optional<int> weekday(std::string_view name) {
  const auto it = std::find(kDays.begin(), kDays.end(), lower(name));
  if (it == kDays.end()) return std::nullopt;
  return static_cast<int>(it - kDays.begin());
}

// "08:00" → 480; "24:00" only where `allow_end_of_day`.
std::optional<int> time_of_day(std::string_view text, bool allow_end_of_day) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  const auto hours = number(text.substr(0, 2));
  const auto minutes = number(text.substr(3, 2));
  if (!hours || !minutes || *minutes > 59) return std::nullopt;
  const int total = *hours * 60 + *minutes;
  if (total > kDayMinutes || (total == kDayMinutes && !allow_end_of_day)) return std::nullopt;
  return total;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

// "2025-12-25" → {2025, 12, 25}; nullopt unless a real date.
std::optional<std::array<int, 3>> date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto y = number(text.substr(0, 4));
  const auto m = number(text.substr(5, 2));
  const auto d = number(text.substr(8, 2));
  if (!y || !m || !d) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*y), std::chrono::month(*m),
                                        std::chrono::day(*d)};
  if (!ymd.ok()) return std::nullopt;
  return std::array{*y, *m, *d};
}

icu::UnicodeString unicode(std::string_view text) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
}

std::unique_ptr<icu::TimeZone> zone_named(std::string_view zone) {
  if (zone.empty()) return std::unique_ptr<icu::TimeZone>(icu::TimeZone::createDefault());
  return std::unique_ptr<icu::TimeZone>(icu::TimeZone::createTimeZone(unicode(zone)));
}

}  // namespace

bool is_time_zone(std::string_view zone) {
  if (zone.empty()) return true;
  auto tz = zone_named(zone);
  return *tz != icu::TimeZone::getUnknown();
}

bool is_date_list(std::string_view dates) {
  const std::vector<std::string> items = split_list(dates);
  return std::all_of(items.begin(), items.end(),
                     [](const std::string& d) { return date(d).has_value(); });
}

std::optional<BusinessHours> BusinessHours::parse(std::string_view hours, std::string_view holidays,
                                                  std::string& error) {
  BusinessHours schedule;
  for (const std::string& item : split_list(hours)) {
    const auto parts = words(item);
    if (parts.size() < 2) {
      error = "'" + item + "': expected days and times, such as 'mon-fri 08:00-18:00'";
      return std::nullopt;
    }
    const std::string_view days = parts[0];
    const auto dash = days.find('-');
    const auto first = weekday(days.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : weekday(days.substr(dash + 1));
    if (!first || !last) {
      error = "'" + item + "': '" + std::string(days) +
              "' is not a day (sun, mon, tue, wed, thu, fri, sat) or a range of days (mon-fri)";
      return std::nullopt;
    }
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string_view range = parts[i];
      const auto separator = range.find('-');
      const auto start = time_of_day(range.substr(0, separator), false);
      const auto end = separator == std::string_view::npos
                           ? std::nullopt
                           : time_of_day(range.substr(separator + 1), true);
      if (!start || !end) {
        error = "'" + item + "': '" + std::string(range) +
                "' is not a time range HH:MM-HH:MM (00:00 to 24:00)";
        return std::nullopt;
      }
      for (int day = *first;; day = (day + 1) % 7) {
        schedule.ranges_.push_back({day, *start, *end});
        if (day == *last) break;
      }
    }
  }
  std::sort(schedule.ranges_.begin(), schedule.ranges_.end(), [](const Range& a, const Range& b) {
    return std::pair(a.weekday, a.start) < std::pair(b.weekday, b.start);
  });
  for (const std::string& text : split_list(holidays)) {
    const auto d = date(text);
    if (!d) {
      error = "'" + text + "' is not a date YYYY-MM-DD";
      return std::nullopt;
    }
    schedule.holidays_.push_back({(*d)[0], (*d)[1], (*d)[2]});
  }
  return schedule;
}

BusinessHours::State BusinessHours::state(std::chrono::sys_seconds at,
                                          const std::string& zone) const {
  if (ranges_.empty()) return {};
  UErrorCode status = U_ZERO_ERROR;
  icu::GregorianCalendar calendar(zone_named(zone).release(), status);
  if (U_FAILURE(status)) return {};
  const UDate now = static_cast<UDate>(at.time_since_epoch().count()) * 1000.0;
  calendar.setTime(now, status);
  const int year = calendar.get(UCAL_YEAR, status);
  const int month = calendar.get(UCAL_MONTH, status);
  const int day = calendar.get(UCAL_DATE, status);
  // The moment of `minutes` after midnight of the local day `offset` days from today.
  auto moment = [&](int offset, int minutes) {
    calendar.clear();
    const int in_day = minutes % kDayMinutes;
    calendar.set(year, month, day + offset + minutes / kDayMinutes, in_day / 60, in_day % 60, 0);
    return calendar.getTime(status);
  };
  for (int offset = -1; offset <= kLookAheadDays; ++offset) {
    moment(offset, 0);
    const int weekday = calendar.get(UCAL_DAY_OF_WEEK, status) - UCAL_SUNDAY;
    const Date today{calendar.get(UCAL_YEAR, status), calendar.get(UCAL_MONTH, status) + 1,
                     calendar.get(UCAL_DATE, status)};
    if (U_FAILURE(status)) return {};
    if (std::find(holidays_.begin(), holidays_.end(), today) != holidays_.end()) continue;
    for (const Range& r : ranges_) {
      if (r.weekday != weekday) continue;
      const UDate opens = moment(offset, r.start);
      const UDate closes = moment(offset, r.end > r.start ? r.end : r.end + kDayMinutes);
      if (opens <= now && now < closes) return {};
      if (opens > now) {
        return {false, std::chrono::sys_seconds(
                           std::chrono::seconds(static_cast<long long>(opens / 1000.0)))};
      }
    }
  }
  return {false, std::nullopt};
}

}  // namespace frontdoor::routing
