#include "daemon/metrics/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace frontdoor::metrics {
namespace {

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string render_labels(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ',';
    out += k + "=\"" + escape_label(v) + "\"";
  }
  if (!extra.empty()) {
    if (out.size() > 1) out += ',';
    out += extra;
  }
  return out + "}";
}

// The shortest decimal that reads back as v.
std::string number(double v) {
  char buf[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void atomic_add(std::atomic<double>& target, double d) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + d, std::memory_order_relaxed)) {
  }
}

}  // namespace

void Gauge::add(double d) { atomic_add(value_, d); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::observe(double value) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  buckets_[it - bounds_.begin()].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out.push_back(total);
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Family& Registry::family(const std::string& name, const std::string& help,
                                   const char* type) {
  Family& f = families_[name];
  if (f.type.empty()) {
    f.help = help;
    f.type = type;
  }
  return f;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "counter").counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "gauge").gauges[render_labels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const Labels& labels, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  // Keep the label set unrendered-with-braces so "le" can be added per bucket.
  std::string key;
  for (const auto& [k, v] : labels)
    key += (key.empty() ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
  auto& slot = family(name, help, "histogram").histograms[key];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    for (const auto& [labels, c] : f.counters)
      out += name + labels + " " + std::to_string(c->value()) + "\n";
    for (const auto& [labels, g] : f.gauges) out += name + labels + " " + number(g->value()) + "\n";
    for (const auto& [label_set, h] : f.histograms) {
      const std::string& labels = label_set;
      auto counts = h->cumulative_counts();
      auto with = [&](const std::string& extra) {
        return "{" + labels + (labels.empty() || extra.empty() ? "" : ",") + extra + "}";
      };
      for (std::size_t i = 0; i < h->bounds().size(); ++i) {
        out += name + "_bucket" + with("le=\"" + number(h->bounds()[i]) + "\"") + " " +
               std::to_string(counts[i]) + "\n";
      }
      out += name + "_bucket" + with("le=\"+Inf\"") + " " + std::to_string(counts.back()) + "\n";
      std::string plain = labels.empty() ? "" : "{" + labels + "}";
      out += name + "_sum" + plain + " " + number(h->sum()) + "\n";
      out += name + "_count" + plain + " " + std::to_string(h->count()) + "\n";
    }
  }
  return out;
}

Registry& registry() {
  static Registry instance;
  return instance;
}

Counter& inbound(const std::string& channel) {
  return registry().counter("frontdoor_inbound_messages_total",
                            "Messages from residents made durable, by channel.",
                            {{"channel", channel}});
}

Counter& outbound(const std::string& channel, const std::string& outcome) {
  return registry().counter("frontdoor_outbound_messages_total",
                            "Messages to residents handed to a channel, by outcome.",
                            {{"channel", channel}, {"outcome", outcome}});
}

Counter& rejected(const std::string& edge, const std::string& reason) {
  return registry().counter("frontdoor_rejected_total",
                            "Inputs refused at an edge, by edge and reason.",
                            {{"edge", edge}, {"reason", reason}});
}

}  // namespace frontdoor::metrics
