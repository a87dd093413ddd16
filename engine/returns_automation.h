// Returns automation (the seed's « Retours Automatisés »): a process manager
// that, for each event appended to the log, decides which events the engine
// derives from it. It reads only the seller's rows as they stand after the
// event was folded, and nothing else, so a replay derives the same events.
//
//   return.requested   settings `all`, or `policy` and the request is in
//                      policy -> return.authorized (authorized_by auto, RMA
//                      derived from the return id, the marketplace's address)
//                      + notification to the buyer; no usable address ->
//                      notification to the seller saying why; otherwise a
//                      notification to the seller (with authorize/close/reply
//                      links when email_action_links is on).
//   return.authorized  (by the seller) notification to the buyer.
//   return.closed      notification to the other party (both when closed by
//                      the marketplace).
//   return.cancelled   notification to the seller.
// Derived events derive nothing. Their ids are derived:<cause id>:<n>, their
// occurred_at the cause's.
#pragma once

#include <string>
#include <vector>

#include "events/event.h"
#include "projections/returns_queue.h"
#include "projections/rows.h"
#include "projections/seller_projection.h"

namespace carelog {

// What deriving reads of the seller's state after the cause was folded.
class DerivationFacts {
 public:
  virtual ~DerivationFacts() = default;
  virtual std::optional<ReturnSettings> settings(std::string_view marketplace) const = 0;
  virtual std::optional<OrderFacts> order(std::string_view order_id) const = 0;
};

std::vector<Event> derive_events(const Event& cause, const DerivationFacts& facts, const ReturnsPolicy& policy);
// The same, reading the seller's rows or its in-memory projection.
std::vector<Event> derive_events(const Event& cause, const SellerRowWriter& rows,
                                 const ReturnsPolicy& policy);
std::vector<Event> derive_events(const Event& cause, const SellerProjection& seller,
                                 const ReturnsPolicy& policy);

// The RMA of an automatic authorization: 10 characters of [A-Za-z0-9]
// derived from the return id (the same id always gives the same RMA).
std::string derived_rma(const std::string& return_id);
// Whether an address is complete enough to send a return to (name, line1,
// city, postal code, country).
bool address_usable(const Address& a);

bool is_derived_event_id(const std::string& event_id);

}  // namespace carelog
