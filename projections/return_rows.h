// The rows the returns queue keeps for one seller, their keys and their
// binary values. Internal to projections/: returns_queue.cc folds and queries
// them, return_rows.cc encodes and decodes them.
//
// Rows (all of this seller):
//   kReturn + return_id                     -> ReturnRow (below)
//   kReturn + '\x01' + order_id + '\0' + id -> "" (the order's requests; ids are
//                                              printable ASCII, so never '\x01')
//   kReturn + '\x02'                        -> ReturnCounts (rows format >= 2)
//   kReturn + '\x03' + order_id             -> the ids of the order's requests, in
//                                              fold order (rows format >= 3)
//   kReturnByTime + time(requested_at) + id -> "" (newest first = reverse scan)
//   kSettings + marketplace                 -> ReturnSettings (the latest in log order)
//   kSettings + '\x01' + u64 len + marketplace + time(occurred_at) + u64 seq
//                                           -> ReturnSettings (every change, for
//                                              time travel; marketplace codes are
//                                              printable, so never '\x01')
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/returns_queue.h"

namespace carelog::return_rows {

inline constexpr int64_t kResponseDue = 48 * kMicrosPerHour;

struct ReturnRowItem {
  std::string sku, asin, title;
  int32_t quantity = 1;
};

struct ReturnRowRefund {
  std::string refund_id;
  int64_t at = 0;
  int64_t cents = 0;
  RefundKind kind = RefundKind::kPartial;
};

struct ReturnRow {
  std::string return_id, order_id, buyer_id, marketplace, currency;
  int64_t requested_at = 0;
  ReturnReason reason = ReturnReason::kDefective;
  std::optional<std::string> comment;
  bool gift = false;
  std::vector<ReturnRowItem> items;
  int64_t value_cents = 0;
  bool in_policy = false;
  std::optional<int64_t> authorized_at;
  AuthorizedBy authorized_by = AuthorizedBy::kSeller;
  std::string rma;
  Address address;
  LabelKind label = LabelKind::kUnpaid;
  std::optional<int64_t> closed_at;
  ClosedBy closed_by = ClosedBy::kSeller;
  CloseReason close_reason = CloseReason::kTechnicalIssueResolved;
  std::optional<int64_t> cancelled_at, item_received_at, completed_at;
  std::vector<ReturnRowRefund> refunds;
  // The log sequence number of the last event that changed the request (0:
  // folded before rows kept it); a command's If-Match compares with it.
  uint64_t version = 0;

  bool terminal() const { return closed_at || cancelled_at || completed_at; }
  // The instant it stopped being open (closed, cancelled or completed), if any.
  std::optional<int64_t> terminal_at() const {
    if (closed_at) return closed_at;
    if (cancelled_at) return cancelled_at;
    return completed_at;
  }
  std::optional<int64_t> first_decision() const {
    std::optional<int64_t> d;
    auto take = [&](const std::optional<int64_t>& t) {
      if (t && (!d || *t < *d)) d = t;
    };
    take(authorized_at);
    take(closed_at);
    take(cancelled_at);
    for (const auto& r : refunds) take(r.at);
    return d;
  }
  bool late_at(int64_t as_of) const {
    const int64_t due = requested_at + kResponseDue;
    if (as_of <= due) return false;
    auto d = first_decision();
    return !d || *d > due;
  }
};

// The seller's requests by status as of the newest instant folded into any
// of its return rows: for every as_of at or after `latest`, each request's
// status is its final one, so these are the listing's totals.
struct ReturnCounts {
  // Buckets: authorization_required, authorized, completed, then closed by
  // seller, buyer, marketplace (ClosedBy order; a buyer's cancellation is
  // closed by buyer).
  static constexpr size_t kBuckets = 6;
  int64_t latest = 0;
  int64_t by_bucket[kBuckets] = {};
};

// A request as it stood at as_of.
struct ReturnView {
  std::string_view status;
  bool authorized = false;
  std::optional<ClosedBy> closed_by;
  std::optional<CloseReason> close_reason;
  int64_t refunded_cents = 0;
};
ReturnView view_at(const ReturnRow& x, int64_t as_of);
// The instant its refunds completed it: the first refund (in event time)
// that is full, or that brings the refunds to the requested items' value.
std::optional<int64_t> completion_instant(const ReturnRow& x);
// The ReturnCounts bucket of `v`'s status.
size_t bucket_of(const ReturnView& v);
// Whether a request in `bucket` passes the listing's status and closed_by filters.
bool bucket_matches(size_t bucket, const std::string& status, const std::optional<ClosedBy>& closed_by);
// The requests of the ReturnCounts buckets `by_bucket` that pass those filters.
int64_t matching_total(const int64_t* by_bucket, const std::string& status, const std::optional<ClosedBy>& closed_by);
// Whether the listing's text query (lower case, "" = any) matches the request.
bool matches_text(const ReturnRow& x, const ReturnView& v, const std::string& q_lower);
// Of `others` (the order's other requests, any order), the one `x`
// duplicates: the earliest requested strictly before x (ties: the smaller
// id) that shares a sku with it and was not terminal at x's requested_at.
const ReturnRow* pick_duplicate(const ReturnRow& x, const std::vector<const ReturnRow*>& others);
// One request of the listing as JSON, at as_of.
void append_return_json(std::string& out, const ReturnRow& x, const ReturnView& v, int64_t as_of,
                        const std::optional<std::string>& duplicate_of);

// ---- keys ----
std::string return_key(std::string_view return_id);
std::string return_counts_key();
// The prefix of the order's request rows (append a return id for one row).
std::string order_returns_prefix(std::string_view order_id);
// The order's returns row (row format 3): the ids of every request of the
// order, in the order they were folded, in one value, so that a listing finds
// an order's other requests with one point read instead of a scan.
std::string order_returns_key(std::string_view order_id);
// The prefix of the requested-time index at `at` (append a return id for one row).
std::string time_prefix(int64_t at);
std::string settings_key(std::string_view marketplace);
std::string settings_history_key(std::string_view marketplace, int64_t at, uint64_t seq);

// ---- values ----
std::string encode_return(const ReturnRow& x);
// False when `bytes` is not a whole ReturnRow of this format (a corrupt row).
bool decode_return(std::string_view bytes, ReturnRow& x);
// The order's returns row: ids appended one after the other (RowWriter's
// strings). decode: false when `bytes` is not whole.
void append_order_return(std::string& row, std::string_view return_id);
bool decode_order_returns(std::string_view bytes, std::vector<std::string>& ids);
std::string encode_return_counts(const ReturnCounts& c);
bool decode_return_counts(std::string_view bytes, ReturnCounts& c);
std::string encode_settings(const ReturnSettings& s);
// nullopt when `bytes` is not a whole ReturnSettings of this format.
std::optional<ReturnSettings> decode_settings(std::string_view bytes);

// Rows: SellerRows or SellerRowWriter. nullopt when absent or corrupt.
template <class Rows>
std::optional<ReturnRow> read_return(const Rows& rows, std::string_view return_id) {
  auto raw = rows.get(return_key(return_id));
  if (!raw) return std::nullopt;
  ReturnRow x;
  if (!decode_return(*raw, x)) return std::nullopt;
  return x;
}

template <class Rows>
std::optional<ReturnSettings> read_settings(const Rows& rows, std::string_view marketplace) {
  auto raw = rows.get(settings_key(marketplace));
  if (!raw) return std::nullopt;
  return decode_settings(*raw);
}

}  // namespace carelog::return_rows
