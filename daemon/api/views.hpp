// How conversations and messages look to API clients (REST and the event stream alike).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/conversation_store.hpp"

namespace frontdoor::api {

// "2026-11-25T23:04:05.123Z" from milliseconds since the epoch (as a decimal string).
std::string iso_time(const std::string& epoch_ms);

// {id, status, queue, priority, origin_channel, reply_channel, language, language_name,
//  language_source, agent, interpreter, interpretation (requested | vendor_requested | active |
//  escalated | ended), needs_interpreter, contact{id, display_name}, subject, created_at,
//  updated_at, first_response_at, resolved_at, message_count, attributes{…}}.
// language_name is the language's name in `reader_language` (the reader's: "Somali" for "en",
// "Somalí" for "es"); null while the language is unknown.
boost::json::object conversation_view(const store::Fields& conversation,
                                      std::string_view reader_language);

// {id, direction, author, author_name, channel, text, language, created_at, interpretation_of?,
//  delivery?,
//  delivery_detail?, attachments?: [url, …], auto_submitted?, original?: {trimmed, text, raw}}.
// Files frontdoor keeps (a mail's attachments, its raw message) are given as API URLs under
// /api/v1/conversations/<conversation_id>/messages/<id>/, so only with `conversation_id`.
boost::json::object message_view(const std::string& id, const store::Fields& fields,
                                 const std::string& delivery,
                                 const std::string& conversation_id = {});

// {queue, waiting, longest_wait_s, agents_available, offered, answered, service_level,
//  service_level_target_s (the queue's target),
//  average_first_response_s, resolved, first_contact_resolution}: the ratios null until there
//  is something to divide by.
// A conversation's messages as read side by side (GET …/transcript): {entries}, each entry an
// original message with the interpretations of it ("interpretations", in order);
// an interpretation whose original is not among `messages` stands as an entry of its own.
boost::json::object transcript_view(const std::vector<store::Message>& messages,
                                    const std::string& conversation_id);

boost::json::object queue_view(const store::ConversationStore::QueueStats& stats);

// A kept file a message names ("attachments/ab/<sha256>?name=…&type=…", "mail/ab/<sha256>.eml"):
// its path under data_dir, and the name and type it came with. nullopt for anything else
// (an URL, a path that leaves data_dir).
struct KeptFile {
  std::string path;  // relative to data_dir
  std::string name, type;
};
std::optional<KeptFile> kept_file(const std::string& ref);

}  // namespace frontdoor::api
