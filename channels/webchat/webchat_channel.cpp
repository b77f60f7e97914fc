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
//                                                          the resident's own as its receipt;
//                                                          author "system": the hub's own
//                                                          (the acknowledgement)
//   server → {"type":"error","code","message","retryable"}
//
// The token is the resident's key to the chat: the store keeps only its SHA-256, as the
// channel session webchat/<sha256> (30 days, renewed while the resident keeps writing). The
// conversation starts with the resident's first message, so an opened-and-abandoned widget
// leaves nothing in a queue. "language" is a BCP 47 tag and "client_id" up to 64 of
// [A-Za-z0-9._:-]; anything else is refused with an error frame.
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
constexpr auto kSessionRenewEvery = std::chrono::hours(1);
constexpr std::size_t kMaxChatChars = 4000;

// Short identifiers from the client (language tags, client ids): ASCII letters, digits and a
// few separators, so they can never carry broken UTF-8 or markup into the model.
bool plain_token(std::string_view s, std::size_t max, std::string_view extra) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool valid_stream_id(const std::string& id) {
  auto dash = id.find('-');
  return dash != std::string::npos && dash > 0 && dash + 1 < id.size() &&
         id.find_first_not_of("0123456789-") == std::string::npos &&
         id.find('-', dash + 1) == std::string::npos;
}

// A refusal the resident sees as an error frame with this code.
struct FrameError {
  std::string code, message;
};

