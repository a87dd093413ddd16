// The durable event log: one RocksDB database with these column families
//   log        (be32 partition | be64 seq) -> LogRecord value (log_record.h)
//   event_ids  seller_id | 0x00 | event_id -> be32 partition | be64 seq | 16-byte digest
//              (scoped by seller, so a partition's dedup never depends on another's)
//   state      partition-scoped seller state for the domain rules (seller_state.h)
//   meta       per partition: next source offset, head (seq, hash); source topic;
//              the active projection generation and each generation's row format
//   rejected   (be32 partition | be64 source offset) -> RejectedRecord
//   buyer_keys the buyer vault (buyer_vault.h): per seller+buyer keys and the
//              ids that lead to a buyer
//   projections[.N]  be32 partition | seller | 0x00 | row key -> row (projections/rows.h)
//              one column family per generation of the projections (below)
//
// Writes go through a LogBatch, applied by EventLog::commit as ONE RocksDB
// WriteBatch: records, id index, state, source offsets and rejections of a
// source batch become visible together or not at all. A crash therefore leaves
// every partition at the end of some committed batch, and its stored offset
// says exactly where the source must resume.
//
// Projection generations (blue/green rebuilds): the projections' rows live in
// one column family per generation; meta "projections_generation" names the
// active one. A rebuild folds the log into a new generation while the engine
// keeps folding new batches into the active one, then switches: with source
// batches held at the gate (no LogBatch of the active generation is open), it
// folds the last records, writes the new number and drops the old family.
// Readers hold the generation they started with (a shared_ptr), so a query
// never mixes generations and never sees a half-built one.
//
// Thread-safety: one writer thread (the ingest loop) calls commit; reads are
// safe from any thread; one rebuild at a time may write its own generation.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <map>
#include <unordered_map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "engine/hash_chain.h"
#include "engine/log_record.h"
#include "engine/row_overlay.h"
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
// The digest of an event whose buyer was forgotten: the digest of its
// content would confirm a guess of the erased text. Any content under its
// id is then a duplicate (a re-delivery neither appends the text again nor
// keeps it among the rejected records).
inline constexpr std::array<uint8_t, 16> kErasedDigest = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// A source record the engine refused, kept with everything needed to show it
// and to replay it once its cause is fixed.
struct RejectedRecord {
  std::string topic;
  uint32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  // The original bytes, or their first kMaxRejectedValueBytes when larger
  // (value_bytes and value_sha256 describe the whole).
  std::string value;
  uint64_t value_bytes = 0;
  std::array<uint8_t, 32> value_sha256{};
  Rejection reason;
  std::string seller_id;  // best effort ("" when it could not be read)
  std::string event_id;   // best effort
  int64_t rejected_at_micros = 0;  // wall clock of the rejection
};

// The most of a rejected record's bytes the rejected store keeps.
inline constexpr size_t kMaxRejectedValueBytes = 1 << 20;

struct EventLogOptions {
  bool read_only = false;  // open without taking the write lock (inspection tools)
  bool disable_wal = false;
};

class EventLog;
class VaultKeyCache;

// One generation of the projections' rows (a column family). Generation 1 is
// the family named "projections", generation N > 1 "projections.N".
struct ProjectionGeneration {
  uint64_t number = 1;
  rocksdb::ColumnFamilyHandle* family = nullptr;
  // The row format it was folded in (projections/rows.h kRowsFormat): meta
  // "projections_format:" + be64 number; a generation without one is format 1.
  uint32_t format = 1;
};
using GenerationPtr = std::shared_ptr<const ProjectionGeneration>;

// The writes of one source batch. Not thread-safe; short-lived.
class LogBatch {
 public:
  // A source batch: writes the active generation's rows; holds the gate
  // (a generation switch waits until this batch is committed or dropped).
  explicit LogBatch(EventLog& log);
  // A rebuild's batch: writes `target`'s rows only; does not hold the gate.
  LogBatch(EventLog& log, GenerationPtr target);
  ~LogBatch();
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;

