// The frontdoord process: wires configuration, the store, channels, the API and the server,
// runs them on one io_context with a thread per core, and shuts down gracefully.
//
// Start order: embedded Redis (when no redis.url) → Redis connections → event bus → channels
// and API routes → HTTP server. Shutdown on SIGTERM/SIGINT: stop accepting, close WebSockets
// (1001), let requests in flight finish (up to server.shutdown_grace_s), stop channels, close
// Redis, stop the embedded Redis last so it flushes its AOF.
#pragma once

#include "daemon/config/config.hpp"

namespace frontdoor {

// Runs until a stop signal. Returns the process exit code.
int run_daemon(const Config& config);

}  // namespace frontdoor
