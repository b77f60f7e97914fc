// Hostile and malformed input gets a precise error, changes nothing, and is counted.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "tests/integration/harness.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {
std::string str(const json::value& v) { return std::string(v.as_string()); }
std::string code(const HttpResult& r) { return str(r.json().at("error").at("code")); }

std::pair<int, std::string> run(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  int status = pclose(pipe);
  return {WEXITSTATUS(status), out};
}
}  // namespace

TEST_CASE("the HTTP edge answers malformed requests precisely and counts them") {
  RedisServer redis;
  Daemon daemon(redis.url(), {{"SERVER_MAX_BODY_BYTES", "4096"}});
  auto token = daemon.login();

  auto bad_json = daemon.post("/api/v1/login", "{\"username\": ");
  CHECK(bad_json.status == 400);
  CHECK(code(bad_json) == "invalid_json");
  CHECK(code(daemon.post("/api/v1/login", "[1,2]")) == "invalid_json");
  auto bad_utf8 = daemon.post("/api/v1/login", "{\"username\":\"\xC3\x28\",\"password\":\"x\"}");
  CHECK(bad_utf8.status == 400);
  CHECK(code(bad_utf8) == "invalid_utf8");
  auto missing = daemon.post("/api/v1/login", R"({"username":"admin"})");
  CHECK(missing.status == 400);
  CHECK(code(missing) == "missing_field");
  CHECK(daemon.post("/api/v1/login", R"({"username":"admin","password":"wrong"})").status == 401);
  CHECK(daemon.post("/api/v1/login", "username=admin", {}, "text/plain").status == 415);

  auto huge = daemon.post("/api/v1/login", std::string(10000, 'x'));
  CHECK(huge.status == 413);
  CHECK(code(huge) == "payload_too_large");

  auto no_token = daemon.get("/api/v1/conversations");
  CHECK(no_token.status == 401);
  CHECK(no_token.headers.count("www-authenticate") == 1);
  CHECK(daemon.get("/api/v1/conversations", std::string(64, 'a')).status == 401);
  CHECK(daemon.get("/api/v1/conversations", "not-a-token").status == 401);
  CHECK(daemon.get("/api/v1/conversations?access_token=" + token).status == 401);  // stream only
  CHECK(websocket_refusal(daemon.port(), "/api/v1/stream") == 401);
  CHECK(websocket_refusal(daemon.port(), "/api/v1/stream?access_token=forged") == 401);

  CHECK(daemon.get("/api/v1/conversations?status=lost", token).status == 400);
  CHECK(daemon.get("/api/v1/conversations?limit=0", token).status == 400);
  CHECK(daemon.get("/api/v1/conversations/424242", token).status == 404);
  auto odd_device = daemon.post("/open311/v2/requests.json",
                                "service_code=pothole&address_string=x&device_id=two+words", {},
                                "application/x-www-form-urlencoded");
  CHECK(odd_device.status == 400);
  CHECK(odd_device.json().at(0).at("code").as_int64() == 400);
  CHECK(daemon.get("/nowhere").status == 404);
  auto wrong_method = http(daemon.port(), "DELETE", "/api/v1/login");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.headers["allow"] == "POST");

  auto id = str(daemon
                    .post("/open311/v2/requests.json", "service_code=pothole&address_string=x", {},
                          "application/x-www-form-urlencoded")
                    .json()
                    .at(0)
                    .at("service_request_id"));
  auto reply = [&](const std::string& body) {
    return daemon.post("/api/v1/conversations/" + id + "/messages", body, token);
  };
  CHECK(code(reply(R"({"text":""})")) == "missing_field");
  CHECK(code(reply(R"({"text":"   "})")) == "missing_field");
  CHECK(code(reply(R"({"text":42})")) == "invalid_field");
  CHECK(code(reply("{\"text\":\"bell\\u0007\"}")) == "invalid_field");
  CHECK(code(daemon.post("/api/v1/conversations/" + id + "/status", R"({"status":"done"})",
                         token)) == "invalid_field");
  // None of that reached the conversation.
  CHECK(daemon.get("/api/v1/conversations/" + id, token).json().at("messages").as_array().size() ==
        1);

  auto metrics = daemon.get("/metrics").body;
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="http",reason="invalid_json"})") !=
        std::string::npos);
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="http",reason="payload_too_large"})") !=
        std::string::npos);
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="http",reason="unauthorized"})") !=
        std::string::npos);
  CHECK(metrics.find(R"(frontdoor_inbound_messages_total{channel="webform"} 1)") !=
        std::string::npos);
  CHECK(metrics.find("frontdoor_http_request_duration_seconds_bucket") != std::string::npos);
}

