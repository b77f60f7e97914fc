#include "daemon/interpreting/interpreting.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>

#include "channels/channel.hpp"
#include "daemon/crypto/tokens.hpp"
#include "daemon/deliver/deliver.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/events/pass_loop.hpp"
#include "daemon/http/api_error.hpp"
#include "daemon/http/json_body.hpp"
#include "daemon/http/router.hpp"
#include "daemon/ingest/ingest.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/net/http_client.hpp"
#include "daemon/redis/redis_client.hpp"
#include "daemon/store/conversation_store.hpp"
#include "i18n/language.hpp"
#include "templates/catalog.hpp"

namespace frontdoor::interpreting {

namespace asio = boost::asio;
namespace json = boost::json;
using http::ApiError;
using http::ErrorCode;

namespace {

constexpr auto kIdleCheck = std::chrono::milliseconds(500);
constexpr int kDueBatch = 100;
constexpr long long kMaxClockSkewS = 300;
constexpr std::size_t kMaxInterpretationChars = 10000;
constexpr std::string_view kWebhookPath = "/api/v1/interpreting/vendor";

long long unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string field(const store::Fields& f, const char* name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

}  // namespace

metrics::Counter& counted(const std::string& event) {
  return metrics::registry().counter("frontdoor_interpreting_total",
                                     "Interpreting steps: joined, vendor_asked, vendor_joined, "
                                     "vendor_refused, escalated, interpreted.",
                                     {{"event", event}});
}

bool message_id_like(std::string_view id) {
  const auto dash = id.find('-');
  auto digits = [](std::string_view part) {
    return !part.empty() && part.size() <= 20 &&
           part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return dash != std::string_view::npos && digits(id.substr(0, dash)) &&
         digits(id.substr(dash + 1));
}

namespace {

// The signed JSON POSTs of contract 4, to the vendor.
net::HttpClientRequest signed_post(const std::string& url, const std::string& secret,
                                   std::string body, std::chrono::milliseconds timeout) {
  const std::string timestamp = std::to_string(unix_seconds());
  net::HttpClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json"},
                     {"X-Frontdoor-Timestamp", timestamp},
                     {"X-Frontdoor-Signature", vendor_signature(secret, timestamp, body)}};
  request.body = std::move(body);
  request.timeout = timeout;
  return request;
}

// The vendor's side of the outbox: what its interpreter must interpret, one message per POST
// to <vendor_url>/messages (contract 3). A 2xx is accepted; 408, 429 and 5xx or no answer are
// passing failures; any other 4xx is final.
class VendorLink : public Channel {
 public:
  VendorLink(net::HttpClient& client, const Config::Interpreters& config)
      : client_(client), config_(config) {}
  std::string_view name() const override { return "interpreter-vendor"; }
  RetryPolicy retry_policy() const override { return {8, 2000, 5 * 60 * 1000}; }

  asio::awaitable<SendResult> send(const Outbound& out) override {
    auto fact = [&](const char* k) {
      auto it = out.facts.find(k);
      return it == out.facts.end() ? std::string() : it->second;
    };
    json::object body{{"conversation_id", out.conversation_id},
                      {"message_id", out.message_id},
                      {"interpreter_id", out.address.substr(out.address.find(':') + 1)},
                      {"from", fact("from")},
                      {"kind", fact("kind")},
                      {"language", out.language},
                      {"into", fact("into")},
                      {"text", out.text}};
    auto response = co_await client_.request(
        signed_post(config_.vendor_url + "/messages", config_.vendor_secret, json::serialize(body),
                    std::chrono::seconds(config_.vendor_timeout_s)));
    if (response.status >= 200 && response.status < 300) co_return SendResult{};
    const bool passing = response.status >= 500 || response.status == 429 || response.status == 408;
    co_return SendResult{passing ? SendOutcome::retry_later : SendOutcome::rejected,
                         {},
                         "the vendor answered " + std::to_string(response.status)};
  }

 private:
  net::HttpClient& client_;
  const Config::Interpreters& config_;
};

}  // namespace

std::string vendor_signature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return "v1=" + crypto::hmac_sha256_hex(secret, signed_text);
}

struct Interpreting::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, const Config& config, store::ConversationStore& store,
       events::EventBus& events, Deliver& deliver, Ingest& ingest, net::HttpClient& client)
      : executor(executor),
        config(config.interpreters),
        store(store),
        events(events),
        deliver(deliver),
        ingest(ingest),
        client(client),
        link(client, config.interpreters),
        templates(templates::Catalog::load_configured(config.server.templates_dir)) {
    settings.pool_wait_ms = this->config.pool_wait_s * 1000LL;
    settings.response_timeout_ms = this->config.response_timeout_s * 1000LL;
    settings.vendor_timeout_ms = this->config.vendor_timeout_s * 1000LL;
    settings.vendor = !this->config.vendor_url.empty();
    settings.capacity = this->config.capacity;
    callback_url = (config.server.public_url.empty() ? "http://" + config.server.listen
                                                     : config.server.public_url) +
                   std::string(kWebhookPath);
    if (settings.vendor) deliver.add_channel(link);
  }

  asio::any_io_executor executor;
  const Config::Interpreters& config;
  store::ConversationStore& store;
  events::EventBus& events;
  Deliver& deliver;
  Ingest& ingest;
  net::HttpClient& client;
  VendorLink link;
  templates::Catalog templates;
  std::string callback_url;
  store::InterpretSettings settings;
  std::shared_ptr<events::PassLoop> loop;
  events::EventBus::Subscription subscription;

  void kick() { loop->kick(); }

  // The steps due now (contract 1).
  asio::awaitable<void> pass() {
    auto keep = shared_from_this();
    const std::vector<std::string> due = co_await store.interpretations_due(kDueBatch);
    for (const auto& id : due) {
      try {
        co_await step(id);
      } catch (const redis::RedisUnavailable&) {
        throw;  // the loop tries again soon
      } catch (const std::exception& e) {
        log::warn("interpreting_step_failed", {{"conversation", id}, {"error", e.what()}});
      }
    }
    if (settings.vendor) {
      for (auto& notice : co_await store.vendor_notices(kDueBatch)) {
        asio::co_spawn(executor, tell_vendor(std::move(notice)), asio::detached);
      }
    }
  }

  // The vendor's interpreter is no longer needed (the conversation ended, they did not answer):
  // POST <vendor_url>/ended, once; a vendor that misses it still gets no more messages.
  asio::awaitable<void> tell_vendor(std::string notice) {
    auto keep = shared_from_this();
    try {
      auto response = co_await client.request(
          signed_post(config.vendor_url + "/ended", config.vendor_secret, notice,
                      std::chrono::seconds(config.vendor_timeout_s)));
      log::info("interpreting_vendor_told", {{"status", std::to_string(response.status)}});
    } catch (const std::exception& e) {
      log::warn("interpreting_vendor_not_told", {{"error", e.what()}});
    }
  }

  // Delivers a stored message to the resident off the loop (a slow provider holds up nothing).
  void deliver_later(store::Fields conv, std::string text, std::string author_name,
                     store::AppendResult appended) {
    auto send = [self = shared_from_this(), conv = std::move(conv), text = std::move(text),
                 author_name = std::move(author_name),
                 appended = std::move(appended)]() -> asio::awaitable<void> {
      Outbound out = Deliver::outbound(conv, text, author_name);
      co_await self->deliver.reply(std::move(out), appended);
    };
    asio::co_spawn(executor, std::move(send), asio::detached);
  }

  // What the resident is told (contract 2), or "" when they were told already.
  std::string notice_for(const store::Fields& conv) const {
    if (conv.count("resident_told")) return {};
    std::string language = field(conv, "language");
    if (language.empty()) language = field(conv, "needs_interpreter");
    templates::Args args{{"language_name", templates::LanguageName{language}},
                         {"reference", field(conv, "id")}};
    return templates.render("interpreter_joining", language, args,
                            templates::variant_for_channel(field(conv, "reply_channel")));
  }

  asio::awaitable<void> step(const std::string& id) {
    auto conv = co_await store.conversation(id);
    std::string notice;
    if (conv) {
      try {
        notice = notice_for(*conv);
      } catch (const std::exception& e) {
        log::error("template_failed", {{"key", "interpreter_joining"}, {"error", e.what()}});
      }
    }
    store::InterpretStep next = co_await store.interpret_tick(id, settings, notice);
    if (next.action == "joined" || next.action == "escalated") {
      counted(next.action).inc();
      log::info("interpreter_" + next.action,
                {{"conversation", id}, {"interpreter", next.interpreter}});
    }
    if (!next.notice_message_id.empty() && conv) {
      deliver_later(*conv, notice, "",
                    store::AppendResult{next.notice_message_id,
                                        field(*conv, "reply_channel"),
                                        field(*conv, "reply_address"),
                                        {},
                                        "out"});
    }
    if (next.action == "vendor" && conv) {
      counted("vendor_asked").inc();
      asio::co_spawn(executor, ask_vendor(*conv), asio::detached);
    }
    for (const auto& message_id : next.forward) {
      asio::co_spawn(executor, forward(id, message_id, next.interpreter), asio::detached);
    }
  }

  asio::awaitable<void> ask_vendor(store::Fields conv) {
    auto keep = shared_from_this();
    const std::string id = field(conv, "id");
    json::object body{{"conversation_id", id},
                      {"reference", id},
                      {"language", field(conv, "needs_interpreter")},
                      {"into", field(conv, "interpret_language")},
                      {"channel", field(conv, "reply_channel")},
                      {"callback_url", callback_url}};
    bool joined = false;
    std::string detail;
    try {
      auto response = co_await client.request(
          signed_post(config.vendor_url + "/requests", config.vendor_secret, json::serialize(body),
                      std::chrono::seconds(config.vendor_timeout_s)));
      detail = "the vendor answered " + std::to_string(response.status);
      if (response.status >= 200 && response.status < 300) {
        json::error_code ec;
        auto answer = json::parse(response.body, ec);
        const json::value* interpreter =
            !ec && answer.is_object() ? answer.as_object().if_contains("interpreter_id") : nullptr;
        if (interpreter && interpreter->is_string() && !interpreter->as_string().empty() &&
            interpreter->as_string().size() <= 128) {
          joined = true;
          detail = std::string(interpreter->as_string());
        } else {
          detail += " without an interpreter_id";
        }
      }
    } catch (const std::exception& e) {
      detail = e.what();
    }
    counted(joined ? "vendor_joined" : "vendor_refused").inc();
    log::info(
        "interpreting_vendor",
        {{"conversation", id}, {"outcome", joined ? "joined" : "refused"}, {"detail", detail}});
    try {
      co_await store.vendor_answered(id, joined, detail);
    } catch (const std::exception& e) {
      // The vendor time-out settles it (interpret.lua).
      log::warn("interpreting_vendor_not_recorded", {{"conversation", id}, {"error", e.what()}});
    }
    kick();
  }

  // One message for the vendor's interpreter, through the outbox.
  // Offered again by the tick until vendor_forwarded() records it (a crash here loses nothing).
  asio::awaitable<void> forward(std::string conversation_id, std::string message_id,
                                std::string interpreter) {
    auto keep = shared_from_this();
    try {
      co_await forward_now(conversation_id, message_id, interpreter);
      co_await store.vendor_forwarded(conversation_id, message_id);
    } catch (const std::exception& e) {
      log::warn("interpreting_forward_failed",
                {{"conversation", conversation_id}, {"message", message_id}, {"error", e.what()}});
    }
  }

  asio::awaitable<void> forward_now(const std::string& conversation_id,
                                    const std::string& message_id, const std::string& interpreter) {
    auto conv = co_await store.conversation(conversation_id);
    auto message = co_await store.message(conversation_id, message_id);
    if (!conv || !message) co_return;
    const bool resident = field(message->fields, "direction") == "in";
    Outbound out = Deliver::outbound(*conv, field(message->fields, "text"),
                                     field(message->fields, "author_name"));
    const std::string language = field(*conv, "needs_interpreter");
    const std::string into = field(*conv, "interpret_language");
    out.facts = {{"kind", resident ? "resident" : "agent"},
                 {"from", field(message->fields, "author")},
                 {"into", resident ? into : language}};
    out.language = resident ? language : into;
    store::AppendResult appended{message_id, std::string(link.name()), interpreter, {}, {}};
    co_await deliver.reply(std::move(out), appended);
  }

  // The vendor's webhook (contracts 3 and 4).
  asio::awaitable<http::HttpResponse> webhook(const http::HttpRequest& req) {
    if (!settings.vendor) throw ApiError(ErrorCode::not_found, "no interpreting vendor is set up");
    const std::string timestamp = req.header("x-frontdoor-timestamp");
    const std::string signature = req.header("x-frontdoor-signature");
    if (timestamp.empty() || signature.empty()) {
      metrics::rejected("interpreting", "unsigned_webhook").inc();
      throw ApiError(ErrorCode::unauthorized,
                     "X-Frontdoor-Timestamp and X-Frontdoor-Signature are required");
    }
    long long at = 0;
    auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), at);
    const long long now = unix_seconds();
    if (ec != std::errc() || end != timestamp.data() + timestamp.size() ||
        at < now - kMaxClockSkewS || at > now + kMaxClockSkewS) {
      metrics::rejected("interpreting", "stale_webhook").inc();
      throw ApiError(ErrorCode::unauthorized,
                     "X-Frontdoor-Timestamp must be Unix seconds within 300 s of now");
    }
    if (!crypto::equal_in_constant_time(
            signature, vendor_signature(config.vendor_secret, timestamp, req.body))) {
      metrics::rejected("interpreting", "forged_webhook").inc();
      throw ApiError(ErrorCode::unauthorized, "X-Frontdoor-Signature does not match");
    }
    json::object body;
    std::string type, conversation_id, interpreter_id;
    try {
      body = http::json_object_body(req);
      type = http::required_string(body, "type");
      conversation_id = http::required_string(body, "conversation_id");
      interpreter_id = http::required_string(body, "interpreter_id");
    } catch (const ApiError&) {
      metrics::rejected("interpreting", "malformed_webhook").inc();
      throw;
    }
    const std::string who = "vendor:" + interpreter_id;
    try {
      if (type == "left") {
        co_await store.interpreter_leaves(conversation_id, who, "left (the vendor said so)");
        kick();
        co_return http::HttpResponse::json(200, R"({"status":"left"})");
      }
      if (type != "interpretation") {
        metrics::rejected("interpreting", "unknown_event").inc();
        throw ApiError(ErrorCode::invalid_field, "type must be interpretation or left");
      }
      std::string of, text, name, event_id;
      try {
        // event_id is required: a signed request replayed within the clock window stores nothing.
        event_id = http::required_string(body, "event_id");
        if (event_id.empty() || event_id.size() > 128) {
          throw ApiError(ErrorCode::invalid_field, "event_id must be 1 to 128 characters");
        }
        of = http::required_string(body, "of");
        if (!message_id_like(of)) {
          throw ApiError(ErrorCode::invalid_field,
                         "of must be a message id such as 1795617218395-0");
        }
        text = ingest.checked_text("interpreting", "text", http::required_string(body, "text"),
                                   kMaxInterpretationChars);
        if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
          throw ApiError(ErrorCode::missing_field, "text is empty");
        }
        name = ingest.checked_text(
            "interpreting", "interpreter_name",
            http::optional_string(body, "interpreter_name").value_or("Interpreter"), 200);
      } catch (const ApiError&) {
        metrics::rejected("interpreting", "malformed_webhook").inc();
        throw;
      }
      auto result = co_await store.interpreted(conversation_id, of, text, who, name, event_id);
      if (result.direction != "duplicate") counted("interpreted").inc();
      // To the resident; also a repeated event whose message never left (the first answer
      // was lost between storing and sending).
      if (result.delivery == "pending") {
        if (auto conv = co_await store.conversation(conversation_id)) {
          store::AppendResult appended{
              result.message_id, result.reply_channel, result.reply_address, {}, "out"};
          co_await deliver.reply(Deliver::outbound(*conv, text, name), appended);
        }
      }
      co_return http::HttpResponse::json(
          201, json::serialize(json::object{{"message_id", result.message_id},
                                            {"direction", result.direction}}));
    } catch (const store::StoreError& e) {
      metrics::rejected("interpreting", "refused_webhook").inc();
      throw ApiError(e.kind() == store::StoreError::Kind::not_found ? ErrorCode::not_found
                     : e.kind() == store::StoreError::Kind::invalid ? ErrorCode::invalid_field
                                                                    : ErrorCode::conflict,
                     e.what());
    }
  }
};

