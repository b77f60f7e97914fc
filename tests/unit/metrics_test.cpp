#include <catch2/catch.hpp>

#include "daemon/metrics/metrics.hpp"

using namespace frontdoor::metrics;

TEST_CASE("metrics render in the Prometheus text format") {
  Registry r;
  r.counter("t_requests_total", "Requests.", {{"channel", "sms"}}).inc(3);
  r.counter("t_requests_total", "Requests.", {{"channel", "sms"}}).inc();
  r.counter("t_requests_total", "Requests.", {{"channel", "we\"b"}}).inc();
  r.gauge("t_up", "Up.").set(1);
  auto& h = r.histogram("t_latency_seconds", "Latency.", {{"route", "/x"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  auto text = r.render();
  CHECK(text.find("# TYPE t_requests_total counter\n") != std::string::npos);
  CHECK(text.find("t_requests_total{channel=\"sms\"} 4\n") != std::string::npos);
  CHECK(text.find("t_requests_total{channel=\"we\\\"b\"} 1\n") != std::string::npos);
  CHECK(text.find("t_up 1\n") != std::string::npos);
  CHECK(text.find("t_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n") != std::string::npos);
  CHECK(text.find("t_latency_seconds_bucket{route=\"/x\",le=\"1\"} 2\n") != std::string::npos);
  CHECK(text.find("t_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("t_latency_seconds_count{route=\"/x\"} 3\n") != std::string::npos);
}
