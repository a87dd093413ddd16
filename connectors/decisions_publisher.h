// Publishes the engine's derived events (automatic authorizations,
// notification requests) to the decisions topic (default carelog.decisions),
// keyed by seller_id, value = the event's envelope.
//
// It reads the log through a per-partition cursor stored in RocksDB: events
// are produced, the producer is flushed (every delivery acknowledged), and
// only then the cursors move. After a crash anything past a cursor is
// published again, so each derived event is published at least once, always
// with its deterministic event_id: a consumer that dedupes by event_id sees
// each exactly once. A replay re-derives the same ids and the cursor keeps
// them from being published twice.
//
// While the engine ingests, publishing runs on a thread of its own (start,
// notify): the ingest loop never waits for the broker's acknowledgements
// (a round trip per batch that derived anything), and one round publishes
// whatever every batch committed since the last one derived.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "connectors/kafka_client.h"
#include "engine/event_log.h"
#include "engine/metrics.h"

namespace carelog {

class DecisionsPublisher {
 public:
  static Status create(const std::string& brokers, const std::map<std::string, std::string>& props,
                       const std::string& topic, EventLog& log, EngineMetrics* metrics,
                       std::unique_ptr<DecisionsPublisher>& out);
  ~DecisionsPublisher();  // stops the thread, then flushes the producer

  // Publishes every derived event past the cursors. Not while the thread
  // runs (before start or after stop).
  Status publish_pending();

  // Starts the publishing thread; notify() after every commit that derived
  // events wakes it for a round of publish_pending.
  void start();
  void notify();
  // The first error of the thread, which then stops publishing (Ok if none).
  Status error() const;
  // Stops the thread after its round in progress; returns error().
  Status stop();

 private:
  DecisionsPublisher() = default;
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
  void run();

  KafkaHandle rk_;
  std::string topic_;
  EventLog* log_ = nullptr;
  EngineMetrics* metrics_ = nullptr;
  uint64_t failed_ = 0;  // delivery failures since the last flush (delivery callback, same thread)
  std::string last_error_;

  mutable std::mutex mutex_;  // guards the fields below
  std::condition_variable wake_;
  bool notified_ = false;  // a commit derived events since the round in progress started
  bool stopping_ = false;
  Status error_ = Status::Ok();
  std::thread thread_;
};

}  // namespace carelog