  // Appends `record` (partition, source_offset, key, original, event set by
  // the caller) at the partition's next sequence; fills in seq and hash and
  // indexes the event id with `digest`. `event_binary` = encode_binary(event).
  void append(LogRecord& record, std::string_view event_binary,
              const std::array<uint8_t, 16>& digest);
  // The id entry written earlier in this batch, if any; valid until the
  // batch's next append.
  const EventIdEntry* pending_event_id(const std::string& seller_id, const std::string& event_id) const;
  void put_state(std::string_view key, std::string_view value);
  void set_source_offset(uint32_t partition, int64_t next_offset);
  void put_rejected(const RejectedRecord& r);
  // Projection rows (full keys, see projection_row_key).
  // write_rows_through(): this batch's projection rows are never read back
  // (a checkpoint's: the rows of the projections in memory); each put goes
  // straight into the WriteBatch, without the overlay's hashing and sorting
  // (a later put of a key wins there too). Before the first put.
  void write_rows_through() { rows_through_ = true; }
  void put_projection_row(const std::string& key, std::string_view value);
  void erase_projection_row(const std::string& key);
  // The row as this batch sees it: its own writes, then those of the batch
  // it reads through, then its generation's rows.
  std::optional<std::string> projection_row(const std::string& key) const;
  void put_seller_partition(const std::string& seller_id, uint32_t partition);
  // Indexes a derived event for the decisions publisher.
  void mark_derived(uint32_t partition, uint64_t seq);
  // Moves a partition's projected_through mark with this batch (catch-up).
  void set_projected_through(uint32_t partition, uint64_t seq);
  // The same for the marks of projections_behind (ingest with a projection
  // store, and the checkpoint that removes them).
  void set_projections_behind(uint32_t partition, uint64_t seq);
  void clear_projections_behind(uint32_t partition);
  // The same for the domain rules' state (seller_state.h, deferred writes).
  void set_rule_state_behind(uint32_t partition, uint64_t seq);
  void clear_rule_state_behind(uint32_t partition);
  // A buyer erasure to carry out once this batch is committed (erasure.h);
  // kept until clear_pending_erasure, so a crash in between does not lose it.
  void put_pending_erasure(const std::string& seller, const std::string& buyer);
  // Buyer vault rows (buyer_vault.h); reads see this batch's writes first.
  void vault_put(const std::string& key, std::string_view value);
  std::optional<std::string> vault_get(const std::string& key) const;
  // Rows under `prefix` read as absent unless written in this batch, and are
  // deleted by it (a fold of one seller from scratch, atomic for readers).
  void shadow_projection_prefix(const std::string& prefix);

  // Pipelined ingest (Ingestor::submit): reads of this batch see the writes
  // of `previous`, a source batch whose commit may still be running, before
  // the database's. Its writes are final, and the database holds either none
  // or all of them. Only while no pause of the gate (a generation switch, an
  // erasure) came between the two batches' opening: after one, the database
  // alone is current, and `previous` is ignored.
  // A rebuild (replay.cc) reads through its last committed batch too: its
  // batches hold no gate, and what keeps `previous` current there is that no
  // other writer touches a generation before it is switched to. `previous`
  // must outlive this batch's reads; read_through(nullptr) ends them.
  void read_through(const LogBatch* previous);
  // Leaves the gate once committed, while the batch may still be read through.
  void close_gate();
  // An erasure was requested in this batch (put_pending_erasure).
  bool requests_erasure() const { return requests_erasure_; }

  size_t appended() const { return appended_; }
  bool empty() const;
  // Approximate memory held by the projection-row overlay (keys, values and
  // per-row overhead), for callers that bound a long batch by memory.
  size_t overlay_bytes() const { return rows_.bytes(); }
  // Rows in the overlay; room for `rows` of them (a long batch that knows
  // its size, so that the table does not grow by rehashing every row).
  size_t overlay_rows() const { return rows_.size(); }
  void reserve_rows(size_t rows) { rows_.reserve(rows); }

