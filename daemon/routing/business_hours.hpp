// Business hours of a queue: a weekly schedule in the city's time zone, and the city's holidays.
//
// Contract
//  1. parse() reads a schedule such as "mon-fri 08:00-18:00, sat 09:00-13:00": comma-separated
//     items, each a day ("sat") or a range of days ("mon-fri", "fri-mon" wraps over the week
//     end) followed by one or more times of day "HH:MM-HH:MM" separated by blanks
//     ("mon-fri 08:00-12:00 13:00-17:00"). A range ends at "24:00" at the latest; one whose end
//     is not after its start ends the next day ("fri 22:00-02:00" is open Saturday at 01:00).
//     Day names are the first three letters of the English names, in any case. Empty text is a
//     queue that never closes.
//  2. Holidays are dates "YYYY-MM-DD", comma-separated: a time range that starts on one of them
//     does not open (one that started the evening before still ends as written).
//  3. Wall times are read in the IANA zone given to state() (empty: the host's zone) with ICU,
//     so the opening at 08:00 follows daylight saving time. A wall time that a DST change skips
//     ("02:30" on the spring-forward night) is read as the same time after the change.
//  4. state() says whether the queue is open at a moment and, when it is not, the first moment
//     after it that it opens (nothing when no opening comes within 400 days).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace frontdoor::routing {

class BusinessHours {
 public:
  // The schedule of `hours` and `holidays` (rules 1 and 2), or nullopt with `error` saying what
  // is wrong ("'mon-fry': unknown day 'fry'").
  static std::optional<BusinessHours> parse(std::string_view hours, std::string_view holidays,
                                            std::string& error);

  bool always_open() const { return ranges_.empty(); }

  struct State {
    bool open = true;
    std::optional<std::chrono::sys_seconds> opens_at;  // when closed: the next opening
  };
  State state(std::chrono::sys_seconds at, const std::string& zone) const;

 private:
  struct Range {
    int weekday;  // 0 = Sunday … 6 = Saturday
    int start;    // minutes after midnight
    int end;      // minutes after midnight, 1..1440; not after start: the next day
  };
  struct Date {
    int year, month, day;
    bool operator==(const Date&) const = default;
  };
  std::vector<Range> ranges_;  // by weekday, then start
  std::vector<Date> holidays_;
};

// Whether ICU knows `zone` as an IANA time zone ("America/Los_Angeles"); empty is the host's.
bool is_time_zone(std::string_view zone);

// Whether `dates` is empty or comma-separated dates "YYYY-MM-DD" (rule 2).
bool is_date_list(std::string_view dates);

}  // namespace frontdoor::routing
