#include "channels/email/imap_poller.hpp"

#include <unistd.h>
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstdio>

#include "daemon/crypto/tokens.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/net/http_client.hpp"
#include "daemon/store/conversation_store.hpp"

namespace frontdoor::email {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kBatch = 200;  // messages per folder and poll; the next poll goes on
constexpr int kCursorTtlS = 10 * 365 * 24 * 3600;

std::optional<std::uint32_t> number_after(std::string_view text, std::string_view word) {
  for (std::size_t at = text.find(word); at != std::string_view::npos;
       at = text.find(word, at + 1)) {
    // A whole word, upper case as servers write it, followed by a space and digits.
    if (at > 0 && std::isalnum(static_cast<unsigned char>(text[at - 1]))) continue;
    std::size_t digits = at + word.size();
    if (digits >= text.size() || text[digits] != ' ') continue;
    std::uint32_t value = 0;
    auto [end, error] = std::from_chars(text.data() + digits + 1, text.data() + text.size(), value);
    if (error == std::errc()) return value;
  }
  return std::nullopt;
}

// This instance in the leases: the same after a restart, so a crashed instance's own lease
// does not keep it waiting; distinct between instances (one host cannot bind one listen twice).
std::string instance_name(const Config::Email& config) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "/" + config.listen;
}

metrics::Counter& polled(const std::string& outcome) {
  return metrics::registry().counter("frontdoor_imap_messages_total",
                                     "Messages fetched from IMAP folders, by what became of them.",
                                     {{"outcome", outcome}});
}

}  // namespace

std::optional<FolderStatus> parse_status(std::string_view untagged) {
  auto validity = number_after(untagged, "UIDVALIDITY");
  if (!validity || *validity == 0) return std::nullopt;
  return FolderStatus{*validity, number_after(untagged, "UIDNEXT").value_or(0)};
}

std::vector<std::uint32_t> parse_search(std::string_view untagged) {
  std::vector<std::uint32_t> uids;
  for (std::size_t line = untagged.find("* SEARCH"); line != std::string_view::npos;
       line = untagged.find("* SEARCH", line + 1)) {
    std::size_t at = line + 8;
    const std::size_t end = std::min(untagged.find('\n', at), untagged.size());
    while (at < end) {
      while (at < end && untagged[at] == ' ') ++at;
      std::uint32_t uid = 0;
      auto [next, error] = std::from_chars(untagged.data() + at, untagged.data() + end, uid);
      if (error != std::errc()) break;
      if (uid > 0) uids.push_back(uid);
      at = static_cast<std::size_t>(next - untagged.data());
    }
  }
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  return uids;
}

std::string quoted_folder(std::string_view folder) {
  return "\"" + std::string(folder) + "\"";  // the configuration admits no quote or backslash
}

