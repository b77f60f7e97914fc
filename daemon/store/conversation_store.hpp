// The conversation model in Redis (docs/data-model.md draws every key).
//
// Contract
//  1. Every change is one Lua script (daemon/store/scripts/), so it is atomic across instances
//     and publishes its events in the same step.
//  2. ingest() returns only once the message is durable in Redis (as durable as the server's
//     AOF policy); only then may a channel tell its client "accepted".
//  3. Redis being unreachable surfaces as redis::RedisUnavailable; a refusal by the model
//     (no such conversation, a change the state forbids) as StoreError.
//  4. Reads return plain field maps: the model's fields are documented, not wrapped.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/ingest/inbound.hpp"
#include "daemon/redis/redis_client.hpp"

namespace frontdoor::store {

using Fields = std::map<std::string, std::string>;

struct Message {
  std::string id;        // stream id: "<ms>-<seq>", ordered
  Fields fields;         // direction, author, author_name, channel, text, language, created_at, …
                         // and delivery_detail (the provider's id or why it failed) when known
  std::string delivery;  // outbound only: pending | sent | delivered | failed | retrying
};

struct ListFilter {
  std::string status, queue, channel, agent;
  std::vector<std::string> visible_queues;  // empty = every queue
  std::string viewer;                       // also visible: conversations this agent holds
  int limit = 50;
  std::string before;  // cursor from a previous page
};

struct ListPage {
  std::vector<Fields> conversations;
  std::string next_before;  // empty = no more
};

struct AppendResult {
  std::string message_id;
  std::string reply_channel;
  std::string reply_address;
  std::string status;
  std::string direction;  // as stored: a reply becomes "for_interpreter" while one interprets
};

// Interpreting (interpret.lua; docs/interpreting.md).
struct InterpretSettings {
  long long pool_wait_ms = 30000;          // looking in the pool before the vendor / a supervisor
  long long response_timeout_ms = 120000;  // an interpreter's answer, before another is found
  long long vendor_timeout_ms = 15000;
  bool vendor = false;  // a vendor is configured
  int capacity = 2;     // conversations an interpreter takes at once (theirs: "interpret:N")
};
// One step of a conversation's interpretation: action is none | waiting | joined | vendor |
// escalated | active; notice_message_id names the resident's notice to deliver; forward the
// messages to send to a vendor interpreter.
struct InterpretStep {
  std::string action, interpreter, notice_message_id;
  std::vector<std::string> forward;
};
struct Interpreted {
  std::string message_id;
  std::string direction;  // "interpretation" (for the agent) | "out" (for the resident) |
                          // "duplicate" (an event seen before)
  std::string reply_channel, reply_address;
  std::string delivery;  // of an "out" (or a duplicate's): pending until delivered
};

// Replies due for another attempt (see schedule_retry).
struct ClaimedRetries {
  struct Item {
    std::string conversation_id, message_id;
    std::string item;  // as scheduled
  };
  std::vector<Item> items;
  long long next_due_in_ms = -1;  // the next reply due after these; -1 when none is waiting
};

class StoreError : public std::runtime_error {
 public:
  enum class Kind { not_found, conflict, invalid };
  StoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class ConversationStore {
 public:
  struct Settings {
    std::string default_queue = "general";
    int dedup_ttl_s = 7 * 24 * 3600;
    int events_maxlen = 100000;
  };

  ConversationStore(redis::RedisClient& redis, Settings settings);

  boost::asio::awaitable<IngestResult> ingest(const Inbound& inbound);

  boost::asio::awaitable<std::optional<Fields>> conversation(const std::string& id);
  // The contact an address ("email:ana@example.org") belongs to; empty when none has written yet.
  boost::asio::awaitable<std::string> contact_of(const std::string& address);
  // Messages after `after` (exclusive; empty = from the start), oldest first.
  boost::asio::awaitable<std::vector<Message>> messages(const std::string& id,
                                                        const std::string& after = {},
                                                        int count = 1000);
  // One message of a conversation (with its delivery status), or nullopt.
  boost::asio::awaitable<std::optional<Message>> message(const std::string& conversation_id,
                                                         const std::string& message_id);
  boost::asio::awaitable<ListPage> list(const ListFilter& filter);

  boost::asio::awaitable<AppendResult> append(const std::string& conversation_id,
                                              const std::string& direction,
                                              const std::string& agent,
                                              const std::string& author_name,
                                              const std::string& text, bool direct = false);
  // An agent's status change (set_status.lua). Returns the status the conversation had before:
  // equal to `status` when this call changed nothing.
  boost::asio::awaitable<std::string> set_status(const std::string& conversation_id,
                                                 const std::string& status,
                                                 const std::string& agent,
                                                 const std::string& author_name);
  boost::asio::awaitable<std::string> assign(const std::string& conversation_id,
                                             const std::string& agent, const std::string& by,
                                             const std::string& by_name);
  // Moves a conversation to another queue (transfer.lua): no holder, queued, routed there.
  boost::asio::awaitable<std::string> transfer(const std::string& conversation_id,
                                               const std::string& queue, const std::string& by,
                                               const std::string& by_name);
  boost::asio::awaitable<void> set_delivery(const std::string& conversation_id,
                                            const std::string& message_id,
                                            const std::string& status,
                                            const std::string& detail = {});

  // A resident's consent on one address ("phone:+1…"): opted_out after STOP, opted_in after
  // START. Records a system line in their open conversation when it changes.
  boost::asio::awaitable<void> set_consent(const std::string& address, bool opted_out,
                                           const std::string& keyword, const std::string& channel);
  boost::asio::awaitable<bool> opted_out(const std::string& address);

  // The outbound message a provider's own id stands for (for its delivery callbacks), kept for
  // dedup_ttl_s.
  boost::asio::awaitable<void> remember_provider_id(const std::string& channel,
                                                    const std::string& provider_id,
                                                    const std::string& conversation_id,
                                                    const std::string& message_id,
                                                    int ttl_s = 0 /* 0: dedup_ttl_s */);
  // {conversation_id, message_id}, or nullopt when unknown (or expired).
  boost::asio::awaitable<std::optional<std::pair<std::string, std::string>>> find_provider_id(
      const std::string& channel, const std::string& provider_id);

  // Ids of conversations that came in on `channel`, newest first, created in [from_ms, to_ms].
  boost::asio::awaitable<std::vector<std::string>> ids_by_origin(const std::string& channel,
                                                                 long long from_ms, long long to_ms,
                                                                 int limit);

  // A channel's own per-resident session (a chat token, later an email thread map), kept at
  // channel_session:<channel>:<id> with a TTL renewed on every write. Channels keep their
  // state here rather than in keys of their own.
  boost::asio::awaitable<void> put_session(const std::string& channel, const std::string& id,
                                           const Fields& fields, int ttl_s);
  // Empty when there is no such session (or it expired).
  boost::asio::awaitable<Fields> get_session(const std::string& channel, const std::string& id);

  // The outbox (outbox.lua): a reply that met a passing failure waits there, with what its
  // next attempt needs (`item`, opaque here), until it is due; it survives restarts.
  boost::asio::awaitable<void> schedule_retry(const std::string& conversation_id,
                                              const std::string& message_id,
                                              const std::string& item, long long delay_ms);
  // Takes up to `limit` due replies; each is due again after `lease_ms` unless finished or
  // rescheduled first (so a crash mid-attempt delays it, never loses it).
  boost::asio::awaitable<ClaimedRetries> claim_retries(int limit, long long lease_ms);
  boost::asio::awaitable<void> finish_retry(const std::string& conversation_id,
                                            const std::string& message_id);

  // Routing (route.lua): assigns the first conversation of `queue` that an available agent can
  // serve to the longest-idle such agent, or moves one that waited long enough to the overflow
  // queue; nullopt when there is nothing to do now.
  struct RouteSettings {
    std::string capacity;  // default per channel, "webchat:3,sms:4"
    long long language_wait_ms = 60000;
    int scan = 50;
    bool request_interpreters = true;  // an assignment without the language asks for one
    std::string languages;    // the queue serves these (canonical, comma-separated); "" = all
    std::string overflow_to;  // "" = no overflow
    long long overflow_after_ms = -1;  // -1 = never, 0 = at once (closed, overflowing after hours)
  };
  struct Routed {
    std::string conversation_id;
    std::string agent;        // assigned to; empty when it overflowed
    std::string overflow_to;  // moved to this queue; empty when assigned
  };
  boost::asio::awaitable<std::optional<Routed>> route(const std::string& queue,
                                                      const RouteSettings& settings);
  // What the scripts read of each queue's configuration (queue_config:<name>): its
  // service-level target (what answered() counts against; queue_stats) and the proficiency an
  // agent needs in a resident's language (common.lua's min_proficiency()). Queues not listed use
  // `defaults` (routing:service_level_ms, routing:min_proficiency).
  struct QueueSettings {
    long long service_level_ms = 25000;
    int min_proficiency = 3;
  };
  boost::asio::awaitable<void> set_queue_settings(
      const std::map<std::string, QueueSettings>& queues, const QueueSettings& defaults);
  // The moving average of how long the conversations `queue` answered waited (common.lua's
  // answer_wait_ms); nullopt before the queue answered any.
  boost::asio::awaitable<std::optional<long long>> answer_wait_ms(const std::string& queue);

  // A notice from the hub to the resident (notice.lua): `text`, rendered from the template
  // `template_key` ("ack", "after_hours": once per conversation; "resolved": once per
  // resolution, while still resolved), stored as an outbound message by "system" with delivery
  // pending; nullopt when there is nothing to tell.
  boost::asio::awaitable<std::optional<AppendResult>> notify_resident(
      const std::string& conversation_id, const std::string& template_key,
      const std::string& author_name, const std::string& text);
  // Each queue now and since the start: what routing and supervisors watch.
  struct QueueStats {
    std::string queue;
    long long waiting = 0;
    long long longest_wait_ms = 0;  // of the conversation waiting longest; 0 when none waits
    long long agents_available = 0;
    long long service_level_ms = 0;  // the queue's target
    Fields counters;                 // stats:queue:<name> (see common.lua): offered, answered, …
  };
  // `service_level_ms`: the target shown for queues without one of their own (queue_config,
  // set_queue_settings). Reads only.
  boost::asio::awaitable<std::vector<QueueStats>> queue_stats(long long service_level_ms);
  // The queues conversations have waited in (each routed in turn).
  boost::asio::awaitable<std::vector<std::string>> queues();
  // available | away | offline (presence.lua); returns the previous presence.
  boost::asio::awaitable<std::string> set_presence(const std::string& username,
                                                   const std::string& presence);

  // Liveness (liveness.lua): an agent's live stream is open now; and the agents not seen for
  // `grace_ms`, which go offline with what they held requeued (their usernames).
  boost::asio::awaitable<void> agent_seen(const std::string& username);
  boost::asio::awaitable<std::vector<std::string>> sweep_gone_agents(long long grace_ms);

  // Interpreting (interpret.lua). An agent asks for an interpreter between `language` and
  // `into` (empty: what the holder, else the asking agent, reads best other than `language`;
  // English when nothing else) (false: one is already being looked for or is there).
  boost::asio::awaitable<bool> request_interpreter(const std::string& conversation_id,
                                                   const std::string& language,
                                                   const std::string& into, const std::string& by,
                                                   const std::string& by_name);
  // Conversations whose next interpreting step is due.
  boost::asio::awaitable<std::vector<std::string>> interpretations_due(int limit);
  // The next step for one (`notice`: what the resident is told, "" for nothing).
  boost::asio::awaitable<InterpretStep> interpret_tick(const std::string& conversation_id,
                                                       const InterpretSettings& settings,
                                                       const std::string& notice);
  // The vendor sent an interpreter (`detail`: its id) or nobody (`detail`: why). False when
  // the vendor was no longer being asked.
  boost::asio::awaitable<bool> vendor_answered(const std::string& conversation_id, bool joined,
                                               const std::string& detail);
  // `interpreter` ("<username>" or "vendor:<id>") interprets message `of`; a repeated
  // `event_id` (a vendor's) gives the first message back with direction "duplicate".
  boost::asio::awaitable<Interpreted> interpreted(const std::string& conversation_id,
                                                  const std::string& of, const std::string& text,
                                                  const std::string& interpreter,
                                                  const std::string& author_name,
                                                  const std::string& event_id = {});
  boost::asio::awaitable<void> interpreter_leaves(const std::string& conversation_id,
                                                  const std::string& interpreter,
                                                  const std::string& reason);
  // A message offered for the vendor is in its hands (or the outbox's).
  boost::asio::awaitable<void> vendor_forwarded(const std::string& conversation_id,
                                                const std::string& message_id);
  // Up to `limit` notices that a vendor's interpreter is no longer needed (JSON objects).
  boost::asio::awaitable<std::vector<std::string>> vendor_notices(int limit);

  // A lease on work only one instance may do at a time (polling one mailbox folder), kept at
  // lease:<name> for ttl_ms: true when `owner` holds it now (taken, or renewed because it held
  // it already), false while another owner does.
  boost::asio::awaitable<bool> hold_lease(const std::string& name, const std::string& owner,
                                          long long ttl_ms);

 private:
  boost::asio::awaitable<redis::RedisReply> run(const redis::Script& script,
                                                std::vector<std::string> args);

  redis::RedisClient& redis_;
  Settings settings_;
};

// Field maps from a flat [k, v, k, v, …] reply.
Fields to_fields(const redis::RedisReply& flat);

}  // namespace frontdoor::store
