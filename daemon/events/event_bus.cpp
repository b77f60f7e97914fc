#include "daemon/events/event_bus.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <vector>

#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"

namespace frontdoor::events {

namespace asio = boost::asio;
using redis::RedisReply;

struct EventBus::State {
  asio::any_io_executor executor;
  redis::RedisClient& reader;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::shared_ptr<Handler>> handlers;

  State(asio::any_io_executor ex, redis::RedisClient& r) : executor(std::move(ex)), reader(r) {}

  void dispatch(const Event& event) {
    std::vector<std::shared_ptr<Handler>> snapshot;
    {
      std::lock_guard lock(mutex);
      for (auto& [id, h] : handlers) snapshot.push_back(h);
    }
    for (auto& h : snapshot) {
      try {
        (*h)(event);
      } catch (const std::exception& e) {
        log::error("event_handler_failed", {{"type", event.type}, {"error", e.what()}});
      }
    }
  }
};

namespace {

std::pair<unsigned long long, unsigned long long> split_id(const std::string& id) {
  unsigned long long ms = 0, seq = 0;
  auto dash = id.find('-');
  std::from_chars(id.data(), id.data() + (dash == std::string::npos ? id.size() : dash), ms);
  if (dash != std::string::npos) std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return {ms, seq};
}

Event to_event(const RedisReply& entry) {
  Event e;
  e.id = entry.elements[0].str;
  const auto& fields = entry.elements[1].elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const auto& k = fields[i].str;
    const auto& v = fields[i + 1].str;
    if (k == "type")
      e.type = v;
    else if (k == "conversation_id")
      e.conversation_id = v;
    else if (k == "queue")
      e.queue = v;
    else if (k == "agent")
      e.agent = v;
    else if (k == "data")
      e.data = v;
  }
  return e;
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<void> read_loop(std::shared_ptr<EventBus::State> state) {
  std::string last;
  auto& received = metrics::registry().counter("frontdoor_events_received_total",
                                               "Events read from the shared events stream.");
  while (!state->stopping) {
    std::chrono::milliseconds backoff{0};
    try {
      if (last.empty()) {
        // Start from the newest event there is now.
        RedisReply newest =
            co_await state->reader.call("XREVRANGE", "events", "+", "-", "COUNT", "1");
        last = newest.elements.empty() ? "0-0" : newest.elements[0].elements[0].str;
      }
      RedisReply reply = co_await state->reader.call("XREAD", "COUNT", "512", "BLOCK", "2000",
                                                     "STREAMS", "events", last);
      if (reply.is_nil() || reply.elements.empty()) continue;
      for (const auto& entry : reply.elements[0].elements[1].elements) {
        Event event = to_event(entry);
        last = event.id;
        received.inc();
        state->dispatch(event);
      }
    } catch (const redis::RedisUnavailable&) {
      backoff = std::chrono::milliseconds(200);
    } catch (const std::exception& e) {
      log::error("event_read_failed", {{"error", e.what()}});
      backoff = std::chrono::milliseconds(500);
    }
    if (backoff.count() > 0 && !state->stopping) co_await pause(backoff);
  }
}

}  // namespace

bool stream_id_less(const std::string& a, const std::string& b) {
  return split_id(a) < split_id(b);
}

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    bus_ = std::exchange(other.bus_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void EventBus::Subscription::reset() {
  if (!bus_) return;
  std::lock_guard lock(bus_->state_->mutex);
  bus_->state_->handlers.erase(id_);
  bus_ = nullptr;
}

EventBus::EventBus(asio::any_io_executor executor, redis::RedisClient& reader)
    : state_(std::make_shared<State>(std::move(executor), reader)) {}

void EventBus::start() { asio::co_spawn(state_->executor, read_loop(state_), asio::detached); }

void EventBus::stop() { state_->stopping = true; }

EventBus::Subscription EventBus::subscribe(Handler handler) {
  std::lock_guard lock(state_->mutex);
  auto id = state_->next_id++;
  state_->handlers[id] = std::make_shared<Handler>(std::move(handler));
  return Subscription(this, id);
}

}  // namespace frontdoor::events
