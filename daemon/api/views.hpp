// How conversations and messages look to API clients (REST and the event stream alike).
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "daemon/store/conversation_store.hpp"

namespace frontdoor::api {

// "2026-11-25T23:04:05.123Z" from milliseconds since the epoch (as a decimal string).
std::string iso_time(const std::string& epoch_ms);

// {id, status, queue, priority, origin_channel, reply_channel, language, language_source,
//  agent, contact{id, display_name}, subject, created_at, updated_at, first_response_at,
//  resolved_at, message_count, attributes{…}}
boost::json::object conversation_view(const store::Fields& conversation);

// {id, direction, author, author_name, channel, text, language, created_at, delivery?,
//  attachments?: [url, …]}
boost::json::object message_view(const std::string& id, const store::Fields& fields,
                                 const std::string& delivery);

}  // namespace frontdoor::api
