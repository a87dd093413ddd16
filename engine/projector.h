// Folds appended events into the projections, inside the source batch's
// WriteBatch: the rows a batch changes commit together with its events, so
// after a crash the projections are exactly those of the committed log and
// start-up replays nothing.
//
// Order of application per event: seller meta, order facts (read by the
// others), then every other projection. Not thread-safe (ingest loop only).
#pragma once

#include <memory>
#include <vector>

#include "engine/event_log.h"
#include "projections/projection.h"
#include "projections/returns_queue.h"

namespace carelog {

struct ProjectorOptions {
  ReturnsPolicy returns_policy;
};

// Every projection carelog maintains, in application order.
std::vector<std::unique_ptr<Projection>> make_projections(const ProjectorOptions& options);

class Projector {
 public:
  Projector(EventLog& log, const ProjectorOptions& options);

  // Applies every projection to `record` (already appended to `batch`).
  void apply(const LogRecord& record, LogBatch& batch);
  // The events returns automation derives from `record` (after apply), as
  // the seller's rows stand in this batch. See returns_automation.h.
  std::vector<Event> derive(const LogRecord& record, LogBatch& batch);

 private:
  EventLog& log_;
  ProjectorOptions options_;
  std::vector<std::unique_ptr<Projection>> projections_;
};

}  // namespace carelog
