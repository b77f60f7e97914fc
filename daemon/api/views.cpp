#include "daemon/api/views.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <ctime>
#include <map>

#include "i18n/language.hpp"

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

boost::json::value language_name(const store::Fields& c, std::string_view reader_language) {
  auto it = c.find("language");
  if (it == c.end() || it->second.empty()) return nullptr;
  std::string name = i18n::display_name(it->second, reader_language);
  if (name.empty()) return nullptr;
  return boost::json::value(std::move(name));
}

}  // namespace

boost::json::object conversation_view(const store::Fields& c, std::string_view reader_language) {
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
      {"language_name", language_name(c, reader_language)},
      {"language_source", string_or_null(c, "language_source")},
      {"agent", string_or_null(c, "agent")},
      {"interpreter", string_or_null(c, "interpreter")},
      {"interpretation", string_or_null(c, "interpretation")},
      {"needs_interpreter", string_or_null(c, "needs_interpreter")},
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

boost::json::object queue_view(const store::ConversationStore::QueueStats& stats) {
  auto count = [&](const char* name) -> long long {
    auto it = stats.counters.find(name);
    return it == stats.counters.end() ? 0 : std::atoll(it->second.c_str());
  };
  auto ratio = [](long long part, long long whole) -> boost::json::value {
    if (whole == 0) return nullptr;
    return static_cast<double>(part) / static_cast<double>(whole);
  };
  boost::json::value first_response = nullptr;
  if (count("first_responses") > 0) {
    first_response = static_cast<double>(count("first_response_ms")) / 1000.0 /
                     static_cast<double>(count("first_responses"));
  }
  return {{"queue", stats.queue},
          {"waiting", stats.waiting},
          {"longest_wait_s", static_cast<double>(stats.longest_wait_ms) / 1000.0},
          {"agents_available", stats.agents_available},
          {"offered", count("offered")},
          {"answered", count("answered")},
          {"service_level", ratio(count("answered_in_target"), count("answered"))},
          {"service_level_target_s", static_cast<double>(stats.service_level_ms) / 1000.0},
          {"average_first_response_s", first_response},
          {"resolved", count("resolved")},
          {"first_contact_resolution", ratio(count("resolved_first_contact"), count("resolved"))}};
}

std::optional<KeptFile> kept_file(const std::string& ref) {
  const std::string_view view(ref);
  const auto query = view.find('?');
  const std::string_view path = view.substr(0, query);
  // "<dir>/<2 hex>/<64 hex><suffix>": nothing else is ever written by the channels.
  std::string_view dir = path.starts_with("attachments/") ? "attachments/"
                         : path.starts_with("mail/")      ? "mail/"
                                                          : "";
  if (dir.empty()) return std::nullopt;
  std::string_view rest = path.substr(dir.size());
  const std::string_view suffix = dir == "mail/" ? ".eml" : "";
  auto hex = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  };
  if (rest.size() != 2 + 1 + 64 + suffix.size() || rest[2] != '/' || !hex(rest.substr(0, 2)) ||
      !hex(rest.substr(3, 64)) || rest.substr(3, 2) != rest.substr(0, 2) ||
      rest.substr(67) != suffix) {
    return std::nullopt;
  }
  KeptFile file{std::string(path), {}, {}};
  if (query != std::string_view::npos) {
    // Form-encoded (space as '+'), as the channel wrote it.
    if (auto url = boost::urls::parse_uri_reference(view.substr(query))) {
      boost::urls::encoding_opts form;
      form.space_as_plus = true;
      for (auto param : url->params(form)) {
        if (param.key == "name") file.name = param.value;
        if (param.key == "type") file.type = param.value;
      }
    }
  }
  return file;
}

boost::json::object message_view(const std::string& id, const store::Fields& m,
                                 const std::string& delivery, const std::string& conversation_id) {
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
  if (auto it = m.find("interpretation_of"); it != m.end() && !it->second.empty()) {
    out["interpretation_of"] = it->second;
  }
  // The hub's own notices (author "system"): which template the text came from.
  if (auto it = m.find("template"); it != m.end() && !it->second.empty()) {
    out["template"] = it->second;
  }
  if (!delivery.empty()) out["delivery"] = delivery;
  if (auto it = m.find("delivery_detail"); it != m.end() && !it->second.empty()) {
    out["delivery_detail"] = it->second;
  }
  const std::string base =
      conversation_id.empty() ? "" : "/api/v1/conversations/" + conversation_id + "/messages/" + id;
  // Media sent with the message: URLs (MMS), or files kept under data_dir (a mail's
  // attachments), given as API URLs.
  if (auto it = m.find("attachments"); it != m.end() && it->second.size() > 2) {
    boost::system::error_code ec;
    auto refs = boost::json::parse(it->second, ec);
    if (!ec && refs.is_array()) {
      boost::json::array urls;
      std::size_t index = 0;
      for (const auto& ref : refs.as_array()) {
        if (!ref.is_string()) continue;
        std::string text(ref.as_string());
        if (text.starts_with("http://") || text.starts_with("https://")) {
          urls.emplace_back(text);
        } else if (!base.empty() && kept_file(text)) {
          urls.emplace_back(base + "/attachments/" + std::to_string(index));
        }
        ++index;
      }
      out["attachments"] = std::move(urls);
    }
  }
  if (auto it = m.find("auto_submitted"); it != m.end() && !it->second.empty()) {
    out["auto_submitted"] = it->second;
  }
  // The whole of what arrived, when the text shown is a part of it (a mail: quotes and
  // signature trimmed, or shortened).
  if (auto raw = m.find("raw"); raw != m.end() && !base.empty()) {
    out["original"] = {
        {"trimmed", m.count("full_text") > 0}, {"text", base + "/full"}, {"raw", base + "/raw"}};
  }
  return out;
}

boost::json::object transcript_view(const std::vector<store::Message>& messages,
                                    const std::string& conversation_id) {
  boost::json::array entries;
  std::map<std::string, std::size_t> entry_of;  // original message id → its entry
  for (const auto& m : messages) {
    auto view = message_view(m.id, m.fields, m.delivery, conversation_id);
    auto of = m.fields.find("interpretation_of");
    if (of != m.fields.end() && !of->second.empty()) {
      if (auto it = entry_of.find(of->second); it != entry_of.end()) {
        entries[it->second].as_object()["interpretations"].as_array().push_back(std::move(view));
        continue;
      }
    }
    entry_of[m.id] = entries.size();
    entries.push_back(boost::json::object{{"message", std::move(view)},
                                          {"interpretations", boost::json::array{}}});
  }
  return {{"entries", std::move(entries)}};
}

}  // namespace frontdoor::api
