#include "daemon/store/conversation_store.hpp"

#include <boost/json.hpp>
#include <map>
#include <string_view>

namespace frontdoor::store {

namespace lua {
extern const std::string_view common, ingest, append, set_status, assign, delivery, list,
    session_put, consent, outbox, route, presence, liveness, transfer, notice, interpret;
}

namespace {

using redis::RedisReply;
using redis::Script;

// Each script is loaded with the shared helpers in front of it.
Script make(std::string_view name, std::string_view body) {
  return Script(std::string(name), std::string(lua::common) + "\n" + std::string(body));
}

const Script& ingest_script() {
  static const Script s = make("ingest", lua::ingest);
  return s;
}
const Script& append_script() {
  static const Script s = make("append", lua::append);
  return s;
}
const Script& status_script() {
  static const Script s = make("set_status", lua::set_status);
  return s;
}
const Script& assign_script() {
  static const Script s = make("assign", lua::assign);
  return s;
}
const Script& delivery_script() {
  static const Script s = make("delivery", lua::delivery);
  return s;
}
const Script& consent_script() {
  static const Script s = make("consent", lua::consent);
  return s;
}
const Script& session_put_script() {
  static const Script s = make("session_put", lua::session_put);
  return s;
}
const Script& outbox_script() {
  static const Script s = make("outbox", lua::outbox);
  return s;
}
const Script& route_script() {
  static const Script s = make("route", lua::route);
  return s;
}
const Script& presence_script() {
  static const Script s = make("presence", lua::presence);
  return s;
}
const Script& liveness_script() {
  static const Script s = make("liveness", lua::liveness);
  return s;
}
const Script& transfer_script() {
  static const Script s = make("transfer", lua::transfer);
  return s;
}
const Script& interpret_script() {
  static const Script s = make("interpret", lua::interpret);
  return s;
}
const Script& notice_script() {
  static const Script s = make("notice", lua::notice);
  return s;
}
const Script& list_script() {
  static const Script s = make("list", lua::list);
  return s;
}

// Script arguments as strings (a function, not a braced list: GCC 12 miscompiles braced
// lists inside co_await expressions).
template <class... A>
std::vector<std::string> args(A&&... a) {
  return {std::string(std::forward<A>(a))...};
}

std::string element(const RedisReply& reply, std::size_t i) {
  if (i >= reply.elements.size()) return {};
  const auto& e = reply.elements[i];
  return e.type == RedisReply::Type::Integer ? std::to_string(e.integer) : e.str;
}

// ARGV 10 of ingest.lua: what ingest decided, else (an Inbound that did not go through Ingest)
// "stated" for a stated language and "detected" for any other.
std::string language_source(const Inbound& in) {
  if (in.language.empty()) return {};
  if (!in.language_source.empty()) return in.language_source;
  return in.language_stated ? "stated" : "detected";
}

}  // namespace

Fields to_fields(const RedisReply& flat) {
  Fields out;
  for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
    out[flat.elements[i].str] = flat.elements[i + 1].str;
  }
  return out;
}

ConversationStore::ConversationStore(redis::RedisClient& redis, Settings settings)
    : redis_(redis), settings_(std::move(settings)) {}

boost::asio::awaitable<RedisReply> ConversationStore::run(const Script& s,
                                                          std::vector<std::string> args) {
  RedisReply reply = co_await redis_.eval(s, std::vector<std::string>(), std::move(args));
  if (reply.is_error()) {
    std::string_view text = reply.str;
    // Script errors read "<kind> <message>"; Redis may prefix "ERR ".
    if (text.starts_with("ERR ")) text.remove_prefix(4);
    if (text.starts_with("not_found ")) {
      throw StoreError(StoreError::Kind::not_found, std::string(text.substr(10)));
    }
    if (text.starts_with("conflict ")) {
      throw StoreError(StoreError::Kind::conflict, std::string(text.substr(9)));
    }
    if (text.starts_with("invalid ")) {
      throw StoreError(StoreError::Kind::invalid, std::string(text.substr(8)));
    }
    throw std::runtime_error("script " + s.name() + " failed: " + reply.str);
  }
  co_return reply;
}

