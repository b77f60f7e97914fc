// HttpClient on libcurl's multi-socket API; the contract is in http_client.hpp. Besides it:
//  - Each request gets an easy handle of its own; only the multi handle, its connection cache
//    and its DNS cache are shared. curl calls back (sockets, timer, data, closing) only from
//    inside a curl call the Impl makes on its strand.
//  - Kinds are told apart by whether any byte of the request was written (CURLINFO_REQUEST_SIZE
//    of a fresh handle): a `timeout` before that is reported as `connect`, so that "connect"
//    and "resolve" always mean that the peer never saw the request.
//  - Proxies from the environment (http_proxy, https_proxy, no_proxy) apply, as in curl.
//  - stop(), the destructor and per-request cancellation act on the strand, so they return at
//    once. request() reads its HttpClient when first resumed: the client must outlive the
//    start of every co_await on it.
#include "daemon/net/http_client.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <unordered_map>

#include "daemon/redis/pending_completion.hpp"

namespace frontdoor::net {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

using PendingResponse = redis::PendingCompletion<HttpClientResponse>;
using Strand = asio::strand<asio::any_io_executor>;

constexpr std::string_view kStopped = "the client was stopped";

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

// RFC 9110 tchar.
bool is_token(std::string_view text) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Checks what contract rule 7 refuses and returns what error messages name the request by:
// "METHOD scheme://host[:port]/path", without userinfo or query.
std::string describe_checked(const HttpClientRequest& request) {
  const bool imap = request.url.starts_with("imap://") || request.url.starts_with("imaps://");
  if (imap ? request.method.empty() ||
                 request.method.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos
           : !is_token(request.method)) {
    throw std::invalid_argument(imap ? "the IMAP command is empty or holds CR, LF or NUL"
                                     : "the HTTP method is not a token");
  }
  auto parsed = boost::urls::parse_absolute_uri(request.url);
  if (!parsed) {
    throw std::invalid_argument("the URL is not absolute: " + parsed.error().message());
  }
  const boost::urls::url_view& url = *parsed;
  const bool mail = url.scheme() == "smtp" || url.scheme() == "smtps";
  if (url.scheme_id() != boost::urls::scheme::http &&
      url.scheme_id() != boost::urls::scheme::https && !mail && !imap) {
    throw std::invalid_argument(
        "only http, https, smtp, smtps, imap and imaps URLs can be requested");
  }
  if (mail && request.mail_recipients.empty()) {
    throw std::invalid_argument("a mail submission needs at least one recipient");
  }
  for (const auto& address : request.mail_recipients) {
    if (address.find_first_of(std::string_view("\r\n\0<>", 5)) != std::string::npos) {
      throw std::invalid_argument("a mail recipient holds CR, LF, NUL or angle brackets");
    }
  }
  if (url.encoded_host().empty()) throw std::invalid_argument("the URL has no host");
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) throw std::invalid_argument("a header name is not a token");
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      throw std::invalid_argument("the value of header " + name + " holds CR, LF or NUL");
    }
  }
  if (request.timeout <= milliseconds::zero() || request.connect_timeout <= milliseconds::zero()) {
    throw std::invalid_argument("HTTP timeouts must be positive");
  }
  // An IMAP command is named by its verb only (a search or a flag list is nobody's business).
  const std::string verb = mail   ? std::string("MAIL")
                           : imap ? request.method.substr(0, request.method.find(' ', 4))
                                  : request.method;
  return verb + " " + std::string(url.scheme()) + "://" + std::string(url.encoded_host_and_port()) +
         std::string(url.encoded_path());
}

HttpClientError::Kind kind_of(CURLcode code, bool request_written) {
  using Kind = HttpClientError::Kind;
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return request_written ? Kind::timeout : Kind::connect;
    case CURLE_COULDNT_CONNECT:
      return Kind::connect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Kind::resolve;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return Kind::tls;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
      return Kind::protocol;
    default:
      return Kind::other;
  }
}

}  // namespace

std::string HttpClientResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

