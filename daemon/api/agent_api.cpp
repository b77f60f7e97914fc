#include "daemon/api/agent_api.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include "daemon/api/views.hpp"
#include "daemon/http/api_error.hpp"
#include "daemon/http/json_body.hpp"
#include "daemon/interpreting/interpreting.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/offload.hpp"
#include "i18n/language.hpp"
#include "i18n/text.hpp"

namespace frontdoor::api {

namespace asio = boost::asio;
namespace json = boost::json;
using http::ApiError;
using http::ErrorCode;
using http::HttpRequest;
using http::HttpResponse;
using http::PathParams;

namespace {

constexpr std::size_t kMaxReplyChars = 10000;

HttpResponse json_response(int status, const json::value& body) {
  return HttpResponse::json(status, json::serialize(body));
}

json::object agent_view(const auth::Agent& a) {
  json::array languages, queues;
  for (const auto& l : a.languages) languages.emplace_back(l);
  for (const auto& q : a.queues) queues.emplace_back(q);
  json::object capacity;
  for (std::size_t start = 0; start < a.capacity.size();) {
    std::size_t comma = std::min(a.capacity.find(',', start), a.capacity.size());
    std::string pair = a.capacity.substr(start, comma - start);
    if (auto colon = pair.find(':'); colon != std::string::npos) {
      capacity[pair.substr(0, colon)] = std::atoi(pair.c_str() + colon + 1);
    }
    start = comma + 1;
  }
  return {{"username", a.username},          {"display_name", a.display_name},
          {"role", auth::role_name(a.role)}, {"languages", std::move(languages)},
          {"queues", std::move(queues)},     {"capacity", std::move(capacity)},
          {"presence", a.presence}};
}

// The bearer token from the Authorization header; the stream alone (browsers cannot set headers
// on a WebSocket) also takes it as ?access_token=.
std::string bearer_token(const HttpRequest& req, bool allow_query = false) {
  std::string header = req.header("authorization");
  if (header.size() > 7 &&
      (header.compare(0, 7, "Bearer ") == 0 || header.compare(0, 7, "bearer ") == 0)) {
    return header.substr(7);
  }
  return allow_query ? req.param("access_token") : std::string();
}

store::Fields to_fields(const json::object& o) {
  store::Fields f;
  for (const auto& [k, v] : o) {
    if (v.is_string())
      f[std::string(k)] = std::string(v.as_string());
    else if (v.is_int64())
      f[std::string(k)] = std::to_string(v.as_int64());
  }
  return f;
}

ApiError store_error(const store::StoreError& e) {
  return ApiError(
      e.kind() == store::StoreError::Kind::not_found ? ErrorCode::not_found : ErrorCode::conflict,
      e.what());
}

bool known_status(const std::string& s) {
  return s == "new" || s == "queued" || s == "assigned" || s == "pending_resident" ||
         s == "resolved" || s == "closed";
}

// A kept file's bytes; nullopt when it is gone (removed by an operator's retention job).
std::optional<std::string> read_kept_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

// Content-Disposition for a download named `name` (RFC 6266: an ASCII fallback and the UTF-8
// name percent-encoded).
std::string attachment_disposition(const std::string& name) {
  std::string ascii, encoded;
  for (unsigned char c : name) {
    const bool plain = std::isalnum(c) || std::string_view("-._~ ()").find(static_cast<char>(c)) !=
                                              std::string_view::npos;
    ascii += plain ? static_cast<char>(c) : '_';
    if (plain && c != ' ') {
      encoded += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

// The type a file came with when it is a plain "type/subtype", else application/octet-stream.
std::string safe_media_type(const std::string& type) {
  auto slash = type.find('/');
  auto token = [](std::string_view s) {
    return !s.empty() && s.size() <= 127 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
      return std::isalnum(c) ||
             std::string_view("!#$&-^_.+").find(static_cast<char>(c)) != std::string_view::npos;
    });
  };
  if (slash == std::string::npos || !token(std::string_view(type).substr(0, slash)) ||
      !token(std::string_view(type).substr(slash + 1))) {
    return "application/octet-stream";
  }
  std::string lower = type;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

void forbid_interpreter(const auth::Agent& agent, const std::string& why) {
  if (agent.role == auth::Role::interpreter) throw ApiError(ErrorCode::forbidden, why);
}

// The language an agent reads the inbox in: the first usable language of their browser's
// Accept-Language, else English. It names residents' languages (language_name).
std::string reader_language(const HttpRequest& req) {
  auto languages = i18n::header_languages(req.header("accept-language"));
  return languages.empty() ? std::string("en") : std::move(languages.front());
}

// A conversation as `viewer` may read it, in `reader_language`: interpreters without the
// resident's channel facts (address, phone, the number written to).
json::object conversation_for(const auth::Agent& viewer, const store::Fields& conversation,
                              std::string_view reader_language) {
  json::object view = conversation_view(conversation, reader_language);
  if (viewer.role == auth::Role::interpreter) view.erase("attributes");
  return view;
}

bool valid_queue_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_' || c == '.' || c == '-';
         });
}

}  // namespace