boost::asio::awaitable<IngestResult> ConversationStore::ingest(const Inbound& in) {
  boost::json::object attributes;
  for (const auto& [k, v] : in.attributes) attributes[k] = v;
  boost::json::array attachments;
  for (const auto& url : in.attachments) attachments.emplace_back(url);
  boost::json::object message_fields;
  for (const auto& [k, v] : in.message_fields) message_fields[k] = v;
  RedisReply reply = co_await run(
      ingest_script(),
      args(in.channel, in.address, in.display_name, in.text, in.subject, in.idempotency_key,
           in.conversation_hint, in.new_conversation ? "1" : "0", in.language, language_source(in),
           in.queue.empty() ? settings_.default_queue : in.queue, std::to_string(in.priority),
           boost::json::serialize(attributes), std::to_string(settings_.dedup_ttl_s),
           std::to_string(settings_.events_maxlen), boost::json::serialize(attachments),
           boost::json::serialize(message_fields), in.passive ? "1" : "0",
           in.language.empty() ? "" : in.language_confidence));
  IngestResult result;
  result.contact_id = element(reply, 0);
  result.conversation_id = element(reply, 1);
  result.message_id = element(reply, 2);
  result.duplicate = element(reply, 3) == "1";
  result.created = element(reply, 4) == "1";
  result.status = element(reply, 5);
  co_return result;
}

boost::asio::awaitable<std::optional<Fields>> ConversationStore::conversation(
    const std::string& id) {
  RedisReply reply = co_await redis_.call("HGETALL", "conv:{" + id + "}");
  if (reply.elements.empty()) co_return std::nullopt;
  co_return to_fields(reply);
}

boost::asio::awaitable<std::string> ConversationStore::contact_of(const std::string& address) {
  RedisReply found = co_await redis_.call("GET", "ident:" + address);
  co_return found.type == RedisReply::Type::String ? found.str : std::string();
}

boost::asio::awaitable<std::optional<Message>> ConversationStore::message(
    const std::string& conversation_id, const std::string& message_id) {
  if (message_id.empty() || message_id.find_first_not_of("0123456789-") != std::string::npos ||
      message_id.find('-') == std::string::npos) {
    co_return std::nullopt;
  }
  std::string key = "conv:{" + conversation_id + "}";
  RedisReply entries = co_await redis_.call("XRANGE", key + ":msgs", message_id, message_id);
  if (entries.elements.empty() || entries.elements[0].elements.size() < 2) co_return std::nullopt;
  Message m{entries.elements[0].elements[0].str, to_fields(entries.elements[0].elements[1]), {}};
  RedisReply delivery =
      co_await redis_.call("HMGET", key + ":delivery", message_id, message_id + ":detail");
  if (delivery.elements.size() == 2) {
    m.delivery = delivery.elements[0].str;
    if (!delivery.elements[1].str.empty()) m.fields["delivery_detail"] = delivery.elements[1].str;
  }
  co_return m;
}

boost::asio::awaitable<std::vector<Message>> ConversationStore::messages(const std::string& id,
                                                                         const std::string& after,
                                                                         int count) {
  std::string key = "conv:{" + id + "}";
  RedisReply entries =
      co_await redis_.call("XRANGE", key + ":msgs", after.empty() ? "-" : "(" + after, "+", "COUNT",
                           std::to_string(count));
  RedisReply delivery = co_await redis_.call("HGETALL", key + ":delivery");
  Fields deliveries = to_fields(delivery);
  std::vector<Message> out;
  for (const auto& entry : entries.elements) {
    if (entry.elements.size() < 2) continue;
    Message m{entry.elements[0].str, to_fields(entry.elements[1]), {}};
    if (auto it = deliveries.find(m.id); it != deliveries.end()) m.delivery = it->second;
    if (auto it = deliveries.find(m.id + ":detail"); it != deliveries.end()) {
      m.fields["delivery_detail"] = it->second;
    }
    out.push_back(std::move(m));
  }
  co_return out;
}

