// Business hours: the schedule's grammar, and whether a queue is open and when it opens next,
// in the city's zone across daylight saving time, midnight and the week's end.
#include "daemon/routing/business_hours.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>

using frontdoor::routing::BusinessHours;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

namespace {

constexpr const char* kZone = "America/Los_Angeles";

BusinessHours schedule(std::string_view text, std::string_view holidays = "") {
  std::string error;
  auto parsed = BusinessHours::parse(text, holidays, error);
  INFO(error);
  REQUIRE(parsed);
  return *parsed;
}

// A UTC moment written as "2025-03-10T15:00".
sys_seconds utc(int y, int m, int d, int h, int min = 0) {
  return sys_days(std::chrono::year(y) / m / d) + std::chrono::hours(h) + std::chrono::minutes(min);
}

std::string parse_error(std::string_view text, std::string_view holidays = "") {
  std::string error;
  CHECK_FALSE(BusinessHours::parse(text, holidays, error));
  return error;
}

}  // namespace

TEST_CASE("business hours: the grammar and its errors") {
  CHECK(schedule("").always_open());
  CHECK_FALSE(schedule("mon-fri 08:00-18:00, SAT 09:00-13:00").always_open());
  CHECK_FALSE(schedule("mon-fri 08:00-12:00 13:00-17:00, sun 00:00-24:00").always_open());
  CHECK(parse_error("mon-fry 08:00-18:00") ==
        "'mon-fry 08:00-18:00': 'mon-fry' is not a day (sun, mon, tue, wed, thu, fri, sat) or a "
        "range of days (mon-fri)");
  CHECK(parse_error("mon-fri") ==
        "'mon-fri': expected days and times, such as 'mon-fri 08:00-18:00'");
  CHECK(parse_error("mon 8:00-18:00") ==
        "'mon 8:00-18:00': '8:00-18:00' is not a time range HH:MM-HH:MM (00:00 to 24:00)");
  CHECK_FALSE(parse_error("mon 24:00-08:00").empty());
  CHECK_FALSE(parse_error("mon 08:00-18:60").empty());
  CHECK(parse_error("mon 08:00-18:00", "2025-02-30") == "'2025-02-30' is not a date YYYY-MM-DD");
  CHECK(frontdoor::routing::is_time_zone("America/Los_Angeles"));
  CHECK(frontdoor::routing::is_time_zone(""));
  CHECK_FALSE(frontdoor::routing::is_time_zone("Mars/Olympus_Mons"));
  CHECK(frontdoor::routing::is_date_list("2025-12-25, 2026-01-01"));
  CHECK_FALSE(frontdoor::routing::is_date_list("2025-12-25, Christmas"));
}

TEST_CASE("business hours: open now, or the next opening in the city's zone") {
  const auto week = schedule("mon-fri 08:00-18:00, sat 09:00-13:00");
  // Monday 2025-06-02 10:00 PDT (17:00 UTC): open.
  CHECK(week.state(utc(2025, 6, 2, 17), kZone).open);
  // 18:00 PDT is closing time: closed, opens Tuesday 08:00 PDT (15:00 UTC).
  auto evening = week.state(utc(2025, 6, 3, 1), kZone);
  CHECK_FALSE(evening.open);
  CHECK(evening.opens_at == utc(2025, 6, 3, 15));
  // Saturday 13:30 PDT: closed until Monday (over the week's end).
  auto saturday = week.state(utc(2025, 6, 7, 20, 30), kZone);
  CHECK(saturday.opens_at == utc(2025, 6, 9, 15));
  // Always open: no opening to wait for.
  CHECK(schedule("").state(utc(2025, 6, 7, 20), kZone).open);
}

TEST_CASE("business hours: daylight saving time moves the opening in UTC, not in the city") {
  const auto week = schedule("mon-fri 08:00-18:00");
  // Saturday 2025-03-08 20:00 PST (04:00 UTC Sunday); clocks spring forward that night, so
  // Monday 08:00 is PDT: 15:00 UTC, not 16:00.
  CHECK(week.state(utc(2025, 3, 9, 4), kZone).opens_at == utc(2025, 3, 10, 15));
  // Friday 2025-10-31 19:00 PDT; clocks fall back on Sunday: Monday 08:00 PST is 16:00 UTC.
  CHECK(week.state(utc(2025, 11, 1, 2), kZone).opens_at == utc(2025, 11, 3, 16));
  // An opening the spring-forward night skips (02:30) is read as 03:30 PDT.
  CHECK(schedule("sun 02:30-05:00").state(utc(2025, 3, 9, 9), kZone).opens_at ==
        utc(2025, 3, 9, 10, 30));
}

TEST_CASE("business hours: ranges over midnight, one day a week, holidays") {
  const auto nights = schedule("fri 22:00-02:00");
  // Saturday 2025-03-15 01:00 PDT (08:00 UTC): still Friday night's range.
  CHECK(nights.state(utc(2025, 3, 15, 8), kZone).open);
  // Saturday 03:00 PDT: next Friday 22:00 PDT = Saturday 05:00 UTC.
  auto after = nights.state(utc(2025, 3, 15, 10), kZone);
  CHECK_FALSE(after.open);
  CHECK(after.opens_at == utc(2025, 3, 22, 5));
  // Monday 13:00 with only Monday mornings: a week later.
  CHECK(schedule("mon 08:00-12:00").state(utc(2025, 6, 2, 20), kZone).opens_at ==
        utc(2025, 6, 9, 15));
  // Christmas (Thursday) closed: Wednesday evening waits until Friday 08:00 PST.
  const auto christmas = schedule("mon-fri 08:00-18:00", "2025-12-25");
  CHECK(christmas.state(utc(2025, 12, 25, 3), kZone).opens_at == utc(2025, 12, 26, 16));
  CHECK_FALSE(christmas.state(utc(2025, 12, 25, 18), kZone).open);
  // A zone named wrongly is the configuration's to refuse; the host's zone is "".
  CHECK_FALSE(schedule("mon-sun 00:00-24:00").state(utc(2025, 6, 2, 17), "").opens_at.has_value());
}
