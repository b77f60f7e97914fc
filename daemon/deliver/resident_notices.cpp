#include "daemon/deliver/resident_notices.hpp"

#include <algorithm>
#include <chrono>

#include "daemon/deliver/deliver.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/redis_client.hpp"

namespace frontdoor {

namespace {

// The text of a template each channel sends.
templates::Variant variant_for(const std::string& channel) {
  if (channel == "sms") return templates::Variant::sms;
  if (channel == "email") return templates::Variant::email_body;
  if (channel == "webchat") return templates::Variant::chat;
  if (channel == "tty") return templates::Variant::tty;
  return templates::Variant::generic;
}

metrics::Counter& counted(const std::string& channel, const std::string& outcome) {
  return metrics::registry().counter(
      "frontdoor_resident_notices_total",
      "Notices from the hub to residents: sent (ack, after_hours, resolved), refused by the "
      "channel, or failed.",
      {{"channel", channel}, {"outcome", outcome}});
}

std::string field(const store::Fields& fields, const char* name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

}  // namespace

ResidentNotices::ResidentNotices(store::ConversationStore& store, Deliver& deliver,
                                 const routing::QueuePolicies& queues,
                                 const templates::Catalog& catalog, std::string author_name)
    : store_(store),
      deliver_(deliver),
      queues_(queues),
      catalog_(catalog),
      author_name_(std::move(author_name)) {}

bool ResidentNotices::wanted(const Inbound& in, const IngestResult& result) {
  return result.created && !result.duplicate && !in.passive &&
         !in.message_fields.contains("auto_submitted") && in.channel != "webform";
}

boost::asio::awaitable<void> ResidentNotices::acknowledge(std::string conversation_id) {
  co_await notify(std::move(conversation_id), Notice::acknowledgement);
}

boost::asio::awaitable<void> ResidentNotices::resolved(std::string conversation_id) {
  co_await notify(std::move(conversation_id), Notice::resolution);
}

boost::asio::awaitable<void> ResidentNotices::notify(std::string conversation_id, Notice notice) {
  std::string channel = "unknown";
  try {
    auto conversation = co_await store_.conversation(conversation_id);
    if (!conversation) co_return;
    channel = field(*conversation, "reply_channel");
    templates::Args args{{"reference", conversation_id}};
    if (notice == Notice::resolution) {
      if (field(*conversation, "status") != "resolved") co_return;
      co_await tell(*conversation, "resolved", args);
      co_return;
    }
    if (!queues_.of(field(*conversation, "queue")).acknowledge) co_return;
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    const routing::QueuePolicy& queue = queues_.serving(field(*conversation, "queue"), now);
    const auto hours = queue.hours.state(now, queues_.time_zone());
    if (!hours.open && hours.opens_at) {
      args.emplace("opens_at", templates::LocalTime{*hours.opens_at, queues_.time_zone()});
      co_await tell(*conversation, "after_hours", args);
      co_return;
    }
    const long long wait_ms =
        (co_await store_.answer_wait_ms(queue.name)).value_or(queue.service_level_ms);
    args.emplace("wait_minutes", std::max(1LL, (wait_ms + 59999) / 60000));
    co_await tell(*conversation, "ack", args);
  } catch (const std::exception& e) {
    counted(channel, "failed").inc();
    log::warn("resident_notice_failed",
              {{"conversation", conversation_id},
               {"notice", notice == Notice::resolution ? "resolved" : "ack"},
               {"channel", channel},
               {"error", e.what()}});
  }
}

boost::asio::awaitable<void> ResidentNotices::tell(const store::Fields& conversation,
                                                   const std::string& key,
                                                   const templates::Args& args) {
  const std::string channel = field(conversation, "reply_channel");
  const std::string id = field(conversation, "id");
  if (channel == "webform") co_return;
  const std::string text =
      catalog_.render(key, field(conversation, "language"), args, variant_for(channel));

  Outbound out = Deliver::outbound(conversation, text, author_name_);
  if (auto refused = co_await deliver_.refusal(channel, out); !refused.empty()) {
    counted(channel, "refused").inc();
    log::info("resident_notice_refused",
              {{"conversation", id}, {"notice", key}, {"channel", channel}, {"reason", refused}});
    co_return;
  }
  auto appended = co_await store_.notify_resident(id, key, author_name_, text);
  if (!appended) co_return;  // told already, or nothing to tell any more
  co_await deliver_.reply(std::move(out), *appended);
  counted(channel, key).inc();
}

}  // namespace frontdoor
