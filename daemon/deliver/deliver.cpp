#include "daemon/deliver/deliver.hpp"

#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"

namespace frontdoor {

boost::asio::awaitable<SendResult> Deliver::reply(const std::string& conversation_id,
                                                  const store::AppendResult& appended,
                                                  const std::string& text,
                                                  const std::string& author_name) {
  SendResult result;
  auto it = channels_.find(appended.reply_channel);
  if (it == channels_.end()) {
    result = {SendOutcome::rejected, {}, "channel " + appended.reply_channel + " is not enabled"};
  } else {
    Outbound out{conversation_id, appended.message_id, appended.reply_address, text, {}, {},
                 author_name};
    try {
      result = co_await it->second->send(out);
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
