// A request filed through Open311 GeoReport v2 becomes a conversation; the agent's reply shows
// as its status_notes; resolving it closes the request.
#include <catch2/catch.hpp>

#include "tests/integration/harness.hpp"

using namespace frontdoor::testing;
namespace json = boost::json;

namespace {
std::string str(const json::value& v) { return std::string(v.as_string()); }
const char* kForm = "application/x-www-form-urlencoded";
}  // namespace

TEST_CASE("an Open311 request becomes a conversation and the reply appears in status_notes") {
  RedisServer redis;
  Daemon daemon(redis.url());
  auto token = daemon.login();

  auto services = daemon.get("/open311/v2/services.json");
  REQUIRE(services.status == 200);
  CHECK(str(services.json().at(0).at("service_code")) == "pothole");
  auto xml = daemon.get("/open311/v2/services.xml");
  CHECK(xml.status == 200);
  CHECK(xml.body.find("<service_code>water_leak</service_code>") != std::string::npos);
  CHECK(daemon.get("/open311/v2/services/pothole.json").status == 200);
  auto missing = daemon.get("/open311/v2/services/fax.json");
  CHECK(missing.status == 404);
  CHECK(missing.json().at(0).at("code").as_int64() == 404);

  auto filed = daemon.post("/open311/v2/requests.json",
                           "service_code=pothole&lat=45.5231&long=-122.6765"
                           "&description=Bache+profundo+frente+a+la+escuela&first_name=Mar%C3%ADa"
                           "&email=Maria%40Example.org",
                           {}, kForm);
  REQUIRE(filed.status == 201);
  std::string id = str(filed.json().at(0).at("service_request_id"));

  auto request = daemon.get("/open311/v2/requests/" + id + ".json").json().at(0);
  CHECK(str(request.at("status")) == "open");
  CHECK(request.at("status_notes").is_null());
  CHECK(str(request.at("service_code")) == "pothole");
  CHECK(str(request.at("description")) == "Bache profundo frente a la escuela");
  CHECK(str(request.at("agency_responsible")) == "streets");

  auto conv = daemon.get("/api/v1/conversations/" + id, token).json();
  CHECK(str(conv.at("conversation").at("origin_channel")) == "webform");
  CHECK(str(conv.at("conversation").at("contact").at("display_name")) == "María");
  CHECK(str(conv.at("conversation").at("attributes").at("lat")) == "45.5231");

  REQUIRE(daemon
              .post("/api/v1/conversations/" + id + "/messages",
                    R"({"text":"Una cuadrilla lo reparará el jueves."})", token)
              .status == 201);
  request = daemon.get("/open311/v2/requests/" + id + ".json").json().at(0);
  CHECK(str(request.at("status_notes")) == "Una cuadrilla lo reparará el jueves.");
  auto as_xml = daemon.get("/open311/v2/requests/" + id + ".xml");
  CHECK(as_xml.body.find("<status_notes>Una cuadrilla lo reparará el jueves.</status_notes>") !=
        std::string::npos);

  REQUIRE(daemon.post("/api/v1/conversations/" + id + "/status", R"({"status":"resolved"})", token)
              .status == 200);
  CHECK(str(daemon.get("/open311/v2/requests/" + id + ".json").json().at(0).at("status")) ==
        "closed");
  auto closed = daemon.get("/open311/v2/requests.json?status=closed").json().as_array();
  REQUIRE(closed.size() == 1);
  CHECK(str(closed[0].at("service_request_id")) == id);
  CHECK(daemon.get("/open311/v2/requests.json?status=open").json().as_array().empty());
  CHECK(daemon.get("/open311/v2/requests.json?service_request_id=" + id).json().as_array().size() ==
        1);
  CHECK(daemon.get("/open311/v2/requests/999.json").status == 404);
}

TEST_CASE("Open311 answers bad requests in its own error format") {
  RedisServer redis;
  Daemon daemon(redis.url(), {{"CHANNELS_WEBFORM_API_KEY", "city-key"}});

  auto no_key = daemon.post("/open311/v2/requests.json",
                            "service_code=pothole&address_string=1+A+St", {}, kForm);
  CHECK(no_key.status == 403);
  CHECK(no_key.json().at(0).at("code").as_int64() == 403);

  auto missing =
      daemon.post("/open311/v2/requests.json", "api_key=city-key&description=x", {}, kForm);
  CHECK(missing.status == 400);
  auto errors = missing.json().as_array();
  REQUIRE(errors.size() == 2);  // no service_code, no location
  CHECK(str(errors[0].at("description")).find("service_code") != std::string::npos);

  auto xml =
      daemon.post("/open311/v2/requests.xml", "api_key=city-key&service_code=pothole", {}, kForm);
  CHECK(xml.status == 400);
  CHECK(xml.body.find("<errors><error><code>400</code>") != std::string::npos);

  auto unknown = daemon.post("/open311/v2/requests.json",
                             "api_key=city-key&service_code=fax&address_string=1+A+St", {}, kForm);
  CHECK(unknown.status == 400);
  CHECK(daemon
            .post("/open311/v2/requests.json",
                  "api_key=city-key&service_code=pothole&lat=95&long=10", {}, kForm)
            .status == 400);
  CHECK(daemon
            .post("/open311/v2/requests.json",
                  "api_key=city-key&service_code=pothole&address_string=%FF%FE", {}, kForm)
            .status == 400);
  CHECK(daemon.get("/open311/v2/services.csv").status == 404);

  // The same Idempotency-Key files one request, however often it is retried.
  auto first =
      daemon.post("/open311/v2/requests.json",
                  "api_key=city-key&service_code=pothole&address_string=1+A+St", {}, kForm);
  std::map<std::string, std::string> headers{{"Content-Type", kForm}, {"Idempotency-Key", "k-77"}};
  auto a = http(daemon.port(), "POST", "/open311/v2/requests.json",
                "api_key=city-key&service_code=pothole&address_string=2+B+St", headers);
  auto b = http(daemon.port(), "POST", "/open311/v2/requests.json",
                "api_key=city-key&service_code=pothole&address_string=2+B+St", headers);
  REQUIRE(a.status == 201);
  REQUIRE(b.status == 201);
  CHECK(a.json().at(0).at("service_request_id") == b.json().at(0).at("service_request_id"));
  CHECK(a.json().at(0).at("service_request_id") != first.json().at(0).at("service_request_id"));
}

TEST_CASE("the city website's plain HTML form files a request") {
  RedisServer redis;
  Daemon daemon(redis.url());
  CHECK(daemon.get("/report").status == 200);
  auto filed = daemon.post("/forms/report",
                           "service_code=pothole&description=Hole+by+the+bus+stop"
                           "&address_string=5th+and+Pine",
                           {}, kForm);
  REQUIRE(filed.status == 201);
  auto at = filed.body.find("id=\"reference\">");
  REQUIRE(at != std::string::npos);
  std::string id = filed.body.substr(at + 15, filed.body.find('<', at + 15) - at - 15);
  CHECK(str(daemon.get("/open311/v2/requests/" + id + ".json").json().at(0).at("status")) ==
        "open");

  auto bad = daemon.post("/forms/report", "description=<script>alert(1)</script>", {}, kForm);
  CHECK(bad.status == 400);
  CHECK(bad.body.find("<script>") == std::string::npos);
}
