#include "projections/returns_queue.h"
#include "projections/json_out.h"

#include <algorithm>

#include "events/json_encoder.h"
#include "projections/return_rows.h"

// The rows, their keys and values: return_rows.h. The policy: return_policy.h.
//
// The fold records instants only; everything below is decided at query time
// for `as_of`:
// - Terminal transitions follow the engine's state machine in log order: the
//   first of closed / cancelled / completed wins, later ones are ignored.
//   `completed_at` is the instant of the refund that made the return complete
//   (refund_kind full, or this return's refunds reaching the value of the
//   requested items: order unit price x requested quantity, by sku, when > 0).
// - status at as_of: completed if completed_at <= as_of, else closed if closed
//   or cancelled (closed_by buyer, cancelled_at_buyer_request) <= as_of, else
//   authorized if authorized_at <= as_of, else authorization_required.
// - decided_at: the earliest of authorized, closed, cancelled and first refund,
//   when <= as_of. A buyer's cancellation counts as the end of the request.
// - overdue (and "late" in return_response_stats): as_of > response_due_at
//   (requested + 48 h) and no decision at or before response_due_at. A request
//   decided late stays overdue: it records the missed deadline.
// - duplicate_of: the earliest-requested other request of the same order
//   sharing a sku, requested strictly before this one and not terminal (closed,
//   cancelled or completed) at this one's requested_at.
// - rma, authorized_by and return_address show only once authorized by as_of.

namespace carelog {
namespace {

using return_rows::bucket_of;
using return_rows::completion_instant;
using return_rows::ReturnView;
using return_rows::view_at;
using return_rows::decode_return_counts;
using return_rows::encode_return;
using return_rows::encode_return_counts;
using return_rows::return_counts_key;
using return_rows::ReturnCounts;
using return_rows::encode_settings;
using return_rows::kResponseDue;
using return_rows::order_returns_prefix;
using return_rows::order_returns_key;
using return_rows::append_order_return;
using return_rows::decode_order_returns;
using return_rows::read_return;
using return_rows::read_settings;
using return_rows::return_key;
using return_rows::ReturnRow;
using return_rows::ReturnRowItem;
using return_rows::settings_history_key;
using return_rows::settings_key;
using return_rows::time_prefix;


// ---- JSON ----
void append_key(std::string& out, std::string_view key) {
  out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
}

}  // namespace

void append_return_address_json(std::string& out, const Address& a) {
  out += "{\"name\":";
  append_json_string(out, a.name);
  append_key(out, "line1");
  append_json_string(out, a.line1);
  if (a.line2) {
    append_key(out, "line2");
    append_json_string(out, *a.line2);
  }
  append_key(out, "city");
  append_json_string(out, a.city);
  if (a.region) {
    append_key(out, "region");
    append_json_string(out, *a.region);
  }
  append_key(out, "postal_code");
  append_json_string(out, a.postal_code);
  append_key(out, "country");
  append_json_string(out, a.country);
  if (a.phone) {
    append_key(out, "phone");
    append_json_string(out, *a.phone);
  }
  out.push_back('}');
}

namespace {

std::optional<std::string> duplicate_of(const SellerRows& rows, const ReturnRow& x) {
  // The order's other requests: one point read of the order's returns row
  // (most orders have one request, and then no other read); older
  // generations have no such row, and the order's request rows are scanned.
  std::vector<ReturnRow> loaded;
  auto load = [&](std::string_view id) {
    if (id == x.return_id) return;
    if (auto other = read_return(rows, id)) loaded.push_back(std::move(*other));
  };
  std::vector<std::string> ids;
  const auto listed = rows.format() >= 3 ? rows.get(order_returns_key(x.order_id)) : std::nullopt;
  if (listed && decode_order_returns(*listed, ids)) {
    for (const auto& id : ids) load(id);
  } else {
    const std::string prefix = order_returns_prefix(x.order_id);
    rows.scan(prefix, prefix_end(prefix), false, [&](std::string_view key, std::string_view) {
      load(key.substr(prefix.size()));
      return true;
    });
  }
  std::vector<const ReturnRow*> others;
  for (const auto& o : loaded) others.push_back(&o);
  const ReturnRow* best = return_rows::pick_duplicate(x, others);
  if (!best) return std::nullopt;
  return best->return_id;
}

// Visits the requests with requested_at in [lo, hi], newest first.
void scan_requests(const SellerRows& rows, int64_t lo, int64_t hi,
                   const std::function<bool(std::string_view key, const ReturnRow&)>& fn) {
  if (lo > hi) return;
  rows.scan(time_prefix(lo), prefix_end(time_prefix(hi)), true,
            [&](std::string_view key, std::string_view) {
              if (key.size() <= 9) return true;  // not an index row (corrupt)
              auto x = read_return(rows, key.substr(9));
              return x ? fn(key, *x) : true;
            });
}

// ---- fold ----
class Folder {
 public:
  Folder(const ReturnsPolicy& policy, const Event& ev, uint64_t seq, SellerRowWriter& rows)
      : policy_(policy), ev_(ev), at_(ev.occurred_at.micros), seq_(seq), rows_(rows) {}

