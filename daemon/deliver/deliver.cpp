#include "daemon/deliver/deliver.hpp"

#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"

namespace frontdoor {

Channel* Deliver::find(const std::string& name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second;
}

Outbound Deliver::outbound(const store::Fields& conversation, const std::string& text,
                           const std::string& author_name) {
  auto get = [&](const char* k) {
    auto it = conversation.find(k);
    return it == conversation.end() ? std::string() : it->second;
  };
  Outbound out;
  out.conversation_id = get("id");
  out.address = get("reply_address");
  out.text = text;
  out.subject = get("subject");
  out.language = get("language");
  out.author_name = author_name;
  for (const auto& [k, v] : conversation) {
    if (k.starts_with("attr.")) out.facts[k.substr(5)] = v;
  }
  return out;
}

boost::asio::awaitable<std::string> Deliver::refusal(const std::string& channel,
                                                     const Outbound& out) {
  Channel* c = find(channel);
  if (!c) co_return "the " + channel + " channel is not enabled";
  co_return co_await c->refusal(out);
}

boost::json::object Deliver::draft(const std::string& channel, const Outbound& out) const {
  Channel* c = find(channel);
  return c ? c->draft(out) : boost::json::object{};
}

boost::asio::awaitable<SendResult> Deliver::reply(Outbound out,
                                                  const store::AppendResult& appended) {
  const std::string conversation_id = out.conversation_id;
  out.message_id = appended.message_id;
  out.address = appended.reply_address;
  SendResult result;
  if (Channel* channel = find(appended.reply_channel); !channel) {
    result = {SendOutcome::rejected, {}, "channel " + appended.reply_channel + " is not enabled"};
  } else {
    try {
      result = co_await channel->send(out);
    } catch (const std::exception& e) {
      result = {SendOutcome::retry_later, {}, e.what()};
    }
  }
  metrics::outbound(appended.reply_channel, std::string(outcome_name(result.outcome))).inc();
  const char* status = result.outcome == SendOutcome::accepted   ? "sent"
                       : result.outcome == SendOutcome::rejected ? "failed"
                                                                 : "retrying";
  try {
    co_await store_.set_delivery(
        conversation_id, appended.message_id, status,
        result.outcome == SendOutcome::accepted ? result.provider_id : result.reason);
  } catch (const std::exception& e) {
    // The reply is stored and was handed over; only its status is behind ("pending").
    log::warn(
        "delivery_status_not_recorded",
        {{"conversation", conversation_id}, {"message", appended.message_id}, {"error", e.what()}});
  }
  log::info("message_sent", {{"channel", appended.reply_channel},
                             {"conversation", conversation_id},
                             {"message", appended.message_id},
                             {"outcome", outcome_name(result.outcome)}});
  co_return result;
}

}  // namespace frontdoor
