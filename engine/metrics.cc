#include "engine/metrics.h"

#include <cstdio>

namespace carelog {

void LatencyHistogram::observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void LatencyHistogram::render(std::string& out, const std::string& name,
                              const std::string& labels) const {
  char buf[128];
  uint64_t cumulative = 0;
  std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    if (i < kBounds.size()) {
      std::snprintf(buf, sizeof buf, "%g", kBounds[i]);
    } else {
      std::snprintf(buf, sizeof buf, "+Inf");
    }
    out += name + "_bucket{" + labels + sep + "le=\"" + buf + "\"} " + std::to_string(cumulative) + "\n";
  }
  std::string l = labels.empty() ? "" : "{" + labels + "}";
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(sum_micros_.load()) / 1e6);
  out += name + "_sum" + l + " " + buf + "\n";
  out += name + "_count" + l + " " + std::to_string(total_.load()) + "\n";
}

void EngineMetrics::count_rejection(const std::string& code) {
  rejected.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  ++rejected_by_code_[code];
}

std::map<std::string, uint64_t> EngineMetrics::rejections_by_code() const {
  std::lock_guard lock(mu_);
  return rejected_by_code_;
}

void EngineMetrics::set_lag(const std::string& topic, int32_t partition, int64_t lag) {
  std::lock_guard lock(mu_);
  lag_[{topic, partition}] = lag;
}

void EngineMetrics::clear_lag(const std::string& topic, int32_t partition) {
  std::lock_guard lock(mu_);
  lag_.erase({topic, partition});
}

std::map<std::pair<std::string, int32_t>, int64_t> EngineMetrics::lags() const {
  std::lock_guard lock(mu_);
  return lag_;
}

LatencyHistogram& EngineMetrics::query_seconds(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  auto& h = query_seconds_[endpoint];
  if (!h) h = std::make_unique<LatencyHistogram>();
  return *h;
}

void EngineMetrics::set_restore_remaining(int32_t partition, int64_t remaining) {
  std::lock_guard lock(mu_);
  restore_remaining_[partition] = remaining;
}

std::map<int32_t, int64_t> EngineMetrics::restore_remaining() const {
  std::lock_guard lock(mu_);
  return restore_remaining_;
}

void EngineMetrics::count_denial(const std::string& reason) {
  std::lock_guard lock(mu_);
  ++denied_by_reason_[reason];
}

std::map<std::string, uint64_t> EngineMetrics::denials() const {
  std::lock_guard lock(mu_);
  return denied_by_reason_;
}

std::string EngineMetrics::render_prometheus() const {
  std::string out;
  out += "# HELP carelog_log_events Events in the log, all partitions.\n";
  out += "# TYPE carelog_log_events gauge\n";
  out += "carelog_log_events " + std::to_string(log_events.load()) + "\n";
  out += "# HELP carelog_projection_bytes Bytes the in-memory projections held at the last checkpoint.\n";
  out += "# TYPE carelog_projection_bytes gauge\n";
  out += "carelog_projection_bytes " + std::to_string(projection_bytes.load()) + "\n";
  out += "# HELP carelog_projection_sellers Sellers whose projection is in memory, at the last checkpoint.\n";
  out += "# TYPE carelog_projection_sellers gauge\n";
  out += "carelog_projection_sellers " + std::to_string(projection_sellers.load()) + "\n";
  out += "# HELP carelog_projection_checkpoints_total Checkpoints of the projections' rows since start.\n";
  out += "# TYPE carelog_projection_checkpoints_total counter\n";
  out += "carelog_projection_checkpoints_total " + std::to_string(checkpoints.load()) + "\n";
  out += "# HELP carelog_projection_evictions_total Sellers' projections evicted from memory since start.\n";
  out += "# TYPE carelog_projection_evictions_total counter\n";
  out += "carelog_projection_evictions_total " + std::to_string(projection_evictions.load()) + "\n";
  out += "# HELP carelog_events_ingested_total Events appended to the log since start.\n";
  out += "# TYPE carelog_events_ingested_total counter\n";
  out += "carelog_events_ingested_total " + std::to_string(ingested.load()) + "\n";
  out += "# HELP carelog_dead_letter_failures_total Rejected records the dead-letter topic did not take (kept in the rejected store).\n";
  out += "# TYPE carelog_dead_letter_failures_total counter\n";
  out += "carelog_dead_letter_failures_total " + std::to_string(dead_letter_failures.load()) + "\n";
  out += "# HELP carelog_events_duplicate_total Duplicate events dropped since start.\n";
  out += "# TYPE carelog_events_duplicate_total counter\n";
  out += "carelog_events_duplicate_total " + std::to_string(duplicates.load()) + "\n";
  out += "# HELP carelog_events_derived_total Events derived by the engine (returns automation).\n";
  out += "# TYPE carelog_events_derived_total counter\n";
  out += "carelog_events_derived_total " + std::to_string(derived.load()) + "\n";
  out += "# HELP carelog_decisions_published_total Derived events published to the decisions topic.\n";
  out += "# TYPE carelog_decisions_published_total counter\n";
  out += "carelog_decisions_published_total " + std::to_string(published.load()) + "\n";
  out += "# HELP carelog_events_rejected_total Events rejected since start, by reason code.\n";
  out += "# TYPE carelog_events_rejected_total counter\n";
  for (auto& [code, n] : rejections_by_code()) {
    out += "carelog_events_rejected_total{code=\"" + code + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP carelog_restore_remaining Records a partition assigned here must still ingest before it serves.\n";
  out += "# TYPE carelog_restore_remaining gauge\n";
  for (auto& [p, n] : restore_remaining()) {
    out += "carelog_restore_remaining{partition=\"" + std::to_string(p) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP carelog_http_denied_total HTTP requests refused, by reason.\n";
  out += "# TYPE carelog_http_denied_total counter\n";
  for (auto& [reason, n] : denials()) {
    out += "carelog_http_denied_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP carelog_partition_lag Records between the engine's position and the partition end.\n";
  out += "# TYPE carelog_partition_lag gauge\n";
  for (auto& [tp, lag] : lags()) {
    out += "carelog_partition_lag{topic=\"" + tp.first + "\",partition=\"" +
           std::to_string(tp.second) + "\"} " + std::to_string(lag) + "\n";
  }
  out += "# HELP carelog_batch_seconds Time to decode, validate and commit one source batch.\n";
  out += "# TYPE carelog_batch_seconds histogram\n";
  batch_seconds.render(out, "carelog_batch_seconds", "");
  out += "# HELP carelog_checkpoint_seconds Time of a checkpoint of the projections' rows.\n";
  out += "# TYPE carelog_checkpoint_seconds histogram\n";
  checkpoint_seconds.render(out, "carelog_checkpoint_seconds", "");
  out += "# HELP carelog_query_seconds Time to answer a query, by endpoint.\n";
  out += "# TYPE carelog_query_seconds histogram\n";
  std::lock_guard lock(mu_);
  for (auto& [endpoint, h] : query_seconds_) {
    h->render(out, "carelog_query_seconds", "endpoint=\"" + endpoint + "\"");
  }
  return out;
}

}  // namespace carelog
