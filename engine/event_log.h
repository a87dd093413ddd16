// The durable event log: one RocksDB database with these column families
//   log        (be32 partition | be64 seq) -> LogRecord value (log_record.h)
//   event_ids  seller_id | 0x00 | event_id -> be32 partition | be64 seq | 16-byte digest
//              (scoped by seller, so a partition's dedup never depends on another's)
//   state      partition-scoped seller state for the domain rules (seller_state.h)
//   meta       per partition: next source offset, head (seq, hash); source topic
//   rejected   (be32 partition | be64 source offset) -> RejectedRecord
//   projections  be32 partition | seller | 0x00 | row key -> row (projections/rows.h)
//
// Writes go through a LogBatch, applied by EventLog::commit as ONE RocksDB
// WriteBatch: records, id index, state, source offsets and rejections of a
// source batch become visible together or not at all. A crash therefore leaves
// every partition at the end of some committed batch, and its stored offset
// says exactly where the source must resume.
//
// Thread-safety: one writer thread (the ingest loop) calls commit; reads are
// safe from any thread.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <unordered_map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/hash_chain.h"
#include "engine/log_record.h"
#include "engine/status.h"
#include "events/rejection.h"
#include "projections/rows.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace carelog {

struct PartitionHead {
  uint64_t seq = 0;  // last sequence written; 0 = empty
  Hash hash = kGenesisHash;
};

struct EventIdEntry {
  uint32_t partition = 0;
  uint64_t seq = 0;
  std::array<uint8_t, 16> digest{};
};

// A source record the engine refused, kept with everything needed to show it
// and to replay it once its cause is fixed.
struct RejectedRecord {
  std::string topic;
  uint32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;      // the original bytes
  Rejection reason;
  std::string seller_id;  // best effort ("" when it could not be read)
  std::string event_id;   // best effort
  int64_t rejected_at_micros = 0;  // wall clock of the rejection
};

struct EventLogOptions {
  bool read_only = false;  // open without taking the write lock (inspection tools)
  bool disable_wal = false;
};

class EventLog;

// The writes of one source batch. Not thread-safe; short-lived.
class LogBatch {
 public:
  explicit LogBatch(EventLog& log);
  ~LogBatch();
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;

  // Appends `record` (partition, source_offset, key, original, event set by
  // the caller) at the partition's next sequence; fills in seq and hash and
  // indexes the event id with `digest`. `event_binary` = encode_binary(event).
  void append(LogRecord& record, std::string_view event_binary,
              const std::array<uint8_t, 16>& digest);
  // The id entry written earlier in this batch, if any.
  const EventIdEntry* pending_event_id(const std::string& seller_id, const std::string& event_id) const;
  void put_state(std::string_view key, std::string_view value);
  void set_source_offset(uint32_t partition, int64_t next_offset);
  void put_rejected(const RejectedRecord& r);
  // Projection rows (full keys, see projection_row_key). Reads through
  // pending_projection_row see this batch's writes first.
  void put_projection_row(const std::string& key, std::string_view value);
  void erase_projection_row(const std::string& key);
  // nullopt: not written in this batch; optional(nullopt): erased in it.
  const std::optional<std::string>* pending_projection_row(const std::string& key) const;
  void put_seller_partition(const std::string& seller_id, uint32_t partition);
  // Indexes a derived event for the decisions publisher.
  void mark_derived(uint32_t partition, uint64_t seq);

  size_t appended() const { return appended_; }
  bool empty() const;

 private:
  friend class EventLog;
  void finish();  // adds the heads and the projection rows' final values
  EventLog& log_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  std::map<uint32_t, PartitionHead> heads_;  // heads after this batch
  std::map<std::string, EventIdEntry> ids_;
  std::unordered_map<std::string, std::optional<std::string>> rows_;  // projection overlay
  std::string scratch_;
  size_t appended_ = 0;
  size_t other_writes_ = 0;
};

class EventLog {
 public:
  static Status open(const std::string& dir, const EventLogOptions& options,
                     std::unique_ptr<EventLog>& out);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  Status commit(LogBatch& batch);

  PartitionHead head(uint32_t partition) const;
  std::map<uint32_t, PartitionHead> heads() const;  // every partition with records
  std::optional<int64_t> stored_offset(uint32_t partition) const;
  std::map<uint32_t, int64_t> stored_offsets() const;
  std::optional<EventIdEntry> find_event_id(const std::string& seller_id, const std::string& event_id) const;
  std::optional<std::string> get_state(std::string_view key) const;

  // The source topic this data dir was built from ("" when new); set once.
  std::string source_topic() const;
  Status set_source_topic(const std::string& topic);

  // Reads records of `partition` with seq >= from_seq in order until `fn`
  // returns false. Records that fail to decode are passed as errors to `on_corrupt`.
  using RecordFn = std::function<bool(const LogRecord&, std::string_view body)>;
  Status scan(uint32_t partition, uint64_t from_seq, const RecordFn& fn) const;
  // Raw key/value walk of one partition (audit: sees gaps and corrupt bytes).
  using RawFn = std::function<bool(uint64_t seq, std::string_view value)>;
  Status scan_raw(uint32_t partition, const RawFn& fn) const;
  std::vector<uint32_t> partitions_in_log() const;

  // Derived events of `partition` after `after_seq`, in order (seqs).
  std::vector<uint64_t> derived_after(uint32_t partition, uint64_t after_seq, size_t limit) const;
  // The decisions publisher's cursor: the last derived seq published.
  uint64_t publish_cursor(uint32_t partition) const;
  Status set_publish_cursor(uint32_t partition, uint64_t seq);

  // Projection rows and the seller -> partition index.
  std::optional<std::string> get_projection_row(const std::string& key) const;
  std::optional<uint32_t> seller_partition(const std::string& seller_id) const;
  // A consistent read-only view of one seller's projection rows (a RocksDB
  // snapshot taken now); safe to use from any thread.
  std::unique_ptr<SellerRows> seller_rows(uint32_t partition, const std::string& seller_id) const;
  // The record at (partition, seq), if present.
  std::optional<LogRecord> read_record(uint32_t partition, uint64_t seq) const;
  rocksdb::ColumnFamilyHandle* projections_family() { return projections_cf_; }

  Status list_rejected(const std::function<bool(const RejectedRecord&)>& fn) const;
  uint64_t approximate_event_count() const;

  // Raw access for audit tools and tests that must tamper with records.
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* log_family() { return log_cf_; }

 private:
  friend class LogBatch;
  EventLog() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; closed in ~EventLog
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* ids_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* rejected_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* projections_cf_ = nullptr;
  EventLogOptions options_;
  std::map<uint32_t, PartitionHead> heads_;  // written by the committing thread only
  mutable std::shared_mutex heads_mutex_;  // heads_ is read by other threads
};

// Key of a projection row: be32 partition | seller | 0x00 | row_key.
std::string projection_row_key(uint32_t partition, std::string_view seller, std::string_view row_key);

std::string encode_rejected(const RejectedRecord& r);
bool decode_rejected(std::string_view bytes, RejectedRecord& r);

}  // namespace carelog
