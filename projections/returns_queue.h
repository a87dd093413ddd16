// The returns queue (spec/projections.md §2, « Gérer les retours »). The
// return policy evaluation it shares with returns automation (ReturnsPolicy,
// in_return_policy) is in return_policy.h, included here.
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
#include "projections/return_policy.h"

namespace carelog {

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
  std::string_view row_tags() const override { return "rRs"; }
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

// The parameter of `q` that is wrong, if any; else `after` gets the key its
// cursor names ("" without one: rows listed on earlier pages have keys >= it).
std::optional<QueryError> check_returns_query(const ReturnsQuery& q, std::string& after);

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
