// What the SMS channel needs from a provider dialect (twilio_provider.cpp, kannel_provider.cpp).
//
// Contract
//  1. A provider owns its webhooks: it registers them on the router, checks each request's
//     authenticity (Twilio's signature, Kannel's shared secret) and refuses forged ones with 403
//     before acting on anything in them, counting them in frontdoor_rejected_total{edge="sms"}.
//  2. It turns an inbound text into an InboundSms and hands it to SmsInbox::receive(), then
//     answers the provider: success only after receive() returned; 503 (so the provider retries)
//     when the store was unavailable.
//  3. It hands delivery reports to SmsInbox::delivery_report().
//  4. send() makes one attempt and reports one outcome: accepted (with the provider's message
//     id when it gives one), rejected (4xx: never retried) or retry_later (5xx, timeouts,
//     connection failures).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "channels/channel.hpp"
#include "channels/unanswered.hpp"
#include "daemon/net/http_client.hpp"
#include "i18n/sms_encoding.hpp"

namespace frontdoor::sms {

struct InboundSms {
  std::string provider;                 // "twilio", "kannel"
  std::string provider_id;              // MessageSid, Kannel's id: the idempotency key
  std::string from;                     // as the provider gave it
  std::string to;                       // the city's number written to
  std::string text;                     // UTF-8
  std::vector<std::string> media_urls;  // MMS attachments
};

struct OutboundSms {
  std::string conversation_id, message_id;  // empty for consent confirmations
  std::string from;                         // E.164: the city's number
  std::string to;                           // E.164: the resident
  i18n::SmsPlan plan;                       // the text as it goes, its encoding and parts
};

// A delivery report in the channel's words.
enum class DeliveryState { queued, sent, delivered, failed };

class SmsInbox {
 public:
  virtual ~SmsInbox() = default;
  virtual boost::asio::awaitable<void> receive(InboundSms sms) = 0;
  // `provider_id` identifies the message when the provider knows only its own id (Twilio);
  // conversation_id/message_id when the report carries ours (Kannel's dlr-url).
  virtual boost::asio::awaitable<void> delivery_report(const std::string& provider,
                                                       const std::string& provider_id,
                                                       const std::string& conversation_id,
                                                       const std::string& message_id,
                                                       DeliveryState state,
                                                       const std::string& detail) = 0;
};

class SmsProvider {
 public:
  // `numbers`: the configured comma-separated E.164 list; `public_url`: how the provider reaches
  // our webhooks.
  SmsProvider(std::string_view numbers, std::string public_url, ChannelServices& services,
              SmsInbox& inbox)
      : numbers_(split_list(numbers)),
        public_url_(std::move(public_url)),
        http_(services.http_client),
        inbox_(inbox) {}
  virtual ~SmsProvider() = default;
  virtual std::string_view name() const = 0;
  const std::vector<std::string>& numbers() const { return numbers_; }
  virtual boost::asio::awaitable<SendResult> send(const OutboundSms& sms) = 0;

 protected:
  std::vector<std::string> numbers_;
  std::string public_url_;
  net::HttpClient& http_;
  SmsInbox& inbox_;
};

// The dialects (twilio_provider.cpp, kannel_provider.cpp): each registers its webhooks.
std::unique_ptr<SmsProvider> make_twilio_provider(const Config::Sms::Twilio& config,
                                                  const std::string& public_url,
                                                  ChannelServices& services, SmsInbox& inbox);
std::unique_ptr<SmsProvider> make_kannel_provider(const Config::Sms::Kannel& config,
                                                  const std::string& public_url,
                                                  ChannelServices& services, SmsInbox& inbox);

}  // namespace frontdoor::sms
