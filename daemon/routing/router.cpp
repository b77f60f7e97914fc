#include "daemon/routing/router.hpp"

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <exception>
#include <map>
#include <optional>
#include <vector>

#include "daemon/api/views.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/events/pass_loop.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/redis_client.hpp"
#include "daemon/run_all.hpp"
#include "daemon/store/conversation_store.hpp"

namespace frontdoor::routing {

namespace asio = boost::asio;

namespace {
constexpr auto kIdleCheck = std::chrono::seconds(1);
constexpr int kMaxPerPass = 10000;        // assignments per pass; the next pass goes on
constexpr std::size_t kMaxInFlight = 16;  // route.lua calls at once for one queue
constexpr auto kStatsEvery = std::chrono::seconds(5);
constexpr auto kRetrySoon = std::chrono::milliseconds(100);
}  // namespace

struct Router::Impl : std::enable_shared_from_this<Impl> {
  Impl(const Config::Routing& config, const QueuePolicies& queues, store::ConversationStore& store,
       events::EventBus& events, bool request_interpreters)
      : config(config),
        queues(queues),
        store(store),
        events(events),
        request_interpreters(request_interpreters) {}

  const Config::Routing& config;
  const QueuePolicies& queues;
  store::ConversationStore& store;
  events::EventBus& events;
  const bool request_interpreters;
  std::shared_ptr<events::PassLoop> loop;
  events::EventBus::Subscription subscription;
  std::chrono::steady_clock::time_point next_stats{};

  // Each queue's figures as gauges, for /metrics (every kStatsEvery): cluster-wide, from the
  // store, so every instance shows the same.
  asio::awaitable<void> publish_stats() {
    auto now = std::chrono::steady_clock::now();
    if (now < next_stats) co_return;
    auto& registry = metrics::registry();
    // Every queue a conversation waited in, and every configured one: a queue whose table was
    // removed goes back to the defaults.
    std::map<std::string, store::ConversationStore::QueueSettings> settings;
    auto names = co_await store.queues();
    for (const auto& name : queues.configured()) names.push_back(name);
    for (const auto& name : names) {
      const auto& policy = queues.of(name);
      settings[name] = {policy.service_level_ms, policy.min_proficiency};
    }
    co_await store.set_queue_settings(
        settings, {queues.defaults().service_level_ms, queues.defaults().min_proficiency});
    auto stats = co_await store.queue_stats(config.service_level_s * 1000LL);
    next_stats = now + kStatsEvery;  // only once done: the first call also sets the target
    for (const auto& q : stats) {
      auto view = api::queue_view(q);
      const metrics::Labels labels{{"queue", q.queue}};
      auto number = [&](const char* key) {
        const auto& v = view.at(key);
        return v.is_null() ? 0.0 : v.to_number<double>();
      };
      registry.gauge("frontdoor_queue_waiting", "Conversations waiting in the queue.", labels)
          .set(number("waiting"));
      registry
          .gauge("frontdoor_queue_longest_wait_seconds",
                 "How long the first conversation in line has waited.", labels)
          .set(number("longest_wait_s"));
      registry.gauge("frontdoor_queue_agents_available", "Available agents of the queue.", labels)
          .set(number("agents_available"));
      registry
          .gauge("frontdoor_queue_service_level",
                 "Share of answered conversations an agent had within the queue's service-level "
                 "target.",
                 labels)
          .set(number("service_level"));
      registry
          .gauge("frontdoor_queue_first_response_seconds_avg",
                 "Average time from arrival to the first reply.", labels)
          .set(number("average_first_response_s"));
      registry
          .gauge("frontdoor_queue_first_contact_resolution",
                 "Share of resolved conversations that were never reopened.", labels)
          .set(number("first_contact_resolution"));
    }
  }

  // Sends agents whose inbox is gone offline (their conversations back to the queues), then
  // assigns what can be assigned now, queue by queue.
  asio::awaitable<void> pass() {
    co_await publish_stats();
    if (!config.enabled) co_return;  // agents claim conversations; the figures still count
    for (const auto& agent : co_await store.sweep_gone_agents(config.offline_grace_s * 1000LL)) {
      log::info("agent_offline", {{"agent", agent}, {"reason", "inbox closed"}});
    }
    int changes = 0;
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    for (const auto& queue : queues.in_priority_order(co_await store.queues())) {
      const auto settings = settings_for(queue, now);
      // One call, then, while every call of a round changed something, twice as many at once
      // (up to kMaxInFlight): each call is atomic, so calls in flight decide as one after the
      // other would, and Redis answers (and writes to its AOF) a round's calls together.
      // A round with a call that found nothing to do ends the queue.
      std::size_t width = 1;
      for (bool more = true; more && changes < kMaxPerPass;) {
        auto round = co_await route_round(queue, settings, width);
        for (auto& routed : round.results) {
          if (!routed) {
            more = false;
            continue;
          }
          ++changes;
          counted(queue, *routed);
        }
        if (round.failure) std::rethrow_exception(round.failure);  // what was done is counted
        width = std::min(width * 2, kMaxInFlight);
      }
    }
  }

