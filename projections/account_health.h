// Account health (spec/projections.md §4, « Indicateurs d'expérience
// client »): order defect rate (60 d), pre-fulfilment cancel rate (7 d), late
// shipment rate (30 d), contact response late rate (the 30 d late rate of the
// response-time table) and return response late rate (30 d), each with rate,
// numerator, denominator, window, target and status. Query-only: it reads the
// rows of order_facts, messages and returns_queue at the given as_of.
#pragma once

#include <string>

#include "projections/projection.h"

namespace carelog {

std::string account_health_json(const SellerRows& rows, const std::string& seller_id,
                                int64_t as_of);

}  // namespace carelog
