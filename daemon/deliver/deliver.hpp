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

  boost::asio::awaitable<SendResult> reply(const std::string& conversation_id,
                                           const store::AppendResult& appended,
                                           const std::string& text, const std::string& author_name);

 private:
  store::ConversationStore& store_;
  std::map<std::string, Channel*> channels_;
};

}  // namespace frontdoor
