#include "daemon/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <ctime>

namespace frontdoor::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::info)};

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_logger_mt("frontdoor");
    l->set_pattern("%v");
    l->flush_on(spdlog::level::info);
    return l;
  }();
  return instance;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::trace:
      return "trace";
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

void init(const std::string& level) {
  static const char* names[] = {"trace", "debug", "info", "warn", "error"};
  for (int i = 0; i < 5; ++i) {
    if (level == names[i]) g_level = i;
  }
  logger()->set_level(spdlog::level::trace);
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void write(Level level, std::string_view event, Fields fields) {
  boost::json::object line;
  line["ts"] = timestamp();
  line["level"] = level_name(level);
  line["event"] = event;
  for (const auto& [k, v] : fields) line[k] = v;
  logger()->info(boost::json::serialize(line));
}

}  // namespace frontdoor::log
