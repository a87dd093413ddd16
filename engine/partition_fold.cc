#include "engine/partition_fold.h"

#include <utility>

#include "engine/batch_seller_rows.h"
#include "projections/seller_projection_rows.h"

namespace carelog {

PartitionFold::PartitionFold(const EventLog& log, GenerationPtr generation, uint32_t partition,
                             ReturnsPolicy policy)
    : log_(log), generation_(std::move(generation)), partition_(partition), policy_(std::move(policy)) {}

const SellerProjection& PartitionFold::apply(const LogRecord& record) {
  const std::string& seller_id = record.event.seller_id;
  auto it = sellers_.find(seller_id);
  if (it == sellers_.end()) {
    auto held = std::make_unique<Held>(seller_id);
    load_seller_projection(*log_.seller_rows(partition_, seller_id, generation_), held->projection);
    it = sellers_.emplace(seller_id, std::move(held)).first;
  }
  Held& held = *it->second;
  held.interval = interval_;
  held.projection.apply(AppliedEvent{record.event, record.partition, record.seq, record.hash}, policy_);
  return held.projection;
}

void PartitionFold::write_changed(LogBatch& batch) {
  for (auto& [seller_id, held] : sellers_) {
    if (!held->projection.changed()) continue;
    BatchSellerRows rows(batch, partition_, seller_id);
    held->projection.write_changed_rows(rows);
  }
  ++interval_;
}

void PartitionFold::evict_cold() {
  if (interval_ < 2) return;
  const uint64_t oldest_kept = interval_ - 1;
  absl::erase_if(sellers_, [&](const auto& entry) {
    return entry.second->interval < oldest_kept && !entry.second->projection.changed();
  });
}

}  // namespace carelog
