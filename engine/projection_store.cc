#include "engine/projection_store.h"

#include "engine/returns_automation.h"
#include "projections/seller_projection_loader.h"

namespace carelog {

ProjectionStore::ProjectionStore(const EventLog& log, ReturnsPolicy policy, bool fold_log_past_marks)
    : log_(log), policy_(std::move(policy)), fold_log_past_marks_(fold_log_past_marks),
      generation_(log.projections()->number) {}

ProjectionStore::Partition& ProjectionStore::partition(uint32_t p) {
  std::lock_guard<std::mutex> lock(partitions_mutex_);
  auto& slot = partitions_[p];
  if (!slot) slot = std::make_unique<Partition>();
  return *slot;
}

void ProjectionStore::follow_generation() {
  const uint64_t active = log_.projections()->number;
  if (active == generation_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(generation_mutex_);
  if (active == generation_.load(std::memory_order_relaxed)) return;
  clear();
  generation_.store(active, std::memory_order_release);
}

SellerProjection* ProjectionStore::find_or_load(Partition& part, uint32_t p, const std::string& seller_id,
                                                bool create, bool* created) {
  auto it = part.sellers.find(seller_id);
  if (it != part.sellers.end()) return it->second.get();
  auto loaded = std::make_unique<SellerProjection>(seller_id);
  bool found = load_seller_projection(*log_.seller_rows(p, seller_id), *loaded);
  if (fold_log_past_marks_) {
    const auto marks = log_.projections_behind();
    if (auto mark = marks.find(p); mark != marks.end()) {
      log_.scan(p, mark->second + 1, [&](const LogRecord& r, std::string_view) {
        if (r.event.seller_id != seller_id) return true;
        loaded->apply(AppliedEvent{r.event, r.partition, r.seq, r.hash}, policy_);
        found = true;
        return true;
      });
    }
  }
  if (!found) {
    if (!create) return nullptr;
    if (created) *created = true;
  }
  return part.sellers.emplace(seller_id, std::move(loaded)).first->second.get();
}

bool ProjectionStore::read(uint32_t p, const std::string& seller_id,
                           const std::function<void(const SellerProjection&)>& fn) {
  follow_generation();
  Partition& part = partition(p);
  {
    std::shared_lock<std::shared_mutex> lock(part.mutex);
    auto it = part.sellers.find(seller_id);
    if (it != part.sellers.end()) {
      fn(*it->second);
      return true;
    }
  }
  std::unique_lock<std::shared_mutex> lock(part.mutex);
  const SellerProjection* s = find_or_load(part, p, seller_id, /*create=*/false);
  if (!s) return false;
  fn(*s);
  return true;
}

void ProjectionStore::apply(const LogRecord& record) {
  follow_generation();
  Partition& part = partition(record.partition);
  std::unique_lock<std::shared_mutex> lock(part.mutex);
  SellerProjection* s = find_or_load(part, record.partition, record.event.seller_id, /*create=*/true);
  s->apply(AppliedEvent{record.event, record.partition, record.seq, record.hash}, policy_);
}

std::vector<Event> ProjectionStore::apply_and_derive(const LogRecord& record, bool& new_seller) {
  follow_generation();
  Partition& part = partition(record.partition);
  std::unique_lock<std::shared_mutex> lock(part.mutex);
  new_seller = false;
  SellerProjection* s = find_or_load(part, record.partition, record.event.seller_id, /*create=*/true, &new_seller);
  s->apply(AppliedEvent{record.event, record.partition, record.seq, record.hash}, policy_);
  return derive_events(record.event, *s, policy_);
}

namespace {

// One seller's rows in a checkpoint's batch.
class CheckpointRows : public SellerRowWriter {
 public:
  CheckpointRows(LogBatch& batch, uint32_t partition, const std::string& seller)
      : batch_(batch), key_(projection_row_key(partition, seller, "")), prefix_size_(key_.size()) {}
  std::optional<std::string> get(std::string_view key) const override { return batch_.projection_row(full_key(key)); }
  void put(std::string_view key, std::string_view value) override { batch_.put_projection_row(full_key(key), value); }
  void erase(std::string_view key) override { batch_.erase_projection_row(full_key(key)); }

 private:
  const std::string& full_key(std::string_view key) const {
    key_.resize(prefix_size_);
    key_.append(key);
    return key_;
  }
  LogBatch& batch_;
  mutable std::string key_;
  size_t prefix_size_;
};

}  // namespace

Status ProjectionStore::checkpoint(EventLog& log, bool gated) {
  std::unique_ptr<LogBatch> batch =
      gated ? std::make_unique<LogBatch>(log) : std::make_unique<LogBatch>(log, log.projections());
  follow_generation();  // (after a switch the new generation's rows are complete)
  {
    std::lock_guard<std::mutex> lock(partitions_mutex_);
    for (auto& [p, part] : partitions_) {
      std::unique_lock<std::shared_mutex> part_lock(part->mutex);
      for (auto& [seller_id, s] : part->sellers) {
        if (!s->changed()) continue;
        CheckpointRows rows(*batch, p, seller_id);
        s->write_changed_rows(rows);
      }
    }
  }
  for (const auto& [p, seq] : log.projections_behind()) batch->clear_projections_behind(p);
  return log.commit(*batch);
}

void ProjectionStore::drop_seller(uint32_t p, const std::string& seller_id) {
  Partition& part = partition(p);
  std::unique_lock<std::shared_mutex> lock(part.mutex);
  part.sellers.erase(seller_id);
}

void ProjectionStore::clear() {
  std::lock_guard<std::mutex> lock(partitions_mutex_);
  for (auto& [p, part] : partitions_) {
    std::unique_lock<std::shared_mutex> part_lock(part->mutex);
    part->sellers.clear();
  }
}

size_t ProjectionStore::sellers_loaded() const {
  std::lock_guard<std::mutex> lock(partitions_mutex_);
  size_t n = 0;
  for (const auto& [p, part] : partitions_) {
    std::shared_lock<std::shared_mutex> part_lock(part->mutex);
    n += part->sellers.size();
  }
  return n;
}

size_t ProjectionStore::memory_bytes() const {
  std::lock_guard<std::mutex> lock(partitions_mutex_);
  size_t n = 0;
  for (const auto& [p, part] : partitions_) {
    std::shared_lock<std::shared_mutex> part_lock(part->mutex);
    for (const auto& [id, s] : part->sellers) n += s->memory_bytes();
  }
  return n;
}

}  // namespace carelog
