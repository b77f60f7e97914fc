// What a channel hands to ingest: one message from a resident, already decoded from the
// channel's protocol. Channels never touch Redis keys; this value is all they say.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace frontdoor {

struct Inbound {
  std::string channel;       // registered channel name: "webchat", "webform", …
  std::string address;       // the resident's identity, "kind:value": "chat:9f2c…",
                             // "email:ana@example.org", "phone:+15035550100", "anon:<id>"
  std::string display_name;  // as the resident gave it; may be empty
  std::string text;          // UTF-8 (ingest validates and NFC-normalizes it)
  std::string subject;
  std::string idempotency_key;    // the provider's id for this message; empty = none
  std::string conversation_hint;  // append to this conversation (chat token, mail thread)
  bool new_conversation = false;  // always open a new conversation (one Open311 request)
  std::string language;           // BCP 47, or a header's list of them; may be empty
  bool language_stated = false;   // the resident chose it (wins over any guess)
  // Set by ingest (i18n::LanguagePolicy), which also replaces `language` with the one decided:
  // how it was decided ("stated", "selected", "hint", "detected"; "" = unknown: ARGV 10 of
  // ingest.lua) and, for a detection, its confidence ("0.87"; "" otherwise).
  std::string language_source;
  std::string language_confidence;
  std::string queue;                              // empty = the default queue
  int priority = 0;                               // 0..9, higher first
  std::map<std::string, std::string> attributes;  // channel facts kept on the conversation
  std::vector<std::string> attachments;           // URLs of media sent with the message (MMS)
  bool passive = false;  // automatic (an auto-reply): recorded, but it moves nothing
  std::map<std::string, std::string> message_fields;  // more facts kept on this message only
                                                      // (an email's full text, auto_submitted)
};

struct IngestResult {
  std::string contact_id;
  std::string conversation_id;
  std::string message_id;
  std::string status;
  bool duplicate = false;  // the provider sent it before; nothing changed
  bool created = false;    // a new conversation was opened
};

}  // namespace frontdoor
