// The Twilio dialect of the SMS channel (also any provider speaking Twilio's Messages API).
//
//   POST /webhooks/twilio/sms      inbound texts (MessageSid, From, To, Body, NumMedia,
//                                  MediaUrlN); answered with empty TwiML once stored
//   POST /webhooks/twilio/status   status callbacks (MessageSid, MessageStatus, ErrorCode)
//   POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json   sends, with StatusCallback
//
// Every webhook must carry a valid X-Twilio-Signature computed over
// channels.sms.public_url + the request's path and query; others get 403.
#include "channels/sms/sms_provider.hpp"

#include <boost/json.hpp>

#include "channels/sms/twilio_signature.hpp"
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

std::string param(const FormParams& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

DeliveryState state_from(std::string_view status) {
  if (status == "delivered" || status == "read") return DeliveryState::delivered;
  if (status == "undelivered" || status == "failed" || status == "canceled") {
    return DeliveryState::failed;
  }
  if (status == "sent") return DeliveryState::sent;
  return DeliveryState::queued;  // accepted, queued, sending, scheduled
}

class TwilioProvider : public SmsProvider {
 public:
  TwilioProvider(const Config::Sms::Twilio& config, std::string public_url,
                 ChannelServices& services, SmsInbox& inbox)
      : SmsProvider(config.numbers, std::move(public_url), services, inbox), config_(config) {
    services.router.add(
        "POST", "/webhooks/twilio/sms",
        [this](HttpRequest& req, const http::PathParams&) { return incoming(req); });
    services.router.add("POST", "/webhooks/twilio/status",
                        [this](HttpRequest& req, const http::PathParams&) { return status(req); });
  }

  std::string_view name() const override { return "twilio"; }

  asio::awaitable<SendResult> send(const OutboundSms& sms) override {
    net::HttpClientRequest request;
    request.method = "POST";
    request.url =
        config_.api_base + "/2010-04-01/Accounts/" + config_.account_sid + "/Messages.json";
    request.basic_auth_user = config_.account_sid;
    request.basic_auth_password = config_.auth_token;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"}};
    std::vector<std::pair<std::string, std::string>> form{
        {"To", sms.to}, {"From", sms.from}, {"Body", sms.plan.text}};
    // Only replies have a delivery status to update; consent confirmations do not.
    if (!sms.message_id.empty()) {
      form.emplace_back("StatusCallback", public_url_ + "/webhooks/twilio/status");
    }
    request.body = net::form_encode(form);
    net::HttpClientResponse response;
    try {
      response = co_await http_.request(std::move(request));
    } catch (const net::HttpClientError& e) {
      co_return unanswered(e);
    }
    boost::system::error_code ec;
    auto body = boost::json::parse(response.body, ec);
    auto field = [&](const char* k) -> std::string {
      if (ec || !body.is_object()) return {};
      auto* v = body.as_object().if_contains(k);
      if (!v) return {};
      if (v->is_string()) return std::string(v->as_string());
      if (v->is_int64()) return std::to_string(v->as_int64());
      return {};
    };
    if (response.status >= 200 && response.status < 300) {
      co_return SendResult{SendOutcome::accepted, field("sid"), {}};
    }
    std::string reason = "provider answered " + std::to_string(response.status);
    if (auto code = field("code"); !code.empty()) reason += " (error " + code + ")";
    if (auto message = field("message"); !message.empty()) reason += ": " + message;
    bool passing = response.status >= 500 || response.status == 429;
    co_return SendResult{passing ? SendOutcome::retry_later : SendOutcome::rejected, {}, reason};
  }

 private:
  // The form parameters of a webhook whose signature holds; 403 otherwise.
  FormParams authentic(const HttpRequest& req) const {
    auto params = parse_form(req.body);
    if (!params) {
      metrics::rejected("sms", "malformed_webhook").inc();
      throw ApiError(ErrorCode::bad_request, "the body is not form-encoded");
    }
    std::string signature = req.header("x-twilio-signature");
    if (signature.empty() || !verify_twilio_signature(config_.auth_token, public_url_ + req.target,
                                                      *params, signature)) {
      metrics::rejected("sms", signature.empty() ? "unsigned_webhook" : "forged_webhook").inc();
      throw ApiError(ErrorCode::forbidden, "X-Twilio-Signature is missing or does not match");
    }
    return std::move(*params);
  }

  asio::awaitable<HttpResponse> incoming(const HttpRequest& req) {
    FormParams params = authentic(req);
    InboundSms sms;
    sms.provider = "twilio";
    sms.provider_id = param(params, "MessageSid");
    if (sms.provider_id.empty()) sms.provider_id = param(params, "SmsSid");
    sms.from = param(params, "From");
    sms.to = param(params, "To");
    sms.text = param(params, "Body");
    if (sms.provider_id.empty() || sms.from.empty() || sms.to.empty()) {
      metrics::rejected("sms", "incomplete_webhook").inc();
      throw ApiError(ErrorCode::missing_field, "MessageSid, From and To are required");
    }
    int media = std::atoi(param(params, "NumMedia").c_str());
    for (int i = 0; i < media && i < 10; ++i) {
      if (auto url = param(params, "MediaUrl" + std::to_string(i)); !url.empty()) {
        sms.media_urls.push_back(std::move(url));
      }
    }
    co_await inbox_.receive(std::move(sms));
    co_return HttpResponse::text(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>",
                                 "text/xml; charset=utf-8");
  }

  asio::awaitable<HttpResponse> status(const HttpRequest& req) {
    FormParams params = authentic(req);
    std::string sid = param(params, "MessageSid");
    std::string state = param(params, "MessageStatus");
    if (sid.empty() || state.empty()) {
      throw ApiError(ErrorCode::missing_field, "MessageSid and MessageStatus are required");
    }
    std::string detail = param(params, "ErrorCode");
    if (!detail.empty()) detail = "error " + detail;
    co_await inbox_.delivery_report("twilio", sid, {}, {}, state_from(state), detail);
    co_return HttpResponse{204, "text/plain", "", {}};
  }

  const Config::Sms::Twilio& config_;
};

}  // namespace

std::unique_ptr<SmsProvider> make_twilio_provider(const Config::Sms::Twilio& config,
                                                  const std::string& public_url,
                                                  ChannelServices& services, SmsInbox& inbox) {
  return std::make_unique<TwilioProvider>(config, public_url, services, inbox);
}

}  // namespace frontdoor::sms
