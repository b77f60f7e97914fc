// Web chat: residents talk to the city from the website over a WebSocket at /chat/ws.
//
// Frames (JSON text):
//   client → {"type":"hello","name":…,"language":…}       start a chat (name, language optional)
//   client → {"type":"resume","token":…,"last_id":…}       come back; replays everything after
//                                                          last_id (empty = everything)
//   server → {"type":"welcome","token":…,"conversation_id":…|null}
//   client → {"type":"message","text":…,"client_id":…}     client_id (optional) makes resending
//                                                          after a reconnect safe
//   server → {"type":"message","id","conversation_id","direction","author","author_name",
//             "text","created_at","client_id"?}            every resident and agent message,
//                                                          the resident's own as its receipt
//   server → {"type":"error","code","message","retryable"}
//
// The token is the resident's key to the chat: Redis keeps only its SHA-256
// (chat:<sha256> hash, 30-day TTL refreshed on use). The conversation starts with the
// resident's first message, so an opened-and-abandoned widget leaves nothing in a queue.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <set>

#include "channels/channel.hpp"
#include "daemon/api/views.hpp"
#include "daemon/crypto/tokens.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/http/api_error.hpp"
#include "daemon/http/router.hpp"
#include "daemon/ingest/ingest.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/store/conversation_store.hpp"

namespace frontdoor::webchat {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using http::CloseCode;

constexpr int kSessionTtlSeconds = 30 * 24 * 3600;
constexpr std::size_t kMaxChatChars = 4000;

std::string session_key(const std::string& token) { return "chat:" + crypto::sha256_hex(token); }

std::string frame_error(std::string_view code, std::string_view message, bool retryable) {
  return json::serialize(json::object{
      {"type", "error"}, {"code", code}, {"message", message}, {"retryable", retryable}});
}

// The resident-facing form of a stored message; notes and system lines are never shown.
std::optional<std::string> resident_frame(const std::string& conversation_id,
                                          const store::Fields& f, const std::string& id) {
  auto direction = f.count("direction") ? f.at("direction") : "";
  if (direction != "in" && direction != "out") return std::nullopt;
  auto get = [&](const char* k) { return f.count(k) ? f.at(k) : std::string(); };
  json::object frame{{"type", "message"},
                     {"id", id},
                     {"conversation_id", conversation_id},
                     {"direction", direction},
                     {"author", direction == "in" ? "resident" : "agent"},
                     {"author_name", get("author_name")},
                     {"text", get("text")},
                     {"created_at", api::iso_time(get("created_at"))}};
  auto provider = get("provider_id");
  if (auto colon = provider.find(':'); colon != std::string::npos) {
    frame["client_id"] = provider.substr(colon + 1);
  }
  return json::serialize(frame);
}

// One resident's open socket.
struct ChatSession {
  std::shared_ptr<http::WebSocket> socket;
  std::mutex mutex;
  std::string conversation_id;
  std::string last_sent;  // stream id of the newest message sent on this socket
  bool replaying = false;
  std::vector<std::pair<std::string, std::string>> held;  // (id, frame) that came during replay

  void deliver(const std::string& id, const std::string& frame) {
    std::lock_guard lock(mutex);
    if (replaying) {
      held.emplace_back(id, frame);
      return;
    }
    send_if_new(id, frame);
  }
  void send_if_new(const std::string& id, const std::string& frame) {
    if (!last_sent.empty() && !events::stream_id_less(last_sent, id)) return;
    last_sent = id;
    socket->send(frame);
  }
};

class WebchatChannel : public Channel {
 public:
  explicit WebchatChannel(ChannelServices& services)
      : config_(services.config.webchat),
        ingest_(services.ingest),
        store_(services.store),
        executor_(services.executor) {
    subscription_ = services.events.subscribe([this](const events::Event& e) { on_event(e); });
    services.router.add_websocket(
        "/chat/ws",
        [this](http::WebSocketUpgrade& up, const http::PathParams&) { return serve(up); });
  }

