#include "engine/projector.h"

#include "engine/returns_automation.h"
#include "projections/account_health.h"
#include "projections/order_facts.h"
#include "projections/order_history.h"
#include "projections/response_times.h"
#include "projections/seller_meta.h"

namespace carelog {
namespace {

// One seller's rows during a batch: reads see the batch's writes, then the
// committed database; writes go into the batch.
class BatchSellerRows : public SellerRowWriter {
 public:
  BatchSellerRows(LogBatch& batch, uint32_t partition, const std::string& seller)
      : batch_(batch), key_(projection_row_key(partition, seller, "")), prefix_size_(key_.size()) {}
  std::optional<std::string> get(std::string_view key) const override { return batch_.projection_row(full_key(key)); }
  void put(std::string_view key, std::string_view value) override { batch_.put_projection_row(full_key(key), value); }
  void erase(std::string_view key) override { batch_.erase_projection_row(full_key(key)); }

 private:
  // The row's full key, built in one buffer that keeps its capacity (a row
  // access allocated two strings before).
  const std::string& full_key(std::string_view key) const {
    key_.resize(prefix_size_);
    key_.append(key);
    return key_;
  }
  LogBatch& batch_;
  mutable std::string key_;  // the seller's prefix, then the last row key asked for
  size_t prefix_size_;
};

}  // namespace

std::vector<std::unique_ptr<Projection>> make_projections(const ProjectorOptions& options) {
  std::vector<std::unique_ptr<Projection>> p;
  p.push_back(std::make_unique<SellerMetaProjection>());
  p.push_back(std::make_unique<OrderFactsProjection>());
  p.push_back(std::make_unique<MessagesProjection>());
  p.push_back(std::make_unique<ReturnsQueueProjection>(options.returns_policy));
  p.push_back(std::make_unique<OrderHistoryProjection>());
  return p;
}

const std::vector<std::string>& projection_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (auto& p : make_projections(ProjectorOptions{})) out.emplace_back(p->name());
    return out;
  }();
  return names;
}

bool is_base_projection(std::string_view name) { return name == "seller_meta" || name == "order_facts"; }

Projector::Projector(EventLog& log, const ProjectorOptions& options, std::string_view only)
    : log_(log), options_(options), projections_(make_projections(options)) {
  if (only.empty() || only == "all") return;
  std::erase_if(projections_, [&](const std::unique_ptr<Projection>& p) {
    return p->name() != only && !is_base_projection(p->name());
  });
}

std::string Projector::row_tags() const {
  std::string tags;
  for (auto& p : projections_) tags.append(p->row_tags());
  return tags;
}

std::vector<Event> Projector::derive(const LogRecord& record, LogBatch& batch) {
  BatchSellerRows rows(batch, record.partition, record.event.seller_id);
  return derive_events(record.event, rows, options_.returns_policy);
}

void Projector::apply(const LogRecord& record, LogBatch& batch) {
  BatchSellerRows rows(batch, record.partition, record.event.seller_id);
  if (!rows.get(std::string(1, row_tag::kSellerMeta))) {
    batch.put_seller_partition(record.event.seller_id, record.partition);
  }
  AppliedEvent applied{record.event, record.partition, record.seq, record.hash};
  for (auto& p : projections_) p->apply(applied, rows);
}

}  // namespace carelog
