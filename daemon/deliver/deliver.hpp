// Deliver: hands an agent's reply to the channel the resident used last, records the channel's
// answer as the message's delivery status (pending → sent | failed | retrying), and tries
// again what met a passing failure.
//
// Contract
//  1. The message is already durable (ConversationStore::append) before send() is called, so a
//     crash between the two leaves a "pending" message an operator can see, never a lost one.
//  2. A passing failure (retry_later) puts the reply in the durable outbox (outbox.lua) with
//     everything its next attempt needs, and the message shows "retrying" with the reason. It
//     is tried again as its channel's retry_policy() says, by whichever instance claims it
//     when due, also after a restart; a final answer (accepted, rejected) or the last attempt
//     ends it: "sent", or "failed" with the reason ("gave up after N attempts: …").
//  3. A claimed reply is leased: an instance that dies mid-attempt leaves it due again after
//     the lease, so the outbox never loses one. (Channels report "may have been sent" as
//     rejected, never as retry_later, so a retry does not send twice what arrived once.)
//  4. Every attempt's outcome is counted in frontdoor_outbound_messages_total{channel,outcome};
//     replies given up on in frontdoor_outbound_messages_total{outcome="gave_up"}.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>

#include "channels/channel.hpp"
#include "daemon/store/conversation_store.hpp"

namespace frontdoor {

class Deliver {
 public:
  explicit Deliver(store::ConversationStore& store) : store_(store) {}

  void add_channel(Channel& channel) { channels_[std::string(channel.name())] = &channel; }

  // The reply as its channel would see it, before it is stored.
  static Outbound outbound(const store::Fields& conversation, const std::string& text,
                           const std::string& author_name);
  // Why the conversation's channel could never send `out` (empty: it can); see channel.hpp.
  boost::asio::awaitable<std::string> refusal(const std::string& channel, const Outbound& out);
  boost::json::object draft(const std::string& channel, const Outbound& out) const;

  // Sends a stored reply (`out` with its message id) and records the outcome.
  boost::asio::awaitable<SendResult> reply(Outbound out, const store::AppendResult& appended);

  // Starts trying again the outbox's due replies (contract 2); stop() ends that.
  void start(boost::asio::any_io_executor executor);
  void stop();

 private:
  struct Retrier;

  Channel* find(const std::string& name) const;
  // One attempt: the channel's answer, a thrown error counted as a passing failure.
  boost::asio::awaitable<SendResult> attempt(const std::string& channel, const Outbound& out);
  // Records `result` of attempt number `attempt` and schedules the next one when there is one.
  boost::asio::awaitable<void> settle(const std::string& channel, const Outbound& out,
                                      SendResult result, int attempt);
  boost::asio::awaitable<void> retry(store::ClaimedRetries::Item item);

  store::ConversationStore& store_;
  std::map<std::string, Channel*> channels_;
  std::shared_ptr<Retrier> retrier_;
};

}  // namespace frontdoor
