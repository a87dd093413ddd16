#include "engine/projection_store.h"

#include "projections/seller_projection_loader.h"

namespace carelog {

ProjectionStore::ProjectionStore(const EventLog& log, ReturnsPolicy policy)
    : log_(log), policy_(std::move(policy)), generation_(log.projections()->number) {}

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
                                                bool create) {
  auto it = part.sellers.find(seller_id);
  if (it != part.sellers.end()) return it->second.get();
  auto loaded = std::make_unique<SellerProjection>(seller_id);
  if (!load_seller_projection(*log_.seller_rows(p, seller_id), *loaded) && !create) return nullptr;
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
