// The engine's counters, gauges and latency histograms (its "probe"): updated
// by the ingest loop, read by the stats logger and the /metrics endpoint.
// Thread-safe: counters are atomics; labelled maps take a mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace carelog {

// Cumulative histogram with fixed bucket bounds in seconds (Prometheus style).
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                     0.005,  0.01,    0.025,  0.05,  0.1,
                                                     0.25,   0.5,     1.0,    2.5};
  void observe(double seconds);
  // Appends the Prometheus text form of this histogram under `name{labels}`.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> counts_{};
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

class EngineMetrics {
 public:
  std::atomic<uint64_t> ingested{0};    // events appended since start
  std::atomic<uint64_t> duplicates{0};  // same id, same content: dropped
  std::atomic<uint64_t> derived{0};     // events derived by the engine
  std::atomic<uint64_t> published{0};   // derived events published to the decisions topic
  std::atomic<uint64_t> rejected{0};    // all codes
  std::atomic<uint64_t> dead_letter_failures{0};  // rejected records the dead-letter topic did not take
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> log_events{0};  // events in the log, all partitions
  LatencyHistogram batch_seconds;
  // The in-memory projections (engine/projection_store.h), as of the last checkpoint.
  std::atomic<uint64_t> projection_bytes{0};
  std::atomic<uint64_t> projection_sellers{0};
  std::atomic<uint64_t> projection_evictions{0};
  std::atomic<uint64_t> checkpoints{0};
  LatencyHistogram checkpoint_seconds;

  void count_rejection(const std::string& code);
  std::map<std::string, uint64_t> rejections_by_code() const;
  void set_lag(const std::string& topic, int32_t partition, int64_t lag);
  std::map<std::pair<std::string, int32_t>, int64_t> lags() const;
  void clear_lag(const std::string& topic, int32_t partition);

  // Scale-out: records a restoring partition still has to ingest (0 once serving).
  void set_restore_remaining(int32_t partition, int64_t remaining);
  std::map<int32_t, int64_t> restore_remaining() const;

  // HTTP requests refused, by reason (unauthorized, forbidden, rate_limited,
  // too_large, bad_parameter).
  void count_denial(const std::string& reason);
  std::map<std::string, uint64_t> denials() const;

  // Latency of queries, per endpoint (created on first use; never removed).
  LatencyHistogram& query_seconds(const std::string& endpoint);

  // Prometheus text exposition of everything above.
  std::string render_prometheus() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> rejected_by_code_;
  std::map<std::string, uint64_t> denied_by_reason_;
  std::map<int32_t, int64_t> restore_remaining_;
  std::map<std::pair<std::string, int32_t>, int64_t> lag_;
  std::map<std::string, std::unique_ptr<LatencyHistogram>> query_seconds_;
};

}  // namespace carelog
