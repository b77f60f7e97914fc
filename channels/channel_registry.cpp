#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "channels/channel.hpp"

namespace frontdoor {
namespace {

struct Entry {
  ChannelEnabled enabled;
  ChannelFactory factory;
};

std::map<std::string, Entry>& entries() {
  static std::map<std::string, Entry> instance;
  return instance;
}

}  // namespace

std::string_view outcome_name(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::accepted:
      return "accepted";
    case SendOutcome::rejected:
      return "rejected";
    case SendOutcome::retry_later:
      return "retry_later";
  }
  return "accepted";
}

bool ChannelRegistry::add(std::string name, ChannelEnabled enabled, ChannelFactory factory) {
  auto [it, inserted] = entries().emplace(name, Entry{std::move(enabled), std::move(factory)});
  if (!inserted) {
    std::fprintf(stderr, "frontdoor: channel '%s' is registered twice\n", name.c_str());
    std::abort();
  }
  return true;
}

void ChannelRegistry::replace(const std::string& name, ChannelFactory factory) {
  entries().at(name).factory = std::move(factory);
}

std::vector<std::string> ChannelRegistry::names() {
  std::vector<std::string> out;
  for (const auto& [name, entry] : entries()) out.push_back(name);
  return out;
}

std::vector<std::unique_ptr<Channel>> ChannelRegistry::create_enabled(ChannelServices& services) {
  std::vector<std::unique_ptr<Channel>> out;
  for (const auto& [name, entry] : entries()) {
    if (entry.enabled(services.config)) out.push_back(entry.factory(services));
  }
  return out;
}

}  // namespace frontdoor
