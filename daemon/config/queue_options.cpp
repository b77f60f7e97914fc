#include "daemon/config/queue_options.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include "daemon/routing/business_hours.hpp"
#include "i18n/language.hpp"

namespace frontdoor::config_queues {
namespace {

using Value = std::variant<std::string, std::int64_t, bool>;

enum class Kind { text, integer, flag };

// One key of a [queues.<name>] table.
struct QueueKey {
  std::string_view name;
  Kind kind = Kind::text;
  std::int64_t min = 0;  // integers: inclusive bounds
  std::int64_t max = 0;
  // Text: "" when acceptable, else what is wrong (completing "<key>: ...").
  std::string (*check)(std::string_view) = nullptr;
  bool list = false;  // text may also be an array of strings, joined with ','
  std::string_view allowed;
  std::string_view default_text;
  std::string_view doc;
  void (*set)(QueueDefinition&, const Value&);
};

std::string text_of(const Value& v) { return std::get<std::string>(v); }
int int_of(const Value& v) { return static_cast<int>(std::get<std::int64_t>(v)); }

std::string check_languages(std::string_view v) {
  for (const std::string& tag : split_list(v)) {
    if (i18n::canonical_tag(tag).empty()) return "'" + tag + "' is not a BCP 47 language tag";
  }
  return "";
}

std::string canonical_languages(std::string_view v) {
  std::string out;
  for (const std::string& tag : i18n::canonical_tags(v)) out += (out.empty() ? "" : ",") + tag;
  return out;
}

std::string check_hours(std::string_view v) {
  std::string error;
  return routing::BusinessHours::parse(v, "", error) ? "" : error;
}

std::string check_after_hours(std::string_view v) {
  return v == "queue" || v == "overflow" ? "" : "expected one of queue, overflow";
}

std::string check_queue_name(std::string_view v) {
  const bool ok = v.size() <= 64 && std::all_of(v.begin(), v.end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
                  });
  return ok ? "" : "expected empty, or a queue name (1 to 64 letters, digits, '_', '.' or '-')";
}

constexpr QueueKey kQueueKeys[] = {
    {.name = "languages",
     .check = check_languages,
     .list = true,
     .allowed = "comma-separated BCP 47 tags, or an array of them",
     .default_text = "(empty: every language)",
     .doc = "Languages the queue serves. A conversation in another language does not wait "
            "routing.language_wait_s for an agent who speaks it: any agent of the queue takes it "
            "at once and it is marked as needing an interpreter.",
     .set = [](QueueDefinition& q,
               const Value& v) { q.languages = canonical_languages(text_of(v)); }},
    {.name = "priority",
     .kind = Kind::integer,
     .min = 0,
     .max = 9,
     .allowed = "0..9",
     .default_text = "`5`",
     .doc = "Queues are routed in order of priority, higher first: an agent of two queues takes "
            "the higher one's conversations first.",
     .set = [](QueueDefinition& q, const Value& v) { q.priority = int_of(v); }},
    {.name = "hours",
     .check = check_hours,
     .allowed = "a weekly schedule such as \"mon-fri 08:00-18:00, sat 09:00-13:00\"",
     .default_text = "(empty: always open)",
     .doc = "Business hours in city.time_zone; city.holidays are closed. Outside them, residents "
            "are told when the queue opens and after_hours applies.",
     .set = [](QueueDefinition& q, const Value& v) { q.hours = text_of(v); }},
    {.name = "after_hours",
     .check = check_after_hours,
     .allowed = "`queue`, `overflow`",
     .default_text = "`queue`",
     .doc = "Outside business hours: queue keeps conversations waiting here (agents still on "
            "duty may take them); overflow moves them to overflow_to at once.",
     .set = [](QueueDefinition& q, const Value& v) { q.after_hours = text_of(v); }},
    {.name = "service_level_s",
     .kind = Kind::integer,
     .min = 1,
     .max = 86400,
     .allowed = "1..86400",
     .default_text = "routing.service_level_s",
     .doc = "The queue's service-level target: the share of conversations an agent had within "
            "this many seconds is its service level.",
     .set = [](QueueDefinition& q, const Value& v) { q.service_level_s = int_of(v); }},
    {.name = "language_wait_s",
     .kind = Kind::integer,
     .min = 0,
     .max = 3600,
     .allowed = "0..3600",
     .default_text = "routing.language_wait_s",
     .doc = "Seconds a conversation in a language the queue serves waits for an agent who speaks "
            "it before any agent of the queue takes it with an interpreter.",
     .set = [](QueueDefinition& q, const Value& v) { q.language_wait_s = int_of(v); }},
    {.name = "min_proficiency",
     .kind = Kind::integer,
     .min = 1,
     .max = 5,
     .allowed = "1..5",
     .default_text = "routing.min_proficiency",
     .doc = "The proficiency an agent needs in a resident's language to serve the queue's "
            "conversations in it without an interpreter.",
     .set = [](QueueDefinition& q, const Value& v) { q.min_proficiency = int_of(v); }},
    {.name = "overflow_to",
     .check = check_queue_name,
     .allowed = "empty, or a queue the configuration names",
     .default_text = "(empty)",
     .doc = "The queue conversations move to after overflow_after_s of waiting, or after hours "
            "with after_hours = \"overflow\".",
     .set = [](QueueDefinition& q, const Value& v) { q.overflow_to = text_of(v); }},
    {.name = "overflow_after_s",
     .kind = Kind::integer,
     .min = 0,
     .max = 86400,
     .allowed = "0..86400",
     .default_text = "`0`",
     .doc = "Seconds a conversation waits in this queue before it moves to overflow_to; 0 "
            "means it never moves for waiting.",
     .set = [](QueueDefinition& q, const Value& v) { q.overflow_after_s = int_of(v); }},
    {.name = "acknowledge",
     .kind = Kind::flag,
     .allowed = "`true`, `false`",
     .default_text = "conversations.acknowledge",
     .doc = "Tell the resident of a new conversation in this queue that it arrived, with its "
            "reference number and the expected wait, or when the queue opens.",
     .set = [](QueueDefinition& q, const Value& v) { q.acknowledge = std::get<bool>(v); }},
};

// The text of `node` for a text key: a string, or for a list key an array of strings without
// commas, joined with ','.
std::optional<std::string> text_value(const QueueKey& key, const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  const auto* array = node.as_array();
  if (array == nullptr || !key.list) return std::nullopt;
  std::string joined;
  for (const toml::node& element : *array) {
    const auto* word = element.as_string();
    if (word == nullptr || word->get().find(',') != std::string::npos) return std::nullopt;
    joined += (joined.empty() ? "" : ",") + word->get();
  }
  return joined;
}

// The value of `node` for `key`, or what is wrong with it.
std::variant<Value, std::string> value_for(const QueueKey& key, const toml::node& node) {
  switch (key.kind) {
    case Kind::integer:
      if (const auto* i = node.as_integer(); i && i->get() >= key.min && i->get() <= key.max) {
        return Value(i->get());
      }
      return "expected an integer in " + std::string(key.allowed);
    case Kind::flag:
      if (const auto* b = node.as_boolean()) return Value(b->get());
      return std::string("expected true or false");
    case Kind::text:
      break;
  }
  auto text = text_value(key, node);
  if (!text) return "expected " + std::string(key.allowed);
  if (std::string wrong = key.check(*text); !wrong.empty()) return wrong;
  return Value(std::move(*text));
}

std::vector<std::string> known_keys(const std::string& label) {
  std::vector<std::string> known;
  for (const QueueKey& k : kQueueKeys) known.push_back(label + "." + std::string(k.name));
  return known;
}

// Every queue the configuration names, sorted.
std::set<std::string> known_queues(const Config& c) {
  std::set<std::string> names{c.conversations.default_queue, c.webform.queue, c.webchat.queue,
                              c.sms.queue, c.email.queue};
  for (const auto& service : c.webform.services) {
    if (!service.queue.empty()) names.insert(service.queue);
  }
  for (const auto& [name, queue] : c.queues) names.insert(name);
  return names;
}

}  // namespace