Interpreting::Interpreting(asio::any_io_executor executor, const Config& config,
                           store::ConversationStore& store, events::EventBus& events,
                           Deliver& deliver, Ingest& ingest, net::HttpClient& http_client)
    : impl_(std::make_shared<Impl>(executor, config, store, events, deliver, ingest, http_client)) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->loop = std::make_shared<events::PassLoop>(
      std::move(executor), "interpreting",
      events::PassLoop::Timing{kIdleCheck, std::chrono::milliseconds(100)},
      [weak]() -> asio::awaitable<void> {
        if (auto impl = weak.lock()) co_await impl->pass();
      });
}

Interpreting::~Interpreting() { stop(); }

void Interpreting::register_routes(http::Router& router) {
  router.add("POST", std::string(kWebhookPath),
             [impl = impl_](http::HttpRequest& req, const http::PathParams&)
                 -> asio::awaitable<http::HttpResponse> { co_return co_await impl->webhook(req); });
}

void Interpreting::start() {
  std::weak_ptr<events::PassLoop> loop = impl_->loop;
  impl_->subscription = impl_->events.subscribe([loop](const events::Event& event) {
    // A conversation being interpreted changed (a message to interpret, an interpreter came
    // or went): its next step may be due now.
    if (event.data.find("\"interpretation\":\"") != std::string::npos) {
      if (auto l = loop.lock()) l->kick();
    }
  });
  impl_->loop->start();
}

void Interpreting::stop() {
  impl_->subscription.reset();
  impl_->loop->stop();
}

}  // namespace frontdoor::interpreting
