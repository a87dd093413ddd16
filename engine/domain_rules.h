// The domain rules of spec/events.md ("What is rejected"), checked against the
// seller's state before an event is appended.
//
//   orders    order.placed needs a new order id; shipped/delivered/cancelled
//             need a known order that is not cancelled (cancel: not delivered).
//   messages  message.received/sent need a new message id; in_reply_to and
//             message.no_response_needed need a received message; an order_id
//             on a message must be a known order.
//   returns   return.requested needs a known, not cancelled order and a new
//             return id; authorized/closed/cancelled/item_received need a known
//             return that is not terminal (closed, cancelled, completed);
//             authorized twice is rejected; cancelled after the seller acted
//             (authorized) is rejected.
//   refunds   need a known order (and return, when named), a new refund id, the
//             order's currency, and must not take the refunded total past what
//             the order was paid. A full refund, or refunds reaching the
//             returned items' value, completes the return.
//   claims    claim.filed needs a known order and a new claim id; decided needs
//             a filed, undecided claim.
//   feedback  needs a known order and a new feedback id.
//
// The rules read one of two states: a seller's projection (the engine's
// ingest and its commands: the projection's fold of an accepted event is its
// effect, so the rules write nothing of their own), or the `state` column
// family (seller_state.h: an ingest without projections in memory, which
// records each accepted event's effect through `state` into `batch`).
#pragma once

#include <optional>

#include "engine/seller_state.h"
#include "engine/status.h"
#include "events/event.h"
#include "events/rejection.h"
#include "projections/seller_projection.h"

namespace carelog {

std::optional<Rejection> apply_domain_rules(uint32_t partition, const Event& event,
                                            SellerState& state, LogBatch& batch);

// The same rules without recording anything: whether `event` would pass
// now (a seller's command, checked before it becomes an event).
std::optional<Rejection> check_domain_rules(uint32_t partition, const Event& event, SellerState& state);

// The same rules against a seller's projection (null: the seller has none
// yet), which already holds every event logged before this one.
std::optional<Rejection> check_domain_rules(const Event& event, const SellerProjection* seller);

// Brings the rules' state (the state column family) up to the log past each
// partition's rule_state_behind mark (event_log.h), then removes the marks:
// what an engine that deferred its state writes (seller_state.h) and did not
// reach its next checkpoint (killed, or a commit failed) left undone. The
// records past a mark passed the rules once; folding them again in log order
// gives the state they left. `folded` counts them. Before any ingest.
Status catch_up_rule_state(EventLog& log, uint64_t& folded);

}  // namespace carelog