std::string url_folder(std::string_view folder) {
  std::string out;
  for (unsigned char c : folder) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

struct ImapPoller::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, const Config::Email& config, net::HttpClient& http,
       store::ConversationStore& store, MailSink& sink)
      : config(config),
        http(http),
        store(store),
        sink(sink),
        timer(asio::make_strand(executor)),
        owner(instance_name(config)),
        folders(split_list(config.imap_folders)) {}

  const Config::Email& config;
  net::HttpClient& http;
  store::ConversationStore& store;
  MailSink& sink;
  asio::steady_timer timer;  // on a strand: the poll and stop() never run at once
  const std::string owner;   // this instance, in the leases
  const std::vector<std::string> folders;
  bool stopped = false;

  asio::awaitable<void> run() {
    auto keep = shared_from_this();
    while (!stopped) {
      for (const auto& folder : folders) {
        try {
          co_await poll(folder);
        } catch (const std::exception& e) {
          metrics::registry()
              .counter("frontdoor_imap_poll_failures_total",
                       "IMAP polls that ended early (server, login or store unavailable).")
              .inc();
          log::warn("imap_poll_failed", {{"folder", folder}, {"error", e.what()}});
        }
        if (stopped) co_return;
      }
      timer.expires_after(std::chrono::seconds(config.imap_poll_s));
      boost::system::error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

  // One IMAP command (or a fetch when `command` is "GET") against `url`; the untagged answer.
  asio::awaitable<std::string> imap(std::string url, std::string command,
                                    std::size_t max_bytes = 0) {
    net::HttpClientRequest request;
    request.url = std::move(url);
    request.method = std::move(command);
    request.basic_auth_user = config.imap_username;
    request.basic_auth_password = config.imap_password;
    request.require_tls = config.imap_require_tls;
    request.timeout = std::chrono::seconds(120);
    request.connect_timeout = std::chrono::seconds(15);
    request.max_response_bytes = max_bytes;
    net::HttpClientResponse response = co_await http.request(std::move(request));
    co_return std::move(response.body);
  }

  asio::awaitable<void> poll(const std::string& folder) {
    const std::string key =
        crypto::sha256_hex(config.imap_url + "\n" + config.imap_username + "\n" + folder)
            .substr(0, 24);
    const std::string lease = "imap:" + key;
    const long long lease_ms = std::max(60, config.imap_poll_s * 3) * 1000LL;
    if (!co_await store.hold_lease(lease, owner, lease_ms)) co_return;

    std::string answer = co_await imap(
        config.imap_url + "/", "STATUS " + quoted_folder(folder) + " (UIDVALIDITY UIDNEXT)");
    auto status = parse_status(answer);
    if (!status) throw std::runtime_error("the server's STATUS answer gives no UIDVALIDITY");

    store::Fields cursor = co_await store.get_session("email-imap", key);
    const std::string validity = std::to_string(status->uidvalidity);
    std::uint32_t last = 0;
    if (cursor["uidvalidity"] == validity) {
      std::from_chars(cursor["last_uid"].data(),
                      cursor["last_uid"].data() + cursor["last_uid"].size(), last);
    } else {
      if (!cursor["uidvalidity"].empty()) {
        log::warn("imap_uidvalidity_changed", {{"folder", folder}});
      }
      co_await save(key, validity, 0);
    }
    if (status->uidnext != 0 && status->uidnext <= last + 1) co_return;  // nothing new

    const std::string folder_url =
        config.imap_url + "/" + url_folder(folder) + ";UIDVALIDITY=" + validity;
    std::string found =
        co_await imap(folder_url, "UID SEARCH UID " + std::to_string(last + 1) + ":*");
    std::vector<std::uint32_t> uids = parse_search(found);
    std::erase_if(uids, [last](std::uint32_t uid) { return uid <= last; });
    if (uids.size() > kBatch) uids.resize(kBatch);

    for (std::uint32_t uid : uids) {
      if (stopped || !co_await store.hold_lease(lease, owner, lease_ms)) co_return;
      if (!co_await take(folder, folder_url, uid)) co_return;
      co_await save(key, validity, uid);
      co_await after(folder_url, uid);
    }
  }

  // Fetches message `uid` and hands it to the sink; false when the poll must stop here (the
  // store is unavailable: the next poll starts again at this message).
  asio::awaitable<bool> take(const std::string& folder, const std::string& folder_url,
                             std::uint32_t uid) {
    const std::string uid_text = std::to_string(uid);
    std::string raw;
    try {
      raw = co_await imap(folder_url + "/;UID=" + uid_text, "GET", config.max_message_bytes);
    } catch (const net::HttpClientError& e) {
      if (e.kind() != net::HttpClientError::Kind::protocol) throw;
      // Over the size limit: left in the folder for a person to read.
      metrics::rejected("imap", "too_large").inc();
      polled("too_large").inc();
      log::warn("imap_message_too_large", {{"folder", folder}, {"uid", uid_text}});
      co_return true;
    }
    Envelope envelope;
    envelope.recipients = {config.from_address};
    envelope.peer = "imap";
    DeliveryAnswer answer = co_await sink.deliver(std::move(envelope), std::move(raw));
    switch (answer.kind) {
      case DeliveryAnswer::Kind::try_later:
        polled("deferred").inc();
        log::warn("imap_store_unavailable", {{"folder", folder}, {"uid", uid_text}});
        co_return false;
      case DeliveryAnswer::Kind::refused:
        metrics::rejected("imap", "refused").inc();
        polled("refused").inc();
        log::warn("imap_message_refused",
                  {{"folder", folder}, {"uid", uid_text}, {"reason", answer.text}});
        co_return true;
      case DeliveryAnswer::Kind::accepted:
        polled("stored").inc();
        log::info("imap_message_stored", {{"folder", folder}, {"uid", uid_text}});
        co_return true;
    }
    co_return true;
  }

  asio::awaitable<void> save(const std::string& key, const std::string& validity,
                             std::uint32_t last) {
    store::Fields cursor{{"uidvalidity", validity}, {"last_uid", std::to_string(last)}};
    co_await store.put_session("email-imap", key, cursor, kCursorTtlS);
  }

  asio::awaitable<void> after(const std::string& folder_url, std::uint32_t uid) {
    const std::string uid_text = std::to_string(uid);
    std::string command;
    if (config.imap_after == "seen") command = "UID STORE " + uid_text + " +FLAGS.SILENT (\\Seen)";
    if (config.imap_after == "move") {
      command = "UID MOVE " + uid_text + " " + quoted_folder(config.imap_move_to);
    }
    if (command.empty()) co_return;
    try {
      co_await imap(folder_url, command);
      co_return;
    } catch (const std::exception& e) {
      if (config.imap_after != "move") {
        log::warn("imap_after_failed", {{"uid", uid_text}, {"error", e.what()}});
        co_return;
      }
    }
    // The folder to move to may not exist yet: create it (once) and move again.
    try {
      co_await imap(config.imap_url + "/", "CREATE " + quoted_folder(config.imap_move_to));
    } catch (const std::exception&) {
      // It may exist after all; the second MOVE tells.
    }
    try {
      co_await imap(folder_url, command);
    } catch (const std::exception& e) {
      log::warn("imap_after_failed", {{"uid", uid_text}, {"error", e.what()}});
    }
  }
};

ImapPoller::ImapPoller(asio::any_io_executor executor, const Config::Email& config,
                       net::HttpClient& http, store::ConversationStore& store, MailSink& sink)
    : impl_(std::make_shared<Impl>(std::move(executor), config, http, store, sink)) {}

ImapPoller::~ImapPoller() { stop(); }

void ImapPoller::start() {
  asio::co_spawn(impl_->timer.get_executor(), impl_->run(), asio::detached);
}

void ImapPoller::stop() {
  asio::post(impl_->timer.get_executor(), [impl = impl_] {
    impl->stopped = true;
    impl->timer.cancel();
  });
}

}  // namespace frontdoor::email
