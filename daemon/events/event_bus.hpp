// Conversation events, seen by every frontdoord instance on the same Redis.
//
// Contract
//  1. Writers publish by XADD to the "events" stream inside their Lua script (never here), so
//     an event exists exactly when its change does.
//  2. Each instance reads the stream on its own dedicated connection (XREAD BLOCK) from the
//     point it started, and keeps its place across Redis outages: after a reconnect it goes on
//     from the last id it saw, so no event is missed unless the stream was trimmed past it.
//  3. Handlers run on the reader's coroutine, in stream order, and must not block: they enqueue
//     (WebSocket::send) or spawn. A handler may unsubscribe at any time.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/redis/redis_client.hpp"

namespace frontdoor::events {

struct Event {
  std::string id;  // stream id, ordered
  std::string
      type;  // conversation.created | conversation.updated | message.created | message.updated
  std::string conversation_id;
  std::string queue;
  std::string agent;
  std::string data;  // JSON object: {type, conversation_id, conversation{…}, message{…}?}
};

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;

  class Subscription {
   public:
    Subscription() = default;
    Subscription(EventBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    Subscription(Subscription&& other) noexcept { *this = std::move(other); }
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription() { reset(); }
    void reset();

   private:
    EventBus* bus_ = nullptr;
    std::uint64_t id_ = 0;
  };

  // `reader` must be a connection of its own: XREAD BLOCK holds it.
  EventBus(boost::asio::any_io_executor executor, redis::RedisClient& reader);
  void start();
  void stop();

  [[nodiscard]] Subscription subscribe(Handler handler);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Stream ids "<ms>-<seq>" in order.
bool stream_id_less(const std::string& a, const std::string& b);

}  // namespace frontdoor::events