// The live stream: one subscription to the event bus for the whole process; each event is
// rendered once and sent to every connected agent who may see it.
struct AgentApi::Stream {
  struct Viewer {
    auth::Agent agent;
    std::string reader_language;
    std::weak_ptr<http::WebSocket> socket;
  };
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, Viewer> viewers;
  events::EventBus::Subscription subscription;
  metrics::Gauge& connected = metrics::registry().gauge(
      "frontdoor_websocket_connections", "Open WebSocket connections.", {{"kind", "agent"}});

  void on_event(const events::Event& event) {
    {
      // Every event of every instance comes here: nothing to render while no inbox is open.
      std::lock_guard lock(mutex);
      if (viewers.empty()) return;
    }
    json::value data;
    try {
      data = json::parse(event.data);
    } catch (const std::exception&) {
      return;
    }
    if (!data.is_object()) return;
    auto& in = data.as_object();
    json::object out{{"type", event.type}, {"conversation_id", event.conversation_id}};
    std::string previous_agent, interpreter;
    bool note = false;
    std::optional<store::Fields> conversation;
    if (auto* conv = in.if_contains("conversation"); conv && conv->is_object()) {
      conversation = to_fields(conv->as_object());
      interpreter = (*conversation)["interpreter"];
    }
    if (auto* msg = in.if_contains("message"); msg && msg->is_object()) {
      auto fields = to_fields(msg->as_object());
      note = fields["direction"] == "note";
      out["message"] =
          message_view(fields["id"], fields, fields["delivery"], event.conversation_id);
    }
    if (auto* prev = in.if_contains("previous_agent"); prev && prev->is_string()) {
      previous_agent = std::string(prev->as_string());
    }
    // What supervisors act on: an interpreter could not be found, one was sent away.
    for (const char* key : {"escalation", "previous_interpreter"}) {
      if (auto* v = in.if_contains(key); v && v->is_string()) out[key] = *v;
    }
    // Rendered once for each language its readers read and for interpreters, who read the
    // conversation without the resident's channel facts.
    std::map<std::pair<std::string, bool>, std::string> rendered;
    auto text_for = [&](const Viewer& viewer) -> const std::string& {
      const bool narrowed = viewer.agent.role == auth::Role::interpreter;
      auto key = std::make_pair(conversation ? viewer.reader_language : std::string(), narrowed);
      auto it = rendered.find(key);
      if (it != rendered.end()) return it->second;
      json::object frame = out;
      if (conversation) {
        frame["conversation"] = conversation_for(viewer.agent, *conversation, key.first);
      }
      return rendered.emplace(key, json::serialize(frame)).first->second;
    };
    std::lock_guard lock(mutex);
    for (auto it = viewers.begin(); it != viewers.end();) {
      auto socket = it->second.socket.lock();
      if (!socket || !socket->open()) {
        it = viewers.erase(it);
        continue;
      }
      const auto& agent = it->second.agent;
      const bool allowed =
          agent.role == auth::Role::interpreter
              ? interpreter == agent.username && !note
              : agent.may_see(event.queue, event.agent) || previous_agent == agent.username;
      if (allowed) socket->send(text_for(it->second));
      ++it;
    }
  }

  std::uint64_t add(auth::Agent agent, std::string reader_language,
                    std::shared_ptr<http::WebSocket> socket) {
    std::lock_guard lock(mutex);
    viewers[next_id] = Viewer{std::move(agent), std::move(reader_language), socket};
    connected.add(1);
    return next_id++;
  }

  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex);
    if (viewers.erase(id)) connected.add(-1);
  }
};

AgentApi::AgentApi(auth::AgentDirectory& agents, store::ConversationStore& store, Ingest& ingest,
                   Deliver& deliver, events::EventBus& events, std::size_t max_frame_bytes,
                   std::string data_dir)
    : stream_(std::make_shared<Stream>()),
      agents_(agents),
      store_(store),
      ingest_(ingest),
      deliver_(deliver),
      max_frame_bytes_(max_frame_bytes),
      data_dir_(std::move(data_dir)) {
  stream_->subscription =
      events.subscribe([stream = stream_.get()](const events::Event& e) { stream->on_event(e); });
}