boost::asio::awaitable<void> ConversationStore::set_consent(const std::string& address,
                                                            bool opted_out,
                                                            const std::string& keyword,
                                                            const std::string& channel) {
  co_await run(consent_script(), args(address, opted_out ? "opted_out" : "opted_in", keyword,
                                      channel, std::to_string(settings_.events_maxlen)));
}

boost::asio::awaitable<bool> ConversationStore::opted_out(const std::string& address) {
  RedisReply state = co_await redis_.call("HGET", "consent:" + address, "state");
  co_return state.str == "opted_out";
}

boost::asio::awaitable<void> ConversationStore::remember_provider_id(
    const std::string& channel, const std::string& provider_id, const std::string& conversation_id,
    const std::string& message_id, int ttl_s) {
  co_await redis_.call("SET", "provider_msg:" + channel + ":" + provider_id,
                       conversation_id + " " + message_id, "EX",
                       std::to_string(ttl_s > 0 ? ttl_s : settings_.dedup_ttl_s));
}

boost::asio::awaitable<std::optional<std::pair<std::string, std::string>>>
ConversationStore::find_provider_id(const std::string& channel, const std::string& provider_id) {
  RedisReply found = co_await redis_.call("GET", "provider_msg:" + channel + ":" + provider_id);
  auto space = found.str.find(' ');
  if (found.type != RedisReply::Type::String || space == std::string::npos) co_return std::nullopt;
  co_return std::pair{found.str.substr(0, space), found.str.substr(space + 1)};
}

boost::asio::awaitable<void> ConversationStore::put_session(const std::string& channel,
                                                            const std::string& id,
                                                            const Fields& fields, int ttl_s) {
  std::vector<std::string> argv{"channel_session:" + channel + ":" + id, std::to_string(ttl_s)};
  for (const auto& [k, v] : fields) {
    argv.push_back(k);
    argv.push_back(v);
  }
  co_await run(session_put_script(), std::move(argv));
}

boost::asio::awaitable<Fields> ConversationStore::get_session(const std::string& channel,
                                                              const std::string& id) {
  co_return to_fields(co_await redis_.call("HGETALL", "channel_session:" + channel + ":" + id));
}

boost::asio::awaitable<bool> ConversationStore::hold_lease(const std::string& name,
                                                           const std::string& owner,
                                                           long long ttl_ms) {
  const std::string key = "lease:" + name, ttl = std::to_string(ttl_ms);
  RedisReply taken = co_await redis_.call("SET", key, owner, "NX", "PX", ttl);
  if (taken.type == RedisReply::Type::Status) co_return true;
  RedisReply holder = co_await redis_.call("GET", key);
  if (holder.type != RedisReply::Type::String || holder.str != owner) co_return false;
  co_await redis_.call("PEXPIRE", key, ttl);
  co_return true;
}

boost::asio::awaitable<std::vector<std::string>> ConversationStore::ids_by_origin(
    const std::string& channel, long long from_ms, long long to_ms, int limit) {
  RedisReply reply =
      co_await redis_.call("ZREVRANGEBYSCORE", "convs:channel:" + channel, std::to_string(to_ms),
                           std::to_string(from_ms), "LIMIT", "0", std::to_string(limit));
  std::vector<std::string> ids;
  for (const auto& e : reply.elements) ids.push_back(e.str);
  co_return ids;
}

boost::asio::awaitable<ListPage> ConversationStore::list(const ListFilter& f) {
  std::string queues;
  for (const auto& q : f.visible_queues) queues += (queues.empty() ? "" : ",") + q;
  RedisReply reply = co_await run(list_script(), args(f.status, f.queue, f.channel, f.agent, queues,
                                                      f.viewer, std::to_string(f.limit), f.before));
  ListPage page;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); ++i) {
    page.conversations.push_back(to_fields(reply.elements[i]));
  }
  if (!reply.elements.empty()) page.next_before = reply.elements.back().str;
  co_return page;
}