std::string_view to_string(HttpClientError::Kind kind) {
  switch (kind) {
    case HttpClientError::Kind::timeout:
      return "timeout";
    case HttpClientError::Kind::connect:
      return "connect";
    case HttpClientError::Kind::resolve:
      return "resolve";
    case HttpClientError::Kind::tls:
      return "tls";
    case HttpClientError::Kind::protocol:
      return "protocol";
    case HttpClientError::Kind::cancelled:
      return "cancelled";
    case HttpClientError::Kind::other:
      break;
  }
  return "other";
}

// Everything below `next_id_` is touched on `strand_` only (the constructor and destructor
// aside). A request is a Transfer from submit() until finish() or abort() completes it; its id
// is what a caller's cancellation names, so a late cancellation finds nothing.
struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  // One request: its easy handle and what curl reads from or writes into while it runs.
  struct Transfer {
    Transfer(std::uint64_t id, HttpClientRequest request, std::string description,
             std::unique_ptr<PendingResponse> pending, std::size_t limit, const Strand& strand)
        : id(id),
          request(std::move(request)),
          description(std::move(description)),
          pending(std::move(pending)),
          limit(limit),
          deadline(strand) {}
    ~Transfer() {
      if (easy != nullptr) curl_easy_cleanup(easy);
      curl_slist_free_all(header_list);
      curl_slist_free_all(recipient_list);
    }
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;

    // Counts `bytes` more of the response; false once the response is over the limit.
    bool take(std::size_t bytes) {
      received += bytes;
      too_large = too_large || received > limit;
      return !too_large;
    }

    const std::uint64_t id;
    const HttpClientRequest request;  // curl reads the body in place (CURLOPT_POSTFIELDS)
    const std::string description;    // describe_checked()
    std::unique_ptr<PendingResponse> pending;
    const std::size_t limit;
    // `timeout` is kept here rather than by curl, which does not time out a request that
    // waits for a free connection.
    asio::steady_timer deadline;
    CURL* easy = nullptr;
    curl_slist* header_list = nullptr;
    curl_slist* recipient_list = nullptr;  // mail submissions
    std::size_t uploaded = 0;              // bytes of the body curl has read (mail)
    HttpClientResponse response;
    std::size_t received = 0;
    bool too_large = false;
    char error[CURL_ERROR_SIZE] = {};
  };

  // One socket curl asked to have watched. The descriptor is released, never closed, when
  // curl is done with the socket (or at the latest when the watch is destroyed); waits still
  // pending then end with operation_aborted, and `released` makes late successes moot too.
  struct SocketWatch {
    SocketWatch(const Strand& strand, curl_socket_t fd) : descriptor(strand, fd) {}
    ~SocketWatch() { release(); }
    SocketWatch(const SocketWatch&) = delete;
    SocketWatch& operator=(const SocketWatch&) = delete;

    void release() {
      released = true;
      if (descriptor.is_open()) descriptor.release();
    }

    asio::posix::stream_descriptor descriptor;
    int wanted = CURL_POLL_NONE;  // CURL_POLL_IN / _OUT / _INOUT, as curl last said
    bool read_armed = false;
    bool write_armed = false;
    bool released = false;
  };

  // Installed in a caller's cancellation slot: ends that request, if it is still running.
  struct CancelRequest {
    CancelRequest(const std::shared_ptr<Impl>& impl, std::uint64_t id) : impl(impl), id(id) {}
    std::weak_ptr<Impl> impl;
    std::uint64_t id;
    void operator()(asio::cancellation_type_t) const {
      if (std::shared_ptr<Impl> locked = impl.lock()) {
        asio::post(locked->strand_, [locked, id = id] {
          locked->abort(id, HttpClientError::Kind::cancelled, "cancelled by the caller");
        });
      }
    }
  };

  Impl(asio::any_io_executor executor, Options options)
      : executor_(std::move(executor)),
        strand_(asio::make_strand(executor_)),
        options_(std::move(options)),
        timer_(strand_) {
    init_curl_once();
    multi_ = curl_multi_init();
    if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_connections_per_host);
  }

  ~Impl() {
    // Reached without stop() only when the executor is gone: requests are abandoned unrun.
    if (multi_ == nullptr) return;
    // Nothing may be armed any more (the watches release their descriptors as they go).
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, nullptr);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, nullptr);
    for (auto& [id, transfer] : transfers_) curl_multi_remove_handle(multi_, transfer->easy);
    transfers_.clear();
    curl_multi_cleanup(multi_);
  }

  static std::exception_ptr client_error(const std::string& description, HttpClientError::Kind kind,
                                         std::string_view why) {
    return std::make_exception_ptr(HttpClientError(kind, description + ": " + std::string(why)));
  }

  void stop() {
    if (multi_ == nullptr) return;
    while (!transfers_.empty()) {
      abort(transfers_.begin()->first, HttpClientError::Kind::cancelled, kStopped);
    }
    curl_multi_cleanup(std::exchange(multi_, nullptr));  // closes kept-alive connections
    timer_.cancel();
    for (auto& [fd, watch] : std::exchange(sockets_, {})) watch->release();
  }

  void submit(std::uint64_t id, HttpClientRequest request, std::string description,
              std::unique_ptr<PendingResponse> pending) {
    if (multi_ == nullptr) {
      pending->complete(client_error(description, HttpClientError::Kind::cancelled, kStopped), {});
      return;
    }
    const std::size_t limit =
        request.max_response_bytes != 0 ? request.max_response_bytes : options_.max_response_bytes;
    auto transfer = std::make_unique<Transfer>(id, std::move(request), std::move(description),
                                               std::move(pending), limit, strand_);
    if (const CURLcode code = configure(*transfer); code != CURLE_OK) {
      transfer->pending->complete(client_error(transfer->description, HttpClientError::Kind::other,
                                               curl_easy_strerror(code)),
                                  {});
      return;
    }
    if (const CURLMcode code = curl_multi_add_handle(multi_, transfer->easy); code != CURLM_OK) {
      transfer->pending->complete(client_error(transfer->description, HttpClientError::Kind::other,
                                               curl_multi_strerror(code)),
                                  {});
      return;
    }
    transfer->deadline.expires_after(transfer->request.timeout);
    transfer->deadline.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this(), id](const boost::system::error_code& failure) {
          if (!failure) self->expire(id);
        }));
    transfers_.emplace(id, std::move(transfer));
  }

  // Creates the easy handle and sets every option; the first failure is returned.
  CURLcode configure(Transfer& transfer) {
    transfer.easy = curl_easy_init();
    if (transfer.easy == nullptr) return CURLE_OUT_OF_MEMORY;
    const HttpClientRequest& request = transfer.request;
    for (const auto& [name, value] : request.headers) {
      // "Name;" is curl's way to send a header with an empty value ("Name:" would drop it).
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      curl_slist* extended = curl_slist_append(transfer.header_list, line.c_str());
      if (extended == nullptr) return CURLE_OUT_OF_MEMORY;
      transfer.header_list = extended;
    }
    const bool has_expect =
        std::any_of(request.headers.begin(), request.headers.end(),
                    [](const auto& header) { return lower(header.first) == "expect"; });
    if (!has_expect) {
      curl_slist* extended = curl_slist_append(transfer.header_list, "Expect:");
      if (extended == nullptr) return CURLE_OUT_OF_MEMORY;
      transfer.header_list = extended;
    }

    CURLcode code = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (code == CURLE_OK) code = curl_easy_setopt(transfer.easy, option, value);
    };
    set(CURLOPT_PRIVATE, static_cast<void*>(&transfer));
    set(CURLOPT_URL, request.url.c_str());
    if (request.url.starts_with("smtp://") || request.url.starts_with("smtps://")) {
      return configure_mail(transfer, set, code);
    }
    if (request.url.starts_with("imap://") || request.url.starts_with("imaps://")) {
      return configure_imap(transfer, set, code);
    }
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
    set(CURLOPT_USERAGENT, options_.user_agent.c_str());
    set(CURLOPT_HTTPHEADER, transfer.header_list);
    set(CURLOPT_ERRORBUFFER, transfer.error);
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_bytes));
    set(CURLOPT_HEADERFUNCTION, &Impl::on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
    set(CURLOPT_WRITEFUNCTION, &Impl::on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
    set(CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket);
    set(CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this));
    if (!request.basic_auth_user.empty()) {
      set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
      set(CURLOPT_USERNAME, request.basic_auth_user.c_str());
      set(CURLOPT_PASSWORD, request.basic_auth_password.c_str());
    }

    const std::string& method = request.method;
    const bool sends_body =
        !request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else if (method == "GET" && !sends_body) {
      set(CURLOPT_HTTPGET, 1L);
    } else {
      if (sends_body) {
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        set(CURLOPT_POSTFIELDS, request.body.data());
      }
      if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    return code;
  }

  // The options of a mail submission (see HttpClientRequest::mail_from).
  template <class Set>
  CURLcode configure_mail(Transfer& transfer, Set& set, CURLcode& code) {
    const HttpClientRequest& request = transfer.request;
    for (const auto& address : request.mail_recipients) {
      curl_slist* extended =
          curl_slist_append(transfer.recipient_list, ("<" + address + ">").c_str());
      if (extended == nullptr) return CURLE_OUT_OF_MEMORY;
      transfer.recipient_list = extended;
    }
    set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
    set(CURLOPT_ERRORBUFFER, transfer.error);
    set(CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket);
    set(CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this));
    set(CURLOPT_MAIL_FROM, ("<" + request.mail_from + ">").c_str());
    set(CURLOPT_MAIL_RCPT, transfer.recipient_list);
    set(CURLOPT_UPLOAD, 1L);
    set(CURLOPT_READFUNCTION, &Impl::on_read);
    set(CURLOPT_READDATA, static_cast<void*>(&transfer));
    set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    set(CURLOPT_USE_SSL, static_cast<long>(request.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (!request.basic_auth_user.empty()) {
      set(CURLOPT_USERNAME, request.basic_auth_user.c_str());
      set(CURLOPT_PASSWORD, request.basic_auth_password.c_str());
    }
    return code;
  }

  // The options of a mailbox command (see HttpClientRequest::max_response_bytes above it).
  template <class Set>
  CURLcode configure_imap(Transfer& transfer, Set& set, CURLcode& code) {
    const HttpClientRequest& request = transfer.request;
    set(CURLOPT_PROTOCOLS_STR, "imap,imaps");
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
    set(CURLOPT_ERRORBUFFER, transfer.error);
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(transfer.limit));
    set(CURLOPT_WRITEFUNCTION, &Impl::on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
    set(CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket);
    set(CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this));
    set(CURLOPT_USE_SSL, static_cast<long>(request.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (!request.basic_auth_user.empty()) {
      set(CURLOPT_USERNAME, request.basic_auth_user.c_str());
      set(CURLOPT_PASSWORD, request.basic_auth_password.c_str());
    }
    if (request.method != "GET") set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
    return code;
  }

  static std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    Transfer& transfer = *static_cast<Transfer*>(user);
    const std::string& body = transfer.request.body;
    std::size_t n = std::min(size * count, body.size() - transfer.uploaded);
    std::memcpy(buffer, body.data() + transfer.uploaded, n);
    transfer.uploaded += n;
    return n;
  }

  // Takes the request out of curl and completes it with `kind`; unknown ids are ignored.
  void abort(std::uint64_t id, HttpClientError::Kind kind, std::string_view why) {
    auto node = transfers_.extract(id);
    if (node.empty()) return;
    Transfer& transfer = *node.mapped();
    curl_multi_remove_handle(multi_, transfer.easy);
    transfer.pending->complete(client_error(transfer.description, kind, why), {});
  }

  // The request's `timeout` has passed: `connect` while no byte of it was written, else
  // `timeout`.
  void expire(std::uint64_t id) {
    const auto found = transfers_.find(id);
    if (found == transfers_.end()) return;
    const Transfer& transfer = *found->second;
    const std::string limit = std::to_string(transfer.request.timeout.count()) + " ms";
    if (request_written(transfer.easy)) {
      abort(id, HttpClientError::Kind::timeout, "no response within " + limit);
    } else {
      abort(id, HttpClientError::Kind::connect, "not sent within " + limit);
    }
  }

  static bool request_written(CURL* easy) {
    long written = 0;
    curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &written);
    return written > 0;
  }

  // curl is done with `easy`: completes its request with the response or the failure.
  void finish(CURL* easy, CURLcode result) {
    void* data = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &data);
    auto node = transfers_.extract(static_cast<Transfer*>(data)->id);
    Transfer& transfer = *node.mapped();
    curl_multi_remove_handle(multi_, easy);
    if (result == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      transfer.response.status = static_cast<int>(status);
      transfer.pending->complete(nullptr, std::move(transfer.response));
      return;
    }
    if (transfer.recipient_list != nullptr) {
      // A mail server that answered with a refusal (4xx try later, 5xx never) is a response.
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      if (status >= 400) {
        transfer.response.status = static_cast<int>(status);
        transfer.response.body = transfer.error;
        transfer.pending->complete(nullptr, std::move(transfer.response));
        return;
      }
    }
    if (transfer.too_large || result == CURLE_FILESIZE_EXCEEDED) {
      transfer.pending->complete(
          client_error(transfer.description, HttpClientError::Kind::protocol,
                       "the response exceeds " + std::to_string(transfer.limit) + " bytes"),
          {});
      return;
    }
    const std::string_view why =
        transfer.error[0] != '\0' ? transfer.error : curl_easy_strerror(result);
    transfer.pending->complete(
        client_error(transfer.description, kind_of(result, request_written(easy)), why), {});
  }

  // Lets curl act on a ready socket (or on its timer), then completes what it has finished.
  void act(curl_socket_t fd, int events) {
    if (multi_ == nullptr) return;
    int running = 0;
    curl_multi_socket_action(multi_, fd, events, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;  // `message` is invalid once the handle is removed
      finish(easy, message->data.result);
    }
  }

  // One wait per direction at a time: each new wait re-arms Asio's edge-triggered
  // registration, so readiness left over from an earlier wait is reported again.
  void arm(const std::shared_ptr<SocketWatch>& watch, curl_socket_t fd) {
    if ((watch->wanted & CURL_POLL_IN) != 0 && !watch->read_armed) {
      watch->read_armed = true;
      wait(watch, fd, asio::posix::stream_descriptor::wait_read);
    }
    if ((watch->wanted & CURL_POLL_OUT) != 0 && !watch->write_armed) {
      watch->write_armed = true;
      wait(watch, fd, asio::posix::stream_descriptor::wait_write);
    }
  }

  void wait(const std::shared_ptr<SocketWatch>& watch, curl_socket_t fd,
            asio::posix::stream_descriptor::wait_type type) {
    watch->descriptor.async_wait(
        type, asio::bind_executor(strand_, [self = shared_from_this(), watch, fd,
                                            type](const boost::system::error_code& failure) {
          self->on_ready(watch, fd, type, failure);
        }));
  }

  void on_ready(const std::shared_ptr<SocketWatch>& watch, curl_socket_t fd,
                asio::posix::stream_descriptor::wait_type type,
                const boost::system::error_code& failure) {
    const bool reading = type == asio::posix::stream_descriptor::wait_read;
    (reading ? watch->read_armed : watch->write_armed) = false;
    if (watch->released || failure == asio::error::operation_aborted) return;
    const int direction = reading ? CURL_POLL_IN : CURL_POLL_OUT;
    if ((watch->wanted & direction) == 0) return;  // curl changed its mind meanwhile
    int events = reading ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
    if (failure) events = CURL_CSELECT_ERR;
    act(fd, events);
    if (!watch->released) arm(watch, fd);
  }

  // curl is done with `fd` (it calls this before closing it, or closes it through
  // on_close_socket): stop watching it.
  void forget(curl_socket_t fd) {
    auto node = sockets_.extract(fd);
    if (!node.empty() && node.mapped()) node.mapped()->release();
  }

  static int on_socket(CURL*, curl_socket_t fd, int what, void* impl_pointer, void*) {
    Impl& impl = *static_cast<Impl*>(impl_pointer);
    if (what == CURL_POLL_REMOVE) {
      impl.forget(fd);
      return 0;
    }
    try {
      std::shared_ptr<SocketWatch>& watch = impl.sockets_[fd];
      if (!watch) watch = std::make_shared<SocketWatch>(impl.strand_, fd);
      watch->wanted = what;
      impl.arm(watch, fd);
    } catch (const std::exception&) {
      // The socket could not be watched: the request ends when its timeout passes.
      impl.forget(fd);
    }
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* impl_pointer) {
    Impl& impl = *static_cast<Impl*>(impl_pointer);
    if (timeout_ms < 0) {
      impl.timer_.cancel();
      return 0;
    }
    // Never act from inside this callback: curl is in the middle of a call.
    impl.timer_.expires_after(milliseconds(timeout_ms));
    impl.timer_.async_wait(asio::bind_executor(
        impl.strand_, [self = impl.shared_from_this()](const boost::system::error_code& failure) {
          if (!failure) self->act(CURL_SOCKET_TIMEOUT, 0);
        }));
    return 0;
  }

  static int on_close_socket(void* impl_pointer, curl_socket_t fd) {
    static_cast<Impl*>(impl_pointer)->forget(fd);
    return ::close(fd);
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    Transfer& transfer = *static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    if (!transfer.take(bytes)) return 0;  // curl ends the transfer: CURLE_WRITE_ERROR
    try {
      const std::string_view line(data, bytes);
      if (line.starts_with("HTTP/")) {
        transfer.response.headers.clear();  // a new status line: an interim response is over
      } else if (const auto colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
        transfer.response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                               std::string(trim(line.substr(colon + 1))));
      }
    } catch (const std::exception&) {
      return 0;
    }
    return bytes;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    Transfer& transfer = *static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    if (!transfer.take(bytes)) return 0;
    try {
      transfer.response.body.append(data, bytes);
    } catch (const std::exception&) {
      return 0;
    }
    return bytes;
  }

  // The awaitable operation. It is not a coroutine itself: GCC 12 destroys a lambda temporary
  // inside a co_await expression twice, so the initiation is built out here.
  static asio::awaitable<HttpClientResponse> async_request(std::shared_ptr<Impl> impl,
                                                           HttpClientRequest request,
                                                           std::string description) {
    return asio::async_initiate<decltype(asio::use_awaitable),
                                void(std::exception_ptr, HttpClientResponse)>(
        [impl](auto handler, HttpClientRequest request, std::string description) {
          const std::uint64_t id = impl->next_id_.fetch_add(1, std::memory_order_relaxed);
          auto slot = asio::get_associated_cancellation_slot(handler);
          if (slot.is_connected()) slot.template emplace<CancelRequest>(impl, id);
          auto pending =
              redis::keep_until_complete<HttpClientResponse>(std::move(handler), impl->executor_);
          asio::post(impl->strand_, [impl, id, request = std::move(request),
                                     description = std::move(description),
                                     pending = std::move(pending)]() mutable {
            impl->submit(id, std::move(request), std::move(description), std::move(pending));
          });
        },
        asio::use_awaitable, std::move(request), std::move(description));
  }

  const asio::any_io_executor executor_;
  const Strand strand_;
  const Options options_;
  std::atomic<std::uint64_t> next_id_{0};

  CURLM* multi_ = nullptr;  // null once stopped
  asio::steady_timer timer_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets_;
};

