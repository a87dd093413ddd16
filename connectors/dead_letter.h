// Publishes rejected records to the dead-letter topic (default
// "<source topic>.dlq"): value = the original bytes, key = the original key,
// headers = the reason and where the record came from:
//   carelog.reason.code, carelog.reason.field, carelog.reason.message,
//   carelog.source.topic, carelog.source.partition, carelog.source.offset,
//   carelog.value.bytes, carelog.value.sha256 (of the whole original),
//   carelog.value.truncated ("true" or "false").
// Bounded: a value past kMaxDeadLetterValueBytes goes as its first bytes
// (truncated "true"; the rejected store keeps more, see event_log.h), so
// that no record is too large for the topic (brokers take ~1 MB by default).
// The producer is idempotent with acks=all; flush() waits for every delivery
// report (at most kDeadLetterTimeoutMs) and fails if any record was not
// accepted by the broker (the ingest step then goes on without it).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "connectors/kafka_client.h"
#include "engine/ingest.h"

namespace carelog {

inline constexpr size_t kMaxDeadLetterValueBytes = 64 << 10;
inline constexpr size_t kMaxDeadLetterHeaderBytes = 4 << 10;  // the reason's message
inline constexpr int kDeadLetterTimeoutMs = 30'000;

class KafkaDeadLetterSink : public RejectionSink {
 public:
  static Status create(const std::string& brokers, const std::map<std::string, std::string>& props,
                       const std::string& topic, std::unique_ptr<KafkaDeadLetterSink>& out);
  ~KafkaDeadLetterSink() override;

  Status publish(const RejectedRecord& record) override;
  Status flush() override;
  const std::string& topic() const { return topic_; }

 private:
  KafkaDeadLetterSink() = default;
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);

  KafkaHandle rk_;
  std::string topic_;
  std::atomic<uint64_t> failed_{0};
  std::string last_error_;  // written from the delivery callback (same thread as flush)
};

}  // namespace carelog