 private:
  friend class EventLog;
  void finish();  // adds the heads and the projection rows' final values
  // Sets (or, with no seq, removes) a partition's mark of `kind` in the meta family.
  void put_mark(std::string_view kind, uint32_t partition, std::optional<uint64_t> seq);
  // `key` as written by this batch, else by the batch read through; null if neither.
  template <class Map>
  const typename Map::mapped_type* written(Map LogBatch::*writes, const typename Map::key_type& key) const;
  EventLog& log_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  GenerationPtr generation_;
  bool gated_ = false;
  uint64_t pauses_at_open_ = 0;        // the gate's pause count when this batch opened
  const LogBatch* previous_ = nullptr;  // read_through
  bool requests_erasure_ = false;
  std::map<uint32_t, PartitionHead> heads_;  // heads after this batch
  // Written by finish() in key order; hash maps (absl) for the fold's lookups.
  absl::flat_hash_map<std::string, EventIdEntry> ids_;
  // Projection overlay: no pointer into it outlives a write to it.
  RowOverlay rows_;
  bool rows_through_ = false;  // write_rows_through()
  absl::flat_hash_map<std::string, std::string> vault_rows_;  // vault overlay
  absl::flat_hash_map<std::string, std::string> state_rows_;  // seller state writes (last one wins)
  std::optional<std::string> shadowed_prefix_;
  std::string scratch_;
  size_t appended_ = 0;
  size_t other_writes_ = 0;
  // commit_as_table wrote the rows as a table file: commit leaves them out
  // of the write, and batches reading through this one still see them.
  bool rows_in_table_ = false;
};

class EventLog {
 public:
  static Status open(const std::string& dir, const EventLogOptions& options,
                     std::unique_ptr<EventLog>& out);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  Status commit(LogBatch& batch);
  // Commits a rebuild's batch into its generation, which must not be the
  // active one (nobody reads it but the rebuild) and must not shadow a
  // prefix: the projection rows go into one sorted table file that RocksDB
  // ingests (no memtable, no WAL), the rest as commit() does. Rows written
  // later, by either path, are newer than the file's.
  Status commit_as_table(LogBatch& batch);

  PartitionHead head(uint32_t partition) const;
  std::map<uint32_t, PartitionHead> heads() const;  // every partition with records
  std::optional<int64_t> stored_offset(uint32_t partition) const;
  std::map<uint32_t, int64_t> stored_offsets() const;
  std::optional<EventIdEntry> find_event_id(const std::string& seller_id, const std::string& event_id) const;
  // The same for many (seller_id, event_id) pairs in one MultiGet (a batch's
  // probes share the memtable walk and the filter reads); out[i] answers ids[i].
  std::vector<std::optional<EventIdEntry>> find_event_ids(
      const std::vector<std::pair<std::string_view, std::string_view>>& ids) const;
  std::optional<std::string> get_state(std::string_view key) const;
  // Visits the state rows whose keys start with `prefix`, in key order.
  void scan_state(std::string_view prefix,
                  const std::function<void(std::string_view key, std::string_view value)>& fn) const;

  // What a source keeps about its position beside the offsets (the file
  // source: which file the offsets count in), by name; written durably.
  std::optional<std::string> source_state(const std::string& name) const;
  Status set_source_state(const std::string& name, std::string_view value);

  // The source topic this data dir was built from ("" when new); set once.
  std::string source_topic() const;
  Status set_source_topic(const std::string& topic);