boost::asio::awaitable<AppendResult> ConversationStore::append(
    const std::string& conversation_id, const std::string& direction, const std::string& agent,
    const std::string& author_name, const std::string& text, bool direct) {
  RedisReply reply = co_await run(
      append_script(),
      args(conversation_id, direction, agent.empty() ? "system" : "agent:" + agent, author_name,
           text, agent, std::to_string(settings_.events_maxlen), direct ? "direct" : ""));
  co_return AppendResult{element(reply, 0), element(reply, 1), element(reply, 2), element(reply, 3),
                         element(reply, 4)};
}

boost::asio::awaitable<std::string> ConversationStore::set_status(
    const std::string& conversation_id, const std::string& status, const std::string& agent,
    const std::string& author_name) {
  RedisReply reply =
      co_await run(status_script(), args(conversation_id, status, "agent:" + agent, author_name,
                                         std::to_string(settings_.events_maxlen)));
  co_return reply.str;
}

boost::asio::awaitable<std::string> ConversationStore::assign(const std::string& conversation_id,
                                                              const std::string& agent,
                                                              const std::string& by,
                                                              const std::string& by_name) {
  RedisReply reply =
      co_await run(assign_script(), args(conversation_id, agent, "agent:" + by, by_name,
                                         std::to_string(settings_.events_maxlen)));
  co_return reply.str;
}

boost::asio::awaitable<std::string> ConversationStore::transfer(const std::string& conversation_id,
                                                                const std::string& queue,
                                                                const std::string& by,
                                                                const std::string& by_name) {
  RedisReply reply =
      co_await run(transfer_script(), args(conversation_id, queue, "agent:" + by, by_name,
                                           std::to_string(settings_.events_maxlen)));
  co_return reply.str;
}

boost::asio::awaitable<void> ConversationStore::set_delivery(const std::string& conversation_id,
                                                             const std::string& message_id,
                                                             const std::string& status,
                                                             const std::string& detail) {
  co_await run(delivery_script(), args(conversation_id, message_id, status, detail,
                                       std::to_string(settings_.events_maxlen)));
}

boost::asio::awaitable<void> ConversationStore::schedule_retry(const std::string& conversation_id,
                                                               const std::string& message_id,
                                                               const std::string& item,
                                                               long long delay_ms) {
  co_await run(outbox_script(), args("schedule", conversation_id + " " + message_id, item,
                                     std::to_string(delay_ms)));
}

boost::asio::awaitable<ClaimedRetries> ConversationStore::claim_retries(int limit,
                                                                        long long lease_ms) {
  RedisReply reply =
      co_await run(outbox_script(), args("claim", std::to_string(limit), std::to_string(lease_ms)));
  ClaimedRetries claimed;
  if (reply.elements.empty()) co_return claimed;
  claimed.next_due_in_ms = reply.elements[0].integer;
  for (std::size_t i = 1; i + 1 < reply.elements.size(); i += 2) {
    const std::string& member = reply.elements[i].str;
    auto space = member.find(' ');
    if (space == std::string::npos) continue;
    claimed.items.push_back(
        {member.substr(0, space), member.substr(space + 1), reply.elements[i + 1].str});
  }
  co_return claimed;
}

boost::asio::awaitable<void> ConversationStore::finish_retry(const std::string& conversation_id,
                                                             const std::string& message_id) {
  co_await run(outbox_script(), args("done", conversation_id + " " + message_id));
}

boost::asio::awaitable<std::optional<ConversationStore::Routed>> ConversationStore::route(
    const std::string& queue, const RouteSettings& settings) {
  RedisReply reply = co_await run(
      route_script(),
      args(queue, std::to_string(settings.scan), settings.capacity,
           std::to_string(settings_.events_maxlen), std::to_string(settings.language_wait_ms),
           settings.languages, settings.overflow_to, std::to_string(settings.overflow_after_ms),
           settings.request_interpreters ? "1" : "0"));
  if (reply.elements.size() < 2) co_return std::nullopt;
  co_return Routed{element(reply, 0), element(reply, 1), element(reply, 2)};
}

