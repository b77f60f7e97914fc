#include "channels/sms/sms_channel.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <random>
#include <unordered_map>

#include "channels/sms/keywords.hpp"
#include "channels/sms/language_menu.hpp"
#include "channels/sms/sms_provider.hpp"
#include "daemon/deliver/deliver.hpp"
#include "daemon/http/api_error.hpp"
#include "daemon/ingest/ingest.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/store/conversation_store.hpp"
#include "i18n/language.hpp"
#include "i18n/phone_number.hpp"
#include "templates/catalog.hpp"

namespace frontdoor::sms {

namespace asio = boost::asio;
using http::ApiError;
using http::ErrorCode;

namespace {

constexpr std::string_view kPhone = "phone:";
// A pending language menu: channel_session:sms:language_menu:<address>, fields conversation_id
// (empty once answered) and languages (the menu as sent, comma-separated).
constexpr std::string_view kMenuSession = "language_menu:";
constexpr int kMenuTtlS = 3 * 24 * 3600;

// Whether a language menu sent in `conversation` still waits for its answer: the conversation
// is open, no agent has written to the resident yet (after that a bare number is more likely an
// answer to the agent), and the resident has not chosen a language some other way.
bool menu_pending(const store::Fields& conversation) {
  auto get = [&](const char* k) {
    auto it = conversation.find(k);
    return it == conversation.end() ? std::string() : it->second;
  };
  const std::string status = get("status"), source = get("language_source");
  return status != "resolved" && status != "closed" && get("first_response_at").empty() &&
         source != "stated" && source != "selected";
}

metrics::Counter& menu_counter(const char* event) {
  return metrics::registry().counter(
      "frontdoor_sms_language_menu_total",
      "SMS language menus offered, and answered with one of their numbers.", {{"event", event}});
}

std::string delivery_status(DeliveryState state) {
  switch (state) {
    case DeliveryState::queued:
      return "sent";  // the provider has it; not yet the network
    case DeliveryState::sent:
      return "sent";
    case DeliveryState::delivered:
      return "delivered";
    case DeliveryState::failed:
      return "failed";
  }
  return "sent";
}

class SmsChannel : public Channel, public SmsInbox {
 public:
  explicit SmsChannel(ChannelServices& services)
      : config_(services.config.sms),
        ingest_(services.ingest),
        store_(services.store),
        deliver_(services.deliver),
        executor_(services.executor),
        templates_(templates::Catalog::load_configured(services.config.server.templates_dir)),
        menu_(i18n::canonical_tags(config_.language_menu)) {
    // Where providers reach the webhooks: the SMS setting, else the server's public URL, else
    // the listening address.
    std::string public_url = !config_.public_url.empty() ? config_.public_url
                             : !services.config.server.public_url.empty()
                                 ? services.config.server.public_url
                                 : "http://" + services.config.server.listen;
    if (config_.twilio.enabled) {
      providers_.push_back(make_twilio_provider(config_.twilio, public_url, services, *this));
    }
    if (config_.kannel.enabled) {
      providers_.push_back(make_kannel_provider(config_.kannel, public_url, services, *this));
    }
    for (const auto& language : split_list(config_.keyword_languages)) {
      if (language == "es") add_spanish_defaults(keywords_);
    }
    if (!menu_.empty()) {
      const auto plan = i18n::plan_sms(menu_text());
      log::info("sms_language_menu", {{"languages", config_.language_menu},
                                      {"encoding", i18n::to_string(plan.encoding)},
                                      {"segments", std::to_string(plan.segments)}});
    }
  }

  std::string_view name() const override { return "sms"; }

  asio::awaitable<std::string> refusal(const Outbound& out) override {
    std::string to = resident_number(out.address);
    if (to.empty()) co_return "the resident's address is not a valid phone number";
    if (!provider_for(from_number(out))) co_return "no SMS provider is configured for this number";
    if (co_await store_.opted_out(out.address)) {
      co_return "the resident opted out by texting STOP; they must text START before replies "
                "can reach them";
    }
    co_return "";
  }

  boost::json::object draft(const Outbound& out) const override {
    auto plan = i18n::plan_sms(out.text, {config_.replace_lookalikes});
    boost::json::array replaced;
    for (const auto& r : plan.replaced) replaced.emplace_back(r);
    return {{"encoding", i18n::to_string(plan.encoding)},
            {"segments", plan.segments},
            {"units", plan.units},
            {"per_segment", plan.per_segment},
            {"remaining_in_last", plan.remaining_in_last},
            {"replaced", std::move(replaced)}};
  }

