// A small local HTTP/1.1 server for peers no Debian program stands in for (a Twilio-compatible
// Messages API, an interpreting vendor): every request goes to the handler on a thread of its
// connection; keep-alive is honoured. Binds 127.0.0.1 on a free port; the destructor stops it.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace frontdoor::testing {

struct StandinRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct StandinResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class HttpStandin {
 public:
  using Handler = std::function<StandinResponse(const StandinRequest&)>;
  explicit HttpStandin(Handler handler);
  ~HttpStandin();
  HttpStandin(const HttpStandin&) = delete;
  HttpStandin& operator=(const HttpStandin&) = delete;

  unsigned short port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve(int fd);

  Handler handler_;
  unsigned short port_ = 0;
  int listener_ = -1;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
  std::mutex mutex_;
  bool stopping_ = false;
};

}  // namespace frontdoor::testing
