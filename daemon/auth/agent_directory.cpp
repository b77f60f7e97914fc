#include "daemon/auth/agent_directory.hpp"

#include <argon2.h>
#include <openssl/rand.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "daemon/config/config.hpp"
#include "daemon/crypto/tokens.hpp"
#include "daemon/offload.hpp"

namespace frontdoor::store::lua {
extern const std::string_view common, agent_create;
}

namespace frontdoor::auth {

namespace asio = boost::asio;
using redis::RedisReply;

namespace {

std::string join_commas(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::optional<Agent> to_agent(const RedisReply& hash) {
  if (hash.elements.empty()) return std::nullopt;
  Agent a;
  for (std::size_t i = 0; i + 1 < hash.elements.size(); i += 2) {
    const auto& k = hash.elements[i].str;
    const auto& v = hash.elements[i + 1].str;
    if (k == "username")
      a.username = v;
    else if (k == "display_name")
      a.display_name = v;
    else if (k == "role")
      a.role = role_from_name(v).value_or(Role::agent);
    else if (k == "languages")
      a.languages = split_list(v);
    else if (k == "queues")
      a.queues = split_list(v);
    else if (k == "capacity")
      a.capacity = v;
    else if (k == "presence")
      a.presence = v;
  }
  return a;
}

std::string agent_key(const std::string& username) { return "agent:{" + username + "}"; }

}  // namespace

std::optional<Role> role_from_name(std::string_view name) {
  if (name == "agent") return Role::agent;
  if (name == "supervisor") return Role::supervisor;
  if (name == "manager") return Role::manager;
  if (name == "admin") return Role::admin;
  if (name == "interpreter") return Role::interpreter;
  return std::nullopt;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::agent:
      return "agent";
    case Role::supervisor:
      return "supervisor";
    case Role::manager:
      return "manager";
    case Role::admin:
      return "admin";
    case Role::interpreter:
      return "interpreter";
  }
  return "agent";
}

bool Agent::may_see(const std::string& queue, const std::string& holder,
                    const std::string& interpreter) const {
  if (role == Role::interpreter) return interpreter == username;
  if (sees_all_queues() || holder == username) return true;
  return std::find(queues.begin(), queues.end(), queue) != queues.end();
}

bool valid_username(std::string_view username) {
  if (username.empty() || username.size() > 64) return false;
  for (char c : username) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

AgentDirectory::AgentDirectory(redis::RedisClient& redis, Settings settings)
    : redis_(redis),
      settings_(settings),
      hashing_(static_cast<std::size_t>(settings.hashing_threads)) {
  // What login() verifies for an unknown user, so that both take the same time. Made here,
  // before any request, so that no two requests race to make it.
  unsigned char salt[16] = {0};
  char encoded[256];
  const char* password = "not a password";
  int rc =
      argon2id_hash_encoded(settings_.argon2_iterations, settings_.argon2_memory_kib, 1, password,
                            std::strlen(password), salt, sizeof salt, 32, encoded, sizeof encoded);
  if (rc != ARGON2_OK) throw std::runtime_error(argon2_error_message(rc));
  dummy_hash_ = encoded;
}

AgentDirectory::~AgentDirectory() { hashing_.join(); }

asio::awaitable<std::string> AgentDirectory::hash(std::string password) {
  auto settings = settings_;
  auto work = [password = std::move(password), settings] {
    unsigned char salt[16];
    if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no randomness available");
    char encoded[256];
    int rc = argon2id_hash_encoded(settings.argon2_iterations, settings.argon2_memory_kib, 1,
                                   password.data(), password.size(), salt, sizeof salt, 32, encoded,
                                   sizeof encoded);
    if (rc != ARGON2_OK) throw std::runtime_error(argon2_error_message(rc));
    return std::string(encoded);
  };
  co_return co_await offload(hashing_, std::move(work));
}

asio::awaitable<bool> AgentDirectory::verify(std::string password, std::string encoded) {
  auto work = [password = std::move(password), encoded = std::move(encoded)] {
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
  };
  co_return co_await offload(hashing_, std::move(work));
}

asio::awaitable<std::optional<Session>> AgentDirectory::login(const std::string& username,
                                                              const std::string& password) {
  std::optional<Agent> agent;
  std::string encoded = dummy_hash_;
  if (valid_username(username)) {
    RedisReply reply = co_await redis_.call("HGETALL", agent_key(username));
    agent = to_agent(reply);
    for (std::size_t i = 0; agent && i + 1 < reply.elements.size(); i += 2) {
      if (reply.elements[i].str == "password") encoded = reply.elements[i + 1].str;
    }
  }
  bool ok = co_await verify(password, encoded);
  if (!ok || !agent) co_return std::nullopt;
  Session session;
  session.token = crypto::random_hex(32);
  session.agent = *agent;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  session.expires_at_ms = now + settings_.token_ttl_s * 1000LL;
  co_await redis_.call("SET", "session:" + crypto::sha256_hex(session.token), username, "EX",
                       std::to_string(settings_.token_ttl_s));
  co_return session;
}

asio::awaitable<std::optional<Agent>> AgentDirectory::authenticate(const std::string& token) {
  if (token.size() != 64) co_return std::nullopt;
  RedisReply username = co_await redis_.call("GET", "session:" + crypto::sha256_hex(token));
  if (username.type != RedisReply::Type::String) co_return std::nullopt;
  co_return co_await find(username.str);
}

asio::awaitable<void> AgentDirectory::logout(const std::string& token) {
  co_await redis_.call("DEL", "session:" + crypto::sha256_hex(token));
}

asio::awaitable<bool> AgentDirectory::create(const NewAgent& agent) {
  std::string encoded = co_await hash(agent.password);
  static const redis::Script script("agent_create", std::string(store::lua::common) + "\n" +
                                                        std::string(store::lua::agent_create));
  std::vector<std::string> args{agent.username,
                                agent.display_name.empty() ? agent.username : agent.display_name,
                                std::string(role_name(agent.role)),
                                join_commas(agent.languages),
                                join_commas(agent.queues),
                                encoded,
                                agent.capacity};
  RedisReply reply = co_await redis_.eval(script, std::vector<std::string>(), std::move(args));
  if (reply.is_error()) throw std::runtime_error("agent_create failed: " + reply.str);
  co_return reply.integer == 1;
}

asio::awaitable<std::optional<Agent>> AgentDirectory::find(const std::string& username) {
  if (!valid_username(username)) co_return std::nullopt;
  co_return to_agent(co_await redis_.call("HGETALL", agent_key(username)));
}

asio::awaitable<std::vector<Agent>> AgentDirectory::list() {
  RedisReply names = co_await redis_.call("SMEMBERS", "agents");
  std::vector<Agent> out;
  for (const auto& name : names.elements) {
    if (auto a = co_await find(name.str)) out.push_back(std::move(*a));
  }
  std::sort(out.begin(), out.end(),
            [](const Agent& a, const Agent& b) { return a.username < b.username; });
  co_return out;
}

asio::awaitable<bool> AgentDirectory::bootstrap_admin(const std::string& username,
                                                      const std::string& password) {
  RedisReply admins = co_await redis_.call("SCARD", "agents:role:admin");
  if (admins.integer > 0) co_return false;
  NewAgent admin{username, password, username, Role::admin, {"en"}, {}, {}};
  co_return co_await create(admin);
}

}  // namespace frontdoor::auth
