#include "tests/integration/http_standin.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace frontdoor::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

HttpStandin::HttpStandin(Handler handler) : handler_(std::move(handler)) {
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

HttpStandin::~HttpStandin() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ::shutdown(listener_, SHUT_RDWR);
  ::close(listener_);
  acceptor_.join();
  for (auto& t : connections_) t.join();
}

void HttpStandin::serve(int fd) {
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
    StandinRequest request{
        std::string(req.method_string()), std::string(req.target()), std::move(req.body()), {}};
    for (const auto& h : req) {
      std::string name(h.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(h.value());
    }
    StandinResponse answer = handler_(request);
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(answer.status), 11};
    res.set(bhttp::field::content_type, answer.content_type);
    res.body() = std::move(answer.body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    bhttp::write(socket, res, ec);
    if (ec || !req.keep_alive()) return;
  }
}

}  // namespace frontdoor::testing
