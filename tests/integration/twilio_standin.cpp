#include "tests/integration/twilio_standin.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "channels/sms/twilio_signature.hpp"

namespace frontdoor::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

TwilioStandin::TwilioStandin() {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listener_, 64);
  socklen_t len = sizeof addr;
  getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] {
    for (;;) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  });
}

TwilioStandin::~TwilioStandin() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ::shutdown(listener_, SHUT_RDWR);
  ::close(listener_);
  acceptor_.join();
  for (auto& t : connections_) t.join();
}

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

void TwilioStandin::serve(int fd) {
  asio::io_context io;
  tcp::socket socket(io, tcp::v4(), fd);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request<bhttp::string_body> req;
    beast::error_code ec;
    bhttp::read(socket, buffer, req, ec);
    if (ec) return;
    StandinSend send;
    send.account_path = std::string(req.target());
    send.authorization = std::string(req[bhttp::field::authorization]);
    for (const auto& [k, v] : sms::parse_form(req.body()).value_or(sms::FormParams{})) {
      send.form[k] = v;
    }
    int status = 201;
    std::string body;
    {
      std::lock_guard lock(mutex_);
      ++requests_;
      if (!failures_.empty()) {
        status = failures_.front();
        failures_.pop_front();
      }
      if (status == 201) {
        send.sid = "SM" + std::to_string(1000 + sends_.size());
        body = R"({"sid":")" + send.sid + R"(","status":"queued"})";
      } else {
        body = R"({"code":)" + std::string(status < 500 ? "21211" : "20500") +
               R"(,"message":"scripted failure","status":)" + std::to_string(status) + "}";
      }
      sends_.push_back(send);
    }
    changed_.notify_all();
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    bhttp::write(socket, res, ec);
    if (ec || !req.keep_alive()) return;
  }
}

}  // namespace frontdoor::testing
