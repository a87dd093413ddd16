#include "projections/account_health.h"

#include <cstdint>
#include <limits>
#include <optional>

#include "events/json_encoder.h"
#include "projections/order_facts.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"

// Response shape (GET /v1/sellers/{seller_id}/account-health[?as_of=T]):
//
//   {"seller_id":"A2SELLER0001","as_of":"2013-03-01T00:00:00Z",
//    "metrics":{
//      "order_defect_rate":          {"rate":0.0125,"numerator":1,"denominator":80,
//                                     "window_days":60,"target":0.01,"status":"bad"},
//      "pre_fulfillment_cancel_rate":{... "window_days":7,  "target":0.025 ...},
//      "late_shipment_rate":         {... "window_days":30, "target":0.04  ...},
//      "contact_response_late_rate": {... "window_days":30, "target":0.1   ...},
//      "return_response_late_rate":  {... "window_days":30, "target":0.1   ...}}}
//
// Members always in that order. `rate` is numerator / denominator rounded half
// up to 4 decimals (trailing zeros dropped: 0, 0.5, 0.3333, 1), or null when the
// denominator is 0, in which case `status` is "none". `status` compares the
// exact fraction (integer arithmetic, no float) with the target: "good" when
// it holds, else "bad". Every window is (as_of - window_days * 24 h, as_of].
//
// Time travel: only facts with an instant <= as_of count (feedback received,
// claims filed and decided, cancellations, shipments); later ones are ignored.

namespace carelog {
namespace {

enum class Comparison { kLess, kLessOrEqual };

struct MetricSpec {
  const char* name;
  int window_days;
  // target = target_num / target_den, exactly.
  int64_t target_num, target_den;
  const char* target_text;  // the same target as a JSON number
  Comparison comparison;
};

constexpr MetricSpec kOrderDefect{"order_defect_rate", kOrderDefectWindowDays, 1, 100, "0.01", Comparison::kLess};
constexpr MetricSpec kPreFulfillmentCancel{
    "pre_fulfillment_cancel_rate", kSellerCancelWindowDays, 25, 1000, "0.025", Comparison::kLess};
constexpr MetricSpec kLateShipment{"late_shipment_rate", kLateShipmentWindowDays, 4, 100, "0.04", Comparison::kLess};
constexpr MetricSpec kContactResponseLate{"contact_response_late_rate", 30, 1, 10, "0.1",
                                          Comparison::kLessOrEqual};
constexpr MetricSpec kReturnResponseLate{
    "return_response_late_rate", kReturnResponseWindowDays, 1, 10, "0.1", Comparison::kLess};

using Count = HealthCount;

bool meets_target(const MetricSpec& m, const Count& c) {
  using Wide = __int128;
  const Wide lhs = Wide{c.numerator} * m.target_den;  // rate * den * target_den
  const Wide rhs = Wide{c.denominator} * m.target_num;
  return m.comparison == Comparison::kLess ? lhs < rhs : lhs <= rhs;
}

void append_metric(std::string& out, const MetricSpec& m, const Count& c, bool first) {
  if (!first) out += ',';
  append_json_string(out, m.name);
  out += ":{\"rate\":";
  out += format_ratio(c.numerator, c.denominator);
  out += ",\"numerator\":" + std::to_string(c.numerator);
  out += ",\"denominator\":" + std::to_string(c.denominator);
  out += ",\"window_days\":" + std::to_string(m.window_days);
  out += ",\"target\":";
  out += m.target_text;
  out += ",\"status\":";
  out += c.denominator == 0 ? "\"none\"" : meets_target(m, c) ? "\"good\"" : "\"bad\"";
  out += '}';
}

bool in_window(int64_t t, int64_t as_of, int window_days) {
  return t > as_of - window_days * kMicrosPerDay && t <= as_of;
}

}  // namespace

bool is_defective(const OrderFacts& o, int64_t as_of) {
  for (const auto& f : o.feedback) {
    if (f.rating <= 2 && f.at <= as_of) return true;
  }
  for (const auto& c : o.claims) {
    if (c.filed_at > as_of) continue;
    if (c.kind == ClaimKind::kChargeback) return true;
    const bool rejected =
        c.outcome && c.decided_at && *c.decided_at <= as_of &&
        (*c.outcome == ClaimOutcome::kDenied || *c.outcome == ClaimOutcome::kWithdrawn);
    if (!rejected) return true;
  }
  return false;
}

bool is_seller_cancelled_before_shipping(const OrderFacts& o, int64_t as_of) {
  if (!o.cancelled_at || *o.cancelled_at > as_of) return false;
  if (o.cancelled_by != CancelledBy::kSeller) return false;
  return !(o.shipped_at && *o.shipped_at <= *o.cancelled_at);
}

namespace {

// One pass over every order placed up to as_of: the placement windows bound
// the first two metrics, but a shipment in the 30-day window may belong to an
// order placed at any earlier time (there is no ship-time index). The facts
// rows are read in one sequential pass (counts need no placed order).
AccountHealthCounts count_orders(const SellerRows& rows, int64_t as_of) {
  AccountHealthCounts out;
  scan_all_orders(rows, [&](const OrderFacts& o) {
    if (o.placed_at > as_of) return true;
    if (in_window(o.placed_at, as_of, kOrderDefect.window_days)) {
      ++out.defects.denominator;
      if (is_defective(o, as_of)) ++out.defects.numerator;
    }
    if (in_window(o.placed_at, as_of, kPreFulfillmentCancel.window_days)) {
      ++out.seller_cancels.denominator;
      if (is_seller_cancelled_before_shipping(o, as_of)) ++out.seller_cancels.numerator;
    }
    if (o.shipped_at && in_window(*o.shipped_at, as_of, kLateShipment.window_days)) {
      ++out.late_shipments.denominator;
      if (*o.shipped_at > o.latest_ship_date) ++out.late_shipments.numerator;
    }
    return true;
  });
  return out;
}

}  // namespace

std::string account_health_json(const SellerRows& rows, const std::string& seller_id,
                                int64_t as_of) {
  AccountHealthCounts counts = count_orders(rows, as_of);
  const ResponseTimesReport responses = compute_response_times(rows, as_of);
  const ResponseWindow& w30 = responses.windows[1];
  counts.contact_late = {w30.late_count, w30.on_time + w30.late + w30.no_response};
  const ReturnResponseStats returns = return_response_stats(
      rows, as_of - kReturnResponseLate.window_days * kMicrosPerDay, as_of, as_of);
  counts.return_late = {returns.late, returns.requests};
  return account_health_json(seller_id, as_of, counts);
}

std::string account_health_json(const std::string& seller_id, int64_t as_of, const AccountHealthCounts& counts) {
  std::string out = "{\"seller_id\":";
  append_json_string(out, seller_id);
  out += ",\"as_of\":";
  append_json_string(out, format_rfc3339(Timestamp{as_of, 0}));
  out += ",\"metrics\":{";
  append_metric(out, kOrderDefect, counts.defects, true);
  append_metric(out, kPreFulfillmentCancel, counts.seller_cancels, false);
  append_metric(out, kLateShipment, counts.late_shipments, false);
  append_metric(out, kContactResponseLate, counts.contact_late, false);
  append_metric(out, kReturnResponseLate, counts.return_late, false);
  out += "}}";
  return out;
}

}  // namespace carelog