  void operator()(const ReturnRequested& d) {
    if (rows_.get(return_key(d.return_id))) return;  // the engine rejects a second one
    ReturnRow x;
    x.return_id = d.return_id;
    x.order_id = d.order_id;
    x.buyer_id = d.buyer_id;
    x.marketplace = ev_.marketplace;
    x.requested_at = at_;
    x.reason = d.reason;
    x.comment = d.comment;
    x.gift = d.gift;
    x.version = seq_;
    const auto order = read_order_facts(rows_, d.order_id);
    std::vector<std::string> skus;
    for (const auto& i : d.items) {
      ReturnRowItem item{i.sku, i.asin, "", i.quantity};
      if (order) {
        for (const auto& oi : order->items) {
          if (oi.sku != i.sku) continue;
          item.title = oi.title;
          x.value_cents += oi.unit_cents * i.quantity;
          break;
        }
      }
      x.items.push_back(std::move(item));
      skus.push_back(i.sku);
    }
    if (order) {
      x.currency = order->currency;
      const auto settings = read_settings(rows_, ev_.marketplace);
      const int32_t window = settings ? settings->return_window_days : policy_.default_window_days;
      x.in_policy = in_return_policy(policy_, *order, skus, window, at_);
    }
    put(nullptr, x);
    std::string by_time = time_prefix(at_);
    by_time.append(d.return_id);
    rows_.put(by_time, "");
    rows_.put(order_returns_prefix(d.order_id) + d.return_id, "");
    const std::string listed_key = order_returns_key(d.order_id);
    std::string listed = rows_.get(listed_key).value_or("");
    append_order_return(listed, d.return_id);
    rows_.put(listed_key, listed);
  }
  void operator()(const ReturnAuthorized& d) {
    update(d.return_id, [&](ReturnRow& x) {
      if (x.authorized_at || x.terminal()) return false;
      x.authorized_at = at_;
      x.authorized_by = d.authorized_by;
      x.rma = d.rma;
      x.address = d.return_address;
      x.label = d.label;
      return true;
    });
  }
  void operator()(const ReturnClosed& d) {
    update(d.return_id, [&](ReturnRow& x) {
      if (x.terminal()) return false;
      x.closed_at = at_;
      x.closed_by = d.closed_by;
      x.close_reason = d.close_reason;
      return true;
    });
  }
  void operator()(const ReturnCancelled& d) {
    update(d.return_id, [&](ReturnRow& x) {
      if (x.terminal()) return false;
      x.cancelled_at = at_;
      return true;
    });
  }
  void operator()(const ReturnItemReceived& d) {
    update(d.return_id, [&](ReturnRow& x) {
      if (x.item_received_at) return false;
      x.item_received_at = at_;
      return true;
    });
  }
  void operator()(const RefundIssued& d) {
    if (!d.return_id) return;
    update(*d.return_id, [&](ReturnRow& x) {
      x.refunds.push_back({d.refund_id, at_, d.amount.cents, d.refund_kind});
      // Completion in event time, whatever the log order of the refunds: the
      // first instant at which a full refund, or the refunds so far, reach
      // the returned items' value.
      if (!x.closed_at && !x.cancelled_at) x.completed_at = completion_instant(x);
      return true;
    });
  }
  void operator()(const ReturnSettingsChanged& d) {
    const std::string value = encode_settings(d);
    rows_.put(settings_key(ev_.marketplace), value);
    rows_.put(settings_history_key(ev_.marketplace, at_, seq_), value);
  }
  template <class T>
  void operator()(const T&) {}

 private:
  template <class Fn>
  void update(const std::string& return_id, Fn&& fn) {
    auto x = read_return(rows_, return_id);
    if (!x) return;
    const ReturnRow before = *x;
    if (!fn(*x)) return;
    x->version = seq_;
    put(&before, *x);
  }
  // Writes `x` (which was `before`, or is new) and moves it between the
  // counts' buckets.
  void put(const ReturnRow* before, const ReturnRow& x) {
    rows_.put(return_key(x.return_id), encode_return(x));
    ReturnCounts counts;
    const auto raw = rows_.get(return_counts_key());
    if (!raw || !decode_return_counts(*raw, counts)) counts = ReturnCounts{at_};
    if (before) --counts.by_bucket[bucket_of(view_at(*before, kMaxTime))];
    ++counts.by_bucket[bucket_of(view_at(x, kMaxTime))];
    counts.latest = std::max(counts.latest, at_);
    rows_.put(return_counts_key(), encode_return_counts(counts));
  }