  // Reads records of `partition` with seq >= from_seq in order until `fn`
  // returns false. Records that fail to decode are passed as errors to `on_corrupt`.
  using RecordFn = std::function<bool(const LogRecord&, std::string_view body)>;
  Status scan(uint32_t partition, uint64_t from_seq, const RecordFn& fn) const;
  // The same as the folds read records: buyer text opened (each buyer's key
  // looked up once per scan), `original` left empty.
  Status scan_events(uint32_t partition, uint64_t from_seq, const RecordFn& fn) const;
  // Raw key/value walk of one partition (audit: sees gaps and corrupt bytes).
  using RawFn = std::function<bool(uint64_t seq, std::string_view value)>;
  Status scan_raw(uint32_t partition, const RawFn& fn) const;
  std::vector<uint32_t> partitions_in_log() const;

  // Derived events of `partition` after `after_seq`, in order (seqs).
  std::vector<uint64_t> derived_after(uint32_t partition, uint64_t after_seq, size_t limit) const;
  // The decisions publisher's cursor: the last derived seq published.
  uint64_t publish_cursor(uint32_t partition) const;
  Status set_publish_cursor(uint32_t partition, uint64_t seq);

  // The active projection generation, and the generations' life cycle.
  GenerationPtr projections() const;
  // Its number alone, without a lock: for callers that only watch for a
  // switch on their hot path (the ingest, the projection store).
  uint64_t active_generation() const { return active_generation_.load(std::memory_order_acquire); }
  // A new, empty generation numbered above every existing one (not active),
  // recorded as folded in row format `format` (see projections/rows.h).
  Status create_generation(GenerationPtr& out, uint32_t format = kRowsFormat);
  // Makes `g` the active generation and drops the previous one. The caller
  // holds the gate (pause_batches) and has folded `g` up to every head, or,
  // offline, up to `through` (see projected_through), written with the switch.
  Status activate_generation(const GenerationPtr& g, const std::map<uint32_t, uint64_t>& through);
  // Drops a generation that never became active (an abandoned rebuild).
  Status drop_generation(const GenerationPtr& g);
  // The gate between source batches and a generation switch (or an
  // erasure): pause_batches waits until no source LogBatch is open and keeps
  // new ones waiting until resume_batches. One pauser at a time (a second
  // waits for the first to resume); not reentrant.
  void pause_batches();
  void resume_batches();

  // Per partition, the last seq the active generation has folded when it
  // stops short of the head (a rebuild --until); empty when it is complete.
  std::map<uint32_t, uint64_t> projected_through() const;
  // Per partition, the last seq whose projection rows are written when an
  // engine's in-memory projections may hold more (engine/projection_store.h:
  // the rows are written at checkpoints, which move these marks to the
  // heads they cover); the rows stop short where a mark is below the head. Unlike
  // projected_through, the log past these marks belongs in every answer.
  // set_projected_through and activate_generation remove them too.
  std::map<uint32_t, uint64_t> projections_behind() const;
  // Per partition, the last seq the domain rules' state (the state column
  // family) holds when an engine holds more in memory (seller_state.h:
  // written at checkpoints, which move these marks to their heads). A rebuild leaves
  // them (it does not touch that state).
  std::map<uint32_t, uint64_t> rule_state_behind() const;
  Status set_projected_through(const std::map<uint32_t, uint64_t>& through);

  // Projection rows (active generation) and the seller -> partition index.
  std::optional<std::string> get_projection_row(const std::string& key) const;
  // Every seller the log has seen, with its partition.
  std::vector<std::pair<std::string, uint32_t>> sellers() const;
  std::optional<uint32_t> seller_partition(const std::string& seller_id) const;
  // A consistent read-only view of one seller's projection rows (a RocksDB
  // snapshot taken now); safe to use from any thread.
  std::unique_ptr<SellerRows> seller_rows(uint32_t partition, const std::string& seller_id) const;
  // The record at (partition, seq), if present.
  std::optional<LogRecord> read_record(uint32_t partition, uint64_t seq) const;

