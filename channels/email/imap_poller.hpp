// Polling hosted mailboxes over IMAP (RFC 9051) through the shared curl engine, for cities whose
// 311 address lives at a mail host that cannot deliver to the SMTP receiver.
//
// Contract
//  1. Every folder keeps a cursor {UIDVALIDITY, last UID stored} in the store. A poll asks the
//     folder's STATUS, then `UID SEARCH UID <last+1>:*`: new mail is found by UID, never by
//     \Seen or \Recent, so a message someone read in webmail before the poll is still taken.
//  2. Messages are fetched in UID order and handed to the sink one at a time; the cursor moves
//     past a message only once the sink stored it (or refused it for good), and before the
//     message is flagged or moved. A restart between any two steps resumes at the first message
//     not yet stored: nothing is missed, and a message fetched twice is one message (the sink
//     deduplicates by Message-ID).
//  3. A changed UIDVALIDITY (the folder was recreated) restarts the folder from UID 1; mail
//     already stored is recognised by its Message-ID and not stored again.
//  4. While the store is unavailable (the sink says try_later) the poll stops and the next one
//     starts again at the same message. A message larger than max_message_bytes is left in the
//     folder untouched, logged and counted (frontdoor_rejected_total{edge="imap"}), and skipped.
//  5. One instance polls a folder at a time: a poll holds a lease in the store, renewed before
//     every message. The lease is named after the host and the receiver's listen address, so
//     an instance restarted after a crash takes its own lease back at once.
//  6. After a message is stored it is flagged \Seen, moved to imap_move_to, or kept as it was
//     (channels.email.imap_after). A failure to flag or move is logged; the cursor has already
//     moved, so it is never stored twice.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/email/smtp_receiver.hpp"
#include "daemon/config/config.hpp"

namespace frontdoor {
namespace net {
class HttpClient;
}
namespace store {
class ConversationStore;
}
}  // namespace frontdoor

namespace frontdoor::email {

class ImapPoller {
 public:
  ImapPoller(boost::asio::any_io_executor executor, const Config::Email& config,
             net::HttpClient& http, store::ConversationStore& store, MailSink& sink);
  ~ImapPoller();
  void start();  // polls at once, then every imap_poll_s
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// What a STATUS answer says of a folder ("* STATUS INBOX (UIDVALIDITY 7 UIDNEXT 12)").
struct FolderStatus {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 0;  // 0 when the server did not say
};
std::optional<FolderStatus> parse_status(std::string_view untagged);

// The UIDs of a SEARCH answer ("* SEARCH 3 4 9"), sorted, without duplicates.
std::vector<std::uint32_t> parse_search(std::string_view untagged);

// A folder name as an IMAP quoted string and as an URL path segment (RFC 5092).
std::string quoted_folder(std::string_view folder);
std::string url_folder(std::string_view folder);

}  // namespace frontdoor::email
