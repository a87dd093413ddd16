// The return-settings and deadlines queries (deadlines.h). Both only read the
// rows of other folds, through those folds' own readers: the returns fold's
// settings history and undecided requests (returns_queue.h), the messages
// fold's rows and classify_received (response_times.h).
#include "projections/deadlines.h"
#include "projections/json_out.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

#include "events/json_encoder.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"

namespace carelog {
namespace {

constexpr int64_t kMessageDue = kDeadlineMessageDue;
constexpr int64_t kReturnDue = kDeadlineReturnDue;

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}



using Item = DeadlineItem;

// The received messages still open at as_of with received_at in [lo, hi].
void collect_messages(const SellerRows& rows, int64_t lo, int64_t hi, int64_t as_of,
                      std::vector<Item>& items) {
  if (lo > hi) return;
  std::string begin(1, row_tag::kMessage), end(1, row_tag::kMessage);
  append_time(begin, lo);
  if (hi == kMaxTime) {
    end = prefix_end(end);
  } else {
    append_time(end, hi + 1);
  }
  rows.scan(begin, end, false, [&](std::string_view, std::string_view value) {
    MessageRow m;
    if (!decode_message_row(value, m) || !m.received) return true;  // sent, or corrupt
    const MessageOutcome o = classify_received(rows, m, as_of, nullptr);
    if (o != MessageOutcome::kPending && o != MessageOutcome::kNoResponse) return true;
    items.push_back(message_deadline(std::move(m)));
    return true;
  });
}

void append_item(std::string& out, const Item& it, int64_t as_of) {
  out += "{\"kind\":";
  append_json_string(out, it.kind);
  out += ",\"id\":";
  append_json_string(out, it.id);
  out += ",\"deadline\":";
  append_time_json(out, it.deadline);
  out += ",\"overdue\":";
  out += it.deadline < as_of ? "true" : "false";
  out += ",\"due_in_seconds\":";
  // Both instants lie within 90 days + 48 h of as_of (timestamps are years 0..9999).
  out += std::to_string(floor_div(it.deadline - as_of, kMicrosPerSecond));
  out += ",\"order_id\":";
  append_opt_json(out, it.order_id);
  out += ",\"thread_id\":";
  append_opt_json(out, it.thread_id);
  out += ",\"buyer_alias\":";
  append_opt_json(out, it.buyer_alias);
  out += ",\"subject\":";
  append_opt_json(out, it.subject);
  out += ",\"reason\":";
  append_opt_json(out, it.reason);
  out += '}';
}

std::string format_hours(int64_t micros) {
  if (micros % kMicrosPerHour == 0) return std::to_string(micros / kMicrosPerHour);
  const double hours = static_cast<double>(micros) / static_cast<double>(kMicrosPerHour);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, hours);  // shortest round trip
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

}  // namespace

DeadlineItem message_deadline(MessageRow m) {
  DeadlineItem it;
  it.kind = "message";
  it.id = std::move(m.message_id);
  it.deadline = m.at + kMessageDue;
  it.order_id = std::move(m.order_id);
  it.thread_id = std::move(m.thread_id);
  it.buyer_alias = std::move(m.buyer_alias);
  it.subject = std::move(m.subject);
  return it;
}

DeadlineItem return_deadline(const UndecidedReturn& r) {
  DeadlineItem it;
  it.kind = "return";
  it.id = r.return_id;
  it.deadline = r.response_due_at;
  it.order_id = r.order_id;
  it.reason = std::string(to_string(r.reason));
  return it;
}

int64_t add_saturated(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMaxTime : kMinTime;
  return r;
}

std::string return_settings_json(const SellerRows& rows, const std::string& seller_id,
                                 int64_t as_of) {
  return return_settings_json(seller_id, read_return_settings_at(rows, as_of));
}

