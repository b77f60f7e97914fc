// Agents, their passwords and their sessions.
//
// Contract
//  1. Passwords are stored only as argon2id encoded hashes; hashing and verifying run on a
//     thread pool of their own, never on an I/O thread (one hash costs ~90 ms at 64 MiB).
//  2. A session token is 32 random bytes (hex); Redis keeps only its SHA-256
//     (session:<sha256>) with the token's lifetime as TTL, so a copy of the database grants
//     no access.
//  3. login() takes the same time whether the user exists or not (a dummy hash is verified).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/redis/redis_client.hpp"

namespace frontdoor::auth {

// interpreter: interprets conversations between residents and agents (language pairs: any two
// of its languages); sees only the conversations it interprets, never internal notes.
enum class Role { agent, supervisor, manager, admin, interpreter };
std::optional<Role> role_from_name(std::string_view name);
std::string_view role_name(Role role);

struct Agent {
  std::string username;
  std::string display_name;
  Role role = Role::agent;
  std::vector<std::string> languages;
  std::vector<std::string> queues;
  std::string capacity;              // "webchat:3,sms:4"; empty = routing.capacity
  std::string presence = "offline";  // available | away | offline

  // Supervisors and admins see every queue; others their queues and what they hold;
  // interpreters only what they interpret.
  bool sees_all_queues() const { return role == Role::supervisor || role == Role::admin; }
  bool may_see(const std::string& queue, const std::string& holder,
               const std::string& interpreter = {}) const;
};

struct NewAgent {
  std::string username, password, display_name;
  Role role = Role::agent;
  std::vector<std::string> languages, queues;
  std::string capacity;  // "webchat:3,sms:4"; empty = routing.capacity
};

struct Session {
  std::string token;
  long long expires_at_ms = 0;
  Agent agent;
};

class AgentDirectory {
 public:
  struct Settings {
    int token_ttl_s = 12 * 3600;
    int argon2_memory_kib = 64 * 1024;
    int argon2_iterations = 2;
    int hashing_threads = 2;
  };

  AgentDirectory(redis::RedisClient& redis, Settings settings);
  ~AgentDirectory();

  boost::asio::awaitable<std::optional<Session>> login(const std::string& username,
                                                       const std::string& password);
  boost::asio::awaitable<std::optional<Agent>> authenticate(const std::string& token);
  boost::asio::awaitable<void> logout(const std::string& token);
  // False when the username is taken.
  boost::asio::awaitable<bool> create(const NewAgent& agent);
  boost::asio::awaitable<std::optional<Agent>> find(const std::string& username);
  boost::asio::awaitable<std::vector<Agent>> list();
  // Creates `username` as admin when no admin exists yet. Returns true when it created one.
  boost::asio::awaitable<bool> bootstrap_admin(const std::string& username,
                                               const std::string& password);

 private:
  boost::asio::awaitable<std::string> hash(std::string password);
  boost::asio::awaitable<bool> verify(std::string password, std::string encoded);

  redis::RedisClient& redis_;
  Settings settings_;
  boost::asio::thread_pool hashing_;
  std::string dummy_hash_;
};

// Valid usernames: 1–64 of [a-z0-9._-].
bool valid_username(std::string_view username);

}  // namespace frontdoor::auth
