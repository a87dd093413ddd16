// Folds appended events into the projections, inside the source batch's
// WriteBatch: the rows a batch changes commit together with its events, so
// after a crash the projections are exactly those of the committed log and
// start-up replays nothing.
//
// Order of application per event: seller meta, order facts (read by the
// others), then every other projection. Not thread-safe (ingest loop only).
#pragma once

#include <memory>
#include <string>
#include <string_view>
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

// The names of make_projections(), in order ("seller_meta", "order_facts",
// "messages", "returns_queue", "order_history").
const std::vector<std::string>& projection_names();
// seller_meta and order_facts are read by the others while they fold.
bool is_base_projection(std::string_view name);

class Projector {
 public:
  // `only`: "" or "all" for every projection, else that one and the base
  // projections it reads (a rebuild of one projection).
  Projector(EventLog& log, const ProjectorOptions& options, std::string_view only = "");
  // The row tags the projections of this projector write.
  std::string row_tags() const;

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
