// One partition's sellers' projections (projections/seller_projection.h) as
// a fold of its log builds them outside a serving engine: a rebuild into a
// new generation, a catch-up of the active one. The fold runs in memory;
// rows are written only by write_changed(), each changed row once, however
// many records changed it (SellerProjection::write_changed_rows).
//
// A seller is loaded from `generation`'s rows on its first record (none for
// a seller new to that generation) and folded record by record from then on.
// Memory: evict_cold() drops the sellers no record touched since the
// write_changed() before the last one; they load again from their rows. It
// is called only once the batch of the last write_changed() is committed,
// so that those rows are there to load from.
//
// Not thread-safe: one per fold thread (partitions' rows are disjoint).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <absl/container/flat_hash_map.h>

#include "engine/event_log.h"
#include "projections/return_policy.h"
#include "projections/seller_projection.h"

namespace carelog {

class PartitionFold {
 public:
  PartitionFold(const EventLog& log, GenerationPtr generation, uint32_t partition, ReturnsPolicy policy);
  PartitionFold(const PartitionFold&) = delete;
  PartitionFold& operator=(const PartitionFold&) = delete;

  // Folds `record` (of this partition, in log order) into its seller's
  // projection, which it returns as the record leaves it.
  const SellerProjection& apply(const LogRecord& record);

  // Puts every row changed since the last call into `batch` (a batch on
  // this fold's generation) and starts a new interval.
  void write_changed(LogBatch& batch);
  // Once that batch committed: drops the sellers untouched for a whole interval.
  void evict_cold();

  size_t sellers() const { return sellers_.size(); }
  const ReturnsPolicy& policy() const { return policy_; }

 private:
  struct Held {
    explicit Held(const std::string& seller_id) : projection(seller_id) {}
    SellerProjection projection;
    uint64_t interval = 0;  // the last interval a record touched it in
  };
  const EventLog& log_;
  GenerationPtr generation_;
  uint32_t partition_;
  ReturnsPolicy policy_;
  uint64_t interval_ = 0;
  absl::flat_hash_map<std::string, std::unique_ptr<Held>> sellers_;
};

}  // namespace carelog
