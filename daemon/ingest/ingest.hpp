// Ingest: the one door every resident message goes through (policy lives here, not in channels).
//
// Contract
//  1. accept() validates: text is valid UTF-8 (→ invalid_utf8), has no NUL or other C0 control
//     besides tab/newline/return (→ invalid_field), is not empty (→ missing_field) and is at
//     most max_text_chars code points (→ invalid_field); the address has a "kind:value" form
//     without spaces, and the idempotency key is valid UTF-8 of at most 200 bytes.
//     A refusal is an http::ApiError, counted in frontdoor_rejected_total{edge=<channel>}.
//  2. Text and display name are stored in NFC.
//  3. accept() returns after the store made the message durable; only then may the channel
//     answer "accepted". Redis being down is redis::RedisUnavailable: the channel answers
//     "try again later" and nothing is half-stored.
//  4. A duplicate (same channel + idempotency key) returns the first result, marked duplicate.
//  5. Every message gets a language, in the order of trust of i18n::LanguagePolicy (a stated
//     choice, a channel's hint, detection of the text; docs/languages.md): Inbound::language,
//     language_source and language_confidence are what the store receives. The store keeps a
//     conversation's language against anything but a new statement.
//  6. After a message is durable, the hook set with on_stored() sees it and the store's answer
//     (the acknowledgement of a new conversation starts there). The hook must not block; it is
//     set once, before any channel accepts messages.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>

#include "daemon/ingest/inbound.hpp"
#include "daemon/store/conversation_store.hpp"
#include "i18n/language_policy.hpp"

namespace frontdoor {

class Ingest {
 public:
  struct Limits {
    std::size_t max_text_chars = 10000;
    std::size_t max_name_chars = 200;
  };

  // `languages`: the city's languages and detection settings (config [i18n]); none by default,
  // so that only stated languages are kept.
  Ingest(store::ConversationStore& store, Limits limits,
         i18n::LanguageDetector::Settings languages = {});
  boost::asio::awaitable<IngestResult> accept(Inbound inbound);

  using StoredHook = std::function<void(const Inbound&, const IngestResult&)>;
  void on_stored(StoredHook hook) { stored_ = std::move(hook); }

  // The checks of rule 1 for one text field, returning its NFC form; for channels that must
  // validate before they build an Inbound.
  std::string checked_text(std::string_view channel, std::string_view field, std::string_view text,
                           std::size_t max_chars) const;

 private:
  store::ConversationStore& store_;
  Limits limits_;
  i18n::LanguagePolicy languages_;
  StoredHook stored_;
};

}  // namespace frontdoor
