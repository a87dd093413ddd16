// Rebuild of projections from the log into a new generation (blue/green; see
// event_log.h), offline or beside a serving engine.
//
// 1. Under the gate, take a snapshot and every partition's head.
// 2. When one projection is rebuilt, copy the other projections' rows of the
//    snapshot into the new generation; that projection and the base ones it
//    reads (seller_meta, order_facts) start empty.
// 3. Fold each partition's records 1..head into the new generation, in log
//    order, one thread per partition; each keeps up to `table_bytes` of rows
//    in memory, then hands them to RocksDB as one sorted table file
//    (EventLog::commit_as_table).
// 4. Catch up with what the engine appended meanwhile, then with source
//    batches held at the gate fold the last records and switch. Until the
//    switch, queries read the previous generation; after it, the new one.
//
// Derived events are checked on the way (full rebuilds): for every cause, the
// events returns automation derives now must be exactly the derived records
// that follow it in the log.
//
// `until_seq` / `until_micros` (offline only) stop every partition early; the
// generation then records how far it got (EventLog::projected_through) and
// catch_up_projections() completes it before an engine serves from it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "engine/event_log.h"
#include "engine/projector.h"

namespace carelog {

struct ReplayOptions {
  ProjectorOptions projector;
  std::string projection = "all";  // or one of projection_names()
  // Records between two progress reports and cancellation checks.
  size_t batch_size = 20000;
  // Projection rows each fold thread keeps in memory before it writes them
  // (approximate bytes, see LogBatch::overlay_bytes): the larger, the fewer
  // reads and writes of rows changed again and again.
  size_t table_bytes = 64 << 20;
  // A batch holding fewer bytes of rows (the end of a partition, a catch-up
  // round) is committed as a write: a table file each would pile up in
  // level 0, where RocksDB slows every write of the database down.
  size_t min_table_bytes = 4 << 20;
  // Partitions folded at once, each by its own thread (their rows are
  // disjoint); 1 folds them one after the other.
  size_t threads = 2;
  std::optional<uint64_t> until_seq;    // fold seqs <= this in every partition
  std::optional<int64_t> until_micros;  // stop before the first event after this
  // True when an engine may be appending to the log meanwhile.
  bool online = false;
  // Called with source batches held at the gate, before the starting point
  // is taken: a serving engine writes its in-memory projections' changed
  // rows there (ProjectionStore::checkpoint), so that the rows are complete
  // up to the heads (a one-projection rebuild copies the others').
  std::function<Status()> complete_rows;
  // Called every batch_size records with (records folded, records to do).
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Set by another thread to abandon the rebuild (the old generation stays).
  const std::atomic<bool>* cancel = nullptr;
};

struct ReplayReport {
  uint64_t records = 0;
  uint64_t rows_copied = 0;         // other projections' rows (one-projection rebuild)
  uint64_t generation = 0;          // the generation now active
  uint64_t derived_checked = 0;
  uint64_t derived_mismatches = 0;  // derived events that differ from the log's
  std::string first_mismatch;       // "partition P seq S: ..." for the first one
};

Status replay_projections(EventLog& log, const ReplayOptions& options, ReplayReport& report);

// A full rebuild (replay_projections, offline: before an engine serves)
// when the active generation's rows are in a format older than the one this
// code folds (projections/rows.h kRowsFormat): the engine's domain rules
// read what only the current format holds (an order's refunds). `rebuilt`
// says whether it did; `report` is the rebuild's.
Status upgrade_projections(EventLog& log, const ProjectorOptions& options, ReplayReport& report, bool& rebuilt);

// The active generation's rows stop short of the log somewhere: a rebuild
// --until's marks, or an engine's checkpoint lag (projections_behind).
bool projections_stop_short(const EventLog& log);
// Folds, into the active generation, the records after projected_through()
// or projections_behind() of every partition that has such a mark, then
// clears the marks. The engine calls it before ingesting; a no-op after
// every complete rebuild and every checkpoint.
Status catch_up_projections(EventLog& log, const ProjectorOptions& options, uint64_t& folded);

}  // namespace carelog
