// The channel contract: what every channel (channels/<name>/) must, should and may do.
//
//  1. A channel speaks one outside protocol. It turns what arrives into an Inbound and calls
//     Ingest::accept(); it never reads or writes Redis keys itself.
//  2. A channel MUST answer its client "accepted" only after Ingest::accept() returned. When
//     accept() throws redis::RedisUnavailable it MUST answer "try again later" in its
//     protocol's words (HTTP 503, SMTP 451, a retryable error frame); when it throws
//     http::ApiError it MUST answer that error in its protocol's words. Nothing is dropped
//     silently: every refusal is counted (Ingest does so for its own checks).
//  3. send() delivers one message to one resident and reports exactly one outcome:
//       accepted     the provider (or the resident's open socket) took it; provider_id set
//                    when the provider gave one;
//       rejected     it can never be delivered as it is (bad address, opted out): don't retry;
//       retry_later  a passing failure (provider down, rate limited, the peer was never
//                    reached): the core tries again later, as retry_policy() says, through its
//                    durable outbox (daemon/deliver/deliver.hpp). A channel never retries a
//                    reply by itself.
//     send() MUST NOT block the calling thread: it is a coroutine, and any blocking library
//     runs on its own threads or through an asynchronous API.
//  4. After send() the Outbound belongs to the caller again; a channel copies what it keeps.
//  5. The core, not the channel, applies policy around send() and accept(): validation,
//     deduplication, opt-out, rate limits, metrics and logs.
//  6. A channel registers itself by name from its own .cpp with FRONTDOOR_REGISTER_CHANNEL;
//     a duplicate name stops the program at start. The configuration enables it
//     ([channels.<name>] enabled = true); the core never lists channels by hand.
//  7. create() MUST NOT block; it registers the channel's HTTP/WebSocket routes on the router.
//     stop() is called once at shutdown, before the store goes away.
//  8. refusal() says why a reply could never be sent (the resident opted out, the address is
//     not a valid number) before the reply is stored, so the agent gets a clear error and the
//     transcript never shows a message that cannot leave. draft() describes how a text would
//     go out (an SMS's encoding and segments) so the agent sees it before sending.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.hpp"

namespace frontdoor {

class Ingest;
class Deliver;
namespace store {
class ConversationStore;
}
namespace events {
class EventBus;
}
namespace http {
class Router;
}
namespace net {
class HttpClient;
}

// One message to one resident.
struct Outbound {
  std::string conversation_id;
  std::string message_id;
  std::string address;  // the resident's identity on this channel, "kind:value"
  std::string text;     // NFC UTF-8
  std::string subject;
  std::string language;
  std::string author_name;
  std::map<std::string, std::string> facts;  // the conversation's channel facts (attr.* fields
                                             // without the prefix): e.g. the number written to
};

enum class SendOutcome { accepted, rejected, retry_later };

// How the core retries a channel's replies: at most `attempts` tries in all, the n-th retry
// after a wait drawn between half and all of min(base_ms × 2^(n−1), max_ms).
struct RetryPolicy {
  int attempts = 1;  // 1: a passing failure is final
  long long base_ms = 1000;
  long long max_ms = 3600 * 1000;
};

struct SendResult {
  SendOutcome outcome = SendOutcome::accepted;
  std::string provider_id;
  std::string reason;  // for rejected / retry_later: no message text, no address
};

std::string_view outcome_name(SendOutcome outcome);

// What the core lends a channel. Everything outlives the channel.
struct ChannelServices {
  const Config& config;
  Ingest& ingest;
  store::ConversationStore& store;
  events::EventBus& events;
  http::Router& router;
  net::HttpClient& http_client;  // for providers' APIs
  boost::asio::any_io_executor executor;
  boost::asio::io_context& io_context;  // for listeners of their own (the SMTP receiver)
  Deliver& deliver;  // for what a channel itself says to a resident (the SMS language menu):
                     // stored first, then sent and retried like an agent's reply
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual std::string_view name() const = 0;
  virtual boost::asio::awaitable<SendResult> send(const Outbound& message) = 0;
  // Empty when `message` can be sent; else the reason, for the agent (rule 8).
  virtual boost::asio::awaitable<std::string> refusal(const Outbound& message) { co_return ""; }
  // How `message` would go out (rule 8); an empty object when there is nothing to say.
  virtual boost::json::object draft(const Outbound& message) const { return {}; }
  virtual RetryPolicy retry_policy() const { return {}; }
  virtual void stop() {}
};

using ChannelFactory = std::function<std::unique_ptr<Channel>(ChannelServices&)>;
using ChannelEnabled = std::function<bool(const Config&)>;

class ChannelRegistry {
 public:
  // Called from static initialisers; a duplicate name aborts with a message.
  static bool add(std::string name, ChannelEnabled enabled, ChannelFactory factory);
  // For tests: swap the factory of a registered channel.
  static void replace(const std::string& name, ChannelFactory factory);
  static std::vector<std::string> names();
  static std::vector<std::unique_ptr<Channel>> create_enabled(ChannelServices& services);
};

}  // namespace frontdoor

#define FRONTDOOR_CONCAT_INNER(a, b) a##b
#define FRONTDOOR_CONCAT(a, b) FRONTDOOR_CONCAT_INNER(a, b)
// Registers a channel from its own .cpp file.
#define FRONTDOOR_REGISTER_CHANNEL(NAME, ENABLED, FACTORY)                      \
  namespace {                                                                   \
  [[maybe_unused]] const bool FRONTDOOR_CONCAT(channel_registered_, __LINE__) = \
      ::frontdoor::ChannelRegistry::add(NAME, ENABLED, FACTORY);                \
  }