  // Buyer vault (buyer_vault.h).
  std::optional<std::string> vault_get(std::string_view key) const;
  Status vault_delete(const std::string& key);
  // Erasures logged but not carried out yet, as (seller, buyer), but for
  // those a thread of this process is carrying out now (an erasure asked
  // over HTTP is then not run again by the ingest loop).
  std::vector<std::pair<std::string, std::string>> pending_erasures() const;
  // Marks the erasure of (seller, buyer) as being carried out, until
  // end_running_erasure; false when it already is.
  bool begin_running_erasure(const std::string& seller, const std::string& buyer);
  // Replaces the content digest of these events of `seller` by kErasedDigest.
  Status erase_event_digests(const std::string& seller, const std::vector<std::string>& event_ids);
  void end_running_erasure(const std::string& seller, const std::string& buyer);
  Status set_pending_erasure(const std::string& seller, const std::string& buyer);
  Status clear_pending_erasure(const std::string& seller, const std::string& buyer);
  // Rewrites a rejected record in place (same partition and offset).
  Status replace_rejected(const RejectedRecord& r);
  rocksdb::ColumnFamilyHandle* rejected_family() { return rejected_cf_; }
  // Flushes every column family's memtable (so the WAL files before now are retired).
  Status flush_all();
  rocksdb::ColumnFamilyHandle* vault_family() { return vault_cf_; }
  // Sellers whose buyer was forgotten, in order; a rebuild refolds those
  // forgotten while it ran before it switches.
  void note_erasure(uint32_t partition, const std::string& seller);
  std::vector<std::pair<uint32_t, std::string>> erasures_since(size_t index) const;
  size_t erasure_count() const;

  // The rejected records in (partition, offset) order, from the first after
  // `after` (nullopt: the start), until `fn` returns false.
  Status list_rejected(const std::function<bool(const RejectedRecord&)>& fn,
                       std::optional<std::pair<uint32_t, int64_t>> after = std::nullopt) const;
  uint64_t approximate_event_count() const;

  // Raw access for audit tools and tests that must tamper with records.
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* log_family() { return log_cf_; }
  rocksdb::ColumnFamilyHandle* ids_family() { return ids_cf_; }

 private:
  // scan() (keys null) or scan_events() (keys set).
  Status scan_records(uint32_t partition, uint64_t from_seq, const RecordFn& fn, VaultKeyCache* keys) const;
  friend class LogBatch;
  EventLog() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; closed in ~EventLog
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* ids_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* rejected_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* vault_cf_ = nullptr;
  mutable std::mutex erasures_mutex_;
  std::vector<std::pair<uint32_t, std::string>> erasures_;
  std::set<std::pair<std::string, std::string>> running_erasures_;  // (seller, buyer), erasures_mutex_
  GenerationPtr generation_;               // the active one
  std::atomic<uint64_t> active_generation_{0};  // generation_->number, set with it
  std::vector<rocksdb::ColumnFamilyHandle*> building_;  // created, not yet active nor dropped
  mutable std::mutex generation_mutex_;    // guards generation_
  std::mutex gate_mutex_;
  std::condition_variable gate_cv_;
  int open_batches_ = 0;
  bool paused_ = false;
  uint64_t pauses_ = 0;  // pause_batches calls so far
  uint64_t enter_gate();  // returns pauses_
  void leave_gate();
  uint32_t read_generation_format(uint64_t number, rocksdb::ColumnFamilyHandle* family);
  GenerationPtr adopt_generation(uint64_t number, rocksdb::ColumnFamilyHandle* family, uint32_t format);
  EventLogOptions options_;
  std::string dir_;
  std::atomic<uint64_t> tables_written_{0};  // names commit_as_table's files
  std::map<uint32_t, PartitionHead> heads_;  // written by the committing thread only
  mutable std::shared_mutex heads_mutex_;  // heads_ is read by other threads
};

// Key of a projection row: be32 partition | seller | 0x00 | row_key.
std::string projection_row_key(uint32_t partition, std::string_view seller, std::string_view row_key);

std::string encode_rejected(const RejectedRecord& r);
bool decode_rejected(std::string_view bytes, RejectedRecord& r);

}  // namespace carelog
