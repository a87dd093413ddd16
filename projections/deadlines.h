// Two read-only queries over the rows of other projections (nothing here has
// a fold of its own):
//
// GET /v1/sellers/{id}/return-settings[?as_of=T]
//   The seller's return settings per marketplace as they stood at as_of
//   (seller.return_settings_changed; the history rows kept by the returns
//   fold, returns_queue.h). Marketplaces with no settings by then are absent;
//   marketplaces are listed in code order.
//   {"seller_id": "A2SELLER0001",
//    "marketplaces": {"FR": {"auto_authorize": "policy", "return_window_days": 30,
//                            "return_address": {...}, "email_action_links": true,
//                            "changed_at": "2013-01-02T09:00:00Z"}}}
//
// GET /v1/sellers/{id}/deadlines?within=6h[&as_of=T]
//   What must be answered soon, and what is already late, at as_of:
//   - kind "message": a counted received message (not auto_reply, not marked
//     no_response_needed by as_of) with no seller reply by as_of, received at
//     or before as_of; deadline = received + 24 h (spec/projections.md §1);
//   - kind "return": a request with no decision (authorization, closure,
//     buyer cancellation, refund) by as_of, requested at or before as_of;
//     deadline = requested + 48 h (§2's response_due_at).
//   An item is listed when deadline <= as_of + within; it is `overdue` when
//   deadline < as_of (a deadline exactly at as_of is due now, not overdue).
//   Look-back: only messages received, and requests made, in
//   (as_of - 90 days, as_of] are considered (the longest response-time
//   window), so an item more than 90 days old drops off the list even when
//   still unanswered. `due_in_seconds` = floor((deadline - as_of) / 1 s):
//   negative exactly when overdue. Soonest deadline first; ties by kind
//   ("message" before "return"), then id.
//   {"seller_id": "...", "as_of": "...Z", "within_hours": 6, "overdue": 1, "due_soon": 2,
//    "items": [{"kind": "message", "id": "...", "deadline": "...Z", "overdue": true,
//               "due_in_seconds": -3600, "order_id": "..."|null, "thread_id": "...",
//               "buyer_alias": "...", "subject": "...", "reason": null},
//              {"kind": "return", ..., "thread_id": null, "buyer_alias": null,
//               "subject": null, "reason": "defective"}]}
//   `within_hours` is within / 1 h as a JSON number (6, 1.5, 0.0125).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "projections/projection.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"

namespace carelog {

// How far back overdue items are looked for.
inline constexpr int64_t kDeadlinesLookback = 90 * kMicrosPerDay;
// The largest `within` accepted.
inline constexpr int64_t kDeadlinesMaxWithin = 30 * kMicrosPerDay;

// When each kind is due after its received_at / requested_at.
inline constexpr int64_t kDeadlineMessageDue = 24 * kMicrosPerHour;
inline constexpr int64_t kDeadlineReturnDue = 48 * kMicrosPerHour;

// The JSON body of GET /v1/sellers/{id}/return-settings at `as_of` (micros,
// resolved by the caller).
std::string return_settings_json(const SellerRows& rows, const std::string& seller_id,
                                 int64_t as_of);
// The same from the settings in force at as_of, per marketplace.
std::string return_settings_json(const std::string& seller_id,
                                 const std::map<std::string, DatedReturnSettings>& settings);

// One listed deadline.
struct DeadlineItem {
  std::string_view kind;  // "message" | "return"
  std::string id;
  int64_t deadline = 0;
  std::optional<std::string> order_id, thread_id, buyer_alias, subject, reason;
};
DeadlineItem message_deadline(MessageRow received);
DeadlineItem return_deadline(const UndecidedReturn& r);
// The ranges a deadlines query looks at: received messages with
// received_at in [lo, messages_hi] still open at as_of, and undecided
// requests with requested_at in [lo, min(returns_hi, as_of)].
struct DeadlineRanges {
  int64_t lo = 0, messages_hi = 0, returns_hi = 0;
};
DeadlineRanges deadline_ranges(int64_t as_of, int64_t within_micros);
// The JSON body from the items found (any order; within already checked).
std::string deadlines_json(const std::string& seller_id, int64_t as_of, int64_t within_micros,
                           std::vector<DeadlineItem> items);
// a + b, clamped to the instants' range.
int64_t add_saturated(int64_t a, int64_t b);

// The JSON body of GET /v1/sellers/{id}/deadlines at `as_of` (micros, resolved
// by the caller) for the next `within_micros`, or a QueryError naming
// "within" when it is negative or over 30 days.
std::variant<std::string, QueryError> deadlines_json(const SellerRows& rows,
                                                     const std::string& seller_id, int64_t as_of,
                                                     int64_t within_micros);

// Parses the `within` parameter: a non-negative integer followed by a unit
// `s`, `m`, `h` or `d` ("45s", "90m", "6h", "2d"), or a bare integer meaning
// hours ("6"); at most 30 days. Lower-case units only; no sign, spaces or
// fractions. On success sets `micros` and returns true; otherwise leaves it
// unchanged and returns false.
bool parse_within(std::string_view text, int64_t& micros);

}  // namespace carelog
