// Consumes the events topic in a Kafka consumer group, one batch at a time.
//
// Offsets: the engine's stored offsets (RocksDB) are the truth. On assignment
// every partition is assigned at the offset `resume_offset` returns (the
// beginning when none), never at the group's committed offset; after each
// committed batch the same offsets are committed to the group asynchronously,
// for monitoring tools only.
//
// Rebalancing uses the eager `range` strategy: librdkafka 2.0.2's
// cooperative-sticky support had bugs fixed only in 2.4-2.6. On revocation the
// batch in hand is handed to `commit_in_hand` (the ingest step) before the
// partitions are given up, so nothing is committed for partitions it no
// longer owns. (A later owner with its own data dir re-reads the partition
// from its own stored offsets.) A stored offset outside the partition's
// retained range stops the engine (auto.offset.reset=error): it must never
// silently resume elsewhere.
//
// Messages are taken one at a time with rd_kafka_consumer_poll (not the 2.0.x
// batch API, which can misreturn messages around rebalances) and grouped into
// batches of up to `batch_size`, waiting at most `batch_wait_ms`.
//
// An authentication failure (RD_KAFKA_RESP_ERR__AUTHENTICATION: a wrong SASL
// user or password, for one) is fatal: retrying with the same credentials
// cannot succeed. `create` waits for a broker to accept the client before it
// returns, so bad credentials stop start-up within a second or so with an
// error that says so, instead of a metadata timeout; later, `next_batch`
// returns it. Other client errors are logged and retried by librdkafka.
//
// Not thread-safe: everything, callbacks included, runs on the caller's thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "connectors/cluster.h"
#include "connectors/kafka_client.h"
#include "engine/ingest.h"
#include "engine/metrics.h"
#include "engine/status.h"

namespace carelog {

struct KafkaSourceOptions {
  std::string brokers;
  std::string topic;
  std::string group;
  std::map<std::string, std::string> properties;  // the [kafka] table
  size_t batch_size = 2000;
  int batch_wait_ms = 20;
  // Told of every assignment, revocation and committed batch (cluster.h).
  PartitionOwnership* ownership = nullptr;
};

class KafkaSource {
 public:
  using ResumeFn = std::function<std::optional<int64_t>(uint32_t partition)>;
  using CommitFn = std::function<Status(std::span<const SourceRecord>)>;

  static Status create(const KafkaSourceOptions& options, ResumeFn resume_offset,
                       CommitFn commit_in_hand, EngineMetrics* metrics,
                       std::unique_ptr<KafkaSource>& out);
  ~KafkaSource();

  // Returns the next batch (possibly empty after batch_wait_ms). The records'
  // bytes stay valid until the next call. An error is fatal for the consumer.
  Status next_batch(std::span<const SourceRecord>& out);
  // The next offset of each partition in the batch in hand.
  std::map<int32_t, int64_t> in_hand_offsets() const;
  // The engine has committed these partitions up to these next offsets (a
  // batch committed after the source handed over later ones); partitions no
  // longer assigned are ignored. Tells the group (monitoring only) and the
  // partition ownership, and refreshes the lag gauges.
  void committed(const std::map<int32_t, int64_t>& next_offsets);
  // Releases the batch in hand: once the ingest copied it into a log batch,
  // or after a failed ingest (the next owner re-reads it from the stored
  // offsets).
  void drop_in_hand() { release_in_hand(); }
  // Leaves the group (the revoke handler commits the batch in hand first).
  Status close();

  std::vector<int32_t> assigned_partitions() const;

 private:
  KafkaSource() = default;
  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque);
  static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  void on_error(rd_kafka_t* rk, rd_kafka_resp_err_t err, const char* reason);
  // Waits until a broker answers (at most `timeout_ms`; `answered` says
  // whether one did), serving error callbacks meanwhile; returns the fatal
  // error they raised, if any.
  Status wait_for_broker(int timeout_ms, bool& answered);
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  void release_in_hand();
  void refresh_lag();

  KafkaSourceOptions options_;
  ResumeFn resume_offset_;
  CommitFn commit_in_hand_;
  EngineMetrics* metrics_ = nullptr;
  KafkaHandle rk_;
  std::vector<rd_kafka_message_t*> messages_;  // owned; destroyed by release_in_hand
  std::vector<SourceRecord> records_;          // views into messages_
  std::map<int32_t, int64_t> next_offsets_;    // per assigned partition, after the last batch
  std::vector<int32_t> assigned_;
  Status fatal_;
  bool closed_ = false;
};

}  // namespace carelog