  asio::awaitable<SendResult> send(const Outbound& out) override {
    SmsProvider* provider = provider_for(from_number(out));
    std::string to = resident_number(out.address);
    if (!provider || to.empty()) co_return SendResult{SendOutcome::rejected, {}, "no route"};
    if (co_await store_.opted_out(out.address)) {
      co_return SendResult{SendOutcome::rejected, {}, "the resident opted out"};
    }
    OutboundSms sms{out.conversation_id, out.message_id, from_number(out), to,
                    i18n::plan_sms(out.text, {config_.replace_lookalikes})};
    co_return co_await attempt(*provider, sms);
  }

  RetryPolicy retry_policy() const override {
    return {config_.send_attempts, config_.retry_base_ms, 10 * 60 * 1000};
  }

  asio::awaitable<void> receive(InboundSms sms) override {
    std::string reason;
    auto from = e164(sms.from, &reason);
    if (!from) {
      metrics::rejected("sms", "invalid_number").inc();
      throw ApiError(ErrorCode::invalid_field, "From is not a valid phone number: " + reason);
    }
    std::string address = std::string(kPhone) + from->e164;
    sms.to = city_number(sms.to);
    auto keyword = keywords_.match(sms.text);
    // A retried webhook of a keyword already answered changes nothing (and is not a message).
    std::string keyword_id = sms.provider + ":" + sms.provider_id;
    if (keyword.keyword != Keyword::none &&
        co_await store_.find_provider_id("sms-keyword", keyword_id)) {
      co_return;
    }
    // START words include YES and SÍ, which are also plain answers to an agent: they act as a
    // keyword only for someone who has opted out.
    if (keyword.keyword == Keyword::start && !co_await store_.opted_out(address)) {
      keyword = KeywordMatch{};
    }
    if (keyword.keyword != Keyword::none) {
      co_await answer_keyword(sms, *from, address, keyword);
      co_return;
    }
    Inbound in;
    in.channel = "sms";
    in.address = address;
    in.text = sms.text;
    in.idempotency_key = sms.provider + ":" + sms.provider_id;
    in.queue = config_.queue;
    in.attachments = sms.media_urls;
    in.attributes = {{"sms_to", sms.to}, {"sms_provider", sms.provider}};
    if (in.text.find_first_not_of(" \t\r\n") == std::string::npos && !in.attachments.empty()) {
      in.text = "(picture message)";
    }
    // An answer to a pending language menu is the resident's choice (source "selected"), not a
    // text to detect; it is still stored as the message it is.
    std::optional<MenuAnswer> answer = co_await menu_answer(address, in.text);
    if (answer) {
      in.language = answer->language;
      in.language_stated = true;
      in.conversation_hint = answer->conversation_id;
    }
    const IngestResult result = co_await ingest_.accept(std::move(in));
    if (result.duplicate) co_return;
    // What follows is said after the webhook is answered; the resident's text is already safe.
    if (answer && result.conversation_id == answer->conversation_id) {
      asio::co_spawn(executor_, confirm_language(address, *answer), asio::detached);
    } else if (result.created && !menu_.empty()) {
      asio::co_spawn(executor_, offer_menu(address, result.conversation_id), asio::detached);
    }
  }

  asio::awaitable<void> delivery_report(const std::string& provider, const std::string& provider_id,
                                        const std::string& conversation_id,
                                        const std::string& message_id, DeliveryState state,
                                        const std::string& detail) override {
    std::string conversation = conversation_id, message = message_id;
    if (conversation.empty()) {
      auto found = co_await store_.find_provider_id("sms", provider + ":" + provider_id);
      if (!found) {
        metrics::rejected("sms", "unknown_delivery_report").inc();
        co_return;  // a confirmation text, or older than we remember: nothing to update
      }
      std::tie(conversation, message) = *found;
    }
    try {
      co_await store_.set_delivery(conversation, message, delivery_status(state), detail);
    } catch (const store::StoreError&) {
      metrics::rejected("sms", "unknown_delivery_report").inc();
    }
  }

 private:
  // "phone:+1503…" → "+1503…" when it is a valid number; else empty.
  std::string resident_number(const std::string& address) const {
    if (!address.starts_with(kPhone)) return {};
    auto number = e164(address.substr(kPhone.size()));
    return number ? number->e164 : std::string();
  }

