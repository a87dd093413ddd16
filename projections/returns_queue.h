// The returns queue (spec/projections.md §2, « Gérer les retours ») and the
// return policy evaluation shared with returns automation.
//
// The fold writes one row per return request (row_tag::kReturn + return_id)
// holding every instant of its life (requested, authorized, closed,
// cancelled, item received, each refund), a requested-time index
// (kReturnByTime), and the seller's return settings per marketplace
// (kSettings). Status, overdue and duplicate_of are computed at query time for
// the requested as_of, so time travel works for any instant.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "projections/order_facts.h"
#include "projections/projection.h"

namespace carelog {

// A holiday extension: orders shipped in [ship_from, ship_to] (month/day,
// inclusive) may be returned until return_until (month/day of the next year
// when it is before ship_from, else the same year).
struct HolidayExtension {
  int ship_from_month = 11, ship_from_day = 1;
  int ship_to_month = 12, ship_to_day = 31;
  int until_month = 1, until_day = 31;
};

struct ReturnsPolicy {
  int32_t default_window_days = 30;  // when the seller has no settings
  std::vector<std::string> non_returnable_categories = {"grocery", "custom"};
  // Default extension for every marketplace, and per-marketplace / per-year
  // overrides: year_overrides[marketplace][year of shipping].
  HolidayExtension holiday;
  std::map<std::string, HolidayExtension> marketplace_holiday;
  std::map<std::string, std::map<int, HolidayExtension>> year_overrides;
};

// Whether a request at `requested_at` for `order` is inside the policy: inside
// the window (`window_days` after delivery, or after shipping when no
// delivery is known), or inside the holiday extension for the order's ship
// date; and no requested item's category is non-returnable.
// Precisely: inside the window when requested_at <= start + window_days * 24 h
// (start = delivered_at, else shipped_at; with neither the window has not
// started, so the request is inside it). The extension applies when shipped_at
// (UTC calendar date) is in [ship_from, ship_to] and lasts through the whole
// UTC day return_until (requested_at < the next day's 00:00:00Z). Extension
// choice: year_overrides[marketplace][shipping year], else
// marketplace_holiday[marketplace], else `holiday`. Categories compare
// case-insensitively (ASCII); opened media/software cannot be told apart
// (a request carries no item condition), so those categories are returnable
// unless listed in non_returnable_categories. Unknown skus have no category.
bool in_return_policy(const ReturnsPolicy& policy, const OrderFacts& order,
                      const std::vector<std::string>& requested_skus, int32_t window_days,
                      int64_t requested_at);

// The seller's return settings for one marketplace, as last set by
// seller.return_settings_changed (row_tag::kSettings + marketplace); nullopt
// when the seller never set them there (callers then use the policy default
// window and auto_authorize off). For returns automation and this fold.
using ReturnSettings = ReturnSettingsChanged;
std::optional<ReturnSettings> read_return_settings(const SellerRows& rows,
                                                   std::string_view marketplace);
std::optional<ReturnSettings> read_return_settings(const SellerRowWriter& rows,
                                                   std::string_view marketplace);

// The settings as they stood at `as_of`, per marketplace (absent where none
// were set by then), with the occurred_at of the change that set them. Read
// from the history rows the fold keeps besides the latest one (kSettings +
// '\x01' + ...); several changes at one instant: the last logged wins.
struct DatedReturnSettings {
  int64_t changed_at = 0;
  ReturnSettings settings;
};
std::map<std::string, DatedReturnSettings> read_return_settings_at(const SellerRows& rows,
                                                                   int64_t as_of);

// A request with no decision (authorization, closure, buyer cancellation or
// refund) at or before `as_of`, for the deadlines query.
struct UndecidedReturn {
  std::string return_id, order_id;
  ReturnReason reason = ReturnReason::kDefective;
  int64_t requested_at = 0;
  int64_t response_due_at = 0;  // requested_at + 48 h
};
// Visits the undecided requests with requested_at in [from, min(to, as_of)],
// newest first, until `fn` returns false.
void visit_undecided_returns(const SellerRows& rows, int64_t from, int64_t to, int64_t as_of,
                             const std::function<bool(const UndecidedReturn&)>& fn);

// The JSON of an address as the returns listing writes it (optional fields
// omitted when absent).
void append_return_address_json(std::string& out, const Address& a);

class ReturnsQueueProjection : public Projection {
 public:
  explicit ReturnsQueueProjection(ReturnsPolicy policy) : policy_(std::move(policy)) {}
  std::string_view name() const override { return "returns_queue"; }
  void apply(const AppliedEvent& e, SellerRowWriter& rows) override;

 private:
  ReturnsPolicy policy_;
};

struct ReturnsQuery {
  std::string status = "all";  // all|authorization_required|authorized|completed|closed
  std::optional<ClosedBy> closed_by;
  std::optional<int64_t> from, to;  // on requested_at, inclusive
  std::string q;                    // order id, RMA, buyer id, sku or asin
  int64_t limit = 50;               // 1..1000
  std::string cursor;
  int64_t as_of = 0;
};

// The JSON body of GET /v1/sellers/{id}/returns (newest request first).
std::variant<std::string, QueryError> returns_json(const SellerRows& rows,
                                                   const std::string& seller_id,
                                                   const ReturnsQuery& q);

// Return-response facts for account health: requests in (from, to] and how many
// were decided (authorized, closed or refunded) more than 48 h after the request,
// or are still undecided past 48 h, as of `as_of`.
struct ReturnResponseStats {
  int64_t requests = 0;
  int64_t late = 0;
};
ReturnResponseStats return_response_stats(const SellerRows& rows, int64_t from, int64_t to,
                                          int64_t as_of);

}  // namespace carelog