std::string return_settings_json(const std::string& seller_id,
                                 const std::map<std::string, DatedReturnSettings>& settings) {
  std::string out = "{\"seller_id\":";
  append_json_string(out, seller_id);
  out += ",\"marketplaces\":{";
  bool first = true;
  for (const auto& [marketplace, dated] : settings) {
    if (!first) out += ',';
    first = false;
    const ReturnSettings& s = dated.settings;
    append_json_string(out, marketplace);
    out += ":{\"auto_authorize\":";
    append_json_string(out, to_string(s.auto_authorize));
    out += ",\"return_window_days\":" + std::to_string(s.return_window_days);
    out += ",\"return_address\":";
    append_return_address_json(out, s.return_address);
    out += ",\"email_action_links\":";
    out += s.email_action_links ? "true" : "false";
    out += ",\"changed_at\":";
    append_time_json(out, dated.changed_at);
    out += '}';
  }
  out += "}}";
  return out;
}

std::variant<std::string, QueryError> deadlines_json(const SellerRows& rows,
                                                     const std::string& seller_id, int64_t as_of,
                                                     int64_t within_micros) {
  if (within_micros < 0 || within_micros > kDeadlinesMaxWithin) {
    return QueryError{"within", "within must be between 0 and 30 days"};
  }
  const DeadlineRanges r = deadline_ranges(as_of, within_micros);
  std::vector<DeadlineItem> items;
  collect_messages(rows, r.lo, r.messages_hi, as_of, items);
  visit_undecided_returns(rows, r.lo, r.returns_hi, as_of, [&](const UndecidedReturn& x) {
    items.push_back(return_deadline(x));
    return true;
  });
  return deadlines_json(seller_id, as_of, within_micros, std::move(items));
}

DeadlineRanges deadline_ranges(int64_t as_of, int64_t within_micros) {
  const int64_t horizon = add_saturated(as_of, within_micros);  // deadlines <= horizon
  DeadlineRanges r;
  r.lo = add_saturated(add_saturated(as_of, -kDeadlinesLookback), 1);  // (as_of - 90 d, ...
  r.messages_hi = std::min(as_of, add_saturated(horizon, -kMessageDue));
  r.returns_hi = add_saturated(horizon, -kReturnDue);
  return r;
}

std::string deadlines_json(const std::string& seller_id, int64_t as_of, int64_t within_micros,
                           std::vector<DeadlineItem> items) {
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.deadline != b.deadline) return a.deadline < b.deadline;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.id < b.id;
  });

  int64_t overdue = 0;
  std::string list;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) list += ',';
    if (items[i].deadline < as_of) ++overdue;
    append_item(list, items[i], as_of);
  }
  std::string out = "{\"seller_id\":";
  append_json_string(out, seller_id);
  out += ",\"as_of\":";
  append_time_json(out, as_of);
  out += ",\"within_hours\":" + format_hours(within_micros);
  out += ",\"overdue\":" + std::to_string(overdue);
  out += ",\"due_soon\":" + std::to_string(static_cast<int64_t>(items.size()) - overdue);
  out += ",\"items\":[" + list + "]}";
  return out;
}

bool parse_within(std::string_view text, int64_t& micros) {
  if (text.empty()) return false;
  int64_t unit = kMicrosPerHour;  // a bare number is hours
  std::string_view digits = text;
  switch (text.back()) {
    case 's': unit = kMicrosPerSecond; break;
    case 'm': unit = 60 * kMicrosPerSecond; break;
    case 'h': unit = kMicrosPerHour; break;
    case 'd': unit = kMicrosPerDay; break;
    default: unit = 0; break;
  }
  if (unit != 0) {
    digits.remove_suffix(1);
  } else {
    unit = kMicrosPerHour;
  }
  if (digits.empty() || digits.size() > 12) return false;  // 12 digits: no overflow below
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > kDeadlinesMaxWithin / unit) return false;  // every unit divides 30 days
  micros = n * unit;
  return true;
}

}  // namespace carelog
