// The shared asynchronous HTTP client: what SMS providers (Twilio REST, Kannel sendsms), email,
// bureau webhooks, interpreter vendors and broadcast use to call out. libcurl's multi-socket API
// driven by Asio.
//
// Contract
//  1. request() completes exactly once: with a response, or by throwing HttpClientError (or
//     std::invalid_argument, see 7). It never blocks the calling thread, and resumes the
//     caller on its own executor.
//  2. Any status line the peer sends is a response, 4xx and 5xx included: the caller decides
//     what a status means. Only transport failures are HttpClientError; its kind() says which
//     (see HttpClientError). Its message names the method, scheme, host, port and path and
//     carries curl's reason; never the query, credentials, headers or bodies.
//  3. One HttpClient keeps one libcurl multi handle: connections are kept alive and reused per
//     host, at most Options::max_connections_per_host at once to one host; further requests to
//     that host wait for a free connection, their timeout running.
//  4. Nothing blocks an I/O thread. Every curl call runs on the client's strand; curl's sockets
//     are watched by Asio (never closed by it) and curl's timer is an Asio timer. Names are
//     resolved by curl's own resolver thread. The client may be used from any thread.
//  5. What goes on the wire: HTTP/1.1 over http or https (mail submission and mailbox access
//     over smtp(s) and imap(s) are described at HttpClientRequest), TLS peers verified against
//     the system's CAs, redirects not followed (a 3xx is a response), no signals raised, no
//     "Expect: 100-continue". A non-empty body with no Content-Type header goes out as
//     application/x-www-form-urlencoded (curl's default).
//  6. `timeout` bounds the whole request (waiting for a free connection, resolving,
//     connecting, sending, waiting, reading); `connect_timeout` bounds connecting (with TLS).
//     A response whose headers and body exceed Options::max_response_bytes ends with
//     HttpClientError protocol.
//  7. A request that cannot be sent as given (an URL that is not absolute http(s), a method
//     that is not an HTTP token, CR or LF in a header, a timeout that is not positive) throws
//     std::invalid_argument before anything is sent.
//  8. Cancelling the awaiting operation (e.g. the loser of `co_await (request(r) || timer)`)
//     ends that request with HttpClientError cancelled and drops its connection.
//  9. stop() is final: requests in flight and any made later complete with HttpClientError
//     cancelled, and kept-alive connections are closed. The destructor does the same.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace frontdoor::net {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;  // absolute: http://host[:port]/path[?query] or https://...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds connect_timeout{3000};
  // When basic_auth_user is not empty: "Authorization: Basic ..." from these two (for SMTP:
  // the AUTH user and password).
  std::string basic_auth_user, basic_auth_password;

  // Mail submission: with an smtp:// or smtps:// url the same engine submits `body` (the whole
  // message, CRLF line ends) to these envelope addresses; method and headers are ignored, and
  // the response's status is the server's last reply code (250, or the 4xx/5xx it refused
  // with, curl's description in body). smtp:// tries STARTTLS, and
  // requires it when require_tls is set; smtps:// is TLS from the start.
  std::string mail_from;
  std::vector<std::string> mail_recipients;
  bool require_tls = false;

  // Mailbox access: with an imap:// or imaps:// url (RFC 5092: imap://host/INBOX;UID=7 fetches
  // that message) the same engine logs in with the basic_auth pair and runs `method` as an IMAP
  // command in the URL's mailbox ("UID SEARCH UID 8:*", "STATUS INBOX (UIDVALIDITY)"), or, when
  // `method` is "GET", fetches what the URL names. The body is what the server answered (the
  // untagged lines of a command, or the message); status is 0. A command the server refuses
  // (NO, BAD), a failed login and a changed ;UIDVALIDITY= are HttpClientError other. imap://
  // tries STARTTLS and requires it when require_tls is set; imaps:// is TLS from the start.

  // When not 0, replaces Options::max_response_bytes for this request (a whole mail).
  std::size_t max_response_bytes = 0;
};

struct HttpClientResponse {
  int status = 0;
  std::string body;
  // As received, in order, names lower-cased, values trimmed; of the final response only (a
  // "100 Continue" before it leaves none).
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of the first header named `lower` (a lower-case name); "" when there is none.
  std::string header(std::string_view lower) const;
};

class HttpClientError : public std::runtime_error {
 public:
  enum class Kind {
    timeout,    // `timeout` passed once connected; the peer may have acted on the request
    connect,    // no connection: refused, unreachable, or `connect_timeout` passed; not sent
    resolve,    // the host name did not resolve; not sent
    tls,        // the TLS handshake failed or the peer's certificate was not trusted; not sent
    protocol,   // the peer's answer was not acceptable HTTP, or too large
    cancelled,  // stop(), the destructor, or the caller's cancellation
    other,      // anything else (e.g. the connection was reset mid-request)
  };

  HttpClientError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

std::string_view to_string(HttpClientError::Kind kind);

class HttpClient {
 public:
  struct Options {
    long max_connections_per_host = 16;
    std::string user_agent = "frontdoor/0.1";
    std::size_t max_response_bytes = 8 * 1024 * 1024;  // headers and body together
  };

  HttpClient(boost::asio::any_io_executor executor, Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  boost::asio::awaitable<HttpClientResponse> request(HttpClientRequest request);
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// application/x-www-form-urlencoded: name=value pairs joined by '&', each side UTF-8 with every
// byte but ASCII letters, digits and "-._~" percent-encoded, and space as '+'.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// `base` with `params` (form-encoded as above) appended to its query, before any fragment.
// Throws std::invalid_argument when `base` is not an URL.
std::string url_with_query(std::string base,
                           const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace frontdoor::net
