// Structured logs: one JSON object per line on stderr, {"ts","level","event",...fields}.
//
// Fields carry identities (conversation, channel, provider id, agent), never message bodies,
// phone numbers or addresses at info level or above. The level is checked before anything is
// formatted.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace frontdoor::log {

enum class Level { trace, debug, info, warn, error };

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

void init(const std::string& level);  // "trace" … "error"
bool enabled(Level level);
void write(Level level, std::string_view event, Fields fields);

inline void debug(std::string_view event, Fields fields = {}) {
  if (enabled(Level::debug)) write(Level::debug, event, fields);
}
inline void info(std::string_view event, Fields fields = {}) {
  if (enabled(Level::info)) write(Level::info, event, fields);
}
inline void warn(std::string_view event, Fields fields = {}) {
  if (enabled(Level::warn)) write(Level::warn, event, fields);
}
inline void error(std::string_view event, Fields fields = {}) {
  if (enabled(Level::error)) write(Level::error, event, fields);
}

}  // namespace frontdoor::log
