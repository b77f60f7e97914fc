// What each queue promises and how it behaves, resolved from the configuration: its own
// [queues.<name>] table, else the defaults ([routing], [conversations], [city]).
//
// Contract
//  1. of(name) never fails: a queue without a table (one a channel or a transfer named) gets the
//     defaults: every language, priority 5, always open, routing's language wait and service
//     level, no overflow, conversations.acknowledge.
//  2. in_priority_order() sorts queue names by priority, higher first, then by name, so every
//     instance routes them in the same order.
//  3. Times are in the city's zone (city.time_zone; empty: the host's).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/routing/business_hours.hpp"

namespace frontdoor::routing {

struct QueuePolicy {
  std::string name;
  std::string languages;  // canonical tags served, comma-separated; empty = every language
  int priority = 5;
  BusinessHours hours;
  bool overflow_after_hours = false;  // after_hours = "overflow"
  std::string overflow_to;
  long long overflow_after_ms = 0;  // 0: never for waiting
  long long service_level_ms = 25000;
  long long language_wait_ms = 60000;
  int min_proficiency = 3;  // 1..5, in an agent's language to serve it without an interpreter
  bool acknowledge = true;
};

class QueuePolicies {
 public:
  explicit QueuePolicies(const Config& config);

  const QueuePolicy& of(const std::string& queue) const;
  // What a queue without a table of its own gets (rule 1).
  const QueuePolicy& defaults() const { return defaults_; }
  std::vector<std::string> in_priority_order(std::vector<std::string> queues) const;
  // The queues with a table of their own.
  std::vector<std::string> configured() const;
  const std::string& time_zone() const { return zone_; }

  // Where a conversation arriving in `queue` at `at` waits: the queue itself, or, while it is
  // closed with after_hours = "overflow", the queue it overflows to (followed as far as it goes).
  const QueuePolicy& serving(const std::string& queue, std::chrono::sys_seconds at) const;

 private:
  QueuePolicy defaults_;
  std::map<std::string, QueuePolicy> configured_;
  std::string zone_;
};

}  // namespace frontdoor::routing