void QueueReader::read(const toml::node& queues, Config& config, const Problem& problem) {
  const toml::table* table = queues.as_table();
  if (table == nullptr) {
    problem(queues.source(), "queues: got " + config_detail::value_text(queues) +
                                 "; expected tables [queues.<name>]");
    return;
  }
  for (const auto& [name_key, node] : *table) {
    const std::string name(name_key.str());
    const std::string label = "queues." + name;
    if (!check_queue_name(name).empty() || name.empty()) {
      problem(name_key.source(), label + ": '" + name +
                                     "' is not a queue name (1 to 64 letters, digits, '_', '.' "
                                     "or '-')");
      continue;
    }
    const toml::table* keys = node.as_table();
    if (keys == nullptr) {
      problem(node.source(), label + ": got " + config_detail::value_text(node) +
                                 "; expected a table [" + label + "]");
      continue;
    }
    QueueDefinition queue;
    for (const auto& [key_name, value] : *keys) {
      const std::string_view wanted = key_name.str();
      const std::string key_label = label + "." + std::string(wanted);
      const auto* key = std::find_if(std::begin(kQueueKeys), std::end(kQueueKeys),
                                     [wanted](const QueueKey& k) { return k.name == wanted; });
      if (key == std::end(kQueueKeys)) {
        problem(key_name.source(), "unknown key '" + key_label + "'" +
                                       config_detail::suggestion_for(key_label, known_keys(label)));
        continue;
      }
      auto result = value_for(*key, value);
      if (const auto* wrong = std::get_if<std::string>(&result)) {
        problem(value.source(),
                key_label + ": got " + config_detail::value_text(value) + "; " + *wrong);
        continue;
      }
      key->set(queue, std::get<Value>(result));
      if (key->name == "overflow_to") overflows_[name] = value.source();
    }
    tables_[name] = keys->source();
    const toml::source_position begin = keys->source().begin;
    config.origins[label] = (keys->source().path ? *keys->source().path : std::string()) + ":" +
                            std::to_string(begin.line) + ":" + std::to_string(begin.column);
    config.queues[name] = std::move(queue);
  }
}

