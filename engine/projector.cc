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
  BatchSellerRows(const EventLog& log, LogBatch& batch, uint32_t partition, const std::string& seller)
      : log_(log), batch_(batch), prefix_(projection_row_key(partition, seller, "")) {}
  std::optional<std::string> get(std::string_view key) const override {
    std::string full = prefix_ + std::string(key);
    if (const auto* pending = batch_.pending_projection_row(full)) return *pending;
    return log_.get_projection_row(full);
  }
  void put(std::string_view key, std::string_view value) override {
    batch_.put_projection_row(prefix_ + std::string(key), value);
  }
  void erase(std::string_view key) override { batch_.erase_projection_row(prefix_ + std::string(key)); }

 private:
  const EventLog& log_;
  LogBatch& batch_;
  std::string prefix_;
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

Projector::Projector(EventLog& log, const ProjectorOptions& options)
    : log_(log), options_(options), projections_(make_projections(options)) {}

std::vector<Event> Projector::derive(const LogRecord& record, LogBatch& batch) {
  BatchSellerRows rows(log_, batch, record.partition, record.event.seller_id);
  return derive_events(record.event, rows, options_.returns_policy);
}

void Projector::apply(const LogRecord& record, LogBatch& batch) {
  BatchSellerRows rows(log_, batch, record.partition, record.event.seller_id);
  if (!rows.get(std::string(1, row_tag::kSellerMeta))) {
    batch.put_seller_partition(record.event.seller_id, record.partition);
  }
  AppliedEvent applied{record.event, record.partition, record.seq, record.hash};
  for (auto& p : projections_) p->apply(applied, rows);
}

}  // namespace carelog