  std::string_view name() const override { return "webchat"; }

  // The reply is already in the conversation's stream; every instance holding a socket for
  // the conversation pushes it from the event stream, and a resident who is away gets it on
  // resume. So the channel takes it at once.
  asio::awaitable<SendResult> send(const Outbound& message) override {
    co_return SendResult{SendOutcome::accepted, {}, {}};
  }

  void stop() override { subscription_.reset(); }

 private:
  void on_event(const events::Event& event) {
    if (event.type != "message.created") return;
    std::vector<std::shared_ptr<ChatSession>> targets;
    {
      std::lock_guard lock(sessions_mutex_);
      auto range = sessions_.equal_range(event.conversation_id);
      for (auto it = range.first; it != range.second; ++it) targets.push_back(it->second);
    }
    if (targets.empty()) return;
    json::value data = json::parse(event.data);
    const auto& msg = data.as_object().at("message").as_object();
    store::Fields fields;
    for (const auto& [k, v] : msg) {
      if (v.is_string()) fields[std::string(k)] = std::string(v.as_string());
    }
    auto frame = resident_frame(event.conversation_id, fields, fields["id"]);
    if (!frame) return;
    for (auto& s : targets) s->deliver(fields["id"], *frame);
    if (fields["direction"] == "out") {
      asio::co_spawn(executor_,
                     store_.set_delivery(event.conversation_id, fields["id"], "delivered"),
                     asio::detached);
    }
  }

  void attach(const std::shared_ptr<ChatSession>& s, const std::string& conversation_id) {
    std::lock_guard lock(sessions_mutex_);
    s->conversation_id = conversation_id;
    sessions_.emplace(conversation_id, s);
  }

