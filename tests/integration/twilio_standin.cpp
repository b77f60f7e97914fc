#include "tests/integration/twilio_standin.hpp"

#include "channels/sms/twilio_signature.hpp"

namespace frontdoor::testing {

TwilioStandin::TwilioStandin()
    : server_(std::make_unique<HttpStandin>(
          [this](const StandinRequest& request) { return answer(request); })) {}

TwilioStandin::~TwilioStandin() = default;

void TwilioStandin::fail_next(std::vector<int> statuses) {
  std::lock_guard lock(mutex_);
  failures_.insert(failures_.end(), statuses.begin(), statuses.end());
}

std::vector<StandinSend> TwilioStandin::wait_for(std::size_t count,
                                                 std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] {
    std::size_t ok = 0;
    for (const auto& s : sends_) ok += !s.sid.empty();
    return ok >= count;
  });
  std::vector<StandinSend> ok;
  for (const auto& s : sends_) {
    if (!s.sid.empty()) ok.push_back(s);
  }
  return ok;
}

std::size_t TwilioStandin::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

StandinResponse TwilioStandin::answer(const StandinRequest& request) {
  StandinSend send;
  send.account_path = request.target;
  if (auto it = request.headers.find("authorization"); it != request.headers.end()) {
    send.authorization = it->second;
  }
  for (const auto& [k, v] : sms::parse_form(request.body).value_or(sms::FormParams{})) {
    send.form[k] = v;
  }
  StandinResponse response{201, {}};
  {
    std::lock_guard lock(mutex_);
    ++requests_;
    if (!failures_.empty()) {
      response.status = failures_.front();
      failures_.pop_front();
    }
    if (response.status == 201) {
      send.sid = "SM" + std::to_string(1000 + sends_.size());
      response.body = R"({"sid":")" + send.sid + R"(","status":"queued"})";
    } else {
      response.body = R"({"code":)" + std::string(response.status < 500 ? "21211" : "20500") +
                      R"(,"message":"scripted failure","status":)" +
                      std::to_string(response.status) + "}";
    }
    sends_.push_back(send);
  }
  changed_.notify_all();
  return response;
}

}  // namespace frontdoor::testing
