#include "daemon/routing/router.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/events/event_bus.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/store/conversation_store.hpp"

namespace frontdoor::routing {

namespace asio = boost::asio;

namespace {
constexpr auto kIdleCheck = std::chrono::seconds(1);
constexpr int kMaxPerPass = 10000;  // assignments per pass; the next pass goes on
}  // namespace

struct Router::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, const Config::Routing& config,
       store::ConversationStore& store, events::EventBus& events)
      : config(config), store(store), events(events), timer(asio::make_strand(executor)) {
    settings.capacity = config.capacity;
    settings.language_wait_ms = config.language_wait_s * 1000LL;
    settings.scan = config.scan;
  }

  const Config::Routing& config;
  store::ConversationStore& store;
  events::EventBus& events;
  asio::steady_timer timer;  // on a strand: the loop, kick() and stop() never run at once
  store::ConversationStore::RouteSettings settings;
  events::EventBus::Subscription subscription;
  bool stopped = false;
  bool again = false;  // something changed while a pass ran

  // Something changed: route again now (several changes make one pass).
  void kick() {
    asio::post(timer.get_executor(), [self = shared_from_this()] {
      self->again = true;
      self->timer.cancel();
    });
  }

  asio::awaitable<void> run() {
    auto keep = shared_from_this();
    while (!stopped) {
      again = false;
      try {
        co_await pass();
      } catch (const std::exception& e) {
        log::warn("routing_failed", {{"error", e.what()}});
      }
      if (stopped) break;
      if (again) continue;
      timer.expires_after(kIdleCheck);
      boost::system::error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

  // Sends agents whose inbox is gone offline (their conversations back to the queues), then
  // assigns what can be assigned now, queue by queue.
  asio::awaitable<void> pass() {
    for (const auto& agent : co_await store.sweep_gone_agents(config.offline_grace_s * 1000LL)) {
      log::info("agent_offline", {{"agent", agent}, {"reason", "inbox closed"}});
    }
    int assigned = 0;
    for (const auto& queue : co_await store.queues()) {
      while (!stopped && assigned < kMaxPerPass) {
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
               store::ConversationStore& store, events::EventBus& events)
    : impl_(std::make_shared<Impl>(std::move(executor), config, store, events)) {}

Router::~Router() { stop(); }

void Router::start() {
  if (!impl_->config.enabled) return;
  std::weak_ptr<Impl> weak = impl_;
  impl_->subscription = impl_->events.subscribe([weak](const events::Event& event) {
    // Whatever can make an assignment possible: a conversation that arrived, came back or
    // ended (capacity freed), an agent who became available.
    if (event.type == "conversation.created" || event.type == "conversation.updated" ||
        event.type == "agent.updated") {
      if (auto impl = weak.lock()) impl->kick();
    }
  });
  asio::co_spawn(impl_->timer.get_executor(), impl_->run(), asio::detached);
}

void Router::stop() {
  impl_->subscription.reset();
  asio::post(impl_->timer.get_executor(), [impl = impl_] {
    impl->stopped = true;
    impl->timer.cancel();
  });
}

}  // namespace frontdoor::routing
