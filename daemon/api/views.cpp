#include "daemon/api/views.hpp"

#include <boost/json/parse.hpp>

#include <charconv>
#include <ctime>

namespace frontdoor::api {

std::string iso_time(const std::string& epoch_ms) {
  long long ms = 0;
  auto [ptr, ec] = std::from_chars(epoch_ms.data(), epoch_ms.data() + epoch_ms.size(), ms);
  if (ec != std::errc() || epoch_ms.empty()) return {};
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

namespace {

boost::json::value string_or_null(const store::Fields& f, const std::string& name) {
  auto it = f.find(name);
  if (it == f.end() || it->second.empty()) return nullptr;
  return boost::json::value(it->second);
}

boost::json::value time_or_null(const store::Fields& f, const std::string& name) {
  auto it = f.find(name);
  if (it == f.end() || it->second.empty()) return nullptr;
  return boost::json::value(iso_time(it->second));
}

long long number(const store::Fields& f, const std::string& name) {
  auto it = f.find(name);
  long long v = 0;
  if (it != f.end()) std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return v;
}

}  // namespace

boost::json::object conversation_view(const store::Fields& c) {
  boost::json::object attributes;
  for (const auto& [k, v] : c) {
    if (k.starts_with("attr.")) attributes[k.substr(5)] = v;
  }
  return {
      {"id", string_or_null(c, "id")},
      {"status", string_or_null(c, "status")},
      {"queue", string_or_null(c, "queue")},
      {"priority", number(c, "priority")},
      {"origin_channel", string_or_null(c, "origin_channel")},
      {"reply_channel", string_or_null(c, "reply_channel")},
      {"language", string_or_null(c, "language")},
      {"language_source", string_or_null(c, "language_source")},
      {"agent", string_or_null(c, "agent")},
      {"contact",
       {{"id", string_or_null(c, "contact")}, {"display_name", string_or_null(c, "display_name")}}},
      {"subject", string_or_null(c, "subject")},
      {"created_at", time_or_null(c, "created_at")},
      {"updated_at", time_or_null(c, "updated_at")},
      {"first_response_at", time_or_null(c, "first_response_at")},
      {"resolved_at", time_or_null(c, "resolved_at")},
      {"message_count", number(c, "message_count")},
      {"attributes", std::move(attributes)},
  };
}

boost::json::object message_view(const std::string& id, const store::Fields& m,
                                 const std::string& delivery) {
  boost::json::object out{
      {"id", id},
      {"direction", string_or_null(m, "direction")},
      {"author", string_or_null(m, "author")},
      {"author_name", string_or_null(m, "author_name")},
      {"channel", string_or_null(m, "channel")},
      {"text", string_or_null(m, "text")},
      {"language", string_or_null(m, "language")},
      {"created_at", time_or_null(m, "created_at")},
  };
  if (!delivery.empty()) out["delivery"] = delivery;
  if (auto it = m.find("delivery_detail"); it != m.end() && !it->second.empty()) {
    out["delivery_detail"] = it->second;
  }
  // Media sent with the message (MMS), stored as a JSON array of URLs.
  if (auto it = m.find("attachments"); it != m.end() && it->second.size() > 2) {
    boost::system::error_code ec;
    auto urls = boost::json::parse(it->second, ec);
    if (!ec && urls.is_array()) out["attachments"] = urls;
  }
  return out;
}

}  // namespace frontdoor::api
