#include "channels/unanswered.hpp"

namespace frontdoor {

SendResult unanswered(const net::HttpClientError& error) {
  using Kind = net::HttpClientError::Kind;
  if (error.kind() == Kind::connect || error.kind() == Kind::resolve || error.kind() == Kind::tls) {
    return {SendOutcome::retry_later, {}, error.what()};
  }
  return {SendOutcome::rejected,
          {},
          "no answer from the provider (" + std::string(net::to_string(error.kind())) +
              "); the text may or may not have been sent, so it is not sent again"};
}

}  // namespace frontdoor
