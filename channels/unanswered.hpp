// What a channel reports when its provider never answered a send (an SMS provider's API, the
// mail submission server): only a request that certainly never reached the provider
// (connection refused, name not resolved, TLS refused) may be retried; after a timeout or a
// broken connection the provider may have sent it, and sending again could reach the resident
// twice.
#pragma once

#include "channels/channel.hpp"
#include "daemon/net/http_client.hpp"

namespace frontdoor {

SendResult unanswered(const net::HttpClientError& error);

}  // namespace frontdoor
