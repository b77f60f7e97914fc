// The Kannel dialect of the SMS channel (smsbox's HTTP interfaces).
//
//   GET /webhooks/kannel/mo?secret=…&from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I
//       an sms-service get-url: one inbound text (%b: the raw bytes, decoded here by charset;
//       UCS-2 arrives as UTF-16BE); answered 200 with an empty body once stored. The
//       sms-service needs max-messages = 0 (or omit-empty) so smsbox texts nothing back, and
//       http-request-retry so a 503 (store unavailable) is retried rather than lost.
//   GET /webhooks/kannel/dlr?secret=…&conversation=…&message=…&type=%d
//       the dlr-url of each send: Kannel's delivery report for one of our messages
//   GET {sendsms_url}?username&password&from&to&text&charset=UTF-8&coding=0|2&dlr-mask=31&dlr-url
//       sends: coding 0 (GSM-7) or 2 (UCS-2) as the plan decided
//
// Both webhooks must carry channels.sms.kannel.secret; others get 403.
#include "channels/sms/sms_provider.hpp"

#include <openssl/crypto.h>
#include <unicode/ucnv.h>

#include "daemon/http/api_error.hpp"
#include "daemon/http/router.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/net/http_client.hpp"

namespace frontdoor::sms {
namespace {

namespace asio = boost::asio;
using http::ApiError;
using http::ErrorCode;
using http::HttpRequest;
using http::HttpResponse;

// Kannel's DLR types (the %d of a dlr-url): 1 delivered, 2 failed, 4 buffered at the SMSC,
// 8 accepted by the SMSC, 16 rejected by the SMSC.
DeliveryState state_from(int type) {
  if (type & 1) return DeliveryState::delivered;
  if (type & (2 | 16)) return DeliveryState::failed;
  if (type & 8) return DeliveryState::sent;
  return DeliveryState::queued;
}

// `text` in `charset` as UTF-8 (ICU converters); nullopt when it does not decode.
std::optional<std::string> to_utf8(const std::string& text, const std::string& charset) {
  if (charset.empty() || charset == "UTF-8" || charset == "utf-8") return text;
  UErrorCode status = U_ZERO_ERROR;
  std::string out(text.size() * 4 + 4, '\0');
  int32_t length =
      ucnv_convert("UTF-8", charset.c_str(), out.data(), static_cast<int32_t>(out.size()),
                   text.data(), static_cast<int32_t>(text.size()), &status);
  if (U_FAILURE(status)) return std::nullopt;
  out.resize(static_cast<std::size_t>(length));
  return out;
}

class KannelProvider : public SmsProvider {
 public:
  KannelProvider(const Config::Sms::Kannel& config, std::string public_url,
                 ChannelServices& services, SmsInbox& inbox)
      : SmsProvider(config.numbers, std::move(public_url), services, inbox), config_(config) {
    services.router.add(
        "GET", "/webhooks/kannel/mo",
        [this](HttpRequest& req, const http::PathParams&) { return incoming(req); });
    services.router.add("GET", "/webhooks/kannel/dlr",
                        [this](HttpRequest& req, const http::PathParams&) { return report(req); });
  }

  std::string_view name() const override { return "kannel"; }

  asio::awaitable<SendResult> send(const OutboundSms& sms) override {
    std::vector<std::pair<std::string, std::string>> query{
        {"username", config_.username},
        {"password", config_.password},
        {"from", sms.from},
        {"to", sms.to},
        {"text", sms.plan.text},
        {"charset", "UTF-8"},
        {"coding", sms.plan.encoding == i18n::SmsEncoding::gsm7 ? "0" : "2"}};
    if (!sms.message_id.empty()) {
      query.emplace_back("dlr-mask", "31");
      query.emplace_back("dlr-url", net::url_with_query(public_url_ + "/webhooks/kannel/dlr",
                                                        {{"secret", config_.secret},
                                                         {"conversation", sms.conversation_id},
                                                         {"message", sms.message_id}}) +
                                        "&type=%d");
    }
    net::HttpClientRequest request;
    request.url = net::url_with_query(config_.sendsms_url, query);
    net::HttpClientResponse response;
    try {
      response = co_await http_.request(std::move(request));
    } catch (const net::HttpClientError& e) {
      co_return unanswered(e);
    }
    // 202 "0: Accepted for delivery" / "3: Queued for later delivery"; 4xx are final.
    if (response.status >= 200 && response.status < 300) {
      co_return SendResult{SendOutcome::accepted, {}, {}};
    }
    std::string reason =
        "kannel answered " + std::to_string(response.status) + ": " + response.body.substr(0, 120);
    co_return SendResult{
        response.status >= 500 ? SendOutcome::retry_later : SendOutcome::rejected, {}, reason};
  }

 private:
  void authentic(const HttpRequest& req) const {
    const std::string offered = req.param("secret");
    if (config_.secret.empty() || offered.size() != config_.secret.size() ||
        CRYPTO_memcmp(offered.data(), config_.secret.data(), offered.size()) != 0) {
      metrics::rejected("sms", "forged_webhook").inc();
      throw ApiError(ErrorCode::forbidden, "the secret is missing or wrong");
    }
  }

  asio::awaitable<HttpResponse> incoming(const HttpRequest& req) {
    authentic(req);
    InboundSms sms;
    sms.provider = "kannel";
    sms.provider_id = req.param("id");
    sms.from = req.param("from");
    sms.to = req.param("to");
    if (sms.provider_id.empty() || sms.from.empty() || sms.to.empty()) {
      metrics::rejected("sms", "incomplete_webhook").inc();
      throw ApiError(ErrorCode::missing_field, "id, from and to are required");
    }
    auto text = to_utf8(req.param("text"), req.param("charset"));
    if (!text) {
      metrics::rejected("sms", "undecodable_text").inc();
      throw ApiError(ErrorCode::invalid_field, "text does not decode from " + req.param("charset"));
    }
    sms.text = std::move(*text);
    co_await inbox_.receive(std::move(sms));
    co_return HttpResponse::text(200, "");
  }

  asio::awaitable<HttpResponse> report(const HttpRequest& req) {
    authentic(req);
    std::string conversation = req.param("conversation"), message = req.param("message");
    int type = std::atoi(req.param("type").c_str());
    if (conversation.empty() || message.empty() || type <= 0) {
      throw ApiError(ErrorCode::missing_field, "conversation, message and type are required");
    }
    co_await inbox_.delivery_report("kannel", {}, conversation, message, state_from(type),
                                    "kannel dlr " + std::to_string(type));
    co_return HttpResponse::text(200, "");
  }

  const Config::Sms::Kannel& config_;
};

}  // namespace

std::unique_ptr<SmsProvider> make_kannel_provider(const Config::Sms::Kannel& config,
                                                  const std::string& public_url,
                                                  ChannelServices& services, SmsInbox& inbox) {
  return std::make_unique<KannelProvider>(config, public_url, services, inbox);
}

}  // namespace frontdoor::sms