HttpClient::HttpClient(asio::any_io_executor executor, Options options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() {
  // The Impl lives on in the posted handler until it has stopped on its strand.
  const Strand strand = impl_->strand_;
  asio::post(strand, [impl = std::move(impl_)] { impl->stop(); });
}

void HttpClient::stop() {
  asio::post(impl_->strand_, [impl = impl_] { impl->stop(); });
}

asio::awaitable<HttpClientResponse> HttpClient::request(HttpClientRequest request) {
  std::string description = describe_checked(request);
  co_return co_await Impl::async_request(impl_, std::move(request), std::move(description));
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  boost::urls::encoding_opts options;
  options.space_as_plus = true;
  std::string encoded;
  for (const auto& [name, value] : fields) {
    if (!encoded.empty()) encoded += '&';
    encoded += boost::urls::encode(name, boost::urls::unreserved_chars, options);
    encoded += '=';
    encoded += boost::urls::encode(value, boost::urls::unreserved_chars, options);
  }
  return encoded;
}

std::string url_with_query(std::string base,
                           const std::vector<std::pair<std::string, std::string>>& params) {
  auto parsed = boost::urls::parse_uri_reference(base);
  if (!parsed) throw std::invalid_argument("not an URL: " + parsed.error().message());
  if (params.empty()) return base;
  boost::urls::url url(*parsed);
  std::string query = form_encode(params);
  if (!url.encoded_query().empty()) query = std::string(url.encoded_query()) + "&" + query;
  url.set_encoded_query(query);
  return std::string(url.buffer());
}

}  // namespace frontdoor::net
