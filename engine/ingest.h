// The ingest step: one source batch in, one committed WriteBatch out.
//
// For every record, in order: decode and validate (events/), drop it if its
// event id is already in the log with the same content (a duplicate), reject
// it if the id is taken by other content (a conflict) or if it breaks a domain
// rule, otherwise append it to its partition of the log. Rejections go to the
// rejected store in the same WriteBatch (their first kMaxRejectedValueBytes,
// with the size and SHA-256 of the whole) and to the dead-letter sink, which
// is flushed BEFORE the batch commits: a rejected record is never lost (it
// may be dead-lettered twice if the process dies between the flush and the
// commit). A sink that fails kDeadLetterAttempts times does not stop the
// batch: its records stay in the rejected store, counted and logged.
//
// Records at offsets below a partition's stored offset were committed before
// and are skipped, so re-delivery by the source can never append twice.
//
// Projections: with a ProjectionStore, each appended record is folded into
// the in-memory projections only, and the store writes their changed rows
// at checkpoints (between batches, every checkpoint_records records or
// checkpoint_interval); the domain rules read the sellers' projections
// (domain_rules.h), which then hold all the state they need. A batch
// writes the log, the id index, the buyer vault's new rows and the offsets,
// plus the projections_behind mark of each partition that has none yet (the
// first append since the start); each checkpoint moves the marks to the
// heads it covers, in its own batch (the rows stop short of the log past
// the marks until the next one). Without a store, every batch also writes
// the projection rows and the rules' state (seller_state.h) its records
// change (the offline tools).
//
// Pipelining (submit): the commit of one batch (RocksDB's memtable inserts,
// ~40 % of a batch's time) runs on a second thread while the next batch is
// folded; that batch reads through the committing one (LogBatch::read_through).
// At most one batch is in flight; a failed commit drops it and the batch
// folded on top of it. A checkpoint starts with no batch in flight, and
// commits on a third thread while the batches after it fold and commit (a
// mark it moves is never ahead of what its rows hold, whichever commits
// first); a failed checkpoint rebuilds the in-memory state from the log.
//
// Preparing: while the ingest thread folds a batch, a second thread decodes
// its next records and looks their ids up in the log, a chunk ahead
// (decoding and the id lookups were a fifth of the ingest thread's time).
//
// Not thread-safe: one Ingestor per ingest loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "engine/action_link.h"
#include "engine/command_desk.h"
#include "engine/event_log.h"
#include "engine/metrics.h"
#include "engine/projection_store.h"
#include "engine/projector.h"
#include "engine/seller_state.h"
#include "engine/serial_worker.h"
#include "engine/status.h"
#include "events/json_decoder.h"

namespace carelog {

struct SourceRecord {
  uint32_t partition = 0;
  int64_t offset = 0;
  int64_t next_offset = 0;  // where the source resumes after this record (Kafka: offset + 1)
  std::optional<std::string_view> key;  // nullopt: the record had no key
  std::string_view value;
  // A seller's command appended by the engine itself (file source): no
  // source offset (offset and next_offset are ignored).
  bool command = false;
};

// Where rejected records are published besides the rejected store (the
// dead-letter topic). publish() may buffer; flush() must return only once
// everything published has been durably accepted, or fail.
class RejectionSink {
 public:
  virtual ~RejectionSink() = default;
  virtual Status publish(const RejectedRecord& record) = 0;
  virtual Status flush() = 0;
};

struct IngestOptions {
  std::string topic;  // source topic name, recorded with rejections
  DecoderOptions decoder;
  ProjectorOptions projector;
  // With a projection store: a checkpoint of its changed rows once this many
  // records were appended since the last one, or this long after it (at the
  // next batch). Between checkpoints the rows stop short of the log, by at
  // most this much: what a restart after a crash folds again.
  size_t checkpoint_records = 100'000;
  std::chrono::milliseconds checkpoint_interval{5'000};
  // With a signer, the actions a derived notification names (authorize,
  // close, reply) become signed links to them (engine/action_link.h).
  std::shared_ptr<const ActionLinkSigner> action_links = nullptr;
};

struct BatchResult {
  size_t appended = 0;  // from the source
  size_t derived = 0;   // derived by the engine (returns automation)
  size_t duplicates = 0;
  size_t rejected = 0;
  size_t skipped = 0;  // already committed before (offset below the stored one)
  BatchResult& operator+=(const BatchResult& o);
};

// Publish-and-flush attempts of one batch's rejections before the batch
// commits without them on the dead-letter topic; then, for kDeadLetterPause,
// rejections go to the rejected store only, and one attempt per batch after
// that until one succeeds.
inline constexpr int kDeadLetterAttempts = 3;
inline constexpr std::chrono::seconds kDeadLetterPause{60};
// The most of a rejected record's key the rejected store keeps.
inline constexpr size_t kMaxRejectedKeyBytes = 4096;

// Replaces the action names of a notification.requested (authorize, close,
// reply) by signed links to them, each expiring the signer's TTL after the
// notification's event time; an action without its row (a reply without a
// message) is dropped.
void sign_action_links(Event& notification, const ActionLinkSigner& signer);

class Ingestor {
 public:
  // `store` (may be null): the in-memory projections the queries read, kept
  // current by this ingestor's fold (projection_store.h).
  Ingestor(EventLog& log, IngestOptions options, EngineMetrics& metrics, RejectionSink* sink,
           ProjectionStore* store = nullptr);
  ~Ingestor();  // waits for a commit in flight

