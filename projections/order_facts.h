// What every projection may need to know about an order, folded from the
// order.*, refund.issued, feedback.received and claim.* events into one row
// per order (row_tag::kOrder + order_id) plus a placed-time index row
// (row_tag::kOrderByTime + time + order_id, empty value).
//
// Instants are event-time microseconds (UTC); absent ones are nullopt.
// Other projections read these rows (read_order_facts); only this fold writes
// them, and the projector applies it before every other projection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projections/projection.h"

namespace carelog {

struct OrderItemFacts {
  std::string sku, asin, title, category;
  int32_t quantity = 1;
  int64_t unit_cents = 0;
};

struct ClaimFacts {
  std::string claim_id;
  ClaimKind kind = ClaimKind::kAToZ;
  int64_t filed_at = 0;
  std::optional<ClaimOutcome> outcome;
  std::optional<int64_t> decided_at;
};

struct FeedbackFacts {
  std::string feedback_id;
  int32_t rating = 5;
  int64_t at = 0;
};

// A refund of the order, with or without a return (from rows format 4).
struct RefundFacts {
  std::string refund_id;
  std::optional<std::string> return_id;
  int64_t at = 0;
  int64_t cents = 0;
  RefundKind kind = RefundKind::kPartial;
};

struct OrderFacts {
  std::string order_id, buyer_id, marketplace, currency;
  int64_t placed_at = 0;
  int64_t latest_ship_date = 0, latest_delivery_date = 0;
  std::vector<OrderItemFacts> items;
  std::optional<int64_t> shipped_at, delivered_at, cancelled_at;
  std::optional<CancelledBy> cancelled_by;
  int64_t paid_cents = 0;      // sum of unit price * quantity
  int64_t refunded_cents = 0;  // all refunds so far
  std::vector<FeedbackFacts> feedback;
  std::vector<ClaimFacts> claims;
  std::vector<RefundFacts> refunds;  // in log order; their cents sum to refunded_cents
};

class OrderFactsProjection : public Projection {
 public:
  std::string_view name() const override { return "order_facts"; }
  std::string_view row_tags() const override { return "oO"; }
  void apply(const AppliedEvent& e, SellerRowWriter& rows) override;
};

std::string order_key(std::string_view order_id);
// The placed-time index row (-> ""), and a claim's order row (-> the order id).
std::string order_placed_row_key(int64_t placed_at, std::string_view order_id);
std::string claim_order_row_key(std::string_view claim_id);
std::optional<OrderFacts> read_order_facts(const SellerRows& rows, std::string_view order_id);
std::optional<OrderFacts> read_order_facts(const SellerRowWriter& rows, std::string_view order_id);
std::string encode_order_facts(const OrderFacts& o);
bool decode_order_facts(std::string_view bytes, OrderFacts& o);
// Visits orders placed in [from, to) (micros), in placed order.
void scan_orders_placed(const SellerRows& rows, int64_t from, int64_t to,
                        const std::function<bool(const OrderFacts&)>& fn);
// Visits every order, in order id order: one sequential pass over the facts
// rows, without the time index's read per order (for counts over all orders).
void scan_all_orders(const SellerRows& rows, const std::function<bool(const OrderFacts&)>& fn);

}  // namespace carelog
