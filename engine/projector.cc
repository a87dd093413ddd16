#include "engine/projector.h"

#include "engine/batch_seller_rows.h"
#include "engine/returns_automation.h"
#include "projections/account_health.h"
#include "projections/order_facts.h"
#include "projections/order_history.h"
#include "projections/response_times.h"
#include "projections/seller_meta.h"

namespace carelog {

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