asio::awaitable<void> AgentApi::still_there(std::string username, std::shared_ptr<bool> open) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (*open) {
    try {
      co_await store_.agent_seen(username);
    } catch (const std::exception& e) {
      log::warn("agent_seen_failed", {{"agent", username}, {"error", e.what()}});
    }
    timer.expires_after(liveness_interval_);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

AgentApi::~AgentApi() {
  stream_->subscription.reset();
  files_.join();
}

void AgentApi::register_routes(http::Router& router) {
  auto require = [this](const HttpRequest& req,
                        bool allow_query = false) -> asio::awaitable<auth::Agent> {
    std::string token = bearer_token(req, allow_query);
    if (token.empty()) throw ApiError(ErrorCode::unauthorized, "missing bearer token");
    auto agent = co_await agents_.authenticate(token);
    if (!agent)
      throw ApiError(ErrorCode::unauthorized, "token is unknown or expired; log in again");
    co_return *agent;
  };

  // The conversation, if the agent may see it.
  auto visible = [this](const auth::Agent& agent,
                        const std::string& id) -> asio::awaitable<store::Fields> {
    auto conv = co_await store_.conversation(id);
    if (!conv) throw ApiError(ErrorCode::not_found, "no conversation " + id);
    if (!agent.may_see((*conv)["queue"], (*conv)["agent"], (*conv)["interpreter"])) {
      throw ApiError(ErrorCode::forbidden, agent.role == auth::Role::interpreter
                                               ? "you are not interpreting conversation " + id
                                               : "conversation " + id + " is not in your queues");
    }
    co_return *conv;
  };

  // The answer to a change: the conversation as it is now, as `agent` reads it.
  auto changed = [this](int status, const auth::Agent& agent, const std::string& id,
                        const HttpRequest& req) -> asio::awaitable<HttpResponse> {
    auto conv = co_await store_.conversation(id);
    if (!conv) throw ApiError(ErrorCode::not_found, "no conversation " + id);
    co_return json_response(
        status,
        json::object{{"conversation", conversation_for(agent, *conv, reader_language(req))}});
  };

  // Who may hold a conversation: an agent account, not an interpreter.
  auto holder_candidate = [this](const std::string& username) -> asio::awaitable<void> {
    auto found = co_await agents_.find(username);
    if (!found) throw ApiError(ErrorCode::invalid_field, "no agent " + username);
    if (found->role == auth::Role::interpreter) {
      throw ApiError(ErrorCode::invalid_field,
                     username + " is an interpreter; interpreters join, they do not hold");
    }
  };

  router.add("POST", "/api/v1/login",
             [this](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
               auto body = http::json_object_body(req);
               auto username = http::required_string(body, "username");
               auto password = http::required_string(body, "password");
               auto session = co_await agents_.login(username, password);
               if (!session) {
                 log::info("login_failed", {{"remote", req.remote}});
                 throw ApiError(ErrorCode::unauthorized, "unknown username or wrong password");
               }
               log::info("login", {{"agent", session->agent.username}});
               co_return json_response(
                   200,
                   json::object{{"token", session->token},
                                {"expires_at", iso_time(std::to_string(session->expires_at_ms))},
                                {"agent", agent_view(session->agent)}});
             });

  router.add("POST", "/api/v1/logout",
             [this, require](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
               co_await require(req);
               co_await agents_.logout(bearer_token(req));
               co_return HttpResponse{204, "application/json", "", {}};
             });

  router.add("GET", "/api/v1/me",
             [require](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
               auto agent = co_await require(req);
               co_return json_response(200, agent_view(agent));
             });

  router.add("GET", "/api/v1/agents",
             [this, require](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
               auto agent = co_await require(req);
               if (!agent.sees_all_queues()) {
                 throw ApiError(ErrorCode::forbidden, "only supervisors and admins list agents");
               }
               json::array out;
               for (const auto& a : co_await agents_.list()) out.push_back(agent_view(a));
               co_return json_response(200, json::object{{"agents", std::move(out)}});
             });

  // Presence: an agent says it is available, away or offline; a supervisor or admin may say
  // so of anyone (an agent who left without logging off).
  auto set_presence = [this, require](HttpRequest& req,
                                      std::string username) -> asio::awaitable<HttpResponse> {
    auto agent = co_await require(req);
    if (username.empty()) username = agent.username;
    if (username != agent.username && !agent.sees_all_queues()) {
      throw ApiError(ErrorCode::forbidden, "only supervisors and admins set another's presence");
    }
    auto body = http::json_object_body(req);
    auto presence = http::required_string(body, "presence");
    if (presence != "available" && presence != "away" && presence != "offline") {
      throw ApiError(ErrorCode::invalid_field, "presence must be available, away or offline");
    }
    std::string previous;
    try {
      previous = co_await store_.set_presence(username, presence);
    } catch (const store::StoreError& e) {
      throw ApiError(ErrorCode::not_found, e.what());
    }
    log::info("presence", {{"agent", username}, {"presence", presence}});
    co_return json_response(
        200, json::object{{"username", username}, {"presence", presence}, {"previous", previous}});
  };
  router.add("POST", "/api/v1/me/presence",
             [set_presence](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
               co_return co_await set_presence(req, "");
             });
  router.add(
      "POST", "/api/v1/agents/{username}/presence",
      [set_presence](HttpRequest& req, const PathParams& p) -> asio::awaitable<HttpResponse> {
        co_return co_await set_presence(req, p.at("username"));
      });

  router.add(
      "POST", "/api/v1/agents",
      [this, require](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
        auto admin = co_await require(req);
        if (admin.role != auth::Role::admin) {
          throw ApiError(ErrorCode::forbidden, "only admins add agents");
        }
        auto body = http::json_object_body(req);
        auth::NewAgent agent;
        agent.username = http::required_string(body, "username");
        agent.password = http::required_string(body, "password");
        agent.display_name = http::optional_string(body, "display_name").value_or("");
        auto role = http::optional_string(body, "role").value_or("agent");
        // Canonical tags (tl → fil, iw → he, zh_TW → zh-TW), so routing compares like with
        // like; a proficiency from 1 to 5 may follow a colon ("es:4").
        for (auto& language : http::string_list(body, "languages")) {
          const auto colon = language.find(':');
          std::string tag = i18n::canonical_tag(language.substr(0, colon));
          if (tag.empty()) {
            throw ApiError(ErrorCode::invalid_field,
                           "languages: " + language + " is not a BCP 47 language tag");
          }
          if (colon != std::string::npos &&
              (language.size() != colon + 2 || language[colon + 1] < '1' ||
               language[colon + 1] > '5')) {
            throw ApiError(ErrorCode::invalid_field,
                           "languages: " + language +
                               ": a proficiency after the colon is 1 (elementary) to 5 (native)");
          }
          agent.languages.push_back(tag +
                                    (colon == std::string::npos ? "" : language.substr(colon)));
        }
        agent.queues = http::string_list(body, "queues");
        if (auto* capacity = body.if_contains("capacity"); capacity && !capacity->is_null()) {
          if (!capacity->is_object()) {
            throw ApiError(ErrorCode::invalid_field,
                           "capacity must be an object of channel: count, e.g. {\"sms\": 4}");
          }
          for (const auto& [channel, count] : capacity->as_object()) {
            if (!count.is_int64() || count.as_int64() < 0 || count.as_int64() > 100 ||
                !auth::valid_username(std::string(channel))) {
              throw ApiError(ErrorCode::invalid_field,
                             "capacity." + std::string(channel) + " must be a number 0..100");
            }
            agent.capacity += (agent.capacity.empty() ? "" : ",") + std::string(channel) + ":" +
                              std::to_string(count.as_int64());
          }
        }
        if (!auth::valid_username(agent.username)) {
          throw ApiError(ErrorCode::invalid_field,
                         "username must be 1-64 of a-z, 0-9, '.', '_', '-'");
        }
        if (agent.password.size() < 8) {
          throw ApiError(ErrorCode::invalid_field, "password must have at least 8 characters");
        }
        auto parsed_role = auth::role_from_name(role);
        if (!parsed_role) {
          throw ApiError(ErrorCode::invalid_field,
                         "role must be agent, supervisor, manager, admin or interpreter");
        }
        agent.role = *parsed_role;
        agent.display_name = ingest_.checked_text("api", "display_name", agent.display_name, 200);
        for (const auto& list : {agent.languages, agent.queues}) {
          for (const auto& item : list) {
            if (item.empty() || item.size() > 64 ||
                item.find_first_of(", \t\r\n") != std::string::npos) {
              throw ApiError(ErrorCode::invalid_field,
                             "languages and queues are short names without commas or spaces");
            }
          }
        }
        if (!co_await agents_.create(agent)) {
          throw ApiError(ErrorCode::conflict, "username " + agent.username + " is taken");
        }
        log::info("agent_created", {{"agent", agent.username}, {"by", admin.username}});
        auto created = co_await agents_.find(agent.username);
        co_return json_response(201, agent_view(*created));
      });

  router.add(
      "GET", "/api/v1/conversations",
      [this, require](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
        auto agent = co_await require(req);
        store::ListFilter filter;
        filter.status = req.param("status");
        filter.queue = req.param("queue");
        filter.channel = req.param("channel");
        filter.agent = req.param("agent");
        filter.before = req.param("before");
        if (!filter.status.empty() && !known_status(filter.status)) {
          throw ApiError(ErrorCode::invalid_field,
                         "status must be one of new, queued, assigned, pending_resident, "
                         "resolved, closed");
        }
        if (std::string limit = req.param("limit"); !limit.empty()) {
          auto [p, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), filter.limit);
          if (ec != std::errc() || p != limit.data() + limit.size() || filter.limit < 1 ||
              filter.limit > 200) {
            throw ApiError(ErrorCode::invalid_field, "limit must be a number from 1 to 200");
          }
        }
        if (!filter.before.empty() &&
            filter.before.find_first_not_of("0123456789") != std::string::npos) {
          throw ApiError(ErrorCode::invalid_field, "before must be a cursor from next_before");
        }
        if (!agent.sees_all_queues()) {
          // An interpreter sees what it interprets, never a queue.
          filter.visible_queues =
              agent.role == auth::Role::interpreter ? std::vector<std::string>{} : agent.queues;
          if (filter.visible_queues.empty()) filter.visible_queues.push_back("\n");  // none
          filter.viewer = agent.username;
        }
        auto page = co_await store_.list(filter);
        json::array items;
        const std::string reader = reader_language(req);
        for (const auto& c : page.conversations)
          items.push_back(conversation_for(agent, c, reader));
        json::object out{{"conversations", std::move(items)}};
        out["next_before"] =
            page.next_before.empty() ? json::value(nullptr) : json::value(page.next_before);
        co_return json_response(200, out);
      });

  router.add(
      "GET", "/api/v1/conversations/{id}",
      [this, require, visible](HttpRequest& req,
                               const PathParams& p) -> asio::awaitable<HttpResponse> {
        auto agent = co_await require(req);
        auto conv = co_await visible(agent, p.at("id"));
        std::string after = req.param("after");
        if (!after.empty() && (after.find_first_not_of("0123456789-") != std::string::npos ||
                               after.find('-') == std::string::npos)) {
          throw ApiError(ErrorCode::invalid_field, "after must be a message id");
        }
        json::array messages;
        for (const auto& m : co_await store_.messages(p.at("id"), after)) {
          if (agent.role == auth::Role::interpreter && m.fields.at("direction") == "note") {
            continue;  // internal notes are for agents
          }
          messages.push_back(message_view(m.id, m.fields, m.delivery, p.at("id")));
        }
        co_return json_response(
            200, json::object{{"conversation", conversation_for(agent, conv, reader_language(req))},
                              {"messages", std::move(messages)}});
      });

  // What arrived, whole: the full text of a trimmed mail, the raw message, a kept attachment.
  // Files are served as downloads (never rendered in the inbox's origin).
  auto stored_message = [this, require, visible](
                            HttpRequest& req, const PathParams& p,
                            bool agents_only = false) -> asio::awaitable<store::Message> {
    auto agent = co_await require(req);
    // The raw mail carries the resident's addresses and headers: agents only.
    if (agents_only) forbid_interpreter(agent, "interpreters read the text, not the raw mail");
    co_await visible(agent, p.at("id"));
    auto message = co_await store_.message(p.at("id"), p.at("mid"));
    if (!message) {
      throw ApiError(ErrorCode::not_found, "no message " + p.at("mid") + " in " + p.at("id"));
    }
    co_return std::move(*message);
  };
  auto download = [this](const KeptFile& file, std::string type,
                         std::string name) -> asio::awaitable<HttpResponse> {
    auto read = [path = data_dir_ + "/" + file.path] { return read_kept_file(path); };
    std::optional<std::string> bytes = co_await offload(files_, std::move(read));
    if (!bytes) throw ApiError(ErrorCode::not_found, "the file is no longer kept");
    HttpResponse response = HttpResponse::text(200, std::move(*bytes), std::move(type));
    response.headers = {{"Content-Disposition", attachment_disposition(name)},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Content-Security-Policy", "sandbox"},
                        {"Cache-Control", "private, max-age=3600"}};
    co_return response;
  };

  router.add(
      "GET", "/api/v1/conversations/{id}/messages/{mid}/full",
      [stored_message](HttpRequest& req, const PathParams& p) -> asio::awaitable<HttpResponse> {
        store::Message m = co_await stored_message(req, p);
        auto full = m.fields.find("full_text");
        co_return HttpResponse::text(200, full != m.fields.end() ? full->second : m.fields["text"]);
      });

  router.add("GET", "/api/v1/conversations/{id}/messages/{mid}/raw",
             [stored_message, download](HttpRequest& req,
                                        const PathParams& p) -> asio::awaitable<HttpResponse> {
               store::Message m = co_await stored_message(req, p, true);
               auto file = kept_file(m.fields["raw"]);
               if (!file) throw ApiError(ErrorCode::not_found, "this message has no raw form");
               co_return co_await download(*file, "message/rfc822", "message-" + m.id + ".eml");
             });

  router.add("GET", "/api/v1/conversations/{id}/messages/{mid}/attachments/{n}",
             [stored_message, download](HttpRequest& req,
                                        const PathParams& p) -> asio::awaitable<HttpResponse> {
               store::Message m = co_await stored_message(req, p);
               std::size_t index = 0;
               const std::string& n = p.at("n");
               auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), index);
               json::error_code parse_error;
               auto refs = json::parse(m.fields["attachments"], parse_error);
               if (ec != std::errc() || end != n.data() + n.size() || parse_error ||
                   !refs.is_array() || index >= refs.as_array().size() ||
                   !refs.as_array()[index].is_string()) {
                 throw ApiError(ErrorCode::not_found, "no attachment " + n);
               }
               auto file = kept_file(std::string(refs.as_array()[index].as_string()));
               if (!file) throw ApiError(ErrorCode::not_found, "attachment " + n + " is not kept");
               co_return co_await download(*file, safe_media_type(file->type),
                                           file->name.empty() ? "attachment-" + n : file->name);
             });

  auto add_text = [this, require, visible](const std::string& direction) {
    return [this, require, visible, direction](
               HttpRequest& req, const PathParams& p) -> asio::awaitable<HttpResponse> {
      auto agent = co_await require(req);
      forbid_interpreter(agent, "interpreters post interpretations, not replies or notes");
      auto body = http::json_object_body(req);
      auto text =
          ingest_.checked_text("api", "text", http::required_string(body, "text"), kMaxReplyChars);
      // A reply goes to the interpreter while one interprets, unless the agent sends it as it is.
      bool direct = false;
      if (auto* d = body.if_contains("direct"); d && !d->is_null()) {
        if (!d->is_bool()) throw ApiError(ErrorCode::invalid_field, "direct must be true or false");
        direct = d->as_bool();
      }
      if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw ApiError(ErrorCode::missing_field, "text is empty");
      }
      auto conv = co_await visible(agent, p.at("id"));
      Outbound out = Deliver::outbound(conv, text, agent.display_name);
      if (direction == "out" && conv["status"] != "closed") {
        if (auto reason = co_await deliver_.refusal(conv["reply_channel"], out); !reason.empty()) {
          throw ApiError(ErrorCode::conflict, "this reply cannot be sent: " + reason);
        }
      }
      store::AppendResult appended;
      try {
        appended = co_await store_.append(p.at("id"), direction, agent.username, agent.display_name,
                                          text, direct);
      } catch (const store::StoreError& e) {
        throw store_error(e);
      }
      std::string delivery, detail;
      if (appended.direction == "out") {
        auto sent = co_await deliver_.reply(std::move(out), appended);
        delivery = sent.outcome == SendOutcome::accepted   ? "sent"
                   : sent.outcome == SendOutcome::rejected ? "failed"
                                                           : "retrying";
        detail = sent.outcome == SendOutcome::accepted ? sent.provider_id : sent.reason;
      }
      store::Fields fields{{"direction", appended.direction},
                           {"author", "agent:" + agent.username},
                           {"author_name", agent.display_name},
                           {"channel", appended.direction == "out" ? appended.reply_channel : ""},
                           {"text", text},
                           {"delivery_detail", detail}};
      auto view = message_view(appended.message_id, fields, delivery);
      view["created_at"] = iso_time(appended.message_id.substr(0, appended.message_id.find('-')));
      co_return json_response(201, json::object{{"message", std::move(view)},
                                                {"conversation_status", appended.status}});
    };
  };
  router.add("POST", "/api/v1/conversations/{id}/messages", add_text("out"));
  // How a reply would go out (for SMS: encoding and segments), without sending it.
  router.add("POST", "/api/v1/conversations/{id}/draft",
             [this, require, visible](HttpRequest& req,
                                      const PathParams& p) -> asio::awaitable<HttpResponse> {
               auto agent = co_await require(req);
               forbid_interpreter(agent, "interpreters post interpretations, not replies");
               auto body = http::json_object_body(req);
               auto text = ingest_.checked_text("api", "text", http::required_string(body, "text"),
                                                kMaxReplyChars);
               if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
                 throw ApiError(ErrorCode::missing_field, "text is empty");
               }
               auto conv = co_await visible(agent, p.at("id"));
               Outbound out = Deliver::outbound(conv, text, agent.display_name);
               json::object result{
                   {"channel", conv["reply_channel"]},
                   {"characters", static_cast<std::int64_t>(i18n::code_points(text))}};
               if (auto details = deliver_.draft(conv["reply_channel"], out); !details.empty()) {
                 result["delivery"] = std::move(details);
               }
               auto reason = conv["status"] == "closed"
                                 ? std::string("the conversation is closed")
                                 : co_await deliver_.refusal(conv["reply_channel"], out);
               result["sendable"] = reason.empty();
               if (!reason.empty()) result["refusal"] = reason;
               co_return json_response(200, result);
             });
  router.add("POST", "/api/v1/conversations/{id}/notes", add_text("note"));

  router.add(
      "POST", "/api/v1/conversations/{id}/status",
      [this, require, visible, changed](HttpRequest& req,
                                        const PathParams& p) -> asio::awaitable<HttpResponse> {
        auto agent = co_await require(req);
        forbid_interpreter(agent, "interpreters do not change a conversation's status");
        auto body = http::json_object_body(req);
        auto status = http::required_string(body, "status");
        if (!known_status(status) || status == "new") {
          throw ApiError(ErrorCode::invalid_field,
                         "status must be one of queued, assigned, pending_resident, resolved, "
                         "closed");
        }
        bool notify = notify_resolved_by_default_;
        if (auto* n = body.if_contains("notify_resident"); n && !n->is_null()) {
          if (!n->is_bool()) {
            throw ApiError(ErrorCode::invalid_field, "notify_resident must be true or false");
          }
          notify = n->as_bool();
        }
        co_await visible(agent, p.at("id"));
        std::string before;
        try {
          before =
              co_await store_.set_status(p.at("id"), status, agent.username, agent.display_name);
        } catch (const store::StoreError& e) {
          throw store_error(e);
        }
        // Only the call that resolved it tells the resident (or, asked to, does not).
        if (status == "resolved" && before != "resolved" && notify && notify_resolved_) {
          notify_resolved_(p.at("id"));
        }
        co_return co_await changed(200, agent, p.at("id"), req);
      });

  router.add("POST", "/api/v1/conversations/{id}/assign",
             [this, require, visible, holder_candidate, changed](
                 HttpRequest& req, const PathParams& p) -> asio::awaitable<HttpResponse> {
               auto agent = co_await require(req);
               forbid_interpreter(agent, "interpreters do not assign conversations");
               json::object body;
               if (!req.body.empty()) body = http::json_object_body(req);
               auto target = http::optional_string(body, "agent").value_or(agent.username);
               if (target != agent.username && !agent.sees_all_queues()) {
                 throw ApiError(ErrorCode::forbidden, "only supervisors assign to someone else");
               }
               co_await holder_candidate(target);
               auto conv = co_await visible(agent, p.at("id"));
               if (!agent.sees_all_queues() && !conv["agent"].empty() && conv["agent"] != target) {
                 throw ApiError(ErrorCode::conflict, "conversation " + p.at("id") + " is held by " +
                                                         conv["agent"] +
                                                         "; a supervisor can reassign it");
               }
               try {
                 co_await store_.assign(p.at("id"), target, agent.username, agent.display_name);
               } catch (const store::StoreError& e) {
                 throw store_error(e);
               }
               co_return co_await changed(200, agent, p.at("id"), req);
             });

  // Queues as supervisors watch them: who waits, since when, who is there, the service level,
  // first response and first-contact resolution (agents see their own queues).
  router.add("GET", "/api/v1/queues",
             [this, require](HttpRequest& req, const PathParams&) -> asio::awaitable<HttpResponse> {
               auto agent = co_await require(req);
               json::array out;
               for (const auto& q : co_await store_.queue_stats(service_level_ms_)) {
                 if (agent.may_see(q.queue, "")) out.push_back(queue_view(q));
               }
               co_return json_response(200, json::object{{"queues", std::move(out)}});
             });

  // A transfer: the holder (or a supervisor) hands the conversation to another queue, where
  // routing gives it to an agent of that queue, or to a named agent.
  router.add("POST", "/api/v1/conversations/{id}/transfer",
             [this, require, visible, holder_candidate, changed](
                 HttpRequest& req, const PathParams& p) -> asio::awaitable<HttpResponse> {
               auto agent = co_await require(req);
               forbid_interpreter(agent, "interpreters do not transfer conversations");
               auto body = http::json_object_body(req);
               auto queue = http::optional_string(body, "queue");
               auto target = http::optional_string(body, "agent");
               if (queue.has_value() == target.has_value()) {
                 throw ApiError(ErrorCode::invalid_field, "name either a queue or an agent");
               }
               auto conv = co_await visible(agent, p.at("id"));
               if (!agent.sees_all_queues() && conv["agent"] != agent.username) {
                 throw ApiError(
                     ErrorCode::forbidden,
                     "only its holder or a supervisor transfers conversation " + p.at("id"));
               }
               try {
                 if (queue) {
                   if (!valid_queue_name(*queue)) {
                     throw ApiError(ErrorCode::invalid_field,
                                    "queue must be 1-64 letters, digits, '_', '.' or '-'");
                   }
                   co_await store_.transfer(p.at("id"), *queue, agent.username, agent.display_name);
                 } else {
                   co_await holder_candidate(*target);
                   co_await store_.assign(p.at("id"), *target, agent.username, agent.display_name);
                 }
               } catch (const store::StoreError& e) {
                 throw store_error(e);
               }
               co_return co_await changed(200, agent, p.at("id"), req);
             });

  // Interpreting (docs/interpreting.md). An agent (the holder, or a supervisor) asks for an
  // interpreter; routing does so by itself when it gives a conversation to an agent without
  // its language.
  router.add(
      "POST", "/api/v1/conversations/{id}/interpreter",
      [this, require, visible, changed](HttpRequest& req,
                                        const PathParams& p) -> asio::awaitable<HttpResponse> {
        auto agent = co_await require(req);
        forbid_interpreter(agent, "agents ask for interpreters");
        json::object body;
        if (!req.body.empty()) body = http::json_object_body(req);
        auto conv = co_await visible(agent, p.at("id"));
        if (!agent.sees_all_queues() && conv["agent"] != agent.username) {
          throw ApiError(ErrorCode::forbidden,
                         "only its holder or a supervisor asks for an "
                         "interpreter in conversation " +
                             p.at("id"));
        }
        std::string language = http::optional_string(body, "language").value_or(conv["language"]);
        language = i18n::canonical_tag(language);
        if (language.empty()) {
          throw ApiError(ErrorCode::invalid_field,
                         "language: the conversation's language is unknown; name it (a BCP 47 "
                         "tag such as so or vi)");
        }
        // Into what the holder reads best (interpret.lua decides: into left empty).
        bool requested = false;
        try {
          requested = co_await store_.request_interpreter(p.at("id"), language, "", agent.username,
                                                          agent.display_name);
        } catch (const store::StoreError& e) {
          throw store_error(e);
        }
        if (!requested) {
          throw ApiError(ErrorCode::conflict,
                         "an interpreter is already requested for or "
                         "interpreting conversation " +
                             p.at("id"));
        }
        co_return co_await changed(202, agent, p.at("id"), req);
      });

  // An interpreter's interpretation of a resident's message (the agent reads it) or of an
  // agent's reply (the resident receives it).
  router.add(
      "POST", "/api/v1/conversations/{id}/interpretations",
      [this, require, visible](HttpRequest& req,
                               const PathParams& p) -> asio::awaitable<HttpResponse> {
        auto agent = co_await require(req);
        if (agent.role != auth::Role::interpreter) {
          throw ApiError(ErrorCode::forbidden, "only interpreters post interpretations");
        }
        auto body = http::json_object_body(req);
        auto of = http::required_string(body, "of");
        if (!interpreting::message_id_like(of)) {
          throw ApiError(ErrorCode::invalid_field,
                         "of must be a message id such as 1795617218395-0");
        }
        auto text = ingest_.checked_text("api", "text", http::required_string(body, "text"),
                                         kMaxReplyChars);
        if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
          throw ApiError(ErrorCode::missing_field, "text is empty");
        }
        auto conv = co_await visible(agent, p.at("id"));
        store::Interpreted result;
        try {
          result =
              co_await store_.interpreted(p.at("id"), of, text, agent.username, agent.display_name);
        } catch (const store::StoreError& e) {
          if (e.kind() == store::StoreError::Kind::invalid) {
            throw ApiError(ErrorCode::invalid_field, e.what());
          }
          throw store_error(e);
        }
        interpreting::counted("interpreted").inc();
        std::string delivery, detail;
        if (result.direction == "out") {
          store::AppendResult appended{
              result.message_id, result.reply_channel, result.reply_address, {}, "out"};
          auto sent =
              co_await deliver_.reply(Deliver::outbound(conv, text, agent.display_name), appended);
          delivery = sent.outcome == SendOutcome::accepted   ? "sent"
                     : sent.outcome == SendOutcome::rejected ? "failed"
                                                             : "retrying";
          detail = sent.outcome == SendOutcome::accepted ? sent.provider_id : sent.reason;
        }
        auto stored = co_await store_.message(p.at("id"), result.message_id);
        auto view = message_view(result.message_id, stored ? stored->fields : store::Fields{},
                                 delivery, p.at("id"));
        if (!detail.empty()) view["delivery_detail"] = detail;
        co_return json_response(201, json::object{{"message", std::move(view)}});
      });

  router.add("POST", "/api/v1/conversations/{id}/interpreter/leave",
             [this, require, visible](HttpRequest& req,
                                      const PathParams& p) -> asio::awaitable<HttpResponse> {
               auto agent = co_await require(req);
               if (agent.role != auth::Role::interpreter) {
                 throw ApiError(ErrorCode::forbidden, "only the interpreter leaves");
               }
               co_await visible(agent, p.at("id"));
               try {
                 co_await store_.interpreter_leaves(p.at("id"), agent.username, "left");
               } catch (const store::StoreError& e) {
                 throw store_error(e);
               }
               co_return HttpResponse{204, "application/json", "", {}};
             });

  // The transcript as read side by side: each message with its interpretations beside it.
  router.add("GET", "/api/v1/conversations/{id}/transcript",
             [this, require, visible](HttpRequest& req,
                                      const PathParams& p) -> asio::awaitable<HttpResponse> {
               auto agent = co_await require(req);
               auto conv = co_await visible(agent, p.at("id"));
               std::vector<store::Message> all;
               std::string after;
               for (;;) {
                 auto page = co_await store_.messages(p.at("id"), after);
                 if (page.empty()) break;
                 after = page.back().id;
                 for (auto& m : page) all.push_back(std::move(m));
                 if (page.size() < 1000) break;
               }
               if (agent.role == auth::Role::interpreter) {
                 std::erase_if(all, [](const store::Message& m) {
                   auto it = m.fields.find("direction");
                   return it != m.fields.end() && it->second == "note";
                 });
               }
               auto view = transcript_view(all, p.at("id"));
               view["conversation"] = conversation_for(agent, conv, reader_language(req));
               co_return json_response(200, view);
             });

  router.add_websocket(
      "/api/v1/stream",
      [this, require](http::WebSocketUpgrade& up, const PathParams&) -> asio::awaitable<void> {
        auto agent = co_await require(up.request(), true);
        auto socket =
            co_await up.accept(http::WsOptions{max_frame_bytes_, std::chrono::seconds(120)});
        auto id = stream_->add(agent, reader_language(up.request()), socket);
        socket->send(
            json::serialize(json::object{{"type", "hello"}, {"agent", agent_view(agent)}}));
        // While the inbox is open its agent is there (routing sends agents whose inbox has been
        // gone a while offline): said now, every liveness interval, and once more at the end.
        auto open = std::make_shared<bool>(true);
        auto executor = co_await asio::this_coro::executor;
        asio::co_spawn(executor, still_there(agent.username, open), asio::detached);
        // Agents only listen here; anything they send is ignored.
        while (co_await socket->read()) {
        }
        *open = false;
        stream_->remove(id);
        try {
          co_await store_.agent_seen(agent.username);
        } catch (const std::exception&) {
          // The store is away: the last heartbeat stands.
        }
      });
}

}  // namespace frontdoor::api
