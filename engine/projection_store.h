// The projections as the queries read them: each seller's typed, in-memory
// projection (projections/seller_projection.h), per partition.
//
// A seller's projection is loaded from its projection rows (the durable
// form, written at checkpoints) the first time a query or the ingest fold
// needs it, and from then on the ingest fold keeps it current event by event. So a
// restart loads nothing up front, and a query costs what its window or page
// holds, not the seller's history.
//
// Consistency with the rows, the durable form: checkpoints write what
// changed since the last one (the ingest writes no projection row per
// batch), and the projections_behind marks (event_log.h) say where the rows
// stop short of the log meanwhile; at start, catch_up_projections folds the
// log past them into the rows.
// - the ingest fold applies an event when it is appended, before its batch
//   commits: a query may see a batch whose commit is in flight (as a Kafka
//   Streams interactive query sees its stores' uncommitted writes). After a
//   failed commit the ingestor clears the store and brings the rows up to
//   the committed log, from which every seller loads again;
// - a seller not in memory has no change that its rows lack: only sellers
//   whose changes a checkpoint wrote are evicted (below), so no batch in
//   flight holds an event of it and its rows are complete;
// - a switch of the projection generation (a blue/green rebuild) drops every
//   seller, and an erasure drops the erased seller (drop_seller, after the
//   refold): both load again from the rows they rewrote.
//
// Memory: after each checkpoint, while the projections in memory hold more
// than `memory_budget` bytes (SellerProjection::memory_bytes, measured at
// load and at each checkpoint), sellers untouched since the checkpoint
// before are evicted, least recently used first (they load again from their
// rows when next needed). Sellers in use are never evicted, so the budget
// bounds the idle ones: a working set larger than it stays in memory.
//
// Thread-safety: apply() from the ingest thread; read() from any thread.
// Each partition has a shared mutex: the fold holds it exclusively for one
// event, a query shares it for its whole answer.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "engine/event_log.h"
#include "projections/return_policy.h"
#include "projections/seller_projection.h"

namespace carelog {

class ProjectionStore {
 public:
  // `fold_log_past_marks`: for a reader of a data dir that nobody caught up
  // (an engine may be running on it, or was killed): a seller loaded from
  // its rows also folds its records of the log past its partition's
  // projections_behind mark (not past a rebuild --until's: that data dir
  // answers as the log stood then). The engine catches up before it serves, and
  // leaves it false.
  ProjectionStore(const EventLog& log, ReturnsPolicy policy, bool fold_log_past_marks = false,
                  size_t memory_budget = 384u << 20);
  ProjectionStore(const ProjectionStore&) = delete;
  ProjectionStore& operator=(const ProjectionStore&) = delete;

  // Calls `fn` with the seller's projection, under its partition's shared
  // lock; false (without calling it) when the partition has no such seller.
  bool read(uint32_t partition, const std::string& seller_id,
            const std::function<void(const SellerProjection&)>& fn);

  // Folds a record just appended to the log (derived ones included).
  void apply(const LogRecord& record);
  // The same, then the events returns automation derives from it
  // (returns_automation.h), as the seller's projection stands after it.
  // `new_seller`: the seller had no projection yet (neither rows nor a fold).
  std::vector<Event> apply_and_derive(const LogRecord& record, bool& new_seller, bool derive = true);

  // A checkpoint: writes the projection rows that changed since the last
  // one (SellerProjection::write_changed_rows) and moves every
  // projections_behind mark (event_log.h) to its partition's head, in one
  // batch: the rows are then complete up to every head. The caller guarantees that every record folded
  // is committed: the ingest thread between its batches (`gated`: the batch
  // takes the gate), or anyone holding the gate paused (not `gated`).
  Status checkpoint(EventLog& log, bool gated);
  // The same in two steps, so that the commit may run on another thread
  // while the caller folds on: begin_checkpoint() returns the batch (the
  // changed rows and the marks' move) for the caller to commit, then
  // end_checkpoint() takes the commit's outcome (and evicts once it is
  // durable: a seller is evicted only when its rows are committed). One
  // checkpoint at a time; folds may go on between the two.
  std::unique_ptr<LogBatch> begin_checkpoint(EventLog& log, bool gated);
  void end_checkpoint(const Status& committed);

  // Forgets one seller (after an erasure refolded its rows), or every one
  // (after a failed commit): they load again from the rows on next use.
  void drop_seller(uint32_t partition, const std::string& seller_id);
  void clear();

  // Sellers in memory, the bytes their projections held when last measured,
  // and the sellers evicted since the start.
  size_t sellers_loaded() const;
  size_t memory_bytes() const { return held_bytes_.load(std::memory_order_relaxed); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  // A seller's projection and what eviction needs to know of it.
  struct Held {
    explicit Held(const std::string& seller_id) : projection(seller_id) {}
    SellerProjection projection;
    std::atomic<uint64_t> last_used{0};  // a tick of the store's clock
    size_t bytes = 0;                    // estimate_bytes() when last asked
    // The bytes it holds: memory_bytes(), which walks every entity, measured
    // again only once the seller has grown by an eighth of the events it had
    // when last measured, and scaled by its events in between (a large
    // seller changed at every checkpoint is walked O(log n) times, not n/k).
    size_t estimate_bytes() {
      const uint64_t events = projection.meta.events;
      if (measured_events == 0 || events >= measured_events + measured_events / 8) {
        measured_bytes = projection.memory_bytes();
        measured_events = std::max<uint64_t>(events, 1);
        return measured_bytes;
      }
      return static_cast<size_t>(static_cast<double>(measured_bytes) * events / measured_events);
    }
    uint64_t measured_events = 0;
    size_t measured_bytes = 0;
  };
  struct Partition {
    mutable std::shared_mutex mutex;
    absl::flat_hash_map<std::string, std::unique_ptr<Held>> sellers;
  };
  // Evicts the least recently used sellers, all checkpointed, down to 80 %
  // of the budget.
  void evict_to_budget();
  void forget_bytes(size_t bytes) { held_bytes_.fetch_sub(bytes, std::memory_order_relaxed); }
  Partition& partition(uint32_t p);
  // Drops everything when the log's active generation is not the one loaded from.
  void follow_generation();
  // The seller's projection, loaded from its rows if not in memory; null
  // when it has none and `create` is false. Holds `part`'s exclusive lock.
  Held* find_or_load(Partition& part, uint32_t p, const std::string& seller_id, bool create,
                     bool* created = nullptr);

  const EventLog& log_;
  ReturnsPolicy policy_;
  bool fold_log_past_marks_;
  size_t memory_budget_;
  std::atomic<uint64_t> clock_{0};
  uint64_t checkpoint_clock_ = 0;  // clock_ at the last checkpoint's begin (checkpoints are serial)
  uint64_t begun_clock_ = 0;       // clock_ at the begin of the checkpoint in flight
  std::atomic<size_t> held_bytes_{0};
  std::atomic<uint64_t> evictions_{0};
  mutable std::mutex partitions_mutex_;  // guards the map, not the partitions
  std::map<uint32_t, std::unique_ptr<Partition>> partitions_;
  std::mutex generation_mutex_;
  std::atomic<uint64_t> generation_{0};  // the generation the sellers in memory were loaded from
};

}  // namespace carelog