  // to_e164 with the default region, remembered: parsing a number (libphonenumber, with ICU
  // regular expressions) is the costliest step of an inbound text, and residents text again
  // and again from the same numbers.
  std::optional<i18n::PhoneNumber> e164(const std::string& raw,
                                        std::string* reason = nullptr) const {
    {
      std::lock_guard lock(numbers_mutex_);
      if (auto it = numbers_.find(raw); it != numbers_.end() && (it->second || !reason)) {
        return it->second;
      }
    }
    auto number = i18n::to_e164(raw, config_.default_region, reason);
    std::lock_guard lock(numbers_mutex_);
    if (numbers_.size() >= 100000) numbers_.clear();
    numbers_.emplace(raw, number);
    return number;
  }

  // A city number as a provider reports it ("15035550100", "+1 503…", a short code "311311"),
  // in the form the configuration uses.
  std::string city_number(const std::string& reported) const {
    if (provider_for(reported)) return reported;
    auto number = e164(reported);
    if (number && provider_for(number->e164)) return number->e164;
    if (auto plus = "+" + reported; provider_for(plus)) return plus;
    return reported;
  }

  // The city number the resident wrote to, else the first configured one.
  std::string from_number(const Outbound& out) const {
    if (auto it = out.facts.find("sms_to"); it != out.facts.end() && provider_for(it->second)) {
      return it->second;
    }
    for (const auto& p : providers_) {
      if (!p->numbers().empty()) return p->numbers().front();
    }
    return {};
  }

  SmsProvider* provider_for(const std::string& number) const {
    for (const auto& p : providers_) {
      for (const auto& n : p->numbers()) {
        if (n == number) return p.get();
      }
    }
    return nullptr;
  }

  asio::awaitable<SendResult> attempt(SmsProvider& provider, const OutboundSms& sms) {
    SendResult result;
    try {
      result = co_await provider.send(sms);
    } catch (const std::exception& e) {
      result = {SendOutcome::retry_later, {}, e.what()};
    }
    if (result.outcome == SendOutcome::accepted && !result.provider_id.empty() &&
        !sms.message_id.empty()) {
      try {
        co_await store_.remember_provider_id(
            "sms", std::string(provider.name()) + ":" + result.provider_id, sms.conversation_id,
            sms.message_id);
      } catch (const std::exception& e) {
        // The text is out; only its later status callbacks will not find it.
        log::warn("sms_provider_id_not_recorded",
                  {{"message", sms.message_id}, {"error", e.what()}});
      }
    }
    co_return result;
  }

  struct MenuAnswer {
    std::string language, conversation_id;
  };

  static std::string menu_session(const std::string& address) {
    return std::string(kMenuSession) + address;
  }

  std::string menu_text() const {
    return templates_.render("sms.language_menu", "", {{"choices", menu_.choices()}});
  }

  // The language `text` chooses when it is a number of the resident's pending menu.
  asio::awaitable<std::optional<MenuAnswer>> menu_answer(const std::string& address,
                                                         const std::string& text) {
    if (!menu_number(text)) co_return std::nullopt;  // most texts end here, without Redis
    store::Fields session = co_await store_.get_session("sms", menu_session(address));
    const std::string conversation_id = session["conversation_id"];
    if (conversation_id.empty()) co_return std::nullopt;
    std::string language = LanguageMenu::choice(text, i18n::canonical_tags(session["languages"]));
    if (language.empty()) co_return std::nullopt;
    auto conversation = co_await store_.conversation(conversation_id);
    if (!conversation || !menu_pending(*conversation)) co_return std::nullopt;
    co_return MenuAnswer{std::move(language), conversation_id};
  }

  // Sends the menu once, for a conversation the resident's first text opened, when that text
  // left its language unknown and the number may be written to.
  asio::awaitable<void> offer_menu(std::string address, std::string conversation_id) {
    try {
      auto conversation = co_await store_.conversation(conversation_id);
      if (!conversation || !(*conversation)["language"].empty() ||
          (*conversation)["reply_channel"] != "sms" || co_await store_.opted_out(address)) {
        co_return;
      }
      std::string languages;
      for (const auto& tag : menu_.languages()) languages += (languages.empty() ? "" : ",") + tag;
      const store::Fields pending{{"conversation_id", conversation_id},
                                  {"languages", std::move(languages)}};
      co_await store_.put_session("sms", menu_session(address), pending, kMenuTtlS);
      const std::string text = menu_text();
      co_await say(*conversation, text);
      menu_counter("offered").inc();
    } catch (const std::exception& e) {
      log::warn("sms_language_menu_failed",
                {{"conversation", conversation_id}, {"error", e.what()}});
    }
  }

