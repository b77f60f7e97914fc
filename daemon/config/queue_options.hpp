// [queues.<name>]: one table per queue (languages served, priority, business hours, service
// level, language wait, overflow, acknowledgements), read from the file only. Part of the
// configuration loader (config.cpp), kept apart because queues are tables of their own.
//
// Contract
//  1. Every key of a queue's table is declared once, in queue_options.cpp's key table, with its
//     type, bounds, default and meaning; a key not declared there is an error with a suggestion.
//  2. read() reports problems of single values at their line and column; check() reports those
//     that need the whole configuration: an overflow_to that names no queue the configuration
//     knows (a [queues.<name>] table, conversations.default_queue, a channel's or a web form
//     service's queue), a queue overflowing to itself or round in a circle, an overflow that
//     nothing triggers and a trigger without a target.
#pragma once

#include <toml++/toml.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.hpp"

namespace frontdoor::config_detail {
// config.cpp's wording, shared: " (did you mean 'x'?)" for an unknown key among `known`, and a
// TOML value as the operator wrote it.
std::string suggestion_for(std::string_view name, const std::vector<std::string>& known);
std::string value_text(const toml::node& node);
}  // namespace frontdoor::config_detail

namespace frontdoor::config_queues {

inline constexpr std::string_view kQueues = "queues";

using Problem = std::function<void(const toml::source_region&, const std::string&)>;

class QueueReader {
 public:
  // Reads the [queues] table into config.queues.
  void read(const toml::node& queues, Config& config, const Problem& problem);
  // The checks of rule 2, once the whole configuration is loaded.
  void check(const Config& config, const Problem& problem) const;

 private:
  std::map<std::string, toml::source_region> tables_;     // queue → its table
  std::map<std::string, toml::source_region> overflows_;  // queue → its overflow_to value
};

// Markdown table of the keys of a [queues.<name>] table.
std::string queue_reference_markdown();

}  // namespace frontdoor::config_queues