  // Processes `records` (any mix of partitions, each partition in offset
  // order) and commits them as ONE WriteBatch together with the next source
  // offset of every partition seen; returns once they are committed (with
  // any batch submit() left in flight before them). `result` sums the
  // batches committed by this call. On error nothing of the batch is
  // committed and the in-memory state is reset to the committed one.
  Status ingest(std::span<const SourceRecord> records, BatchResult* result = nullptr);

  // As ingest(), but returns once the batch is folded and its commit has
  // started on a second thread, after the commit of the batch before it
  // (`committed` sums what this call saw committed). Until flush() or the
  // next submit()/ingest() returns, the batch is not durable. A batch that
  // requests an erasure, or a seller-state cache over its bound, is flushed
  // before submit returns.
  Status submit(std::span<const SourceRecord> records, BatchResult* committed = nullptr);
  // Waits for the commit in flight, if any, then carries out erasures, then
  // starts a projection checkpoint if one is due (an idle engine's source
  // calls it with every empty batch); that checkpoint's commit may still be
  // in flight on return (every record is durable).
  Status flush(BatchResult* committed = nullptr);
  // With a projection store: flush(), then a checkpoint of its rows, and
  // waits for it (the engine calls it before it stops). A no-op without one.
  Status checkpoint(BatchResult* committed = nullptr);

  // Carries out the buyer erasures logged but not done yet (a crash between
  // an erasure event's commit and its erasure); ingest() calls it after
  // every batch, the engine once at start.
  Status carry_out_erasures();

  // The offset the source should resume `partition` from (nullopt: start):
  // the committed one.
  std::optional<int64_t> resume_offset(uint32_t partition);

  // Sellers' commands (command_desk.h): the desk whose tickets this
  // ingestor decides, and whose events it reports once committed (events
  // with a "cmd:" id). Set before the first batch.
  void set_command_desk(CommandDesk* desk) { desk_ = desk; }
  // Decides every undecided command against the state as it stands after
  // the batches folded so far: refused, or accepted; a command already in
  // the log (a retry) is reported logged. When the desk says so (a file
  // source), appends the accepted events as one batch, committed before
  // return. The source loop calls it between batches; with undecided
  // commands, it first flushes (`committed` sums what that committed).
  Status decide_commands(BatchResult* committed = nullptr);