  // The resident answered the menu: the menu is no longer pending, the agent sees the choice in
  // the transcript, and the resident gets a confirmation in the chosen language.
  asio::awaitable<void> confirm_language(std::string address, MenuAnswer answer) {
    try {
      const store::Fields answered{{"conversation_id", ""}};
      co_await store_.put_session("sms", menu_session(address), answered, kMenuTtlS);
      const std::string line = "resident chose " + i18n::display_name(answer.language, "en") +
                               " (" + answer.language + ") from the SMS language menu";
      co_await store_.append(answer.conversation_id, "system", "", "", line);
      menu_counter("answered").inc();
      auto conversation = co_await store_.conversation(answer.conversation_id);
      if (!conversation) co_return;
      const std::string text =
          templates_.render("sms.language_selected", answer.language,
                            {{"language_name", templates::LanguageName{answer.language}}});
      co_await say(*conversation, text);
    } catch (const std::exception& e) {
      log::warn("sms_language_menu_failed",
                {{"conversation", answer.conversation_id}, {"error", e.what()}});
    }
  }

  // What the hub itself says to the resident goes the way an agent's reply goes: stored first
  // (an "out" message by "system", which answers nothing: append.lua), then sent, and retried
  // from the outbox after a passing failure.
  asio::awaitable<void> say(const store::Fields& conversation, const std::string& text) {
    Outbound out = Deliver::outbound(conversation, text, "");
    const std::string conversation_id = out.conversation_id;
    store::AppendResult appended = co_await store_.append(conversation_id, "out", "", "", text);
    co_await deliver_.reply(std::move(out), appended);
  }

  asio::awaitable<void> answer_keyword(const InboundSms& sms, const i18n::PhoneNumber& from,
                                       const std::string& address, const KeywordMatch& keyword) {
    std::string key = sms.provider + ":" + sms.provider_id;
    const char* template_name = "sms.help";
    if (keyword.keyword == Keyword::stop || keyword.keyword == Keyword::start) {
      bool out = keyword.keyword == Keyword::stop;
      co_await store_.set_consent(address, out, fold_for_matching(sms.text), "sms");
      template_name = out ? "sms.stop" : "sms.start";
      log::info("sms_consent", {{"state", out ? "opted_out" : "opted_in"}});
    }
    co_await store_.remember_provider_id("sms-keyword", key, "-", "-");
    metrics::registry()
        .counter(
            "frontdoor_sms_keywords_total", "Consent and help keywords received.",
            {{"keyword", std::string(template_name).substr(4)}, {"language", keyword.language}})
        .inc();
    SmsProvider* provider = provider_for(sms.to);
    if (!provider) co_return;
    OutboundSms confirmation{{},
                             {},
                             sms.to,
                             from.e164,
                             i18n::plan_sms(templates_.render(template_name, keyword.language),
                                            {config_.replace_lookalikes})};
    // Confirmations go out after the webhook is answered; a failure is logged, not retried.
    asio::co_spawn(executor_, confirm(provider, std::move(confirmation)), asio::detached);
  }

  asio::awaitable<void> confirm(SmsProvider* provider, OutboundSms sms) {
    SendResult result;
    try {
      result = co_await attempt(*provider, sms);
    } catch (const std::exception& e) {
      result = {SendOutcome::retry_later, {}, e.what()};
    }
    metrics::outbound("sms", std::string(outcome_name(result.outcome))).inc();
    if (result.outcome != SendOutcome::accepted) {
      log::warn("sms_confirmation_failed", {{"reason", result.reason}});
    }
  }

  const Config::Sms& config_;
  Ingest& ingest_;
  store::ConversationStore& store_;
  Deliver& deliver_;
  asio::any_io_executor executor_;
  templates::Catalog templates_;
  LanguageMenu menu_;
  KeywordMatcher keywords_;
  std::vector<std::unique_ptr<SmsProvider>> providers_;
  mutable std::mutex numbers_mutex_;
  mutable std::unordered_map<std::string, std::optional<i18n::PhoneNumber>> numbers_;
};

}  // namespace

std::unique_ptr<Channel> make_sms_channel(ChannelServices& services) {
  return std::make_unique<SmsChannel>(services);
}

}  // namespace frontdoor::sms

FRONTDOOR_REGISTER_CHANNEL(
    "sms", [](const frontdoor::Config& c) { return c.sms.enabled; },
    [](frontdoor::ChannelServices& s) { return frontdoor::sms::make_sms_channel(s); })