  const ReturnsPolicy& policy_;
  const Event& ev_;
  const int64_t at_;
  const uint64_t seq_;
  SellerRowWriter& rows_;
};

}  // namespace

void visit_undecided_returns(const SellerRows& rows, int64_t from, int64_t to, int64_t as_of,
                             const std::function<bool(const UndecidedReturn&)>& fn) {
  scan_requests(rows, from, std::min(to, as_of), [&](std::string_view, const ReturnRow& x) {
    if (auto d = x.first_decision(); d && *d <= as_of) return true;
    return fn(UndecidedReturn{x.return_id, x.order_id, x.reason, x.requested_at,
                              x.requested_at + kResponseDue});
  });
}
void ReturnsQueueProjection::apply(const AppliedEvent& e, SellerRowWriter& rows) {
  Folder folder(policy_, e.event, e.seq, rows);
  std::visit(folder, e.event.data);
}

std::optional<QueryError> check_returns_query(const ReturnsQuery& q, std::string& after) {
  static constexpr std::string_view kStatuses[] = {"all", "authorization_required", "authorized",
                                                   "completed", "closed"};
  if (std::find(std::begin(kStatuses), std::end(kStatuses), q.status) == std::end(kStatuses)) {
    return QueryError{
        "status", "status must be all, authorization_required, authorized, completed or closed"};
  }
  if (q.limit < 1 || q.limit > 1000) return QueryError{"limit", "limit must be 1..1000"};
  after.clear();
  if (!q.cursor.empty() &&
      (!decode_cursor(q.cursor, after) || after.size() < 9 || after[0] != row_tag::kReturnByTime)) {
    return QueryError{"cursor", "not a cursor of this listing"};
  }
  return std::nullopt;
}

std::variant<std::string, QueryError> returns_json(const SellerRows& rows,
                                                   const std::string& seller_id,
                                                   const ReturnsQuery& q) {
  std::string after;  // rows listed on earlier pages have keys >= this one
  if (auto bad = check_returns_query(q, after)) return *bad;
  const std::string q_lower = lower_ascii(q.q);
  const int64_t lo = q.from.value_or(kMinTime);
  const int64_t hi = std::min(q.to.value_or(kMaxTime), q.as_of);

  // Without a text or date filter, at or after the newest instant of the
  // seller's requests, the counts row holds the total: the scan then stops
  // once the page is full (the common query costs the page, not the seller).
  std::optional<int64_t> counted_total;
  if (rows.format() >= 2 && q_lower.empty() && !q.from && !q.to) {
    ReturnCounts counts;
    const auto raw = rows.get(return_counts_key());
    if (raw && decode_return_counts(*raw, counts) && q.as_of >= counts.latest) {
      counted_total = return_rows::matching_total(counts.by_bucket, q.status, q.closed_by);
    }
  }

  int64_t total = 0, listed = 0;
  std::string last_key;
  bool more = false;
  std::string items;
  scan_requests(rows, lo, hi, [&](std::string_view key, const ReturnRow& x) {
    const ReturnView v = view_at(x, q.as_of);
    if (q.status != "all" && v.status != q.status) return true;
    if (q.closed_by && v.closed_by != q.closed_by) return true;
    if (!return_rows::matches_text(x, v, q_lower)) return true;
    ++total;
    if (!after.empty() && key >= std::string_view(after)) return true;
    if (listed == q.limit) {
      more = true;
      return !counted_total;  // counted: no need to count the rest
    }
    if (listed++) items.push_back(',');
    return_rows::append_return_json(items, x, v, q.as_of, duplicate_of(rows, x));
    last_key.assign(key);
    return true;
  });

  return listing_json(seller_id, counted_total.value_or(total), more ? std::optional(last_key) : std::nullopt,
                      "returns", items);
}

ReturnResponseStats return_response_stats(const SellerRows& rows, int64_t from, int64_t to,
                                          int64_t as_of) {
  ReturnResponseStats s;
  if (from == kMaxTime) return s;
  scan_requests(rows, from + 1, std::min(to, as_of), [&](std::string_view, const ReturnRow& x) {
    ++s.requests;
    if (x.late_at(as_of)) ++s.late;
    return true;
  });
  return s;
}

}  // namespace carelog
