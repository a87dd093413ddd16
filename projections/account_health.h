// Account health (spec/projections.md §4, « Indicateurs d'expérience
// client »): order defect rate (60 d), pre-fulfilment cancel rate (7 d), late
// shipment rate (30 d), contact response late rate (the 30 d late rate of the
// response-time table) and return response late rate (30 d), each with rate,
// numerator, denominator, window, target and status. Query-only: it reads the
// rows of order_facts, messages and returns_queue at the given as_of.
#pragma once

#include <string>

#include "projections/order_facts.h"
#include "projections/projection.h"

namespace carelog {

// The metrics' windows, in days.
inline constexpr int kOrderDefectWindowDays = 60;
inline constexpr int kSellerCancelWindowDays = 7;
inline constexpr int kLateShipmentWindowDays = 30;
inline constexpr int kReturnResponseWindowDays = 30;

struct HealthCount {
  int64_t numerator = 0, denominator = 0;
};
// What the five metrics count at one as_of.
struct AccountHealthCounts {
  HealthCount defects, seller_cancels, late_shipments, contact_late, return_late;
};

std::string account_health_json(const SellerRows& rows, const std::string& seller_id,
                                int64_t as_of);
// The JSON body from the counts.
std::string account_health_json(const std::string& seller_id, int64_t as_of,
                                const AccountHealthCounts& counts);

// Negative feedback (rating <= 2) received, an A-to-z claim filed and not
// denied/withdrawn, or a chargeback filed — each as of `as_of`.
bool is_defective(const OrderFacts& o, int64_t as_of);
// Cancelled by the seller by `as_of`, and not shipped at or before the cancellation.
bool is_seller_cancelled_before_shipping(const OrderFacts& o, int64_t as_of);

}  // namespace carelog
