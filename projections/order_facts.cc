#include "projections/order_facts.h"

#include "projections/row_codec.h"

namespace carelog {

std::string order_key(std::string_view order_id) {
  std::string k(1, row_tag::kOrder);
  k.append(order_id);
  return k;
}

std::string claim_order_row_key(std::string_view claim_id) {
  std::string k(1, row_tag::kOrder);
  k.push_back('\x01');
  k.append(claim_id);
  return k;
}

std::string order_placed_row_key(int64_t placed_at, std::string_view order_id) {
  std::string k(1, row_tag::kOrderByTime);
  append_time(k, placed_at);
  k.append(order_id);
  return k;
}

namespace {

constexpr uint8_t kOrderRowFormat = 1;

template <class Rows>
std::optional<OrderFacts> read_facts(const Rows& rows, std::string_view order_id) {
  auto raw = rows.get(order_key(order_id));
  if (!raw) return std::nullopt;
  OrderFacts o;
  if (!decode_order_facts(*raw, o)) return std::nullopt;
  return o;
}

void put(SellerRowWriter& rows, const OrderFacts& o) { rows.put(order_key(o.order_id), encode_order_facts(o)); }

}  // namespace

std::string encode_order_facts(const OrderFacts& o) {
  std::string out;
  RowWriter w(out);
  w.u8(kOrderRowFormat);
  w.str(o.order_id);
  w.str(o.buyer_id);
  w.str(o.marketplace);
  w.str(o.currency);
  w.i64(o.placed_at);
  w.i64(o.latest_ship_date);
  w.i64(o.latest_delivery_date);
  w.i32(static_cast<int32_t>(o.items.size()));
  for (const auto& i : o.items) {
    w.str(i.sku);
    w.str(i.asin);
    w.str(i.title);
    w.str(i.category);
    w.i32(i.quantity);
    w.i64(i.unit_cents);
  }
  w.opt_i64(o.shipped_at);
  w.opt_i64(o.delivered_at);
  w.opt_i64(o.cancelled_at);
  w.boolean(o.cancelled_by.has_value());
  if (o.cancelled_by) w.u8(static_cast<uint8_t>(*o.cancelled_by));
  w.i64(o.paid_cents);
  w.i64(o.refunded_cents);
  w.i32(static_cast<int32_t>(o.feedback.size()));
  for (const auto& f : o.feedback) {
    w.str(f.feedback_id);
    w.i32(f.rating);
    w.i64(f.at);
  }
  w.i32(static_cast<int32_t>(o.claims.size()));
  for (const auto& c : o.claims) {
    w.str(c.claim_id);
    w.u8(static_cast<uint8_t>(c.kind));
    w.i64(c.filed_at);
    w.boolean(c.outcome.has_value());
    if (c.outcome) w.u8(static_cast<uint8_t>(*c.outcome));
    w.opt_i64(c.decided_at);
  }
  // (Trailing: rows of format 3 end before it, with no refund listed.)
  w.i32(static_cast<int32_t>(o.refunds.size()));
  for (const auto& f : o.refunds) {
    w.str(f.refund_id);
    w.boolean(f.return_id.has_value());
    if (f.return_id) w.str(*f.return_id);
    w.i64(f.at);
    w.i64(f.cents);
    w.u8(static_cast<uint8_t>(f.kind));
  }
  return out;
}

bool decode_order_facts(std::string_view bytes, OrderFacts& o) {
  RowReader r(bytes);
  if (r.u8() != kOrderRowFormat) return false;
  o.order_id = r.str();
  o.buyer_id = r.str();
  o.marketplace = r.str();
  o.currency = r.str();
  o.placed_at = r.i64();
  o.latest_ship_date = r.i64();
  o.latest_delivery_date = r.i64();
  int32_t n = r.i32();
  if (!r.ok() || n < 0 || n > 100000) return false;
  o.items.resize(static_cast<size_t>(n));
  for (auto& i : o.items) {
    i.sku = r.str();
    i.asin = r.str();
    i.title = r.str();
    i.category = r.str();
    i.quantity = r.i32();
    i.unit_cents = r.i64();
  }
  o.shipped_at = r.opt_i64();
  o.delivered_at = r.opt_i64();
  o.cancelled_at = r.opt_i64();
  if (r.boolean()) o.cancelled_by = static_cast<CancelledBy>(r.u8());
  o.paid_cents = r.i64();
  o.refunded_cents = r.i64();
  n = r.i32();
  if (!r.ok() || n < 0 || n > 100000) return false;
  o.feedback.resize(static_cast<size_t>(n));
  for (auto& f : o.feedback) {
    f.feedback_id = r.str();
    f.rating = r.i32();
    f.at = r.i64();
  }
  n = r.i32();
  if (!r.ok() || n < 0 || n > 100000) return false;
  o.claims.resize(static_cast<size_t>(n));
  for (auto& c : o.claims) {
    c.claim_id = r.str();
    c.kind = static_cast<ClaimKind>(r.u8());
    c.filed_at = r.i64();
    if (r.boolean()) c.outcome = static_cast<ClaimOutcome>(r.u8());
    c.decided_at = r.opt_i64();
  }
  if (r.ok() && !r.at_end()) {
    n = r.i32();
    if (!r.ok() || n < 0 || n > 100000) return false;
    o.refunds.resize(static_cast<size_t>(n));
    for (auto& f : o.refunds) {
      f.refund_id = r.str();
      if (r.boolean()) f.return_id = r.str();
      f.at = r.i64();
      f.cents = r.i64();
      f.kind = static_cast<RefundKind>(r.u8());
    }
  }
  return r.ok() && r.at_end();
}

std::optional<OrderFacts> read_order_facts(const SellerRows& rows, std::string_view order_id) {
  return read_facts(rows, order_id);
}
std::optional<OrderFacts> read_order_facts(const SellerRowWriter& rows, std::string_view order_id) {
  return read_facts(rows, order_id);
}

void scan_orders_placed(const SellerRows& rows, int64_t from, int64_t to,
                        const std::function<bool(const OrderFacts&)>& fn) {
  std::string begin(1, row_tag::kOrderByTime), end(1, row_tag::kOrderByTime);
  append_time(begin, from);
  append_time(end, to);
  rows.scan(begin, end, false, [&](std::string_view key, std::string_view) {
    if (key.size() <= 9) return true;  // not an index row (corrupt)
    auto o = read_facts(rows, key.substr(9));
    return o ? fn(*o) : true;
  });
}

void scan_all_orders(const SellerRows& rows, const std::function<bool(const OrderFacts&)>& fn) {
  const std::string begin(1, row_tag::kOrder);
  rows.scan(begin, prefix_end(begin), false, [&](std::string_view key, std::string_view value) {
    if (key.size() > 1 && key[1] == '\x01') return true;  // a claim's order, not an order (ids are printable)
    OrderFacts o;
    return decode_order_facts(value, o) ? fn(o) : true;
  });
}

void OrderFactsProjection::apply(const AppliedEvent& e, SellerRowWriter& rows) {
  const Event& ev = e.event;
  const int64_t at = ev.occurred_at.micros;
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, OrderPlaced>) {
          OrderFacts o;
          o.order_id = d.order_id;
          o.buyer_id = d.buyer_id;
          o.marketplace = ev.marketplace;
          o.currency = d.items.empty() ? "" : d.items.front().item_price.currency;
          o.placed_at = at;
          o.latest_ship_date = d.latest_ship_date.micros;
          o.latest_delivery_date = d.latest_delivery_date.micros;
          for (const auto& i : d.items) {
            o.items.push_back({i.sku, i.asin, i.title, i.category, i.quantity, i.item_price.cents});
            o.paid_cents += i.item_price.cents * i.quantity;
          }
          put(rows, o);
          rows.put(order_placed_row_key(at, d.order_id), "");
        } else if constexpr (std::is_same_v<T, OrderShipped>) {
          if (auto o = read_facts(rows, d.order_id)) {
            if (!o->shipped_at || at < *o->shipped_at) o->shipped_at = at;  // the earliest, whatever the log order
            put(rows, *o);
          }
        } else if constexpr (std::is_same_v<T, OrderDelivered>) {
          if (auto o = read_facts(rows, d.order_id)) {
            if (!o->delivered_at || at < *o->delivered_at) o->delivered_at = at;
            put(rows, *o);
          }
        } else if constexpr (std::is_same_v<T, OrderCancelled>) {
          if (auto o = read_facts(rows, d.order_id)) {
            o->cancelled_at = at;
            o->cancelled_by = d.cancelled_by;
            put(rows, *o);
          }
        } else if constexpr (std::is_same_v<T, RefundIssued>) {
          if (auto o = read_facts(rows, d.order_id)) {
            o->refunded_cents += d.amount.cents;
            o->refunds.push_back({d.refund_id, d.return_id, at, d.amount.cents, d.refund_kind});
            put(rows, *o);
          }
        } else if constexpr (std::is_same_v<T, FeedbackReceived>) {
          if (auto o = read_facts(rows, d.order_id)) {
            o->feedback.push_back({d.feedback_id, d.rating, at});
            put(rows, *o);
          }
        } else if constexpr (std::is_same_v<T, ClaimFiled>) {
          if (auto o = read_facts(rows, d.order_id)) {
            o->claims.push_back({d.claim_id, d.kind, at, std::nullopt, std::nullopt});
            put(rows, *o);
            // The claim's order, for claim.decided (which names only the claim).
            rows.put(claim_order_row_key(d.claim_id), d.order_id);
          }
        } else if constexpr (std::is_same_v<T, ClaimDecided>) {
          auto order_id = rows.get(claim_order_row_key(d.claim_id));
          if (!order_id) return;
          if (auto o = read_facts(rows, *order_id)) {
            for (auto& c : o->claims) {
              if (c.claim_id == d.claim_id) {
                c.outcome = d.outcome;
                c.decided_at = at;
              }
            }
            put(rows, *o);
          }
        }
      },
      ev.data);
}

}  // namespace carelog
