#include "daemon/routing/queue_policy.hpp"

#include <algorithm>

namespace frontdoor::routing {

QueuePolicies::QueuePolicies(const Config& config) : zone_(config.city.time_zone) {
  defaults_.service_level_ms = config.routing.service_level_s * 1000LL;
  defaults_.language_wait_ms = config.routing.language_wait_s * 1000LL;
  defaults_.min_proficiency = config.routing.min_proficiency;
  defaults_.acknowledge = config.conversations.acknowledge;
  for (const auto& [name, q] : config.queues) {
    QueuePolicy p = defaults_;
    p.name = name;
    p.languages = q.languages;
    p.priority = q.priority;
    std::string error;  // the configuration checked the schedule and the holidays already
    if (auto hours = BusinessHours::parse(q.hours, config.city.holidays, error)) p.hours = *hours;
    p.overflow_after_hours = q.after_hours == "overflow";
    p.overflow_to = q.overflow_to;
    p.overflow_after_ms = q.overflow_after_s * 1000LL;
    if (q.service_level_s) p.service_level_ms = *q.service_level_s * 1000LL;
    if (q.language_wait_s) p.language_wait_ms = *q.language_wait_s * 1000LL;
    if (q.min_proficiency) p.min_proficiency = *q.min_proficiency;
    if (q.acknowledge) p.acknowledge = *q.acknowledge;
    configured_.emplace(name, std::move(p));
  }
}

const QueuePolicy& QueuePolicies::of(const std::string& queue) const {
  auto it = configured_.find(queue);
  return it == configured_.end() ? defaults_ : it->second;
}

std::vector<std::string> QueuePolicies::in_priority_order(std::vector<std::string> queues) const {
  std::sort(queues.begin(), queues.end(), [this](const std::string& a, const std::string& b) {
    const int pa = of(a).priority, pb = of(b).priority;
    return pa != pb ? pa > pb : a < b;
  });
  return queues;
}

std::vector<std::string> QueuePolicies::configured() const {
  std::vector<std::string> names;
  for (const auto& [name, policy] : configured_) names.push_back(name);
  return names;
}

const QueuePolicy& QueuePolicies::serving(const std::string& queue,
                                          std::chrono::sys_seconds at) const {
  const QueuePolicy* p = &of(queue);
  // The configuration refuses circles; the bound only guards against a long chain.
  for (std::size_t hops = 0; hops <= configured_.size(); ++hops) {
    if (!p->overflow_after_hours || p->overflow_to.empty() || p->hours.state(at, zone_).open) {
      break;
    }
    p = &of(p->overflow_to);
  }
  return *p;
}

}  // namespace frontdoor::routing
