// A local stand-in for a Twilio-compatible Messages API: records every send and answers like
// the real one (201 with a sid), or with scripted failures to exercise retries. No Twilio
// program exists to run locally, so this is the one peer the tests write themselves.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/integration/http_standin.hpp"

namespace frontdoor::testing {

struct StandinSend {
  std::string account_path;                 // /2010-04-01/Accounts/{sid}/Messages.json
  std::string authorization;                // the Authorization header as sent
  std::map<std::string, std::string> form;  // From, To, Body, StatusCallback
  std::string sid;  // what the stand-in answered (empty when it failed the request)
};

class TwilioStandin {
 public:
  TwilioStandin();
  ~TwilioStandin();
  unsigned short port() const { return server_->port(); }
  std::string api_base() const { return server_->base_url(); }
  // The next requests get these statuses (e.g. {500, 500} then normal 201s).
  void fail_next(std::vector<int> statuses);
  // Waits until at least `count` sends were recorded (or the timeout); returns them all.
  std::vector<StandinSend> wait_for(std::size_t count, std::chrono::milliseconds timeout);
  std::size_t requests() const;

 private:
  StandinResponse answer(const StandinRequest& request);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<int> failures_;
  std::vector<StandinSend> sends_;
  std::size_t requests_ = 0;
  std::unique_ptr<HttpStandin> server_;  // last: stops before what its handler uses
};

}  // namespace frontdoor::testing
