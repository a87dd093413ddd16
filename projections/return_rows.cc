#include "projections/return_rows.h"

#include <algorithm>
#include <map>

#include "events/json_encoder.h"
#include "projections/json_out.h"
#include "projections/row_codec.h"

namespace carelog {
namespace return_rows {
namespace {

constexpr uint8_t kReturnFormat = 1;
constexpr uint8_t kSettingsFormat = 1;

constexpr char kSettingsHistoryByte = '\x01';
std::string settings_history_prefix() {
  std::string k(1, row_tag::kSettings);
  k.push_back(kSettingsHistoryByte);
  return k;
}

void write_address(RowWriter& w, const Address& a) {
  w.str(a.name);
  w.str(a.line1);
  w.opt_str(a.line2);
  w.str(a.city);
  w.opt_str(a.region);
  w.str(a.postal_code);
  w.str(a.country);
  w.opt_str(a.phone);
}
void read_address(RowReader& r, Address& a) {
  a.name = r.str();
  a.line1 = r.str();
  a.line2 = r.opt_str();
  a.city = r.str();
  a.region = r.opt_str();
  a.postal_code = r.str();
  a.country = r.str();
  a.phone = r.opt_str();
}

}  // namespace

std::string return_key(std::string_view return_id) {
  std::string k(1, row_tag::kReturn);
  k.append(return_id);
  return k;
}
std::string return_counts_key() {
  std::string k(1, row_tag::kReturn);
  k.push_back('\x02');  // return ids are printable, so no request row has this key
  return k;
}
std::string encode_return_counts(const ReturnCounts& c) {
  std::string out;
  append_time(out, c.latest);
  for (int64_t n : c.by_bucket) append_u64(out, static_cast<uint64_t>(n));
  return out;
}
bool decode_return_counts(std::string_view bytes, ReturnCounts& c) {
  if (bytes.size() != 8 * (1 + ReturnCounts::kBuckets)) return false;
  c.latest = read_time(bytes.data());
  for (size_t i = 0; i < ReturnCounts::kBuckets; ++i) {
    c.by_bucket[i] = static_cast<int64_t>(read_u64(bytes.data() + 8 * (i + 1)));
  }
  return true;
}
std::string order_returns_prefix(std::string_view order_id) {
  std::string k(1, row_tag::kReturn);
  k.push_back('\x01');
  k.append(order_id);
  k.push_back('\0');
  return k;
}
std::string order_returns_key(std::string_view order_id) {
  std::string k(1, row_tag::kReturn);
  k.push_back('\x03');  // as the counts row: no request row's key starts so
  k.append(order_id);
  return k;
}
void append_order_return(std::string& row, std::string_view return_id) {
  RowWriter(row).str(return_id);
}
bool decode_order_returns(std::string_view bytes, std::vector<std::string>& ids) {
  ids.clear();
  RowReader r(bytes);
  while (r.ok() && !r.at_end()) ids.push_back(r.str());
  return r.ok();
}
std::string time_prefix(int64_t at) {
  std::string k(1, row_tag::kReturnByTime);
  append_time(k, at);
  return k;
}
std::string settings_key(std::string_view marketplace) {
  std::string k(1, row_tag::kSettings);
  k.append(marketplace);
  return k;
}
std::string settings_history_key(std::string_view marketplace, int64_t at, uint64_t seq) {
  std::string k = settings_history_prefix();
  append_u64(k, marketplace.size());
  k.append(marketplace);
  append_time(k, at);
  append_u64(k, seq);
  return k;
}

std::string encode_return(const ReturnRow& x) {
  std::string out;
  RowWriter w(out);
  w.u8(kReturnFormat);
  w.str(x.return_id);
  w.str(x.order_id);
  w.str(x.buyer_id);
  w.str(x.marketplace);
  w.str(x.currency);
  w.i64(x.requested_at);
  w.u8(static_cast<uint8_t>(x.reason));
  w.opt_str(x.comment);
  w.boolean(x.gift);
  w.i32(static_cast<int32_t>(x.items.size()));
  for (const auto& i : x.items) {
    w.str(i.sku);
    w.str(i.asin);
    w.str(i.title);
    w.i32(i.quantity);
  }
  w.i64(x.value_cents);
  w.boolean(x.in_policy);
  w.opt_i64(x.authorized_at);
  w.u8(static_cast<uint8_t>(x.authorized_by));
  w.str(x.rma);
  write_address(w, x.address);
  w.u8(static_cast<uint8_t>(x.label));
  w.opt_i64(x.closed_at);
  w.u8(static_cast<uint8_t>(x.closed_by));
  w.u8(static_cast<uint8_t>(x.close_reason));
  w.opt_i64(x.cancelled_at);
  w.opt_i64(x.item_received_at);
  w.opt_i64(x.completed_at);
  w.i32(static_cast<int32_t>(x.refunds.size()));
  for (const auto& r : x.refunds) {
    w.str(r.refund_id);
    w.i64(r.at);
    w.i64(r.cents);
    w.u8(static_cast<uint8_t>(r.kind));
  }
  w.i64(static_cast<int64_t>(x.version));  // (absent from rows written before it: read as 0)
  return out;
}

bool decode_return(std::string_view bytes, ReturnRow& x) {
  RowReader r(bytes);
  if (r.u8() != kReturnFormat) return false;
  x.return_id = r.str();
  x.order_id = r.str();
  x.buyer_id = r.str();
  x.marketplace = r.str();
  x.currency = r.str();
  x.requested_at = r.i64();
  x.reason = static_cast<ReturnReason>(r.u8());
  x.comment = r.opt_str();
  x.gift = r.boolean();
  int32_t n = r.i32();
  if (!r.ok() || n < 0 || n > 100000) return false;
  x.items.resize(static_cast<size_t>(n));
  for (auto& i : x.items) {
    i.sku = r.str();
    i.asin = r.str();
    i.title = r.str();
    i.quantity = r.i32();
  }
  x.value_cents = r.i64();
  x.in_policy = r.boolean();
  x.authorized_at = r.opt_i64();
  x.authorized_by = static_cast<AuthorizedBy>(r.u8());
  x.rma = r.str();
  read_address(r, x.address);
  x.label = static_cast<LabelKind>(r.u8());
  x.closed_at = r.opt_i64();
  x.closed_by = static_cast<ClosedBy>(r.u8());
  x.close_reason = static_cast<CloseReason>(r.u8());
  x.cancelled_at = r.opt_i64();
  x.item_received_at = r.opt_i64();
  x.completed_at = r.opt_i64();
  n = r.i32();
  if (!r.ok() || n < 0 || n > 100000) return false;
  x.refunds.resize(static_cast<size_t>(n));
  for (auto& f : x.refunds) {
    f.refund_id = r.str();
    f.at = r.i64();
    f.cents = r.i64();
    f.kind = static_cast<RefundKind>(r.u8());
  }
  x.version = r.ok() && !r.at_end() ? static_cast<uint64_t>(r.i64()) : 0;
  return r.ok() && r.at_end();
}

std::optional<int64_t> completion_instant(const ReturnRow& x) {
  std::vector<ReturnRowRefund> by_time = x.refunds;
  using Refund = ReturnRowRefund;
  std::sort(by_time.begin(), by_time.end(), [](const Refund& a, const Refund& b) {
    return a.at != b.at ? a.at < b.at : a.refund_id < b.refund_id;
  });
  int64_t total = 0;
  for (const auto& r : by_time) {
    total += r.cents;
    if (r.kind == RefundKind::kFull || (x.value_cents > 0 && total >= x.value_cents)) return r.at;
  }
  return std::nullopt;
}

ReturnView view_at(const ReturnRow& x, int64_t as_of) {
  ReturnView v;
  v.authorized = x.authorized_at && *x.authorized_at <= as_of;
  if (x.completed_at && *x.completed_at <= as_of) {
    v.status = "completed";
  } else if (x.closed_at && *x.closed_at <= as_of) {
    v.status = "closed";
    v.closed_by = x.closed_by;
    v.close_reason = x.close_reason;
  } else if (x.cancelled_at && *x.cancelled_at <= as_of) {
    v.status = "closed";
    v.closed_by = ClosedBy::kBuyer;
    v.close_reason = CloseReason::kCancelledAtBuyerRequest;
  } else {
    v.status = v.authorized ? "authorized" : "authorization_required";
  }
  for (const auto& r : x.refunds) {
    if (r.at <= as_of) v.refunded_cents += r.cents;
  }
  return v;
}

// The ReturnCounts bucket of `v`'s status.
size_t bucket_of(const ReturnView& v) {
  if (v.status == "authorization_required") return 0;
  if (v.status == "authorized") return 1;
  if (v.status == "completed") return 2;
  return 3 + static_cast<size_t>(v.closed_by.value_or(ClosedBy::kSeller));
}

// Whether a request in `bucket` passes the listing's status and closed_by filters.
int64_t matching_total(const int64_t* by_bucket, const std::string& status, const std::optional<ClosedBy>& closed_by) {
  int64_t n = 0;
  for (size_t b = 0; b < ReturnCounts::kBuckets; ++b) {
    if (bucket_matches(b, status, closed_by)) n += by_bucket[b];
  }
  return n;
}

bool bucket_matches(size_t bucket, const std::string& status, const std::optional<ClosedBy>& closed_by) {
  static constexpr std::string_view kStatusOf[ReturnCounts::kBuckets] = {
      "authorization_required", "authorized", "completed", "closed", "closed", "closed"};
  if (status != "all" && kStatusOf[bucket] != status) return false;
  return !closed_by || (bucket >= 3 && static_cast<size_t>(*closed_by) == bucket - 3);
}

namespace {
void append_json_key(std::string& out, std::string_view key) {
  out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
}

bool contains_ci(std::string_view hay, const std::string& needle_lower) {
  return lower_ascii(hay).find(needle_lower) != std::string::npos;
}
}  // namespace

bool matches_text(const ReturnRow& x, const ReturnView& v, const std::string& q_lower) {
  if (q_lower.empty()) return true;
  if (contains_ci(x.order_id, q_lower) || contains_ci(x.buyer_id, q_lower)) return true;
  if (v.authorized && contains_ci(x.rma, q_lower)) return true;
  for (const auto& i : x.items) {
    if (contains_ci(i.sku, q_lower) || contains_ci(i.asin, q_lower)) return true;
  }
  return false;
}

const ReturnRow* pick_duplicate(const ReturnRow& x, const std::vector<const ReturnRow*>& others) {
  const ReturnRow* best = nullptr;
  for (const ReturnRow* other : others) {
    if (other->return_id == x.return_id || other->requested_at >= x.requested_at) continue;
    if (auto t = other->terminal_at(); t && *t <= x.requested_at) continue;
    bool overlap = false;
    for (const auto& a : other->items) {
      for (const auto& b : x.items) overlap = overlap || a.sku == b.sku;
    }
    if (!overlap) continue;
    if (!best || other->requested_at < best->requested_at ||
        (other->requested_at == best->requested_at && other->return_id < best->return_id)) {
      best = other;
    }
  }
  return best;
}

void append_return_json(std::string& out, const ReturnRow& x, const ReturnView& v, int64_t as_of,
                        const std::optional<std::string>& duplicate_of) {
  out += "{\"return_id\":";
  append_json_string(out, x.return_id);
  append_json_key(out, "order_id");
  append_json_string(out, x.order_id);
  append_json_key(out, "status");
  append_json_string(out, v.status);
  append_json_key(out, "rma");
  append_opt_json(out, v.authorized ? std::optional<std::string_view>(x.rma) : std::nullopt);
  append_json_key(out, "reason");
  append_json_string(out, to_string(x.reason));
  append_json_key(out, "comment");
  append_json_string(out, x.comment.value_or(""));
  append_json_key(out, "requested_at");
  append_time_json(out, x.requested_at);
  append_json_key(out, "decided_at");
  if (auto d = x.first_decision(); d && *d <= as_of) {
    append_time_json(out, *d);
  } else {
    out += "null";
  }
  append_json_key(out, "authorized_by");
  append_opt_json(out, v.authorized ? std::optional(to_string(x.authorized_by)) : std::nullopt);
  append_json_key(out, "closed_by");
  append_opt_json(out, v.closed_by ? std::optional(to_string(*v.closed_by)) : std::nullopt);
  append_json_key(out, "close_reason");
  append_opt_json(out, v.close_reason ? std::optional(to_string(*v.close_reason)) : std::nullopt);
  append_json_key(out, "items");
  out.push_back('[');
  for (size_t i = 0; i < x.items.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"sku\":";
    append_json_string(out, x.items[i].sku);
    append_json_key(out, "asin");
    append_json_string(out, x.items[i].asin);
    append_json_key(out, "title");
    append_json_string(out, x.items[i].title);
    append_json_key(out, "quantity");
    out += std::to_string(x.items[i].quantity);
    out.push_back('}');
  }
  out.push_back(']');
  append_json_key(out, "in_policy");
  out += x.in_policy ? "true" : "false";
  append_json_key(out, "response_due_at");
  append_time_json(out, x.requested_at + kResponseDue);
  append_json_key(out, "overdue");
  out += x.late_at(as_of) ? "true" : "false";
  append_json_key(out, "duplicate_of");
  append_opt_json(out, duplicate_of);
  append_json_key(out, "refunded");
  out += "{\"amount\":";
  append_json_string(out, format_money_amount(v.refunded_cents));
  append_json_key(out, "currency");
  append_json_string(out, x.currency.empty() ? "EUR" : x.currency);
  out.push_back('}');
  append_json_key(out, "return_address");
  if (v.authorized) {
    append_return_address_json(out, x.address);
  } else {
    out += "null";
  }
  append_json_key(out, "version");
  out += std::to_string(x.version);
  out.push_back('}');
}

std::string encode_settings(const ReturnSettings& s) {
  std::string out;
  RowWriter w(out);
  w.u8(kSettingsFormat);
  w.u8(static_cast<uint8_t>(s.auto_authorize));
  w.i32(s.return_window_days);
  write_address(w, s.return_address);
  w.boolean(s.email_action_links);
  return out;
}

std::optional<ReturnSettings> decode_settings(std::string_view bytes) {
  RowReader r(bytes);
  if (r.u8() != kSettingsFormat) return std::nullopt;
  ReturnSettings s;
  s.auto_authorize = static_cast<AutoAuthorize>(r.u8());
  s.return_window_days = r.i32();
  read_address(r, s.return_address);
  s.email_action_links = r.boolean();
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return s;
}

}  // namespace return_rows

using return_rows::decode_settings;
using return_rows::read_settings;
using return_rows::settings_history_prefix;

std::optional<ReturnSettings> read_return_settings(const SellerRows& rows,
                                                   std::string_view marketplace) {
  return read_settings(rows, marketplace);
}
std::optional<ReturnSettings> read_return_settings(const SellerRowWriter& rows,
                                                   std::string_view marketplace) {
  return read_settings(rows, marketplace);
}

std::map<std::string, DatedReturnSettings> read_return_settings_at(const SellerRows& rows,
                                                                   int64_t as_of) {
  std::map<std::string, DatedReturnSettings> out;
  const std::string prefix = settings_history_prefix();
  // Changes are rare: one forward pass keeps, per marketplace, the last one
  // (by occurred_at, then log order) at or before as_of.
  rows.scan(prefix, prefix_end(prefix), false, [&](std::string_view key, std::string_view value) {
    std::string_view rest = key.substr(prefix.size());
    if (rest.size() < 8) return true;
    const uint64_t len = read_u64(rest.data());
    rest.remove_prefix(8);
    if (len > rest.size() || rest.size() - len != 16) return true;  // not a history row
    const std::string marketplace(rest.substr(0, len));
    const int64_t at = read_time(rest.data() + len);
    if (at > as_of) return true;
    auto settings = decode_settings(value);
    if (!settings) return true;  // corrupt row: skip
    out[marketplace] = DatedReturnSettings{at, std::move(*settings)};
    return true;
  });
  return out;
}

}  // namespace carelog
