#include <catch2/catch.hpp>

#include "channels/unanswered.hpp"

using frontdoor::SendOutcome;
using frontdoor::unanswered;
using frontdoor::net::HttpClientError;

TEST_CASE("only a send that never reached the provider is retried") {
  using Kind = HttpClientError::Kind;
  CHECK(unanswered(HttpClientError(Kind::connect, "refused")).outcome == SendOutcome::retry_later);
  CHECK(unanswered(HttpClientError(Kind::resolve, "no such host")).outcome ==
        SendOutcome::retry_later);
  CHECK(unanswered(HttpClientError(Kind::tls, "bad certificate")).outcome ==
        SendOutcome::retry_later);
  // The provider may have sent it: sending again could text the resident twice.
  auto timeout = unanswered(HttpClientError(Kind::timeout, "no answer"));
  CHECK(timeout.outcome == SendOutcome::rejected);
  CHECK(timeout.reason.find("may or may not have been sent") != std::string::npos);
  CHECK(unanswered(HttpClientError(Kind::other, "reset")).outcome == SendOutcome::rejected);
}
