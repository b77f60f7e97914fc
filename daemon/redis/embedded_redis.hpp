// The embedded store: when no redis.url is configured, frontdoord runs its own redis-server.
//
// Contract
//  1. start() launches `binary` as a child process listening only on a Unix socket
//     (<data_dir>/redis.sock, mode 700, TCP port 0), with its files in <data_dir>/redis,
//     AOF on with the given appendfsync policy, and waits until it answers PING. It throws
//     std::runtime_error with redis-server's own complaint (from its log) when it cannot start.
//     start() blocks; it is called before the I/O threads run.
//  2. stop() (and the destructor) send SIGTERM, wait for the child to flush and exit, and
//     SIGKILL it after a grace period. The child also dies with us (PR_SET_PDEATHSIG).
//  3. url() is the endpoint to hand to RedisClient ("unix://<data_dir>/redis.sock").
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace frontdoor::redis {

class EmbeddedRedis {
 public:
  EmbeddedRedis(std::string binary, std::string data_dir, std::string appendfsync);
  ~EmbeddedRedis();
  EmbeddedRedis(const EmbeddedRedis&) = delete;
  EmbeddedRedis& operator=(const EmbeddedRedis&) = delete;

  void start(std::chrono::seconds timeout = std::chrono::seconds(20));
  void stop();
  std::string url() const;
  pid_t pid() const { return pid_; }

 private:
  std::string binary_, data_dir_, appendfsync_, socket_path_;
  pid_t pid_ = -1;
};

}  // namespace frontdoor::redis
