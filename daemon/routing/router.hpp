// Routing: every queued conversation reaches an agent who can serve it.
//
// Contract
//  1. The choice is route.lua, one atomic script: the first conversation of a queue (by
//     priority, then age; one nobody can serve does not hold up those behind it) goes to the
//     longest-idle available agent with the queue among its queues, room on the conversation's
//     channel (capacity per channel), and its language. Several instances route at once on
//     one Redis; none assigns a conversation twice or takes an agent past capacity. Within a
//     pass a queue gets one call, then rounds of twice as many calls at once (up to 16) while
//     every call of a round assigned or moved something: calls in flight decide as they would
//     one after the other, and Redis answers a round together.
//  2. Routing runs again whenever something changed that could allow an assignment, on any
//     instance: a conversation arrived, was requeued, resolved or closed (capacity freed), an
//     agent became available (conversation.* and agent.updated events on the shared stream);
//     and at least every second (a language wait ran out, an event was missed).
//  3. A conversation in a language no available agent speaks waits routing.language_wait_s;
//     then any agent of its queue takes it, it is marked needs_interpreter, its transcript says
//     so, and an interpreter is requested in the same step.
//  4. An agent whose live inbox (/api/v1/stream, on any instance) has been closed for
//     routing.offline_grace_s goes offline, and what it held goes back to its queue
//     (liveness.lua; the inbox's stream says the agent is there every grace/3, at most 10 s).
//  5. With routing.enabled = false nothing is assigned automatically; agents claim. The queues'
//     settings and figures (rule 8) are kept all the same.
//  6. Queues are routed in order of priority (QueuePolicies::in_priority_order), each with its
//     own language wait and the languages it serves: a conversation in a language its queue
//     does not serve goes to any agent of the queue at once, marked needs_interpreter.
//  7. Overflow: a conversation that has waited a queue's overflow_after_s moves to its
//     overflow_to (route.lua, atomically, with a system line and conversation.updated); while a
//     queue with after_hours = "overflow" is closed, its conversations move at once.
//  8. Each queue's service-level target and min_proficiency reach the scripts and the figures
//     through queue_config:<name> and routing:min_proficiency (set before the first assignment
//     and at every figures update, every 5 s, for every queue conversations waited in and every
//     configured one). Agents read a resident's language for routing only at the queue's
//     min_proficiency or above.
//
// Several instances should run with the same queues' configuration: whichever routes a queue
// applies its own.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "daemon/config/config.hpp"
#include "daemon/routing/queue_policy.hpp"

namespace frontdoor {
namespace store {
class ConversationStore;
}
namespace events {
class EventBus;
}

namespace routing {

class Router {
 public:
  // request_interpreters: an assignment to an agent without the language also asks for an
  // interpreter (interpreters.enabled; daemon/interpreting/interpreting.hpp finds one).
  Router(boost::asio::any_io_executor executor, const Config::Routing& config,
         const QueuePolicies& queues, store::ConversationStore& store, events::EventBus& events,
         bool request_interpreters = true);
  ~Router();
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace routing
}  // namespace frontdoor
