#include "engine/projection_store.h"

#include <algorithm>
#include <utility>

#include "engine/batch_seller_rows.h"
#include "engine/returns_automation.h"
#include "projections/seller_projection_rows.h"

namespace carelog {

ProjectionStore::ProjectionStore(const EventLog& log, ReturnsPolicy policy, bool fold_log_past_marks,
                                 size_t memory_budget)
    : log_(log), policy_(std::move(policy)), fold_log_past_marks_(fold_log_past_marks),
      memory_budget_(memory_budget), generation_(log.active_generation()) {}

ProjectionStore::Partition& ProjectionStore::partition(uint32_t p) {
  std::lock_guard<std::mutex> lock(partitions_mutex_);
  auto& slot = partitions_[p];
  if (!slot) slot = std::make_unique<Partition>();
  return *slot;
}

void ProjectionStore::follow_generation() {
  const uint64_t active = log_.active_generation();
  if (active == generation_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(generation_mutex_);
  if (active == generation_.load(std::memory_order_relaxed)) return;
  clear();
  generation_.store(active, std::memory_order_release);
}

ProjectionStore::Held* ProjectionStore::find_or_load(Partition& part, uint32_t p, const std::string& seller_id,
                                                     bool create, bool* created) {
  auto it = part.sellers.find(seller_id);
  if (it != part.sellers.end()) return it->second.get();
  auto held = std::make_unique<Held>(seller_id);
  SellerProjection& loaded = held->projection;
  bool found = load_seller_projection(*log_.seller_rows(p, seller_id), loaded);
  if (fold_log_past_marks_) {
    const auto marks = log_.projections_behind();
    if (auto mark = marks.find(p); mark != marks.end()) {
      log_.scan_events(p, mark->second + 1, [&](const LogRecord& r, std::string_view) {
        if (r.event.seller_id != seller_id) return true;
        loaded.apply(AppliedEvent{r.event, r.partition, r.seq, r.hash}, policy_);
        found = true;
        return true;
      });
    }
  }
  if (!found) {
    if (!create) return nullptr;
    if (created) *created = true;
  }
  held->bytes = held->estimate_bytes();
  held_bytes_.fetch_add(held->bytes, std::memory_order_relaxed);
  return part.sellers.emplace(seller_id, std::move(held)).first->second.get();
}

bool ProjectionStore::read(uint32_t p, const std::string& seller_id,
                           const std::function<void(const SellerProjection&)>& fn) {
  follow_generation();
  Partition& part = partition(p);
  const uint64_t now = ++clock_;
  {
    std::shared_lock<std::shared_mutex> lock(part.mutex);
    auto it = part.sellers.find(seller_id);
    if (it != part.sellers.end()) {
      it->second->last_used.store(now, std::memory_order_relaxed);
      fn(it->second->projection);
      return true;
    }
  }
  std::unique_lock<std::shared_mutex> lock(part.mutex);
  Held* held = find_or_load(part, p, seller_id, /*create=*/false);
  if (!held) return false;
  held->last_used.store(now, std::memory_order_relaxed);
  fn(held->projection);
  return true;
}

void ProjectionStore::apply(const LogRecord& record) {
  bool new_seller = false;
  apply_and_derive(record, new_seller, /*derive=*/false);
}

std::vector<Event> ProjectionStore::apply_and_derive(const LogRecord& record, bool& new_seller, bool derive) {
  follow_generation();
  Partition& part = partition(record.partition);
  std::unique_lock<std::shared_mutex> lock(part.mutex);
  new_seller = false;
  Held* held = find_or_load(part, record.partition, record.event.seller_id, /*create=*/true, &new_seller);
  held->last_used.store(++clock_, std::memory_order_relaxed);
  held->projection.apply(AppliedEvent{record.event, record.partition, record.seq, record.hash}, policy_);
  if (!derive) return {};
  return derive_events(record.event, held->projection, policy_);
}


Status ProjectionStore::checkpoint(EventLog& log, bool gated) {
  std::unique_ptr<LogBatch> batch = begin_checkpoint(log, gated);
  Status st = log.commit(*batch);
  end_checkpoint(st);
  return st;
}

std::unique_ptr<LogBatch> ProjectionStore::begin_checkpoint(EventLog& log, bool gated) {
  begun_clock_ = clock_.load(std::memory_order_relaxed);
  std::unique_ptr<LogBatch> batch =
      gated ? std::make_unique<LogBatch>(log) : std::make_unique<LogBatch>(log, log.projections());
  batch->write_rows_through();  // (the rows in memory are the ones read)
  follow_generation();  // (after a switch the new generation's rows are complete)
  {
    std::lock_guard<std::mutex> lock(partitions_mutex_);
    for (auto& [p, part] : partitions_) {
      std::unique_lock<std::shared_mutex> part_lock(part->mutex);
      for (auto& [seller_id, held] : part->sellers) {
        if (!held->projection.changed()) continue;
        const size_t bytes = held->estimate_bytes();
        held_bytes_.fetch_add(bytes, std::memory_order_relaxed);
        forget_bytes(held->bytes);
        held->bytes = bytes;
        BatchSellerRows rows(*batch, p, seller_id);
        held->projection.write_changed_rows(rows);
      }
    }
  }
  // The rows are complete up to every head now (all that was folded is
  // committed): the marks move there. (They are moved, not removed, so that
  // batches may commit before this checkpoint: a mark never runs ahead of
  // the rows.)
  for (const auto& [p, seq] : log.projections_behind()) batch->set_projections_behind(p, log.head(p).seq);
  return batch;
}

void ProjectionStore::end_checkpoint(const Status& committed) {
  if (committed.ok()) evict_to_budget();
}

void ProjectionStore::evict_to_budget() {
  // Only sellers untouched since the checkpoint before this one are
  // candidates: a seller in use is not evicted to be loaded again at once.
  const uint64_t cold_before = std::exchange(checkpoint_clock_, begun_clock_);
  if (held_bytes_.load(std::memory_order_relaxed) <= memory_budget_) return;
  struct Candidate {
    uint64_t last_used;
    uint32_t partition;
    std::string seller_id;
  };
  std::vector<Candidate> candidates;
  {
    std::lock_guard<std::mutex> lock(partitions_mutex_);
    for (auto& [p, part] : partitions_) {
      std::shared_lock<std::shared_mutex> part_lock(part->mutex);
      for (const auto& [seller_id, held] : part->sellers) {
        const uint64_t used = held->last_used.load(std::memory_order_relaxed);
        if (used < cold_before) candidates.push_back({used, p, seller_id});
      }
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.last_used < b.last_used; });
  const size_t target = memory_budget_ / 10 * 8;
  for (const Candidate& c : candidates) {
    if (held_bytes_.load(std::memory_order_relaxed) <= target) break;
    Partition& part = partition(c.partition);
    std::unique_lock<std::shared_mutex> part_lock(part.mutex);
    auto it = part.sellers.find(c.seller_id);
    // Only what its rows hold already (a change since the checkpoint stays).
    if (it == part.sellers.end() || it->second->projection.changed()) continue;
    forget_bytes(it->second->bytes);
    part.sellers.erase(it);
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

void ProjectionStore::drop_seller(uint32_t p, const std::string& seller_id) {
  Partition& part = partition(p);
  std::unique_lock<std::shared_mutex> lock(part.mutex);
  auto it = part.sellers.find(seller_id);
  if (it == part.sellers.end()) return;
  forget_bytes(it->second->bytes);
  part.sellers.erase(it);
}

void ProjectionStore::clear() {
  std::lock_guard<std::mutex> lock(partitions_mutex_);
  for (auto& [p, part] : partitions_) {
    std::unique_lock<std::shared_mutex> part_lock(part->mutex);
    for (const auto& [seller_id, held] : part->sellers) forget_bytes(held->bytes);
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

}  // namespace carelog
