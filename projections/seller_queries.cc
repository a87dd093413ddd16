#include "projections/seller_queries.h"

#include <algorithm>

#include "events/json_encoder.h"
#include "projections/account_health.h"
#include "projections/json_out.h"

namespace carelog {

using return_rows::ReturnRow;
using return_rows::ReturnView;

namespace {

// [first, last) positions of the keys with instants in [lo, hi].
template <class Index>
std::pair<size_t, size_t> span_of(const Index& index, int64_t lo, int64_t hi) {
  const size_t first = index.lower(lo);
  const size_t last = index.upper(hi);
  return {first, std::max(first, last)};
}

// (as_of - days, as_of], clamped.
int64_t window_start(int64_t as_of, int64_t days) { return add_saturated(as_of, -days * kMicrosPerDay); }

}  // namespace

ResponseTimesReport compute_response_times(const SellerProjection& s, int64_t as_of) {
  ResponseTimesBuilder builder(as_of);
  const auto [first, last] =
      span_of(s.received_by_time, add_saturated(window_start(as_of, kResponseWindowDays[2]), 1), as_of);
  auto instant = [](int64_t t) { return t == kMaxTime ? std::nullopt : std::optional<int64_t>(t); };
  for (size_t i = first; i < last; ++i) {
    const ReceivedBrief& m = s.message_briefs[s.received_by_time[i].index];
    if (m.auto_reply) continue;
    builder.add(ReceivedFacts{m.at, false, instant(m.no_response_needed_at)}, instant(m.first_reply));
  }
  return builder.finish();
}

std::string account_health_json(const SellerProjection& s, int64_t as_of) {
  AccountHealthCounts c;
  {
    const auto [first, last] =
        span_of(s.orders_by_placed, add_saturated(window_start(as_of, kOrderDefectWindowDays), 1), as_of);
    for (size_t i = first; i < last; ++i) {
      const uint32_t index = s.orders_by_placed[i].index;
      ++c.defects.denominator;
      if (s.order_briefs[index].may_be_defective && is_defective(s.orders[index], as_of)) ++c.defects.numerator;
    }
  }
  {
    const auto [first, last] =
        span_of(s.orders_by_placed, add_saturated(window_start(as_of, kSellerCancelWindowDays), 1), as_of);
    for (size_t i = first; i < last; ++i) {
      const OrderBrief& o = s.order_briefs[s.orders_by_placed[i].index];
      ++c.seller_cancels.denominator;
      // is_seller_cancelled_before_shipping, on the brief
      if (o.cancelled_at <= as_of && o.cancelled_by_seller && !(o.shipped_at <= o.cancelled_at)) {
        ++c.seller_cancels.numerator;
      }
    }
  }
  {
    const auto [first, last] =
        span_of(s.orders_by_shipped, add_saturated(window_start(as_of, kLateShipmentWindowDays), 1), as_of);
    for (size_t i = first; i < last; ++i) {
      const OrderBrief& o = s.order_briefs[s.orders_by_shipped[i].index];
      if (o.placed_at > as_of) continue;  // not placed yet at as_of
      ++c.late_shipments.denominator;
      if (o.shipped_at > o.latest_ship_date) ++c.late_shipments.numerator;
    }
  }
  const ResponseTimesReport responses = compute_response_times(s, as_of);
  const ResponseWindow& w30 = responses.windows[1];
  c.contact_late = {w30.late_count, w30.on_time + w30.late + w30.no_response};
  {
    const auto [first, last] =
        span_of(s.returns_by_time, add_saturated(window_start(as_of, kReturnResponseWindowDays), 1), as_of);
    for (size_t i = first; i < last; ++i) {
      ++c.return_late.denominator;
      if (s.returns[s.returns_by_time[i].index].late_at(as_of)) ++c.return_late.numerator;
    }
  }
  return account_health_json(s.seller_id, as_of, c);
}

// ---- returns ----
namespace {

std::optional<std::string> duplicate_of(const SellerProjection& s, const ReturnRow& x) {
  auto it = s.order_returns.find(x.order_id);
  if (it == s.order_returns.end() || it->second.size() < 2) return std::nullopt;
  std::vector<const ReturnRow*> others;
  for (uint32_t i : it->second) others.push_back(&s.returns[i]);
  const ReturnRow* best = return_rows::pick_duplicate(x, others);
  if (!best) return std::nullopt;
  return best->return_id;
}

std::string return_cursor(const ReturnRow& x) {
  std::string key = return_rows::time_prefix(x.requested_at);
  key.append(x.return_id);
  return key;
}

}  // namespace

std::variant<std::string, QueryError> returns_json(const SellerProjection& s, const ReturnsQuery& q) {
  std::string after;  // rows listed on earlier pages have keys >= this one
  if (auto bad = check_returns_query(q, after)) return *bad;
  const std::string q_lower = lower_ascii(q.q);
  const int64_t lo = q.from.value_or(kMinTime);
  const int64_t hi = std::min(q.to.value_or(kMaxTime), q.as_of);

  // Without a text or date filter the status timeline holds the total, and
  // the walk can start at the cursor and stop once the page is full.
  std::optional<int64_t> counted_total;
  if (q_lower.empty() && !q.from && !q.to) {
    counted_total = return_rows::matching_total(s.return_statuses.at(q.as_of).data(), q.status, q.closed_by);
  }

  const auto [first, last] = span_of(s.returns_by_time, lo, hi);
  size_t start = last;  // walk down from here
  std::optional<ReturnProbe> cursor;
  if (!after.empty()) cursor = ReturnProbe{read_time(after.data() + 1), std::string_view(after).substr(9)};
  if (cursor && counted_total) start = std::max(first, std::min(last, s.returns_by_time.lower(*cursor)));

  int64_t total = 0, listed = 0;
  std::string last_key;
  bool more = false;
  std::string items;
  for (size_t i = start; i > first; --i) {
    const ReturnKey& key = s.returns_by_time[i - 1];
    const ReturnRow& x = s.returns[key.index];
    const ReturnView v = return_rows::view_at(x, q.as_of);
    if (q.status != "all" && v.status != q.status) continue;
    if (q.closed_by && v.closed_by != q.closed_by) continue;
    if (!return_rows::matches_text(x, v, q_lower)) continue;
    ++total;
    if (cursor && !ReturnKeyLess{&s.returns}(key, *cursor)) continue;  // on an earlier page
    if (listed == q.limit) {
      more = true;
      if (counted_total) break;  // counted: no need to count the rest
      continue;
    }
    if (listed++) items.push_back(',');
    return_rows::append_return_json(items, x, v, q.as_of, duplicate_of(s, x));
    last_key = return_cursor(x);
  }

  return listing_json(s.seller_id, counted_total.value_or(total), more ? std::optional(last_key) : std::nullopt,
                      "returns", items);
}

// ---- messages ----
uint64_t message_version(const SellerProjection& s, const StoredMessage& m) {
  uint64_t version = m.row.version;
  if (!m.row.received) return version;
  for (uint32_t reply : s.threads[m.thread].seller_sent) {
    const MessageRow& r = s.messages[reply].row;
    if (r.at >= m.row.at) version = std::max(version, r.version);
  }
  return version;
}

namespace {

// The sent message's labels from its source as it stood at as_of.
void label_sent(const SellerProjection& s, const StoredMessage& sent, MessageRow& m, int64_t as_of) {
  const StoredMessage* source = nullptr;
  if (m.in_reply_to) {
    source = s.received_message(*m.in_reply_to);
    if (source && source->row.at > as_of) source = nullptr;
  }
  if (!source) {
    const ThreadFacts& t = s.threads[sent.thread];
    if (t.head && s.messages[*t.head].row.at <= as_of) source = &s.messages[*t.head];
  }
  if (source) label_sent_from(m, source->row);
}

std::optional<MessageOutcome> status_at(const StoredMessage& m, int64_t as_of) {
  if (!m.row.received) return std::nullopt;
  return classify_received(ReceivedFacts{m.row.at, m.row.auto_reply, m.row.no_response_needed_at},
                           m.first_reply, as_of, nullptr);
}

}  // namespace

std::variant<std::string, QueryError> messages_json(const SellerProjection& s, const MessagesQuery& q) {
  std::string after;  // the page starts below this key (exclusive)
  if (auto bad = check_messages_query(q, after)) return *bad;
  const int64_t as_of = q.as_of;
  int64_t hi = as_of;  // inclusive upper bound on occurred_at
  if (q.to) hi = std::min(hi, *q.to);
  const int64_t lo = q.from.value_or(kMinTime);
  std::optional<MessageProbe> cursor;
  if (!after.empty()) {
    cursor = MessageProbe{read_time(after.data() + 1), static_cast<unsigned char>(after[9]),
                          std::string_view(after).substr(10)};
  }
  const auto& index = q.direction == "received" ? s.received_by_time
                      : q.direction == "sent"   ? s.sent_by_time
                                                : s.messages_by_time;
  const MessageKeyLess less{&s.messages};
  const bool text_query = !q.q.empty();

  std::string body;
  int64_t total = 0, listed = 0;
  std::string last_key;
  bool more = false;
  auto list = [&](const StoredMessage& stored, MessageRow m) {
    if (listed) body += ',';
    append_message_json(body, m, status_at(stored, as_of), message_version(s, stored));
    ++listed;
    last_key = message_row_key(m.at, m.received, m.message_id);
  };
  if (lo <= hi) {
    const auto [first, last] = span_of(index, lo, hi);
    if (!text_query) {
      // Every message of the index in [lo, hi] matches: the total is the
      // span's length, and the page starts below the cursor.
      total = static_cast<int64_t>(last - first);
      size_t start = last;
      if (cursor) start = std::max(first, std::min(last, index.lower(*cursor)));
      for (size_t i = start; i > first; --i) {
        if (listed == q.limit) {
          more = true;
          break;
        }
        const StoredMessage& stored = s.messages[index[i - 1].index];
        MessageRow m = stored.row;
        if (!m.received) label_sent(s, stored, m, as_of);
        list(stored, std::move(m));
      }
    } else {
      for (size_t i = last; i > first; --i) {
        const MessageKey& key = index[i - 1];
        const StoredMessage& stored = s.messages[key.index];
        MessageRow m = stored.row;
        if (!m.received) label_sent(s, stored, m, as_of);
        if (!message_matches(m, q)) continue;
        ++total;
        if (cursor && !less(key, *cursor)) continue;  // on an earlier page
        if (listed == q.limit) {
          more = true;
          continue;
        }
        list(stored, std::move(m));
      }
    }
  }
  return listing_json(s.seller_id, total, more ? std::optional(last_key) : std::nullopt, "messages", body);
}

// ---- return settings, deadlines, order history ----
std::optional<std::string> return_row_json(const SellerProjection& s, std::string_view return_id, int64_t as_of) {
  const ReturnRow* x = s.return_request(return_id);
  if (!x || x->requested_at > as_of) return std::nullopt;
  std::string out;
  return_rows::append_return_json(out, *x, return_rows::view_at(*x, as_of), as_of, duplicate_of(s, *x));
  return out;
}

std::optional<std::string> message_row_json(const SellerProjection& s, std::string_view message_id, bool received,
                                            int64_t as_of) {
  const auto& index = received ? s.received_index : s.sent_index;
  auto it = index.find(std::string(message_id));
  if (it == index.end()) return std::nullopt;
  const StoredMessage& stored = s.messages[it->second];
  if (stored.row.at > as_of) return std::nullopt;
  MessageRow m = stored.row;
  if (!m.received) label_sent(s, stored, m, as_of);
  std::string out;
  append_message_json(out, m, status_at(stored, as_of), message_version(s, stored));
  return out;
}

std::string return_settings_json(const SellerProjection& s, int64_t as_of) {
  std::map<std::string, DatedReturnSettings> in_force;
  for (const auto& [marketplace, m] : s.settings) {
    auto it = std::upper_bound(m.history.begin(), m.history.end(), as_of,
                               [](int64_t t, const SettingsChange& c) { return t < c.at; });
    if (it == m.history.begin()) continue;
    --it;
    in_force.emplace(marketplace, DatedReturnSettings{it->at, it->settings});
  }
  return return_settings_json(s.seller_id, in_force);
}

std::variant<std::string, QueryError> deadlines_json(const SellerProjection& s, int64_t as_of,
                                                     int64_t within_micros) {
  if (within_micros < 0 || within_micros > kDeadlinesMaxWithin) {
    return QueryError{"within", "within must be between 0 and 30 days"};
  }
  const DeadlineRanges r = deadline_ranges(as_of, within_micros);
  std::vector<DeadlineItem> items;
  {
    const auto [first, last] = span_of(s.received_by_time, r.lo, r.messages_hi);
    for (size_t i = first; i < last; ++i) {
      const StoredMessage& m = s.messages[s.received_by_time[i].index];
      const std::optional<MessageOutcome> o = status_at(m, as_of);
      if (o != MessageOutcome::kPending && o != MessageOutcome::kNoResponse) continue;
      items.push_back(message_deadline(m.row));
    }
  }
  {
    const auto [first, last] = span_of(s.returns_by_time, r.lo, std::min(r.returns_hi, as_of));
    for (size_t i = first; i < last; ++i) {
      const ReturnRow& x = s.returns[s.returns_by_time[i].index];
      if (auto d = x.first_decision(); d && *d <= as_of) continue;
      items.push_back(return_deadline(UndecidedReturn{x.return_id, x.order_id, x.reason, x.requested_at,
                                                      x.requested_at + return_rows::kResponseDue}));
    }
  }
  return deadlines_json(s.seller_id, as_of, within_micros, std::move(items));
}

std::optional<std::string> order_history_json(const SellerProjection& s, const std::string& order_id,
                                              const RecordAt& record_at) {
  auto it = s.history.find(order_id);
  if (it == s.history.end() || it->second.empty()) return std::nullopt;
  std::vector<HistoryEvent> events;
  events.reserve(it->second.size());
  for (uint64_t seq : it->second) {
    HistoryEvent e;
    e.seq = seq;
    if (auto record = record_at ? record_at(seq) : std::nullopt) {
      e.hash = std::move(record->hash);
      e.envelope = std::move(record->envelope);
    }
    events.push_back(std::move(e));
  }
  return order_history_json(s.seller_id, order_id, events);
}

}  // namespace carelog
