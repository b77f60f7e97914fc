// Acknowledgements: the resident of a new conversation is told, in their language and on their
// channel, that it arrived: its reference number and the expected wait (template "ack"), or,
// while the queue is closed, when it opens (template "after_hours").
//
// Contract
//  1. Once per conversation (acknowledge.lua keeps acknowledged_at), for a conversation ingest
//     just created; never for a repeat, an automatic message (an out-of-office reply:
//     Inbound::passive or auto_submitted), a web form request (its POST's answer carries the
//     request's number already), or a queue whose acknowledge is off (QueuePolicy).
//  2. The text is stored first, as an outbound message by "system", then sent through Deliver
//     like an agent's reply, so SMS and email are retried from the outbox and the transcript
//     shows its delivery. What the channel could never send (an opted-out number, email
//     without a mail server) is not stored at all (Deliver::refusal).
//  3. Open or closed is the queue's where the conversation will wait (QueuePolicies::serving:
//     a closed queue that overflows after hours hands it on). Open: the expected wait is the
//     queue's moving average of answered conversations' waits, else its service-level target,
//     in whole minutes (at least 1). Closed: the next opening in the city's time zone; a queue
//     with no opening in sight gets "ack".
//  4. Failures are logged and counted, never thrown: the resident's message is safe already.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "daemon/ingest/inbound.hpp"
#include "daemon/routing/queue_policy.hpp"
#include "templates/catalog.hpp"

namespace frontdoor {

class Deliver;
namespace store {
class ConversationStore;
}

class Acknowledgement {
 public:
  Acknowledgement(store::ConversationStore& store, Deliver& deliver,
                  const routing::QueuePolicies& queues, const templates::Catalog& catalog,
                  std::string author_name);

  // Whether ingest's `result` for `inbound` is one to acknowledge (rule 1, as far as the
  // message tells).
  static bool wanted(const Inbound& inbound, const IngestResult& result);
  // Acknowledges the conversation (rules 1 to 4).
  boost::asio::awaitable<void> send(std::string conversation_id);

 private:
  store::ConversationStore& store_;
  Deliver& deliver_;
  const routing::QueuePolicies& queues_;
  const templates::Catalog& catalog_;
  std::string author_name_;
};

}  // namespace frontdoor
