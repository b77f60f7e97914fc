#include "daemon/routing/router.hpp"

#include <boost/asio/awaitable.hpp>

#include "daemon/api/views.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/events/pass_loop.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/redis_client.hpp"
#include "daemon/store/conversation_store.hpp"

namespace frontdoor::routing {

namespace asio = boost::asio;

namespace {
constexpr auto kIdleCheck = std::chrono::seconds(1);
constexpr int kMaxPerPass = 10000;  // assignments per pass; the next pass goes on
constexpr auto kStatsEvery = std::chrono::seconds(5);
constexpr auto kRetrySoon = std::chrono::milliseconds(100);
}  // namespace

struct Router::Impl : std::enable_shared_from_this<Impl> {
  Impl(const Config::Routing& config, store::ConversationStore& store, events::EventBus& events,
       bool request_interpreters)
      : config(config), store(store), events(events) {
    settings.request_interpreters = request_interpreters;
    settings.capacity = config.capacity;
    settings.language_wait_ms = config.language_wait_s * 1000LL;
    settings.scan = config.scan;
  }

  const Config::Routing& config;
  store::ConversationStore& store;
  events::EventBus& events;
  std::shared_ptr<events::PassLoop> loop;
  store::ConversationStore::RouteSettings settings;
  events::EventBus::Subscription subscription;
  std::chrono::steady_clock::time_point next_stats{};

  // Each queue's figures as gauges, for /metrics (every kStatsEvery): cluster-wide, from the
  // store, so every instance shows the same.
  asio::awaitable<void> publish_stats() {
    auto now = std::chrono::steady_clock::now();
    if (now < next_stats) co_return;
    auto& registry = metrics::registry();
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
                 "Share of answered conversations an agent had within routing.service_level_s.",
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
    for (const auto& agent : co_await store.sweep_gone_agents(config.offline_grace_s * 1000LL)) {
      log::info("agent_offline", {{"agent", agent}, {"reason", "inbox closed"}});
    }
    int assigned = 0;
    for (const auto& queue : co_await store.queues()) {
      while (assigned < kMaxPerPass) {
        auto routed = co_await store.route(queue, settings);
        if (!routed) break;
        ++assigned;
        metrics::registry()
            .counter("frontdoor_routing_assignments_total",
                     "Conversations assigned to an agent by routing.", {{"queue", queue}})
            .inc();
        log::info("routed",
                  {{"queue", queue}, {"conversation", routed->first}, {"agent", routed->second}});
      }
    }
  }
};

Router::Router(asio::any_io_executor executor, const Config::Routing& config,
               store::ConversationStore& store, events::EventBus& events, bool request_interpreters)
    : impl_(std::make_shared<Impl>(config, store, events, request_interpreters)) {
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
  if (!impl_->config.enabled) return;
  std::weak_ptr<events::PassLoop> loop = impl_->loop;
  impl_->subscription = impl_->events.subscribe([loop](const events::Event& event) {
    // Whatever can make an assignment possible: a conversation that arrived, came back or
    // ended (capacity freed), an agent who became available.
    if (event.type == "conversation.created" || event.type == "conversation.updated" ||
        event.type == "agent.updated") {
      if (auto l = loop.lock()) l->kick();
    }
  });
  impl_->loop->start();
}

void Router::stop() {
  impl_->subscription.reset();
  impl_->loop->stop();
}

}  // namespace frontdoor::routing
