#include "daemon/deliver/acknowledgement.hpp"

#include <algorithm>
#include <chrono>

#include "daemon/deliver/deliver.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/redis_client.hpp"
#include "daemon/store/conversation_store.hpp"

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

metrics::Counter& counted(const std::string& channel, const char* outcome) {
  return metrics::registry().counter(
      "frontdoor_acknowledgements_total",
      "Acknowledgements of new conversations: sent (ack or after_hours), refused by the channel, "
      "or failed.",
      {{"channel", channel}, {"outcome", outcome}});
}

}  // namespace

Acknowledgement::Acknowledgement(store::ConversationStore& store, Deliver& deliver,
                                 const routing::QueuePolicies& queues,
                                 const templates::Catalog& catalog, std::string author_name)
    : store_(store),
      deliver_(deliver),
      queues_(queues),
      catalog_(catalog),
      author_name_(std::move(author_name)) {}

bool Acknowledgement::wanted(const Inbound& in, const IngestResult& result) {
  return result.created && !result.duplicate && !in.passive &&
         !in.message_fields.contains("auto_submitted") && in.channel != "webform";
}

boost::asio::awaitable<void> Acknowledgement::send(std::string conversation_id) {
  std::string channel = "unknown";
  try {
    auto conversation = co_await store_.conversation(conversation_id);
    if (!conversation) co_return;
    auto field = [&](const char* name) {
      auto it = conversation->find(name);
      return it == conversation->end() ? std::string() : it->second;
    };
    channel = field("reply_channel");
    if (!queues_.of(field("queue")).acknowledge || channel == "webform") co_return;

    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    const routing::QueuePolicy& queue = queues_.serving(field("queue"), now);
    const auto hours = queue.hours.state(now, queues_.time_zone());
    std::string key = "after_hours";
    templates::Args args{{"reference", conversation_id}};
    if (!hours.open && hours.opens_at) {
      args.emplace("opens_at", templates::LocalTime{*hours.opens_at, queues_.time_zone()});
    } else {
      key = "ack";
      const long long wait_ms =
          (co_await store_.answer_wait_ms(queue.name)).value_or(queue.service_level_ms);
      args.emplace("wait_minutes", std::max(1LL, (wait_ms + 59999) / 60000));
    }
    const std::string text = catalog_.render(key, field("language"), args, variant_for(channel));

    Outbound out = Deliver::outbound(*conversation, text, author_name_);
    if (auto refused = co_await deliver_.refusal(channel, out); !refused.empty()) {
      counted(channel, "refused").inc();
      log::info("acknowledgement_refused",
                {{"conversation", conversation_id}, {"channel", channel}, {"reason", refused}});
      co_return;
    }
    auto appended = co_await store_.acknowledge(conversation_id, key, author_name_, text);
    if (!appended) co_return;  // acknowledged already
    co_await deliver_.reply(std::move(out), *appended);
    counted(channel, key.c_str()).inc();
  } catch (const std::exception& e) {
    counted(channel, "failed").inc();
    log::warn("acknowledgement_failed",
              {{"conversation", conversation_id}, {"channel", channel}, {"error", e.what()}});
  }
}

}  // namespace frontdoor
