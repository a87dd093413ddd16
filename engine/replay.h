// Rebuild of every projection from the log (offline: the engine must not be
// running on the data dir). The log is the truth: the projections' rows are
// dropped and every record is folded again, partition by partition, in log
// order, in WriteBatches of `batch_size` records. Derived events are checked
// on the way: for every cause, the events returns automation derives now must
// be exactly the derived records that follow it in the log.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/event_log.h"
#include "engine/projector.h"

namespace carelog {

struct ReplayOptions {
  ProjectorOptions projector;
  size_t batch_size = 5000;
  // Called after every committed batch with (records done, records in all).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct ReplayReport {
  uint64_t records = 0;
  uint64_t derived_checked = 0;
  uint64_t derived_mismatches = 0;  // derived events that differ from the log's
  std::string first_mismatch;       // "partition P seq S: ..." for the first one
};

Status replay_projections(EventLog& log, const ReplayOptions& options, ReplayReport& report);

}  // namespace carelog
