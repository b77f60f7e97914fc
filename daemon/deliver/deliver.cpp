#include "daemon/deliver/deliver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <random>

#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/redis/redis_client.hpp"

namespace frontdoor {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr int kClaimBatch = 50;
constexpr long long kLeaseMs = 2 * 60 * 1000;  // longer than any channel's send timeout
constexpr long long kIdleCheckMs = 1000;       // also picks up replies other instances left

// The wait before attempt `attempt` + 1: between half and all of min(base × 2^(attempt−1), max).
long long backoff_ms(const RetryPolicy& policy, int attempt) {
  long long delay = policy.base_ms;
  for (int i = 1; i < attempt && delay < policy.max_ms; ++i) delay *= 2;
  delay = std::min(delay, policy.max_ms);
  thread_local std::mt19937_64 random(std::random_device{}());
  return std::uniform_int_distribution<long long>(delay / 2, delay)(random);
}

std::string item_json(const std::string& channel, const Outbound& out, int attempt,
                      const std::string& reason) {
  json::object facts;
  for (const auto& [k, v] : out.facts) facts[k] = v;
  return json::serialize(json::object{{"channel", channel},
                                      {"address", out.address},
                                      {"text", out.text},
                                      {"subject", out.subject},
                                      {"language", out.language},
                                      {"author_name", out.author_name},
                                      {"facts", std::move(facts)},
                                      {"attempt", attempt},
                                      {"reason", reason}});
}

std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string())
                                                  : std::string();
}

}  // namespace

struct Deliver::Retrier {
  explicit Retrier(asio::any_io_executor executor)
      : executor(executor), timer(asio::make_strand(executor)) {}
  asio::any_io_executor executor;
  asio::steady_timer timer;  // on a strand: the loop, wake() and stop() never run at once
  bool stopped = false;

  // Brings the next claim forward to `delay_ms` from now (a reply this instance just scheduled).
  void wake(long long delay_ms) {
    asio::post(timer.get_executor(), [this, delay_ms] {
      auto at = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
      if (!stopped && timer.expiry() > at) timer.expires_at(at);  // cancels the current wait
    });
  }
};

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

asio::awaitable<std::string> Deliver::refusal(const std::string& channel, const Outbound& out) {
  Channel* c = find(channel);
  if (!c) co_return "the " + channel + " channel is not enabled";
  co_return co_await c->refusal(out);
}

json::object Deliver::draft(const std::string& channel, const Outbound& out) const {
  Channel* c = find(channel);
  return c ? c->draft(out) : json::object{};
}

asio::awaitable<SendResult> Deliver::attempt(const std::string& channel, const Outbound& out) {
  Channel* c = find(channel);
  if (!c) co_return SendResult{SendOutcome::rejected, {}, "channel " + channel + " is not enabled"};
  try {
    co_return co_await c->send(out);
  } catch (const std::exception& e) {
    co_return SendResult{SendOutcome::retry_later, {}, e.what()};
  }
}

asio::awaitable<SendResult> Deliver::reply(Outbound out, const store::AppendResult& appended) {
  out.message_id = appended.message_id;
  out.address = appended.reply_address;
  SendResult result = co_await attempt(appended.reply_channel, out);
  Channel* c = find(appended.reply_channel);
  if (result.outcome == SendOutcome::retry_later && (!c || c->retry_policy().attempts <= 1)) {
    result.outcome = SendOutcome::rejected;  // nothing will try again: the agent decides
  }
  co_await settle(appended.reply_channel, out, result, 1);
  co_return result;
}

