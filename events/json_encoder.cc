#include "events/json_encoder.h"

#include <cstdio>

#include "events/text_rules.h"

namespace carelog {
namespace {

// Writes one object's members; commas are inserted between members.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  // Starts member `name`; the caller appends its value.
  std::string& key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    append_json_string(out_, name);
    out_ += ':';
    return out_;
  }
  void str(std::string_view name, std::string_view v) { append_json_string(key(name), v); }
  void str(std::string_view name, const std::string& v) { str(name, std::string_view(v)); }
  void str(std::string_view name, const std::optional<std::string>& v) {
    if (v) str(name, *v);
  }
  void boolean(std::string_view name, bool v) { key(name) += v ? "true" : "false"; }
  void integer(std::string_view name, int64_t v) { key(name) += std::to_string(v); }
  void time(std::string_view name, const Timestamp& t) { str(name, format_rfc3339(t)); }
  template <class E>
  void enumeration(std::string_view name, E e) {
    str(name, to_string(e));
  }
  void money(std::string_view name, const Money& m) {
    ObjectWriter w(key(name));
    w.str("amount", format_money_amount(m.cents));
    w.str("currency", m.currency);
  }
  void address(std::string_view name, const Address& a) { append_address_json(key(name), a); }

 private:
  std::string& out_;
  bool first_ = true;
};

// One overload per payload; members in the order of the spec's tables.
void write(ObjectWriter& w, const OrderPlaced& d) {
  w.str("order_id", d.order_id);
  w.str("buyer_id", d.buyer_id);
  std::string& out = w.key("items");
  out += '[';
  for (size_t i = 0; i < d.items.size(); ++i) {
    if (i) out += ',';
    const OrderItem& item = d.items[i];
    ObjectWriter iw(out);
    iw.str("sku", item.sku);
    iw.str("asin", item.asin);
    iw.str("title", item.title);
    iw.integer("quantity", item.quantity);
    iw.money("item_price", item.item_price);
    iw.str("category", item.category);
  }
  out += ']';
  w.time("latest_ship_date", d.latest_ship_date);
  w.time("latest_delivery_date", d.latest_delivery_date);
}
void write(ObjectWriter& w, const OrderShipped& d) {
  w.str("order_id", d.order_id);
  w.str("tracking_id", d.tracking_id);
  w.str("carrier", d.carrier);
}
void write(ObjectWriter& w, const OrderDelivered& d) { w.str("order_id", d.order_id); }
void write(ObjectWriter& w, const OrderCancelled& d) {
  w.str("order_id", d.order_id);
  w.enumeration("cancelled_by", d.cancelled_by);
  w.str("reason", d.reason);
}
void write(ObjectWriter& w, const MessageReceived& d) {
  w.str("message_id", d.message_id);
  w.str("thread_id", d.thread_id);
  w.str("buyer_id", d.buyer_id);
  w.str("buyer_alias", d.buyer_alias);
  w.str("order_id", d.order_id);
  w.str("asin", d.asin);
  w.str("subject", d.subject);
  w.str("body", d.body);
  w.boolean("auto_reply", d.auto_reply);
}
void write(ObjectWriter& w, const MessageSent& d) {
  w.str("message_id", d.message_id);
  w.str("thread_id", d.thread_id);
  w.str("in_reply_to", d.in_reply_to);
  w.str("order_id", d.order_id);
  w.str("subject", d.subject);
  w.str("body", d.body);
  w.enumeration("sender", d.sender);
}
void write(ObjectWriter& w, const MessageNoResponseNeeded& d) { w.str("message_id", d.message_id); }
void write(ObjectWriter& w, const ReturnRequested& d) {
  w.str("return_id", d.return_id);
  w.str("order_id", d.order_id);
  w.str("buyer_id", d.buyer_id);
  std::string& out = w.key("items");
  out += '[';
  for (size_t i = 0; i < d.items.size(); ++i) {
    if (i) out += ',';
    ObjectWriter iw(out);
    iw.str("sku", d.items[i].sku);
    iw.str("asin", d.items[i].asin);
    iw.integer("quantity", d.items[i].quantity);
  }
  out += ']';
  w.enumeration("reason", d.reason);
  w.str("comment", d.comment);
  w.boolean("gift", d.gift);
}
void write(ObjectWriter& w, const ReturnAuthorized& d) {
  w.str("return_id", d.return_id);
  w.str("rma", d.rma);
  w.address("return_address", d.return_address);
  w.enumeration("label", d.label);
  w.enumeration("authorized_by", d.authorized_by);
}
void write(ObjectWriter& w, const ReturnClosed& d) {
  w.str("return_id", d.return_id);
  w.enumeration("close_reason", d.close_reason);
  w.str("message", d.message);
  w.enumeration("closed_by", d.closed_by);
}
void write(ObjectWriter& w, const ReturnCancelled& d) { w.str("return_id", d.return_id); }
void write(ObjectWriter& w, const ReturnItemReceived& d) {
  w.str("return_id", d.return_id);
  w.str("condition", d.condition);
}
void write(ObjectWriter& w, const RefundIssued& d) {
  w.str("refund_id", d.refund_id);
  w.str("order_id", d.order_id);
  w.str("return_id", d.return_id);
  w.money("amount", d.amount);
  w.enumeration("refund_kind", d.refund_kind);
  w.str("reason", d.reason);
}
void write(ObjectWriter& w, const ClaimFiled& d) {
  w.str("claim_id", d.claim_id);
  w.str("order_id", d.order_id);
  w.enumeration("kind", d.kind);
  w.str("reason", d.reason);
}
void write(ObjectWriter& w, const ClaimDecided& d) {
  w.str("claim_id", d.claim_id);
  w.enumeration("outcome", d.outcome);
}
void write(ObjectWriter& w, const FeedbackReceived& d) {
  w.str("feedback_id", d.feedback_id);
  w.str("order_id", d.order_id);
  w.integer("rating", d.rating);
  w.str("comment", d.comment);
}
void write(ObjectWriter& w, const ReturnSettingsChanged& d) {
  w.enumeration("auto_authorize", d.auto_authorize);
  w.integer("return_window_days", d.return_window_days);
  w.address("return_address", d.return_address);
  w.boolean("email_action_links", d.email_action_links);
}
void write(ObjectWriter& w, const BuyerErasureRequested& d) { w.str("buyer_id", d.buyer_id); }
void write(ObjectWriter& w, const NotificationRequested& d) {
  w.enumeration("to", d.to);
  w.str("template", d.template_name);
  w.str("return_id", d.return_id);
  w.str("message_id", d.message_id);
  if (d.action_links) {
    std::string& out = w.key("action_links");
    out += '[';
    for (size_t i = 0; i < d.action_links->size(); ++i) {
      if (i) out += ',';
      append_json_string(out, (*d.action_links)[i]);
    }
    out += ']';
  }
}

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && a < 0); }

}  // namespace