  // `width` route.lua calls for `queue` at once (on this strand), once every call has ended:
  // their answers in the order made (nullopt: nothing to do, or the call failed), and the first
  // failure.
  struct Round {
    std::vector<std::optional<store::ConversationStore::Routed>> results;
    std::exception_ptr failure;
  };
  asio::awaitable<Round> route_round(const std::string& queue,
                                     const store::ConversationStore::RouteSettings& settings,
                                     std::size_t width) {
    Round round{std::vector<std::optional<store::ConversationStore::Routed>>(width), nullptr};
    auto call = [&](std::size_t i) -> asio::awaitable<void> {
      round.results[i] = co_await store.route(queue, settings);
    };
    try {
      co_await run_all(width, call);
    } catch (...) {
      round.failure = std::current_exception();
    }
    co_return round;
  }

  // Metrics and the log line of one change route.lua made.
  static void counted(const std::string& queue, const store::ConversationStore::Routed& routed) {
    if (!routed.overflow_to.empty()) {
      metrics::registry()
          .counter("frontdoor_routing_overflows_total",
                   "Conversations moved to another queue by overflow.", {{"queue", queue}})
          .inc();
      log::info(
          "overflowed",
          {{"queue", queue}, {"conversation", routed.conversation_id}, {"to", routed.overflow_to}});
      return;
    }
    metrics::registry()
        .counter("frontdoor_routing_assignments_total",
                 "Conversations assigned to an agent by routing.", {{"queue", queue}})
        .inc();
    log::info(
        "routed",
        {{"queue", queue}, {"conversation", routed.conversation_id}, {"agent", routed.agent}});
  }

  // route.lua's settings for `queue` at `now`: its languages and waits, and its overflow (at
  // once while it is closed and overflows after hours).
  store::ConversationStore::RouteSettings settings_for(const std::string& queue,
                                                       std::chrono::sys_seconds now) const {
    const QueuePolicy& policy = queues.of(queue);
    store::ConversationStore::RouteSettings settings;
    settings.capacity = config.capacity;
    settings.scan = config.scan;
    settings.request_interpreters = request_interpreters;
    settings.language_wait_ms = policy.language_wait_ms;
    settings.languages = policy.languages;
    settings.overflow_to = policy.overflow_to;
    if (!policy.overflow_to.empty()) {
      if (policy.overflow_after_hours && !policy.hours.state(now, queues.time_zone()).open) {
        settings.overflow_after_ms = 0;
      } else if (policy.overflow_after_ms > 0) {
        settings.overflow_after_ms = policy.overflow_after_ms;
      }
    }
    return settings;
  }
};

Router::Router(asio::any_io_executor executor, const Config::Routing& config,
               const QueuePolicies& queues, store::ConversationStore& store,
               events::EventBus& events, bool request_interpreters)
    : impl_(std::make_shared<Impl>(config, queues, store, events, request_interpreters)) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->loop = std::make_shared<events::PassLoop>(std::move(executor), "routing",
                                                   events::PassLoop::Timing{kIdleCheck, kRetrySoon},
                                                   [weak]() -> asio::awaitable<void> {
                                                     if (auto impl = weak.lock())
                                                       co_await impl->pass();
                                                   });
}

Router::~Router() { stop(); }

void Router::start() {
  if (impl_->config.enabled) {
    std::weak_ptr<events::PassLoop> loop = impl_->loop;
    impl_->subscription = impl_->events.subscribe([loop](const events::Event& event) {
      // Whatever can make an assignment possible: a conversation that arrived, came back or
      // ended (capacity freed), an agent who became available.
      if (event.type == "conversation.created" || event.type == "conversation.updated" ||
          event.type == "agent.updated") {
        if (auto l = loop.lock()) l->kick();
      }
    });
  }
  // Without routing the loop only keeps the queues' settings and figures (publish_stats).
  impl_->loop->start();
}

void Router::stop() {
  impl_->subscription.reset();
  impl_->loop->stop();
}

}  // namespace frontdoor::routing