boost::asio::awaitable<void> ConversationStore::set_queue_settings(
    const std::map<std::string, QueueSettings>& queues, const QueueSettings& defaults) {
  for (const auto& [queue, settings] : queues) {
    co_await redis_.call("HSET", "queue_config:" + queue, "service_level_ms",
                         std::to_string(settings.service_level_ms), "min_proficiency",
                         std::to_string(settings.min_proficiency));
  }
  co_await redis_.call("MSET", "routing:service_level_ms",
                       std::to_string(defaults.service_level_ms), "routing:min_proficiency",
                       std::to_string(defaults.min_proficiency));
}

boost::asio::awaitable<std::optional<long long>> ConversationStore::answer_wait_ms(
    const std::string& queue) {
  RedisReply average = co_await redis_.call("HGET", "stats:queue:" + queue, "answer_wait_ms");
  if (average.type != RedisReply::Type::String) co_return std::nullopt;
  co_return std::stoll(average.str);
}

boost::asio::awaitable<std::optional<AppendResult>> ConversationStore::notify_resident(
    const std::string& conversation_id, const std::string& template_key,
    const std::string& author_name, const std::string& text) {
  RedisReply reply =
      co_await run(notice_script(), args(conversation_id, template_key, author_name, text,
                                         std::to_string(settings_.events_maxlen)));
  if (reply.elements.empty()) co_return std::nullopt;
  co_return AppendResult{element(reply, 0), element(reply, 1), element(reply, 2), element(reply, 3),
                         "out"};
}

boost::asio::awaitable<std::vector<std::string>> ConversationStore::queues() {
  RedisReply reply = co_await redis_.call("SMEMBERS", "queues");
  std::vector<std::string> names;
  for (const auto& e : reply.elements) names.push_back(e.str);
  co_return names;
}

boost::asio::awaitable<std::string> ConversationStore::set_presence(const std::string& username,
                                                                    const std::string& presence) {
  RedisReply reply = co_await run(
      presence_script(), args(username, presence, std::to_string(settings_.events_maxlen)));
  co_return reply.str;
}

boost::asio::awaitable<void> ConversationStore::agent_seen(const std::string& username) {
  co_await run(liveness_script(), args("beat", username));
}

boost::asio::awaitable<std::vector<std::string>> ConversationStore::sweep_gone_agents(
    long long grace_ms) {
  RedisReply reply = co_await run(liveness_script(), args("sweep", std::to_string(grace_ms),
                                                          std::to_string(settings_.events_maxlen)));
  std::vector<std::string> gone;
  for (const auto& e : reply.elements) gone.push_back(e.str);
  co_return gone;
}

