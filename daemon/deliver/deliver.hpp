// Deliver: hands an agent's reply to the channel the resident used last, and records the
// channel's answer as the message's delivery status (pending → sent | failed | retrying).
//
// The message is already durable (ConversationStore::append) before send() is called, so a
// crash between the two leaves a "pending" message an operator can see, never a lost one.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
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

 private:
  store::ConversationStore& store_;
  Channel* find(const std::string& name) const;

  std::map<std::string, Channel*> channels_;
};

}  // namespace frontdoor