void QueueReader::check(const Config& config, const Problem& problem) const {
  const std::set<std::string> known = known_queues(config);
  for (const auto& [name, queue] : config.queues) {
    const std::string label = "queues." + name;
    const auto table = tables_.find(name);
    if (table == tables_.end()) continue;
    const toml::source_region& at = overflows_.count(name) ? overflows_.at(name) : table->second;
    const bool after_hours_overflow = queue.after_hours == "overflow";
    if (queue.overflow_to.empty()) {
      if (after_hours_overflow) {
        problem(table->second, label + ": after_hours = \"overflow\" needs overflow_to");
      }
      if (queue.overflow_after_s > 0) {
        problem(table->second, label + ": overflow_after_s needs overflow_to");
      }
      continue;
    }
    if (queue.overflow_to == name) {
      problem(at, label + ".overflow_to: a queue cannot overflow to itself");
      continue;
    }
    if (!known.count(queue.overflow_to)) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
      problem(at, label + ".overflow_to: unknown queue '" + queue.overflow_to +
                      "' (the configuration names: " + names + ")");
      continue;
    }
    if (queue.overflow_after_s == 0 && !after_hours_overflow) {
      problem(at, label +
                      ".overflow_to: nothing sends conversations there: set overflow_after_s "
                      "or after_hours = \"overflow\"");
    }
    // Round in a circle: reported once, at the circle's first queue by name.
    std::vector<std::string> path{name};
    for (std::string next = queue.overflow_to; config.queues.count(next);) {
      path.push_back(next);
      if (next == name) break;
      if (std::count(path.begin(), path.end() - 1, next)) break;  // a circle elsewhere
      next = config.queues.at(next).overflow_to;
    }
    if (path.size() > 1 && path.back() == name &&
        *std::min_element(path.begin(), path.end()) == name) {
      std::string circle;
      for (const auto& q : path) circle += (circle.empty() ? "" : " -> ") + q;
      problem(at, label + ".overflow_to: conversations would go round in a circle: " + circle);
    }
  }
}

std::string queue_reference_markdown() {
  std::string out =
      "| key | type | default | allowed | meaning |\n"
      "|---|---|---|---|---|\n";
  for (const QueueKey& k : kQueueKeys) {
    const std::string_view type = k.kind == Kind::integer ? "integer"
                                  : k.kind == Kind::flag  ? "boolean"
                                                          : "string";
    out += "| `" + std::string(k.name) + "` | " + std::string(type) + " | " +
           std::string(k.default_text) + " | " + std::string(k.allowed) + " | " +
           std::string(k.doc) + " |\n";
  }
  return out;
}

}  // namespace frontdoor::config_queues