boost::asio::awaitable<std::vector<ConversationStore::QueueStats>> ConversationStore::queue_stats(
    long long service_level_ms) {
  RedisReply time = co_await redis_.call("TIME");
  const long long now =
      std::stoll(time.elements.at(0).str) * 1000 + std::stoll(time.elements.at(1).str) / 1000;
  // Which queues each available agent serves, read once.
  std::map<std::string, long long> available;
  RedisReply agents = co_await redis_.call("ZRANGE", "route:available", "0", "-1");
  for (const auto& agent : agents.elements) {
    RedisReply queues = co_await redis_.call("HGET", "agent:{" + agent.str + "}", "queues");
    std::string_view list = queues.str;
    while (!list.empty()) {
      auto comma = list.find(',');
      ++available[std::string(list.substr(0, comma))];
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  std::vector<QueueStats> out;
  for (const auto& queue : co_await queues()) {
    QueueStats q;
    q.queue = queue;
    q.waiting = (co_await redis_.call("ZCARD", "queue:" + queue)).integer;
    RedisReply head = co_await redis_.call("ZRANGE", "queue:" + queue, "0", "0");
    if (!head.elements.empty()) {
      RedisReply created =
          co_await redis_.call("HGET", "conv:{" + head.elements[0].str + "}", "created_at");
      if (created.type == RedisReply::Type::String) {
        q.longest_wait_ms = std::max(0LL, now - std::stoll(created.str));
      }
    }
    q.agents_available = available[queue];
    RedisReply target = co_await redis_.call("HGET", "queue_config:" + queue, "service_level_ms");
    q.service_level_ms =
        target.type == RedisReply::Type::String ? std::stoll(target.str) : service_level_ms;
    q.counters = to_fields(co_await redis_.call("HGETALL", "stats:queue:" + queue));
    out.push_back(std::move(q));
  }
  co_return out;
}

boost::asio::awaitable<bool> ConversationStore::request_interpreter(
    const std::string& conversation_id, const std::string& language, const std::string& into,
    const std::string& by, const std::string& by_name) {
  RedisReply reply = co_await run(
      interpret_script(), args("request", conversation_id, std::to_string(settings_.events_maxlen),
                               language, into, "agent:" + by, by_name));
  co_return reply.integer == 1;
}

boost::asio::awaitable<std::vector<std::string>> ConversationStore::interpretations_due(int limit) {
  RedisReply reply = co_await run(interpret_script(), args("due", std::to_string(limit)));
  std::vector<std::string> ids;
  for (const auto& e : reply.elements) ids.push_back(e.str);
  co_return ids;
}

boost::asio::awaitable<InterpretStep> ConversationStore::interpret_tick(
    const std::string& conversation_id, const InterpretSettings& settings,
    const std::string& notice) {
  RedisReply reply = co_await run(
      interpret_script(),
      args("tick", conversation_id, std::to_string(settings_.events_maxlen),
           std::to_string(settings.pool_wait_ms), std::to_string(settings.response_timeout_ms),
           settings.vendor ? "1" : "0", std::to_string(settings.vendor_timeout_ms),
           std::to_string(settings.capacity), notice));
  InterpretStep step{element(reply, 0), element(reply, 1), element(reply, 2), {}};
  for (std::size_t i = 3; i < reply.elements.size(); ++i) step.forward.push_back(element(reply, i));
  co_return step;
}

boost::asio::awaitable<bool> ConversationStore::vendor_answered(const std::string& conversation_id,
                                                                bool joined,
                                                                const std::string& detail) {
  RedisReply reply = co_await run(interpret_script(),
                                  args(joined ? "vendor_joined" : "vendor_failed", conversation_id,
                                       std::to_string(settings_.events_maxlen), detail));
  co_return reply.integer == 1;
}

boost::asio::awaitable<Interpreted> ConversationStore::interpreted(
    const std::string& conversation_id, const std::string& of, const std::string& text,
    const std::string& interpreter, const std::string& author_name, const std::string& event_id) {
  RedisReply reply =
      co_await run(interpret_script(),
                   args("interpreted", conversation_id, std::to_string(settings_.events_maxlen), of,
                        text, interpreter, author_name, event_id));
  co_return Interpreted{element(reply, 0), element(reply, 1), element(reply, 2), element(reply, 3),
                        element(reply, 4)};
}

boost::asio::awaitable<void> ConversationStore::interpreter_leaves(
    const std::string& conversation_id, const std::string& interpreter, const std::string& reason) {
  co_await run(
      interpret_script(),
      args("leave", conversation_id, std::to_string(settings_.events_maxlen), interpreter, reason));
}

boost::asio::awaitable<void> ConversationStore::vendor_forwarded(const std::string& conversation_id,
                                                                 const std::string& message_id) {
  co_await run(interpret_script(), args("forwarded", conversation_id,
                                        std::to_string(settings_.events_maxlen), message_id));
}

boost::asio::awaitable<std::vector<std::string>> ConversationStore::vendor_notices(int limit) {
  RedisReply reply =
      co_await run(interpret_script(), args("vendor_notices", std::to_string(limit)));
  std::vector<std::string> notices;
  for (const auto& e : reply.elements) notices.push_back(e.str);
  co_return notices;
}

}  // namespace frontdoor::store