TEST_CASE("the chat edge refuses bad frames and closes on hostile ones") {
  RedisServer redis;
  Daemon daemon(redis.url(), {{"CHANNELS_WEBCHAT_MAX_FRAME_BYTES", "1024"}});

  WsClient early(daemon.port(), "/chat/ws");
  early.send(R"({"type":"message","text":"hi"})");
  CHECK(str(early.read_until("error").at("code")) == "protocol");
  CHECK_FALSE(early.read().has_value());
  CHECK(early.close_code() == 1008);

  WsClient resident(daemon.port(), "/chat/ws");
  resident.send("not json");
  CHECK(str(resident.read_until("error").at("code")) == "invalid_json");
  resident.send(R"({"type":"dance"})");
  CHECK(str(resident.read_until("error").at("code")) == "unknown_type");
  resident.send(R"({"type":"resume","token":"forged"})");
  CHECK(str(resident.read_until("error").at("code")) == "unknown_token");
  resident.send(R"({"type":"hello","name":"Bo","language":"vi<script>"})");
  CHECK(str(resident.read_until("error").at("code")) == "invalid_field");
  resident.send(R"({"type":"hello","name":"Bo","language":"vi"})");
  resident.read_until("welcome");
  resident.send(R"({"type":"message","text":"hi","client_id":"has space"})");
  CHECK(str(resident.read_until("error").at("code")) == "invalid_field");
  resident.send(R"({"type":"message","text":""})");
  CHECK(str(resident.read_until("error").at("code")) == "missing_field");
  resident.send(R"({"type":"message","text":"still here"})");
  CHECK(str(resident.read_until("message").at("text")) == "still here");

  resident.send(
      json::serialize(json::object{{"type", "message"}, {"text", std::string(2000, 'a')}}));
  CHECK_FALSE(resident.read().has_value());
  CHECK(resident.close_code() == 1009);

  WsClient binary(daemon.port(), "/chat/ws");
  binary.send_binary(std::string("\x00\x01", 2));
  CHECK_FALSE(binary.read().has_value());
  CHECK(binary.close_code() == 1003);

  auto metrics = daemon.get("/metrics").body;
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="websocket",reason="frame_too_big"})") !=
        std::string::npos);
  CHECK(metrics.find(R"(frontdoor_rejected_total{edge="webchat",reason="invalid_json"})") !=
        std::string::npos);
}

TEST_CASE("frontdoord checks its configuration and says where it is wrong") {
  auto dir = fresh_dir("config");
  std::ofstream(dir + "/bad.toml") << "[server]\nlisten = \"127.0.0.1:8080\"\nthreds = 4\n";
  auto [bad_status, bad_out] =
      run(std::string(FRONTDOORD_PATH) + " --check-config " + dir + "/bad.toml");
  CHECK(bad_status == 1);
  CHECK(bad_out.find("bad.toml:3:1") != std::string::npos);
  CHECK(bad_out.find("server.threads") != std::string::npos);  // the suggestion

  auto [good_status, good_out] =
      run(std::string(FRONTDOORD_PATH) + " --check-config " FRONTDOOR_SOURCE_DIR
                                         "/config/frontdoor.toml");
  CHECK(good_status == 0);
  auto [env_status, env_out] = run("FRONTDOOR_SERVER_THREADS=many " + std::string(FRONTDOORD_PATH) +
                                   " --check-config " FRONTDOOR_SOURCE_DIR "/config/demo.toml");
  CHECK(env_status == 1);
  CHECK(env_out.find("FRONTDOOR_SERVER_THREADS") != std::string::npos);
  auto [version_status, version_out] = run(std::string(FRONTDOORD_PATH) + " --version");
  CHECK(version_status == 0);
  CHECK(version_out.find("frontdoord ") == 0);
  CHECK(run(std::string(FRONTDOORD_PATH) + " --listen nowhere").first == 2);
}
