// The agent API under /api/v1 (docs/api.md; OpenAPI at /api/openapi.json): login, agents,
// conversations, replies, notes, status, assignment, and the live event stream.
//
// Every route but login needs "Authorization: Bearer <token>" (the stream also takes
// ?access_token= because browsers cannot set headers on a WebSocket). An agent sees the
// conversations of their queues and those they hold; supervisors and admins see all.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "daemon/auth/agent_directory.hpp"
#include "daemon/deliver/deliver.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/http/router.hpp"
#include "daemon/ingest/ingest.hpp"
#include "daemon/store/conversation_store.hpp"

namespace frontdoor::api {

class AgentApi {
 public:
  // `data_dir`: where channels keep files (a mail's raw message and attachments) that agents
  // may download.
  AgentApi(auth::AgentDirectory& agents, store::ConversationStore& store, Ingest& ingest,
           Deliver& deliver, events::EventBus& events, std::size_t max_frame_bytes,
           std::string data_dir);
  ~AgentApi();
  void register_routes(http::Router& router);
  // How often an open live stream tells the store its agent is there (routing's liveness).
  void set_liveness_interval(std::chrono::milliseconds interval) { liveness_interval_ = interval; }
  // The service-level target queues are measured against (routing.service_level_s).
  void set_service_level(std::chrono::milliseconds target) { service_level_ms_ = target.count(); }
  // Called with a conversation's id when an agent resolved it and the resident is to be told
  // (POST …/status: notify_resident, by default `by_default`: conversations.notify_resolved).
  void on_resolved(std::function<void(const std::string&)> notify, bool by_default) {
    notify_resolved_ = std::move(notify);
    notify_resolved_by_default_ = by_default;
  }

 private:
  struct Stream;
  // Tells the store every liveness interval that `username`'s inbox is open, while *open.
  boost::asio::awaitable<void> still_there(std::string username, std::shared_ptr<bool> open);
  std::shared_ptr<Stream> stream_;
  auth::AgentDirectory& agents_;
  store::ConversationStore& store_;
  Ingest& ingest_;
  Deliver& deliver_;
  std::size_t max_frame_bytes_;
  std::string data_dir_;
  std::chrono::milliseconds liveness_interval_{10000};
  long long service_level_ms_ = 25000;
  std::function<void(const std::string&)> notify_resolved_;
  bool notify_resolved_by_default_ = false;
  boost::asio::thread_pool files_{1};  // reads kept files off the I/O threads
};

}  // namespace frontdoor::api
