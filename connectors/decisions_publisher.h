// Publishes the engine's derived events (automatic authorizations,
// notification requests) to the decisions topic (default carelog.decisions),
// keyed by seller_id, value = the event's envelope.
//
// It reads the log through a per-partition cursor stored in RocksDB: events
// are produced, the producer is flushed (every delivery acknowledged), and
// only then the cursor moves. After a crash anything past the cursor is
// published again, so each derived event is published at least once, always
// with its deterministic event_id: a consumer that dedupes by event_id sees
// each exactly once. A replay re-derives the same ids and the cursor keeps
// them from being published twice.
#pragma once

#include <memory>
#include <string>

#include "connectors/kafka_client.h"
#include "engine/event_log.h"
#include "engine/metrics.h"

namespace carelog {

class DecisionsPublisher {
 public:
  static Status create(const std::string& brokers, const std::map<std::string, std::string>& props,
                       const std::string& topic, EventLog& log, EngineMetrics* metrics,
                       std::unique_ptr<DecisionsPublisher>& out);
  ~DecisionsPublisher();

  // Publishes every derived event past the cursors; returns how many.
  Status publish_pending(uint64_t* published = nullptr);

 private:
  DecisionsPublisher() = default;
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);

  KafkaHandle rk_;
  std::string topic_;
  EventLog* log_ = nullptr;
  EngineMetrics* metrics_ = nullptr;
  uint64_t failed_ = 0;  // delivery failures since the last flush (delivery callback, same thread)
  std::string last_error_;
};

}  // namespace carelog