void append_address_json(std::string& out, const Address& a) {
  ObjectWriter w(out);
  w.str("name", a.name);
  w.str("line1", a.line1);
  w.str("line2", a.line2);
  w.str("city", a.city);
  w.str("region", a.region);
  w.str("postal_code", a.postal_code);
  w.str("country", a.country);
  w.str("phone", a.phone);
}

std::string encode_json(const Event& event) {
  std::string out;
  out.reserve(512);
  {
    ObjectWriter w(out);
    w.str("event_id", event.event_id);
    w.str("type", to_string(event.type()));
    w.time("occurred_at", event.occurred_at);
    w.str("seller_id", event.seller_id);
    w.str("marketplace", event.marketplace);
    w.integer("schema_version", event.schema_version);
    ObjectWriter data(w.key("data"));
    std::visit([&data](const auto& payload) { write(data, payload); }, event.data);
  }
  return out;
}

namespace {
// `s` with every byte that does not start a valid UTF-8 sequence replaced by
// U+FFFD, so that what carelog writes is always valid JSON (request
// parameters and rejected records may hold any bytes).
std::string replace_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n > 0 && i + n <= s.size() && text::valid_utf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}
}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  if (!text::valid_utf8(s)) {
    const std::string fixed = replace_invalid_utf8(s);
    append_json_string(out, fixed);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  // Runs of bytes that need no escape (UTF-8 passes through unchanged) are
  // appended whole: queries write hundreds of strings per answer.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

namespace {
// The decimal digits of `v`, zero-padded to at least `width` (<= 20), as
// printf's %0*llu writes them.
void append_digits(std::string& out, uint64_t v, int width) {
  char buf[20];
  int begin = 20;
  do {
    buf[--begin] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (begin > 20 - width) buf[--begin] = '0';
  out.append(buf + begin, static_cast<size_t>(20 - begin));
}
}  // namespace

void append_rfc3339(std::string& out, const Timestamp& t) {
  const int64_t local = t.micros + int64_t{t.offset_minutes} * 60'000'000;
  const int64_t seconds = floor_div(local, 1'000'000);
  const int64_t micros = local - seconds * 1'000'000;
  const int64_t days = floor_div(seconds, 86400);
  const int64_t sod = seconds - days * 86400;
  int64_t year;
  unsigned month, day;
  text::civil_from_days(days, year, month, day);

  if (year >= 0) {
    append_digits(out, static_cast<uint64_t>(year), 4);
  } else {  // before year 0, outside RFC 3339's range: as printf's %04lld wrote it
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(year));
    out.append(buf, static_cast<size_t>(n));
  }
  out += '-';
  append_digits(out, month, 2);
  out += '-';
  append_digits(out, day, 2);
  out += 'T';
  append_digits(out, static_cast<uint64_t>(sod / 3600), 2);
  out += ':';
  append_digits(out, static_cast<uint64_t>(sod / 60 % 60), 2);
  out += ':';
  append_digits(out, static_cast<uint64_t>(sod % 60), 2);
  if (micros != 0) {  // the fraction without its trailing zeros
    uint64_t frac = static_cast<uint64_t>(micros);
    int width = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    out += '.';
    append_digits(out, frac, width);
  }
  if (t.offset_minutes == 0) {
    out += 'Z';
  } else {
    const int32_t abs_offset = t.offset_minutes < 0 ? -t.offset_minutes : t.offset_minutes;
    out += t.offset_minutes < 0 ? '-' : '+';
    append_digits(out, static_cast<uint64_t>(abs_offset / 60), 2);
    out += ':';
    append_digits(out, static_cast<uint64_t>(abs_offset % 60), 2);
  }
}

std::string format_rfc3339(const Timestamp& t) {
  std::string out;
  out.reserve(32);
  append_rfc3339(out, t);
  return out;
}

std::string format_money_amount(int64_t cents) {
  // Unsigned arithmetic so that INT64_MIN has a magnitude too.
  const uint64_t magnitude =
      cents < 0 ? ~static_cast<uint64_t>(cents) + 1 : static_cast<uint64_t>(cents);
  std::string out = cents < 0 ? "-" : "";
  out += std::to_string(magnitude / 100);
  out += '.';
  out += static_cast<char>('0' + magnitude % 100 / 10);
  out += static_cast<char>('0' + magnitude % 10);
  return out;
}

}  // namespace carelog
