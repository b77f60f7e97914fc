// Nothing accepted is ever lost: across daemon restarts, with the embedded Redis, and while
// Redis itself goes away and comes back in the middle of traffic.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "tests/integration/harness.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {
std::string str(const json::value& v) { return std::string(v.as_string()); }
const char* kForm = "application/x-www-form-urlencoded";

std::string file_request(const Daemon& daemon, const std::string& description) {
  auto res = daemon.post("/open311/v2/requests.json",
                         "service_code=pothole&address_string=1+Main+St&description=" + description,
                         {}, kForm);
  return res.status == 201 ? str(res.json().at(0).at("service_request_id")) : std::string();
}
}  // namespace

TEST_CASE("a restarted daemon finds every conversation, message and session") {
  RedisServer redis;
  Daemon daemon(redis.url());
  auto token = daemon.login();
  auto id = file_request(daemon, "before+restart");
  REQUIRE(!id.empty());
  REQUIRE(daemon.post("/api/v1/conversations/" + id + "/messages", R"({"text":"On it"})", token)
              .status == 201);

  CHECK(daemon.stop() == 0);  // SIGTERM: a clean, graceful exit
  daemon.start();
  auto conv = daemon.get("/api/v1/conversations/" + id, token);
  REQUIRE(conv.status == 200);  // the session survived too
  CHECK(conv.json().at("messages").as_array().size() == 2);
  CHECK(!file_request(daemon, "after+restart").empty());
}

TEST_CASE("the embedded Redis keeps data across restarts of the daemon") {
  Daemon daemon("");
  auto id = file_request(daemon, "embedded");
  REQUIRE(!id.empty());
  CHECK(daemon.stop() == 0);
  daemon.start();
  auto request = daemon.get("/open311/v2/requests/" + id + ".json");
  REQUIRE(request.status == 200);
  CHECK(str(request.json().at(0).at("description")) == "embedded");
}

TEST_CASE("while Redis is away nothing is accepted, and nothing accepted is lost") {
  RedisServer redis;
  Daemon daemon(redis.url());
  auto token = daemon.login();

  std::atomic<bool> running{true};
  std::mutex mutex;
  std::vector<std::string> accepted;
  std::atomic<int> refused{0};
  std::thread traffic([&] {
    for (int i = 0; running; ++i) {
      auto res = daemon.post(
          "/open311/v2/requests.json",
          "service_code=pothole&address_string=1+Main+St&description=n" + std::to_string(i), {},
          kForm);
      if (res.status == 201) {
        std::lock_guard lock(mutex);
        accepted.push_back(str(res.json().at(0).at("service_request_id")));
      } else {
        CHECK(res.status == 503);
        CHECK(res.headers.count("retry-after") == 1);
        refused++;
      }
    }
  });

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  redis.stop();
  // Readiness says so, and a chat message gets a retryable error instead of a receipt.
  bool unready = false;
  for (int i = 0; i < 100 && !unready; ++i) {
    unready = daemon.get("/readyz").status == 503;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(unready);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  redis.start();
  CHECK(daemon.wait_ready(std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  running = false;
  traffic.join();

  CHECK(refused > 0);
  REQUIRE(accepted.size() > 2);
  std::set<std::string> unique(accepted.begin(), accepted.end());
  CHECK(unique.size() == accepted.size());
  for (const auto& id : accepted) {
    INFO("request " << id);
    CHECK(daemon.get("/api/v1/conversations/" + id, token).status == 200);
  }
  // The daemon serves normally again.
  CHECK(!file_request(daemon, "recovered").empty());
}

TEST_CASE("a chat message sent while Redis is away is refused, not dropped") {
  RedisServer redis;
  Daemon daemon(redis.url());
  WsClient resident(daemon.port(), "/chat/ws");
  resident.send(R"({"type":"hello","name":"Samira","language":"so"})");
  resident.read_until("welcome");
  redis.stop();
  for (int i = 0; i < 100 && daemon.get("/readyz").status != 503; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  resident.send(R"({"type":"message","text":"Salaan","client_id":"s1"})");
  auto error = resident.read_until("error");
  CHECK(str(error.at("code")) == "unavailable");
  CHECK(error.at("retryable").as_bool());
  redis.start();
  REQUIRE(daemon.wait_ready(std::chrono::seconds(10)));
  resident.send(R"({"type":"message","text":"Salaan","client_id":"s1"})");
  auto receipt = resident.read_until("message");
  CHECK(str(receipt.at("text")) == "Salaan");
}
