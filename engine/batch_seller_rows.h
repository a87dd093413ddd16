// One seller's projection rows as a LogBatch sees them: reads see the
// batch's writes, then what it reads through, then the committed database;
// writes go into the batch. For the row folds (projector.cc) and the
// projection store's checkpoints (projection_store.cc). Short-lived, not
// thread-safe, as its batch.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/event_log.h"
#include "projections/rows.h"

namespace carelog {

class BatchSellerRows : public SellerRowWriter {
 public:
  BatchSellerRows(LogBatch& batch, uint32_t partition, const std::string& seller)
      : batch_(batch), key_(projection_row_key(partition, seller, "")), prefix_size_(key_.size()) {}
  std::optional<std::string> get(std::string_view key) const override { return batch_.projection_row(full_key(key)); }
  void put(std::string_view key, std::string_view value) override { batch_.put_projection_row(full_key(key), value); }
  void erase(std::string_view key) override { batch_.erase_projection_row(full_key(key)); }

 private:
  // The row's full key, built in one buffer that keeps its capacity.
  const std::string& full_key(std::string_view key) const {
    key_.resize(prefix_size_);
    key_.append(key);
    return key_;
  }
  LogBatch& batch_;
  mutable std::string key_;  // the seller's prefix, then the last row key asked for
  size_t prefix_size_;
};

}  // namespace carelog
