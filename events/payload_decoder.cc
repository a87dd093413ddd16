#include "events/payload_decoder.h"

#include "events/text_rules.h"
#include "events/upcast.h"

namespace carelog::decoding {

Rejection make_rejection(const char* code, std::string field, std::string_view what) {
  std::string message = field.empty() ? std::string(what) : field + ": " + std::string(what);
  return Rejection{code, std::move(field), std::move(message)};
}

// ---- FieldReader -----------------------------------------------------------------

std::string FieldReader::path(std::string_view name) const {
  if (path_.empty() || name.empty()) return path_.empty() ? std::string(name) : path_;
  return path_ + "." + std::string(name);
}

bool FieldReader::fail(const char* code, std::string_view name, std::string_view what) {
  rejection_ = make_rejection(code, path(name), what);
  return false;
}

bool FieldReader::find(std::string_view name, bool required, od::value& out, bool& present,
                       bool null_is_absent) {
  present = false;
  auto found = object_.find_field_unordered(name);
  if (found.error() == simdjson::NO_SUCH_FIELD) {
    return required ? fail(reject::kMissingField, name, "required field is missing") : true;
  }
  if (found.error()) return fail(reject::kInvalidJson, name, "malformed JSON");
  out = found.value_unsafe();
  if (null_is_absent) {
    bool is_null = false;
    if (out.is_null().get(is_null)) return fail(reject::kInvalidJson, name, "malformed JSON");
    if (is_null) {
      return required ? fail(reject::kWrongType, name, "required field must not be null") : true;
    }
  }
  present = true;
  return true;
}

bool FieldReader::string(std::string_view name, bool required, std::string_view& out,
                         bool& present) {
  od::value v;
  if (!find(name, required, v, present)) return false;
  if (present && v.get_string().get(out))
    return fail(reject::kWrongType, name, "expected a string");
  return true;
}

bool FieldReader::id(std::string_view name, std::string& out, size_t max_len) {
  std::optional<std::string> value;
  if (!id_member(name, true, value, max_len)) return false;
  out = std::move(*value);
  return true;
}

bool FieldReader::opt_id(std::string_view name, std::optional<std::string>& out, size_t max_len) {
  return id_member(name, false, out, max_len);
}

bool FieldReader::text(std::string_view name, std::string& out, size_t min_len, size_t max_len) {
  std::optional<std::string> value;
  if (!text_member(name, true, value, min_len, max_len)) return false;
  out = std::move(*value);
  return true;
}

bool FieldReader::opt_text(std::string_view name, std::optional<std::string>& out, size_t max_len) {
  return text_member(name, false, out, 0, max_len);
}

bool FieldReader::order_id(std::string_view name, std::string& out) {
  std::optional<std::string> value;
  if (!order_id_member(name, true, value)) return false;
  out = std::move(*value);
  return true;
}

bool FieldReader::opt_order_id(std::string_view name, std::optional<std::string>& out) {
  return order_id_member(name, false, out);
}

bool FieldReader::boolean(std::string_view name, bool& out) {
  od::value v;
  bool present;
  if (!find(name, true, v, present)) return false;
  if (v.get_bool().get(out)) return fail(reject::kWrongType, name, "expected true or false");
  return true;
}

bool FieldReader::int64(std::string_view name, bool required, int64_t& out, bool& present,
                        bool null_is_absent) {
  od::value v;
  if (!find(name, required, v, present, null_is_absent)) return false;
  if (!present) return true;
  od::json_type type;
  od::number_type number_type;
  if (v.type().get(type) || type != od::json_type::number || v.get_number_type().get(number_type) ||
      number_type == od::number_type::floating_point_number) {
    return fail(reject::kWrongType, name, "expected an integer");
  }
  if (v.get_int64().get(out)) return fail(reject::kOutOfRange, name, "integer out of range");
  return true;
}

bool FieldReader::int32(std::string_view name, int32_t& out, int32_t min, int32_t max,
                        std::optional<int32_t> fallback) {
  int64_t value = 0;
  bool present;
  if (!int64(name, !fallback, value, present)) return false;
  if (!present) {
    out = *fallback;
    return true;
  }
  if (value < min || value > max) {
    return fail(reject::kOutOfRange, name,
                "expected " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
                    std::to_string(value));
  }
  out = static_cast<int32_t>(value);
  return true;
}

bool FieldReader::time(std::string_view name, Timestamp& out) {
  std::string_view s;
  bool present;
  if (!string(name, true, s, present)) return false;
  auto t = text::parse_rfc3339(s);
  if (!t) {
    return fail(reject::kInvalidTime, name,
                "expected an RFC 3339 time with seconds and an offset, like "
                "2013-01-07T19:36:31+01:00");
  }
  if (t->micros < 0) return fail(reject::kInvalidTime, name, "expected a time from 1970 on");
  out = *t;
  return true;
}

bool FieldReader::opt_string_array(std::string_view name,
                                   std::optional<std::vector<std::string>>& out) {
  od::value v;
  bool present;
  if (!find(name, false, v, present)) return false;
  if (!present) return true;
  od::array array;
  if (v.get_array().get(array)) return fail(reject::kWrongType, name, "expected an array");
  std::vector<std::string> values;
  for (auto element : array) {
    const std::string element_name = std::string(name) + "[" + std::to_string(values.size()) + "]";
    od::value ev;
    std::string_view s;
    if (std::move(element).get(ev))
      return fail(reject::kInvalidJson, element_name, "malformed JSON");
    if (ev.get_string().get(s)) return fail(reject::kWrongType, element_name, "expected a string");
    values.emplace_back(s);
  }
  out = std::move(values);
  return true;
}

bool FieldReader::money(std::string_view name, Money& out) {
  return object(name, [&out](FieldReader& m) {
    std::string_view amount, currency;
    bool present;
    if (!m.string("amount", true, amount, present)) {
      if (m.rejection().code == reject::kWrongType) {
        m.rejection().message += " (a decimal string like \"12.50\")";
      }
      return false;
    }
    auto cents = text::parse_money_amount(amount);
    if (!cents) {
      return m.fail(reject::kInvalidMoney, "amount",
                    "expected a decimal string with at most 2 fraction digits, like \"12.50\"");
    }
    if (!m.string("currency", true, currency, present)) return false;
    if (!text::is_currency(currency)) {
      return m.fail(reject::kInvalidMoney, "currency", "expected an ISO 4217 code like \"EUR\"");
    }
    out.cents = *cents;
    out.currency = std::string(currency);
    return true;
  });
}

bool FieldReader::address(std::string_view name, Address& out) {
  return object(name, [&out](FieldReader& a) {
    if (!a.text("name", out.name) || !a.text("line1", out.line1) ||
        !a.opt_text("line2", out.line2) || !a.text("city", out.city) ||
        !a.opt_text("region", out.region) || !a.text("postal_code", out.postal_code)) {
      return false;
    }
    std::string_view country;
    bool present;
    if (!a.string("country", true, country, present)) return false;
    if (!text::is_country(country)) {
      return a.fail(reject::kInvalidEnum, "country",
                    "expected an ISO 3166 alpha-2 code like \"FR\"");
    }
    out.country = std::string(country);
    return a.opt_text("phone", out.phone);
  });
}

bool FieldReader::id_member(std::string_view name, bool required, std::optional<std::string>& out,
                            size_t max_len) {
  std::string_view s;
  bool present;
  if (!string(name, required, s, present)) return false;
  if (!present) return true;
  const size_t n = text::code_points(s);
  if (n < 1 || n > max_len) {
    return fail(reject::kInvalidLength, name,
                "expected 1.." + std::to_string(max_len) + " characters, got " + std::to_string(n));
  }
  if (text::has_control_chars(s))
    return fail(reject::kInvalidId, name, "control characters in an id");
  out.emplace(s);
  return true;
}

bool FieldReader::text_member(std::string_view name, bool required, std::optional<std::string>& out,
                              size_t min_len, size_t max_len) {
  std::string_view s;
  bool present;
  if (!string(name, required, s, present)) return false;
  if (!present) return true;
  const size_t n = text::code_points(s);
  if (n < min_len || n > max_len) {
    return fail(reject::kInvalidLength, name,
                "expected " + std::to_string(min_len) + ".." + std::to_string(max_len) +
                    " characters, got " + std::to_string(n));
  }
  out.emplace(s);
  return true;
}

bool FieldReader::order_id_member(std::string_view name, bool required,
                                  std::optional<std::string>& out) {
  std::string_view s;
  bool present;
  if (!string(name, required, s, present)) return false;
  if (!present) return true;
  if (!text::is_order_id(s)) {
    return fail(reject::kInvalidOrderId, name, "expected 3-7-7 digits like 403-9930700-9360319");
  }
  out.emplace(s);
  return true;
}

// ---- payloads: one reader per type, members as in spec/events.md ----------------

namespace {

constexpr size_t kMaxAliasCodePoints = 254;  // buyer_alias is an e-mail address

bool read(FieldReader& r, OrderPlaced& d, int32_t) {
  return r.order_id("order_id", d.order_id) && r.id("buyer_id", d.buyer_id) &&
         r.object_array("items",
                        [&d](FieldReader& item) {
                          OrderItem& i = d.items.emplace_back();
                          return item.id("sku", i.sku) && item.id("asin", i.asin) &&
                                 item.text("title", i.title) &&
                                 item.int32("quantity", i.quantity, 1, INT32_MAX) &&
                                 item.money("item_price", i.item_price) &&
                                 item.text("category", i.category);
                        }) &&
         r.time("latest_ship_date", d.latest_ship_date) &&
         r.time("latest_delivery_date", d.latest_delivery_date);
}
bool read(FieldReader& r, OrderShipped& d, int32_t) {
  return r.order_id("order_id", d.order_id) && r.opt_id("tracking_id", d.tracking_id) &&
         r.opt_text("carrier", d.carrier);
}
bool read(FieldReader& r, OrderDelivered& d, int32_t) { return r.order_id("order_id", d.order_id); }
bool read(FieldReader& r, OrderCancelled& d, int32_t) {
  return r.order_id("order_id", d.order_id) && r.enumeration("cancelled_by", d.cancelled_by) &&
         r.opt_text("reason", d.reason);
}
bool read(FieldReader& r, MessageReceived& d, int32_t) {
  return r.id("message_id", d.message_id) && r.id("thread_id", d.thread_id) &&
         r.id("buyer_id", d.buyer_id) && r.id("buyer_alias", d.buyer_alias, kMaxAliasCodePoints) &&
         r.opt_order_id("order_id", d.order_id) && r.opt_id("asin", d.asin) &&
         r.text("subject", d.subject, 0, 200) && r.text("body", d.body, 0, 16000) &&
         r.boolean("auto_reply", d.auto_reply);
}
bool read(FieldReader& r, MessageSent& d, int32_t version) {
  if (!r.id("message_id", d.message_id) || !r.id("thread_id", d.thread_id) ||
      !r.opt_id("in_reply_to", d.in_reply_to) || !r.opt_order_id("order_id", d.order_id) ||
      !r.opt_text("subject", d.subject, 200) || !r.text("body", d.body, 1, 4000)) {
    return false;
  }
  // Older versions may omit `sender`; the upcaster says what that meant.
  const std::optional<Sender> implied = Upcast::implied_sender(version);
  std::string_view s;
  bool present;
  if (!r.string("sender", !implied, s, present)) return false;
  if (!present) {
    d.sender = *implied;
    return true;
  }
  return r.enum_value("sender", s, d.sender);
}
bool read(FieldReader& r, MessageNoResponseNeeded& d, int32_t) {
  return r.id("message_id", d.message_id);
}
bool read(FieldReader& r, ReturnRequested& d, int32_t) {
  return r.id("return_id", d.return_id) && r.order_id("order_id", d.order_id) &&
         r.id("buyer_id", d.buyer_id) &&
         r.object_array("items",
                        [&d](FieldReader& item) {
                          ReturnItem& i = d.items.emplace_back();
                          return item.id("sku", i.sku) && item.id("asin", i.asin) &&
                                 item.int32("quantity", i.quantity, 1, INT32_MAX);
                        }) &&
         r.enumeration("reason", d.reason) && r.opt_text("comment", d.comment, 200) &&
         r.boolean("gift", d.gift);
}
bool read(FieldReader& r, ReturnAuthorized& d, int32_t) {
  return r.id("return_id", d.return_id) && r.id("rma", d.rma, 32) &&
         r.address("return_address", d.return_address) && r.enumeration("label", d.label) &&
         r.enumeration("authorized_by", d.authorized_by);
}
bool read(FieldReader& r, ReturnClosed& d, int32_t) {
  return r.id("return_id", d.return_id) && r.enumeration("close_reason", d.close_reason) &&
         r.opt_text("message", d.message, 1000) && r.enumeration("closed_by", d.closed_by);
}
bool read(FieldReader& r, ReturnCancelled& d, int32_t) { return r.id("return_id", d.return_id); }
bool read(FieldReader& r, ReturnItemReceived& d, int32_t) {
  return r.id("return_id", d.return_id) && r.opt_text("condition", d.condition);
}
bool read(FieldReader& r, RefundIssued& d, int32_t) {
  return r.id("refund_id", d.refund_id) && r.order_id("order_id", d.order_id) &&
         r.opt_id("return_id", d.return_id) && r.money("amount", d.amount) &&
         r.enumeration("refund_kind", d.refund_kind) && r.opt_text("reason", d.reason);
}
bool read(FieldReader& r, ClaimFiled& d, int32_t) {
  return r.id("claim_id", d.claim_id) && r.order_id("order_id", d.order_id) &&
         r.enumeration("kind", d.kind) && r.opt_text("reason", d.reason);
}
bool read(FieldReader& r, ClaimDecided& d, int32_t) {
  return r.id("claim_id", d.claim_id) && r.enumeration("outcome", d.outcome);
}
bool read(FieldReader& r, FeedbackReceived& d, int32_t) {
  return r.id("feedback_id", d.feedback_id) && r.order_id("order_id", d.order_id) &&
         r.int32("rating", d.rating, 1, 5) && r.opt_text("comment", d.comment, 1000);
}
bool read(FieldReader& r, ReturnSettingsChanged& d, int32_t) {
  return r.enumeration("auto_authorize", d.auto_authorize) &&
         r.int32("return_window_days", d.return_window_days, 1, 365, 30) &&
         r.address("return_address", d.return_address) &&
         r.boolean("email_action_links", d.email_action_links);
}
bool read(FieldReader& r, NotificationRequested& d, int32_t) {
  return r.enumeration("to", d.to) && r.id("template", d.template_name) &&
         r.opt_id("return_id", d.return_id) && r.opt_id("message_id", d.message_id) &&
         r.opt_string_array("action_links", d.action_links);
}

bool read(FieldReader& r, BuyerErasureRequested& d, int32_t) { return r.id("buyer_id", d.buyer_id); }

// Reads the payload of alternative I of EventData when I == index.
template <size_t I = 0>
bool read_alternative(size_t index, FieldReader& r, int32_t version, EventData& out) {
  if constexpr (I < std::variant_size_v<EventData>) {
    if (index != I) return read_alternative<I + 1>(index, r, version, out);
    return read(r, out.emplace<I>(), version);
  } else {
    return r.fail(reject::kUnknownType, "", "no payload reader for this type");
  }
}

}  // namespace

bool read_payload(EventType type, FieldReader& data, int32_t version, EventData& out) {
  return read_alternative(static_cast<size_t>(type), data, version, out);
}

}  // namespace carelog::decoding