  void detach(const std::shared_ptr<ChatSession>& s) {
    std::lock_guard lock(sessions_mutex_);
    auto range = sessions_.equal_range(s->conversation_id);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == s) {
        sessions_.erase(it);
        break;
      }
    }
  }

  // Sends what the resident has not seen yet, then lets live messages through.
  asio::awaitable<void> replay(std::shared_ptr<ChatSession> s, std::string after) {
    {
      std::lock_guard lock(s->mutex);
      s->replaying = true;
    }
    auto messages = co_await store_.messages(s->conversation_id, after, 10000);
    std::lock_guard lock(s->mutex);
    if (!after.empty()) s->last_sent = after;
    for (const auto& m : messages) {
      if (auto frame = resident_frame(s->conversation_id, m.fields, m.id))
        s->send_if_new(m.id, *frame);
    }
    for (auto& [id, frame] : s->held) s->send_if_new(id, frame);
    s->held.clear();
    s->replaying = false;
  }

  asio::awaitable<void> serve(http::WebSocketUpgrade& up) {
    auto socket = co_await up.accept(
        http::WsOptions{config_.max_frame_bytes, std::chrono::seconds(config_.idle_timeout_s)});
    static auto& connected = metrics::registry().gauge(
        "frontdoor_websocket_connections", "Open WebSocket connections.", {{"kind", "chat"}});
    connected.add(1);
    auto session = std::make_shared<ChatSession>();
    session->socket = socket;
    std::string token, key, address, name, language;
    try {
      while (auto text = co_await socket->read()) {
        try {
          json::object frame;
          try {
            auto value = json::parse(*text);
            if (!value.is_object()) throw std::invalid_argument("not an object");
            frame = std::move(value.as_object());
          } catch (const std::exception&) {
            metrics::rejected("webchat", "invalid_json").inc();
            socket->send(frame_error("invalid_json", "frames are JSON objects", false));
            continue;
          }
          auto type_value = frame.if_contains("type");
          std::string type =
              type_value && type_value->is_string() ? std::string(type_value->as_string()) : "";
          auto str = [&](const char* k) {
            auto v = frame.if_contains(k);
            return v && v->is_string() ? std::string(v->as_string()) : std::string();
          };

          if (type == "hello" || type == "resume") {
            if (!token.empty()) {
              socket->send(frame_error("protocol", "the chat has already started", false));
              continue;
            }
            if (type == "resume") {
              token = str("token");
              key = session_key(token);
              auto stored = store::to_fields(co_await store_.redis().call("HGETALL", key));
              if (token.empty() || stored.empty()) {
                metrics::rejected("webchat", "unknown_token").inc();
                socket->send(
                    frame_error("unknown_token", "this chat has expired; start a new one", false));
                token.clear();
                continue;
              }
              address = stored["address"];
              name = stored["name"];
              language = stored["language"];
              if (!stored["conversation_id"].empty()) attach(session, stored["conversation_id"]);
            } else {
              name = ingest_.checked_text("webchat", "name", str("name"), 200);
              language = str("language").substr(0, 35);
              token = crypto::random_hex(16);
              key = session_key(token);
              address = "chat:" + crypto::random_hex(8);
              co_await store_.redis().call("HSET", key, "address", address, "name", name,
                                           "language", language, "conversation_id", "");
            }
            co_await store_.redis().call("EXPIRE", key, std::to_string(kSessionTtlSeconds));
            json::object welcome{{"type", "welcome"}, {"token", token}};
            welcome["conversation_id"] = session->conversation_id.empty()
                                             ? json::value(nullptr)
                                             : json::value(session->conversation_id);
            socket->send(json::serialize(welcome));
            if (!session->conversation_id.empty()) co_await replay(session, str("last_id"));
            continue;
          }

          if (type != "message") {
            metrics::rejected("webchat", "unknown_frame").inc();
            socket->send(
                frame_error("unknown_type", "type must be hello, resume or message", false));
            continue;
          }
          if (token.empty()) {
            metrics::rejected("webchat", "no_hello").inc();
            socket->send(frame_error("protocol", "say hello (or resume) first", false));
            socket->close(CloseCode::policy_violation, "hello first");
            break;
          }
          Inbound in;
          in.channel = "webchat";
          in.address = address;
          in.display_name = name;
          in.text = ingest_.checked_text("webchat", "text", str("text"), kMaxChatChars);
          in.language = language;
          in.language_stated = !language.empty();
          in.queue = config_.queue;
          in.conversation_hint = session->conversation_id;
          if (auto client_id = str("client_id"); !client_id.empty()) {
            in.idempotency_key = address.substr(5) + ":" + client_id.substr(0, 64);
          }
          auto result = co_await ingest_.accept(std::move(in));
          if (result.conversation_id != session->conversation_id) {
            detach(session);
            attach(session, result.conversation_id);
            co_await store_.redis().call("HSET", key, "conversation_id", result.conversation_id);
            // The receipt of this first message comes through the event stream; make sure it
            // is not missed if it went by before the session was attached.
            co_await replay(session, session->last_sent);
          }
        } catch (const http::ApiError& e) {
          socket->send(frame_error(http::code_name(e.code()), e.what(), false));
        } catch (const redis::RedisUnavailable&) {
          metrics::rejected("webchat", "unavailable").inc();
          socket->send(frame_error("unavailable",
                                   "your message was not received; please send it again", true));
        }
      }
    } catch (...) {
      detach(session);
      connected.add(-1);
      throw;
    }
    detach(session);
    connected.add(-1);
  }

  const Config::Webchat& config_;
  Ingest& ingest_;
  store::ConversationStore& store_;
  asio::any_io_executor executor_;
  events::EventBus::Subscription subscription_;
  std::mutex sessions_mutex_;
  std::multimap<std::string, std::shared_ptr<ChatSession>> sessions_;
};

}  // namespace
}  // namespace frontdoor::webchat

FRONTDOOR_REGISTER_CHANNEL(
    "webchat", [](const frontdoor::Config& c) { return c.webchat.enabled; },
    [](frontdoor::ChannelServices& s) -> std::unique_ptr<frontdoor::Channel> {
      return std::make_unique<frontdoor::webchat::WebchatChannel>(s);
    })