 private:
  // A folded batch, then its commit.
  struct Pending {
    std::unique_ptr<LogBatch> batch;
    std::map<uint32_t, int64_t> next_offsets;  // per partition after this batch
    BatchResult result;
    std::vector<RejectedRecord> rejections;
    std::chrono::steady_clock::time_point started;
    std::future<Status> commit;  // set once started
    bool checkpoint = false;     // a projections checkpoint, not a source batch
    std::chrono::steady_clock::time_point committed_at;  // a checkpoint: when its commit ended
    // What became of the batch's commands' events ("cmd:" ids), reported
    // to the desk once the batch committed.
    struct CommandOutcome {
      std::string event_id;
      uint32_t partition = 0;
      uint64_t seq = 0;
      std::optional<Rejection> rejection;
    };
    std::vector<CommandOutcome> command_outcomes;
  };
  // A source record on its way in: decoded, with its binary form and
  // digest, and the log's entry for its event id, if any (committed only:
  // ids of this batch and the one in flight are in their LogBatches).
  struct Prepared {
    const SourceRecord* rec = nullptr;
    Result<Event> event;
    std::string binary;
    std::array<uint8_t, 16> digest{};
    std::optional<EventIdEntry> in_log;
  };
  // Records prepared per hand-over from the preparing thread to the fold; a
  // batch of fewer is prepared by the ingest thread itself.
  static constexpr size_t kPrepareChunk = 128;
  // Decodes `records` and looks their ids up (one MultiGet); any thread,
  // each with its own decoder.
  void prepare(std::span<Prepared> records, JsonDecoder& decoder) const;
  // Folds `records` into `pending` (reading through the batch in flight).
  void fold(std::span<const SourceRecord> records, Pending& pending);
  // Dead letters first, then the batch; runs on the commit thread.
  Status commit(Pending& pending);
  // Waits for the batch in flight and records it as committed.
  Status finish_in_flight(BatchResult* committed);
  // After a failed commit: drops what the in-memory state holds beyond the
  // committed log and brings the durable rows and rules' state up to the
  // log. Returns `failed`, with what went wrong meanwhile.
  Status recover(Status failed);
  // The domain rules (domain_rules.h) for `event`: against the seller's
  // projection with a store (whose fold of the event, once appended, is its
  // effect), else against the rules' state, recording the effect into
  // `batch` (null: a check that records nothing).
  std::optional<Rejection> check_rules(uint32_t partition, const Event& event, LogBatch* batch);
  void reject(LogBatch& batch, std::vector<RejectedRecord>& rejections, const SourceRecord& rec,
              Rejection why, const Event* event);
  // A command's event `event_id` whose id the log (or a batch not committed
  // yet) holds with other content: the same command (the same request
  // digest, produced again by a retry after a restart) rather than a conflict.
  bool same_command(const std::string& event_id, const EventIdEntry& seen, std::string_view value) const;
  // Appends an accepted event, folds it, and appends what it derives.
  void append_and_derive(LogRecord& record, const std::string& event_binary,
                         const std::array<uint8_t, 16>& digest, LogBatch& batch, BatchResult& res);
  // With a store: the projections_behind mark of `partition` goes with
  // `batch` if no batch since the last checkpoint has set it.
  void mark_projections_behind(uint32_t partition, LogBatch& batch);
  bool checkpoint_due() const;
  // Starts a projections checkpoint (no batch and no checkpoint may be in
  // flight): its rows are encoded here, then committed on the checkpoint
  // thread while the next batches fold and commit.
  void start_checkpoint();
  // The checkpoint in flight has committed (or failed).
  bool checkpoint_committed() const;
  // Waits for the checkpoint in flight, if any; after a failure, recovers
  // (recover()), once the batch in flight is committed (`committed`).
  Status finish_checkpoint_in_flight(BatchResult* committed);
  // After the checkpoint `done` committed (or failed: `st`).
  void finish_checkpoint(const Pending& done, const Status& st);

  EventLog& log_;
  IngestOptions options_;
  EngineMetrics& metrics_;
  RejectionSink* sink_;
  JsonDecoder decoder_;
  SellerState state_;
  Projector projector_;
  ProjectionStore* store_;
  // Partitions whose projections_behind mark is set, in the generation
  // `marks_generation_` (a rebuild's switch replaces the marks).
  std::set<uint32_t> marked_;
  uint64_t marks_generation_ = 0;
  size_t appended_since_checkpoint_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_;
  std::map<uint32_t, int64_t> next_offset_;  // committed, per partition
  std::unique_ptr<Pending> in_flight_;       // folded, its commit started
  std::unique_ptr<Pending> checkpoint_in_flight_;  // encoded, its commit started
  // Until then, rejections skip the dead-letter sink (it failed: commit());
  // set (not the epoch) while it has not taken a batch since a failure.
  std::chrono::steady_clock::time_point dead_letter_paused_until_{};
  size_t last_batch_rows_ = 0;  // projection rows the last batch wrote: room made for as many
  // The preparing thread (fold): decodes and looks up the records of a
  // batch ahead of the fold, with a decoder of its own. Idle between batches.
  JsonDecoder preparer_decoder_;
  SerialWorker preparer_;
  CommandDesk* desk_ = nullptr;
  // The request digests of the commands' events appended by the batches not
  // known committed yet (same_command reads the others from the log).
  absl::flat_hash_map<std::string, std::string> uncommitted_command_digests_;
  SerialWorker checkpointer_;  // commits checkpoints
  SerialWorker committer_;     // last: destroyed first, after the commit in flight
};

}  // namespace carelog
