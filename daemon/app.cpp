#include "daemon/app.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "channels/channel.hpp"
#include "daemon/api/agent_api.hpp"
#include "daemon/auth/agent_directory.hpp"
#include "daemon/deliver/deliver.hpp"
#include "daemon/deliver/resident_notices.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/http/server.hpp"
#include "daemon/ingest/ingest.hpp"
#include "daemon/interpreting/interpreting.hpp"
#include "daemon/log/log.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/net/http_client.hpp"
#include "daemon/redis/embedded_redis.hpp"
#include "daemon/redis/redis_client.hpp"
#include "daemon/routing/router.hpp"
#include "daemon/store/conversation_store.hpp"

namespace frontdoor {

namespace asio = boost::asio;
using http::HttpRequest;
using http::HttpResponse;
using http::PathParams;

namespace {

std::pair<std::string, unsigned short> split_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return {host, static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))};
}

std::string default_web_root() {
  std::filesystem::path source(FRONTDOOR_SOURCE_DIR);
  return (source / "web").string();
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

// Creates the first admin from FRONTDOOR_BOOTSTRAP_ADMIN=user:password once Redis answers.
asio::awaitable<void> bootstrap_admin(auth::AgentDirectory& agents, std::string spec) {
  auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size() ||
      !auth::valid_username(spec.substr(0, colon))) {
    log::error("bootstrap_admin_invalid",
               {{"hint", "FRONTDOOR_BOOTSTRAP_ADMIN=username:password"}});
    co_return;
  }
  for (int attempt = 0; attempt < 600; ++attempt) {
    try {
      if (co_await agents.bootstrap_admin(spec.substr(0, colon), spec.substr(colon + 1))) {
        log::info("bootstrap_admin_created", {{"agent", spec.substr(0, colon)}});
      }
      co_return;
    } catch (const redis::RedisUnavailable&) {
    }
    co_await sleep_for(std::chrono::milliseconds(200));
  }
}

// GET /healthz, /readyz (both Redis connections up) and /metrics (docs/api.md §11). No
// authentication: they are for the operator's network.
void add_operator_routes(http::Router& router, redis::RedisClient& commands,
                         redis::RedisClient& events_reader) {
  router.add("GET", "/healthz",
             [](HttpRequest&, const PathParams&) -> asio::awaitable<HttpResponse> {
               co_return HttpResponse::json(200, R"({"status":"ok"})");
             });
  router.add("GET", "/readyz",
             [&commands, &events_reader](HttpRequest&,
                                         const PathParams&) -> asio::awaitable<HttpResponse> {
               bool redis_up = commands.connected() && events_reader.connected();
               boost::json::object body{{"ready", redis_up}, {"redis", redis_up ? "up" : "down"}};
               auto res = HttpResponse::json(redis_up ? 200 : 503, boost::json::serialize(body));
               if (!redis_up) res.headers.emplace_back("Retry-After", "5");
               co_return res;
             });
  router.add("GET", "/metrics",
             [&commands](HttpRequest&, const PathParams&) -> asio::awaitable<HttpResponse> {
               metrics::registry()
                   .gauge("frontdoor_redis_up", "1 while the command connection to Redis is up.")
                   .set(commands.connected() ? 1 : 0);
               co_return HttpResponse::text(200, metrics::registry().render(),
                                            "text/plain; version=0.0.4; charset=utf-8");
             });
}

void print_banner(const std::string& base, bool embedded, const std::string& data_dir) {
  std::cout << "\nfrontdoor is running" << (embedded ? " (embedded Redis in " + data_dir + ")" : "")
            << "\n\n"
            << "  Resident chat        " << base << "/chat\n"
            << "  Report a problem     " << base << "/report\n"
            << "  Open311 services     " << base << "/open311/v2/services.json\n"
            << "  Agent inbox          " << base << "/inbox\n"
            << "  Agent API (OpenAPI)  " << base << "/api/openapi.json\n"
            << "  Readiness, metrics   " << base << "/readyz  " << base << "/metrics\n\n"
            << "Stop with Ctrl-C.\n"
            << std::endl;
}

}  // namespace

struct Instance::Parts {
  Parts(const Config& config, asio::io_context& io, redis::RedisClient& commands,
        redis::RedisClient& events_reader)
      : store(commands, {config.conversations.default_queue, config.conversations.dedup_ttl_s,
                         config.conversations.events_maxlen}),
        ingest(store, Ingest::Limits{},
               {i18n::canonical_tags(config.i18n.languages),
                config.i18n.detection_min_confidence / 100.0,
                static_cast<std::size_t>(config.i18n.detection_min_letters)}),
        agents(commands, {config.auth.token_ttl_s, config.auth.argon2_memory_kib,
                          config.auth.argon2_iterations, config.auth.argon2_threads}),
        events(io.get_executor(), events_reader),
        deliver(store),
        http_client(io.get_executor(), {}),
        services{config, ingest, store, events, router, http_client, io.get_executor(),
                 io,     deliver},
        channels(ChannelRegistry::create_enabled(services)),
        queues(config),
        catalog(templates::Catalog::load_configured(config.server.templates_dir)),
        notices(store, deliver, queues, catalog, config.email.from_name),
        conversation_router(io.get_executor(), config.routing, queues, store, events,
                            config.interpreters.enabled),
        interpreting(io.get_executor(), config, store, events, deliver, ingest, http_client),
        agent_api(agents, store, ingest, deliver, events, 64 * 1024, config.data_dir) {
    for (auto& channel : channels) {
      deliver.add_channel(*channel);
      log::info("channel_enabled", {{"channel", channel->name()}});
    }
    ingest.on_stored([&io, this](const Inbound& in, const IngestResult& result) {
      if (ResidentNotices::wanted(in, result)) {
        asio::co_spawn(io, notices.acknowledge(result.conversation_id), asio::detached);
      }
    });
    agent_api.on_resolved(
        [&io, this](const std::string& conversation_id) {
          asio::co_spawn(io, notices.resolved(conversation_id), asio::detached);
        },
        config.conversations.notify_resolved);
    interpreting.register_routes(router);
    agent_api.set_liveness_interval(std::min<std::chrono::milliseconds>(
        std::chrono::seconds(10),
        std::chrono::milliseconds(config.routing.offline_grace_s * 1000 / 3)));
    agent_api.set_service_level(std::chrono::seconds(config.routing.service_level_s));
    agent_api.register_routes(router);
    add_operator_routes(router, commands, events_reader);
  }

