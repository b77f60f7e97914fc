// What the hub itself tells a resident about their conversation, in their language and on their
// channel: that a new conversation arrived, with its reference number and the expected wait
// (template "ack"), or, while the queue is closed, when it opens ("after_hours"); and that an
// agent resolved it, and that an answer reopens it ("resolved").
//
// Contract
//  1. Acknowledgements: once per conversation (notice.lua keeps acknowledged_at), for a
//     conversation ingest just created; never for a repeat, an automatic message (an
//     out-of-office reply: Inbound::passive or auto_submitted), a web form request (its POST's
//     answer carries the request's number already), or a queue whose acknowledge is off
//     (QueuePolicy).
//  2. Resolution notices: once per resolution (notice.lua keeps resolved_notice_for), and only
//     while the conversation is still resolved when the text is stored: a resident who wrote
//     again in between reopened it, and is not told it is resolved. Never to a web form request
//     (Open311 shows the status), nor when conversations.notify_resolved is off or the agent
//     asked for silence (the API's notify_resident: false).
//  3. The text is stored first, as an outbound message by "system", then sent through Deliver
//     like an agent's reply, so SMS and email are retried from the outbox and the transcript
//     shows its delivery. What the channel could never send (an opted-out number, email
//     without a mail server) is not stored at all (Deliver::refusal).
//  4. Open or closed is the queue's where the conversation will wait (QueuePolicies::serving:
//     a closed queue that overflows after hours hands it on). Open: the expected wait is the
//     queue's moving average of answered conversations' waits, else its service-level target,
//     in whole minutes (at least 1). Closed: the next opening in the city's time zone; a queue
//     with no opening in sight gets "ack".
//  5. Failures are logged and counted (frontdoor_resident_notices_total), never thrown: the
//     resident's message and the agent's change are safe already.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "daemon/ingest/inbound.hpp"
#include "daemon/routing/queue_policy.hpp"
#include "daemon/store/conversation_store.hpp"
#include "templates/catalog.hpp"

namespace frontdoor {

class Deliver;

class ResidentNotices {
 public:
  ResidentNotices(store::ConversationStore& store, Deliver& deliver,
                  const routing::QueuePolicies& queues, const templates::Catalog& catalog,
                  std::string author_name);

  // Whether ingest's `result` for `inbound` is one to acknowledge (rule 1, as far as the
  // message tells).
  static bool wanted(const Inbound& inbound, const IngestResult& result);
  // Acknowledges the conversation (rules 1, 3, 4, 5).
  boost::asio::awaitable<void> acknowledge(std::string conversation_id);
  // Tells the resident the conversation was resolved (rules 2, 3, 5).
  boost::asio::awaitable<void> resolved(std::string conversation_id);

 private:
  enum class Notice { acknowledgement, resolution };
  boost::asio::awaitable<void> notify(std::string conversation_id, Notice notice);
  // Renders `key` for the conversation's language and reply channel, stores it and sends it.
  boost::asio::awaitable<void> tell(const store::Fields& conversation, const std::string& key,
                                    const templates::Args& args);

  store::ConversationStore& store_;
  Deliver& deliver_;
  const routing::QueuePolicies& queues_;
  const templates::Catalog& catalog_;
  std::string author_name_;
};

}  // namespace frontdoor