FrameError refuse(const std::string& code, const std::string& message) {
  metrics::rejected("webchat", code).inc();
  return FrameError{code, message};
}

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
                     {"author", direction == "in"           ? "resident"
                                : get("author") == "system" ? "system"
                                                            : "agent"},
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
    store::Fields fields;
    try {
      json::value data = json::parse(event.data);
      for (const auto& [k, v] : data.as_object().at("message").as_object()) {
        if (v.is_string()) fields[std::string(k)] = std::string(v.as_string());
      }
    } catch (const std::exception& e) {
      log::warn("chat_event_unreadable",
                {{"conversation", event.conversation_id}, {"error", e.what()}});
      return;
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
    std::vector<store::Message> messages;
    try {
      messages = co_await store_.messages(s->conversation_id, after, 10000);
    } catch (...) {
      std::lock_guard lock(s->mutex);
      s->replaying = false;
      s->held.clear();
      throw;
    }
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

  // What one socket knows about its resident once hello/resume succeeded.
  struct Resident {
    std::string token, session_id, address, name, language;
    std::chrono::steady_clock::time_point renewed;
    bool started() const { return !token.empty(); }
  };

  static std::string field(const json::object& frame, const char* key) {
    auto v = frame.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  asio::awaitable<void> hello(const json::object& frame, Resident& r,
                              const std::shared_ptr<ChatSession>& session) {
    std::string language = field(frame, "language");
    if (!language.empty() && !plain_token(language, 35, "-")) {
      throw refuse("invalid_field", "language must be a BCP 47 tag such as vi or zh-Hant");
    }
    std::string name = ingest_.checked_text("webchat", "name", field(frame, "name"), 200);
    std::string token = crypto::random_hex(16);
    std::string session_id = crypto::sha256_hex(token);
    std::string address = "chat:" + crypto::random_hex(8);
    store::Fields stored{
        {"address", address}, {"name", name}, {"language", language}, {"conversation_id", ""}};
    co_await store_.put_session("webchat", session_id, stored, kSessionTtlSeconds);
    r = Resident{token, session_id, address, name, language, std::chrono::steady_clock::now()};
    welcome(r, session);
  }

  asio::awaitable<void> resume(const json::object& frame, Resident& r,
                               const std::shared_ptr<ChatSession>& session) {
    std::string token = field(frame, "token");
    std::string last_id = field(frame, "last_id");
    if (!last_id.empty() && !valid_stream_id(last_id)) {
      throw refuse("invalid_field", "last_id is not a message id");
    }
    std::string session_id = crypto::sha256_hex(token);
    auto stored =
        token.empty() ? store::Fields{} : co_await store_.get_session("webchat", session_id);
    if (stored.empty()) throw refuse("unknown_token", "this chat has expired; start a new one");
    co_await store_.put_session("webchat", session_id, {}, kSessionTtlSeconds);
    Resident resumed{token,          session_id,         stored["address"],
                     stored["name"], stored["language"], std::chrono::steady_clock::now()};
    if (!stored["conversation_id"].empty()) attach(session, stored["conversation_id"]);
    welcome(resumed, session);
    try {
      if (!session->conversation_id.empty()) co_await replay(session, last_id);
    } catch (...) {
      // Not resumed after all: the resident may send resume again.
      detach(session);
      session->conversation_id.clear();
      throw;
    }
    r = std::move(resumed);
  }

  static void welcome(const Resident& r, const std::shared_ptr<ChatSession>& session) {
    json::object frame{{"type", "welcome"}, {"token", r.token}};
    frame["conversation_id"] = session->conversation_id.empty()
                                   ? json::value(nullptr)
                                   : json::value(session->conversation_id);
    session->socket->send(json::serialize(frame));
  }

  asio::awaitable<void> message(const json::object& frame, Resident& r,
                                const std::shared_ptr<ChatSession>& session) {
    std::string client_id = field(frame, "client_id");
    if (!client_id.empty() && !plain_token(client_id, 64, "._:-")) {
      throw refuse("invalid_field", "client_id must be up to 64 letters, digits or . _ : -");
    }
    Inbound in;
    in.channel = "webchat";
    in.address = r.address;
    in.display_name = r.name;
    in.text = ingest_.checked_text("webchat", "text", field(frame, "text"), kMaxChatChars);
    in.language = r.language;
    in.language_stated = !r.language.empty();
    in.queue = config_.queue;
    in.conversation_hint = session->conversation_id;
    if (!client_id.empty()) in.idempotency_key = r.address.substr(5) + ":" + client_id;
    auto result = co_await ingest_.accept(std::move(in));
    auto now = std::chrono::steady_clock::now();
    if (result.conversation_id != session->conversation_id) {
      // The receipt of this first message comes through the event stream; make sure it is not
      // missed if it went by before the session was attached, and that nothing newer (the
      // acknowledgement) overtakes it: live events wait until the replay is done.
      std::string seen;
      {
        std::lock_guard lock(session->mutex);
        session->replaying = true;
        seen = session->last_sent;
      }
      detach(session);
      attach(session, result.conversation_id);
      co_await replay(session, seen);
      store::Fields update{{"conversation_id", result.conversation_id}};
      co_await store_.put_session("webchat", r.session_id, update, kSessionTtlSeconds);
      r.renewed = now;
    } else if (now - r.renewed > kSessionRenewEvery) {
      co_await store_.put_session("webchat", r.session_id, {}, kSessionTtlSeconds);
      r.renewed = now;
    }
  }

  // One frame; false when the connection must end.
  asio::awaitable<bool> handle(const std::string& text, Resident& r,
                               const std::shared_ptr<ChatSession>& session) {
    json::object frame;
    try {
      auto value = json::parse(text);
      if (!value.is_object()) throw std::invalid_argument("not an object");
      frame = std::move(value.as_object());
    } catch (const std::exception&) {
      throw refuse("invalid_json", "frames are JSON objects");
    }
    std::string type = field(frame, "type");
    if (type == "hello" || type == "resume") {
      if (r.started()) throw refuse("protocol", "the chat has already started");
      if (type == "hello") {
        co_await hello(frame, r, session);
      } else {
        co_await resume(frame, r, session);
      }
      co_return true;
    }
    if (type != "message") throw refuse("unknown_type", "type must be hello, resume or message");
    if (!r.started()) {
      metrics::rejected("webchat", "no_hello").inc();
      session->socket->send(frame_error("protocol", "say hello (or resume) first", false));
      session->socket->close(CloseCode::policy_violation, "hello first");
      co_return false;
    }
    co_await message(frame, r, session);
    co_return true;
  }

  asio::awaitable<void> serve(http::WebSocketUpgrade& up) {
    auto socket = co_await up.accept(
        http::WsOptions{config_.max_frame_bytes, std::chrono::seconds(config_.idle_timeout_s)});
    static auto& connected = metrics::registry().gauge(
        "frontdoor_websocket_connections", "Open WebSocket connections.", {{"kind", "chat"}});
    connected.add(1);
    auto session = std::make_shared<ChatSession>();
    session->socket = socket;
    Resident resident;
    bool open = true;
    while (open) {
      auto text = co_await socket->read();
      if (!text) break;
      std::optional<FrameError> error;
      try {
        open = co_await handle(*text, resident, session);
      } catch (const FrameError& e) {
        error = e;
      } catch (const http::ApiError& e) {
        error = FrameError{std::string(http::code_name(e.code())), e.what()};
      } catch (const redis::RedisUnavailable&) {
        metrics::rejected("webchat", "unavailable").inc();
        socket->send(frame_error("unavailable",
                                 "your message was not received; please send it again", true));
      } catch (const std::exception& e) {
        log::error("chat_frame_failed", {{"error", e.what()}});
        socket->send(frame_error("internal", "something went wrong; please send it again", true));
      }
      if (error) socket->send(frame_error(error->code, error->message, false));
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