  store::ConversationStore store;
  Ingest ingest;
  auth::AgentDirectory agents;
  events::EventBus events;
  http::Router router;
  Deliver deliver;
  net::HttpClient http_client;
  ChannelServices services;
  std::vector<std::unique_ptr<Channel>> channels;
  const routing::QueuePolicies queues;
  const templates::Catalog catalog;
  ResidentNotices notices;
  routing::Router conversation_router;
  interpreting::Interpreting interpreting;
  api::AgentApi agent_api;
};

Instance::Instance(const Config& config, asio::io_context& io, redis::RedisClient& commands,
                   redis::RedisClient& events_reader)
    : parts_(std::make_unique<Parts>(config, io, commands, events_reader)),
      executor_(io.get_executor()) {}

Instance::~Instance() = default;

http::Router& Instance::router() { return parts_->router; }

auth::AgentDirectory& Instance::agents() { return parts_->agents; }

void Instance::start() {
  parts_->deliver.start(executor_);
  parts_->conversation_router.start();
  parts_->interpreting.start();
  parts_->events.start();
}

void Instance::stop() {
  parts_->conversation_router.stop();
  parts_->interpreting.stop();
  parts_->deliver.stop();
  for (auto& channel : parts_->channels) channel->stop();
  parts_->http_client.stop();
  parts_->events.stop();
}

int run_daemon(const Config& config) {
  log::init(config.log.level);
  std::filesystem::create_directories(config.data_dir);

  std::unique_ptr<redis::EmbeddedRedis> embedded;
  std::string url = config.redis.url;
  if (url.empty()) {
    embedded = std::make_unique<redis::EmbeddedRedis>(config.redis.server_binary, config.data_dir,
                                                      config.redis.appendfsync);
    embedded->start();
    url = embedded->url();
    log::info("embedded_redis_started", {{"socket", url}});
  }
  redis::Endpoint endpoint = redis::Endpoint::parse(url);

  unsigned threads = config.server.threads > 0 ? static_cast<unsigned>(config.server.threads)
                                               : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context io(static_cast<int>(threads));
  redis::RedisClient::Options redis_options;
  redis_options.reconnect_max = std::chrono::milliseconds(config.redis.reconnect_max_ms);
  redis_options.name = "frontdoord";
  redis::RedisClient commands(io.get_executor(), endpoint, redis_options);
  redis_options.name = "frontdoord-events";
  redis::RedisClient events_reader(io.get_executor(), endpoint, redis_options);
  commands.start();
  events_reader.start();

  Instance instance(config, io, commands, events_reader);
  instance.start();

  auto [host, port] = split_listen(config.server.listen);
  http::HttpServer server(
      io, instance.router(),
      {host, port, config.server.max_body_bytes,
       config.server.web_root.empty() ? default_web_root() : config.server.web_root});
  try {
    server.start();
  } catch (const std::exception& e) {
    log::error("listen_failed", {{"listen", config.server.listen}, {"error", e.what()}});
    std::cerr << "frontdoord: cannot listen on " << config.server.listen << ": " << e.what()
              << "\n";
    return 1;
  }
  std::string base = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                     ":" + std::to_string(server.port());
  log::info("listening", {{"url", base}, {"threads", std::to_string(threads)}});
  print_banner(config.server.public_url.empty() ? base : config.server.public_url,
               embedded != nullptr, config.data_dir);

  if (const char* spec = std::getenv("FRONTDOOR_BOOTSTRAP_ADMIN"); spec && *spec) {
    asio::co_spawn(io, bootstrap_admin(instance.agents(), spec), asio::detached);
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log::info("shutting_down", {{"signal", std::to_string(signal)}});
    server.stop();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(config.server.shutdown_grace_s);
          while (server.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
            co_await sleep_for(std::chrono::milliseconds(20));
          }
          // Let WebSocket close frames go out.
          co_await sleep_for(std::chrono::milliseconds(100));
          instance.stop();
          commands.stop();
          events_reader.stop();
          io.stop();
        },
        asio::detached);
  });

  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : workers) t.join();
  if (embedded) embedded->stop();
  log::info("stopped");
  return 0;
}

}  // namespace frontdoor
