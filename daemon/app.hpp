// The frontdoord process: wires configuration, the store, channels, the API and the server,
// runs them on one io_context with a thread per core, and shuts down gracefully.
//
// Start order: embedded Redis (when no redis.url) → Redis connections → event bus → channels
// and API routes → HTTP server. Shutdown on SIGTERM/SIGINT: stop accepting, close WebSockets
// (1001), let requests in flight finish (up to server.shutdown_grace_s), stop channels, close
// Redis, stop the embedded Redis last so it flushes its AOF.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>

#include "daemon/config/config.hpp"

namespace frontdoor {

namespace auth {
class AgentDirectory;
}
namespace http {
class Router;
}
namespace redis {
class RedisClient;
}

// One frontdoord instance around its two Redis connections: the store, ingest, agents, the event
// bus, delivery, the enabled channels, routing, interpreting and the agent API, with every HTTP
// route registered (router()). Constructing it runs nothing on `io` (a channel may open a
// listener of its own: the SMTP receiver); start() starts delivery, routing, interpreting and
// the event bus, which run once `io` does; stop() stops those and the channels.
class Instance {
 public:
  Instance(const Config& config, boost::asio::io_context& io, redis::RedisClient& commands,
           redis::RedisClient& events_reader);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  http::Router& router();
  auth::AgentDirectory& agents();
  void start();
  void stop();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
  boost::asio::any_io_executor executor_;
};

// Runs until a stop signal. Returns the process exit code.
int run_daemon(const Config& config);

}  // namespace frontdoor