asio::awaitable<void> Deliver::settle(const std::string& channel, const Outbound& out,
                                      SendResult result, int attempt) {
  Channel* c = find(channel);
  const RetryPolicy policy = c ? c->retry_policy() : RetryPolicy{};
  metrics::outbound(channel, std::string(outcome_name(result.outcome))).inc();
  std::string status, detail;
  try {
    if (result.outcome == SendOutcome::retry_later && attempt < policy.attempts) {
      const long long delay = backoff_ms(policy, attempt);
      co_await store_.schedule_retry(out.conversation_id, out.message_id,
                                     item_json(channel, out, attempt, result.reason), delay);
      if (retrier_) retrier_->wake(delay);
      status = "retrying";
      detail = "attempt " + std::to_string(attempt) + " of " + std::to_string(policy.attempts) +
               " failed, next in about " + std::to_string((delay + 999) / 1000) +
               " s: " + result.reason;
    } else {
      if (attempt > 1) co_await store_.finish_retry(out.conversation_id, out.message_id);
      if (result.outcome == SendOutcome::accepted) {
        status = "sent";
        detail = result.provider_id;
      } else {
        status = "failed";
        detail = result.reason;
        if (result.outcome == SendOutcome::retry_later && policy.attempts > 1) {
          metrics::outbound(channel, "gave_up").inc();
          detail = "gave up after " + std::to_string(attempt) + " attempts: " + result.reason;
          log::warn("reply_gave_up", {{"channel", channel},
                                      {"conversation", out.conversation_id},
                                      {"message", out.message_id}});
        }
      }
    }
    co_await store_.set_delivery(out.conversation_id, out.message_id, status, detail);
  } catch (const std::exception& e) {
    // The reply is stored; only its status (or its next attempt) is behind.
    log::warn(
        "delivery_status_not_recorded",
        {{"conversation", out.conversation_id}, {"message", out.message_id}, {"error", e.what()}});
  }
  log::info("message_sent", {{"channel", channel},
                             {"conversation", out.conversation_id},
                             {"message", out.message_id},
                             {"attempt", std::to_string(attempt)},
                             {"outcome", outcome_name(result.outcome)}});
}

asio::awaitable<void> Deliver::retry(store::ClaimedRetries::Item claimed) {
  json::error_code ec;
  json::value parsed = json::parse(claimed.item, ec);
  if (ec || !parsed.is_object()) {
    log::error("outbox_item_unreadable", {{"message", claimed.message_id}});
    co_await store_.finish_retry(claimed.conversation_id, claimed.message_id);
    co_return;
  }
  const json::object& item = parsed.as_object();
  Outbound out;
  out.conversation_id = claimed.conversation_id;
  out.message_id = claimed.message_id;
  out.address = text_of(item, "address");
  out.text = text_of(item, "text");
  out.subject = text_of(item, "subject");
  out.language = text_of(item, "language");
  out.author_name = text_of(item, "author_name");
  if (auto facts = item.if_contains("facts"); facts && facts->is_object()) {
    for (const auto& [k, v] : facts->as_object()) {
      if (v.is_string()) out.facts[std::string(k)] = std::string(v.as_string());
    }
  }
  const int number = item.if_contains("attempt") && item.at("attempt").is_int64()
                         ? static_cast<int>(item.at("attempt").as_int64()) + 1
                         : 2;
  const std::string channel = text_of(item, "channel");
  SendResult result = co_await attempt(channel, out);
  co_await settle(channel, out, result, number);
}

void Deliver::start(asio::any_io_executor executor) {
  retrier_ = std::make_shared<Retrier>(executor);
  auto loop = [this, retrier = retrier_]() -> asio::awaitable<void> {
    while (!retrier->stopped) {
      long long wait_ms = kIdleCheckMs;
      try {
        store::ClaimedRetries claimed = co_await store_.claim_retries(kClaimBatch, kLeaseMs);
        for (auto& item : claimed.items) {
          asio::co_spawn(retrier->executor, retry(std::move(item)), asio::detached);
        }
        if (claimed.next_due_in_ms >= 0) wait_ms = std::min(wait_ms, claimed.next_due_in_ms);
        if (claimed.items.size() == kClaimBatch) wait_ms = 0;
      } catch (const redis::RedisUnavailable&) {
        // Readiness says so (/readyz); the next claim tries again.
      } catch (const std::exception& e) {
        log::warn("outbox_claim_failed", {{"error", e.what()}});
      }
      retrier->timer.expires_after(std::chrono::milliseconds(std::max(wait_ms, 5LL)));
      boost::system::error_code ignored;
      co_await retrier->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  };
  asio::co_spawn(retrier_->timer.get_executor(), std::move(loop), asio::detached);
}

void Deliver::stop() {
  if (!retrier_) return;
  asio::post(retrier_->timer.get_executor(), [retrier = retrier_] {
    retrier->stopped = true;
    retrier->timer.cancel();
  });
}

}  // namespace frontdoor
