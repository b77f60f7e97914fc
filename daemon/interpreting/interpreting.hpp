// Interpreting: an interpreter joins a conversation whose agent does not read the resident's
// language, and the interpretations go both ways (docs/interpreting.md).
//
// Contract
//  1. Every decision is interpret.lua, atomic across instances: who joins (the longest-idle
//     free interpreter of the pool who reads both languages), when waiting escalates (another
//     interpreter, the vendor, a supervisor), what still waits for its interpretation. This
//     loop runs the steps that are due (interpret:due) on whichever instance gets there first:
//     at least every 500 ms, and at once when a conversation being interpreted changes.
//  2. The resident is told once, in their language and on their channel (template
//     interpreter_joining): a stored outbound message, delivered and retried like a reply.
//  3. A vendor (interpreters.vendor_url) is asked with POST <vendor_url>/requests and names its
//     interpreter in a 2xx answer ({"interpreter_id": …}); anything else, or no answer within
//     interpreters.vendor_timeout_s, counts as nobody. What its interpreter must interpret goes
//     to POST <vendor_url>/messages through the durable outbox (retried like a reply). Its
//     interpretations, and its interpreter leaving, come back to POST
//     /api/v1/interpreting/vendor.
//  4. Both ways are signed: X-Frontdoor-Timestamp (Unix seconds) and X-Frontdoor-Signature
//     "v1=" + hex HMAC-SHA256(interpreters.vendor_secret, timestamp + "." + body). A webhook
//     unsigned, forged, stale (more than 300 s off) or malformed is refused with a precise error
//     and counted in frontdoor_rejected_total{edge="interpreting"}; an accepted interpretation
//     is answered only once it is durable. A repeated event_id is answered with the message it
//     made the first time, never stored twice.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/config/config.hpp"

namespace frontdoor {
class Deliver;
class Ingest;
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
namespace metrics {
class Counter;
}

namespace interpreting {

// The signature of contract 4.
std::string vendor_signature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

// frontdoor_interpreting_total{event}: joined, vendor_asked, vendor_joined, vendor_refused,
// escalated, interpreted.
metrics::Counter& counted(const std::string& event);

// A message id as the store makes them ("<ms>-<seq>").
bool message_id_like(std::string_view id);

class Interpreting {
 public:
  Interpreting(boost::asio::any_io_executor executor, const Config& config,
               store::ConversationStore& store, events::EventBus& events, Deliver& deliver,
               Ingest& ingest, net::HttpClient& http_client);
  ~Interpreting();
  // The vendor's webhook.
  void register_routes(http::Router& router);
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace interpreting
}  // namespace frontdoor
