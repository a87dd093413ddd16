// Decoding runs in two passes over one simdjson on-demand document:
//  1. validate(): walks every value once, so that malformed JSON anywhere (also
//     inside fields we ignore) is invalid_json, and trailing data is caught;
//  2. the typed read: the document is rewound and each expected member is
//     looked up with find_field_unordered (unknown members are skipped; of
//     duplicate keys, the one found first from the cursor wins).
// Rejections are values: every reader returns false after recording exactly
// one Rejection, and the caller returns immediately.
#include "events/json_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "events/text_rules.h"
#include "events/upcast.h"

namespace carelog {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kMaxIdCodePoints = 128;  // generic ids: message_id, sku, ...
constexpr size_t kMaxEventIdChars = 128;
constexpr size_t kMaxSellerIdChars = 64;
constexpr size_t kMaxAliasCodePoints = 254;  // buyer_alias is an e-mail address
constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
constexpr int kMaxDepth = 64;  // deeper nesting is refused as invalid_json

// ---- pass 1: full validation -------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_json_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view t) {
  while (!t.empty() && is_json_blank(t.front())) t.remove_prefix(1);
  while (!t.empty() && is_json_blank(t.back())) t.remove_suffix(1);
  return t;
}

// RFC 8259 number grammar on a raw token (which may carry trailing blanks).
bool valid_number_token(std::string_view t) {
  t = trim(t);
  size_t i = 0;
  auto run = [&] {
    const size_t start = i;
    while (i < t.size() && is_digit(t[i])) ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!run()) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!run()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!run()) return false;
  }
  return i == t.size();
}

simdjson::error_code validate(od::value value, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = value.get_object().get(object)) return e;
      for (auto member : object) {
        od::field field;
        if (auto e = std::move(member).get(field)) return e;
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = validate(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto e = value.get_array().get(array)) return e;
      for (auto element : array) {
        od::value v;
        if (auto e = std::move(element).get(v)) return e;
        if (auto e = validate(v, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    case od::json_type::number: {
      std::string_view token = value.raw_json_token();
      return valid_number_token(token) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    }
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = value.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

// ---- pass 2: typed reads -----------------------------------------------------

Rejection make_rejection(const char* code, std::string field, std::string_view what) {
  std::string message = field.empty() ? std::string(what) : field + ": " + std::string(what);
  return Rejection{code, std::move(field), std::move(message)};
}

// Reads the members of one JSON object at JSON path `path` ("" for the
// envelope, "data", "data.items[0]", ...). Borrows the rejection slot.
class Reader {
 public:
  Reader(od::object object, std::string path, Rejection& rejection)
      : object_(object), path_(std::move(path)), rejection_(rejection) {}

  std::string path(std::string_view name) const {
    if (path_.empty() || name.empty()) return path_.empty() ? std::string(name) : path_;
    return path_ + "." + std::string(name);
  }
  bool fail(const char* code, std::string_view name, std::string_view what) {
    rejection_ = make_rejection(code, path(name), what);
    return false;
  }
  Rejection& rejection() { return rejection_; }

  // Looks up `name`. Absent, or null when `null_is_absent`: `present` is false,
  // which is a missing_field (absent) or wrong_type (null) when `required`.
  bool find(std::string_view name, bool required, od::value& out, bool& present,
            bool null_is_absent = true) {
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

  // A string member; `present` false when optional and absent/null.
  bool string(std::string_view name, bool required, std::string_view& out, bool& present) {
    od::value v;
    if (!find(name, required, v, present)) return false;
    if (present && v.get_string().get(out))
      return fail(reject::kWrongType, name, "expected a string");
    return true;
  }

  // Identifier: 1..max_len code points, no control characters.
  bool id(std::string_view name, std::string& out, size_t max_len = kMaxIdCodePoints) {
    std::optional<std::string> value;
    if (!id_member(name, true, value, max_len)) return false;
    out = std::move(*value);
    return true;
  }
  bool opt_id(std::string_view name, std::optional<std::string>& out,
              size_t max_len = kMaxIdCodePoints) {
    return id_member(name, false, out, max_len);
  }

  // Free text: any valid UTF-8, min_len..max_len code points.
  bool text(std::string_view name, std::string& out, size_t min_len = 0,
            size_t max_len = kNoLimit) {
    std::optional<std::string> value;
    if (!text_member(name, true, value, min_len, max_len)) return false;
    out = std::move(*value);
    return true;
  }
  bool opt_text(std::string_view name, std::optional<std::string>& out, size_t max_len = kNoLimit) {
    return text_member(name, false, out, 0, max_len);
  }

  bool order_id(std::string_view name, std::string& out) {
    std::optional<std::string> value;
    if (!order_id_member(name, true, value)) return false;
    out = std::move(*value);
    return true;
  }
  bool opt_order_id(std::string_view name, std::optional<std::string>& out) {
    return order_id_member(name, false, out);
  }

  bool boolean(std::string_view name, bool& out) {
    od::value v;
    bool present;
    if (!find(name, true, v, present)) return false;
    if (v.get_bool().get(out)) return fail(reject::kWrongType, name, "expected true or false");
    return true;
  }

  // A JSON integer (1.0 and "1" are wrong_type). `present` as for find().
  bool int64(std::string_view name, bool required, int64_t& out, bool& present,
             bool null_is_absent = true) {
    od::value v;
    if (!find(name, required, v, present, null_is_absent)) return false;
    if (!present) return true;
    od::json_type type;
    od::number_type number_type;
    if (v.type().get(type) || type != od::json_type::number ||
        v.get_number_type().get(number_type) ||
        number_type == od::number_type::floating_point_number) {
      return fail(reject::kWrongType, name, "expected an integer");
    }
    if (v.get_int64().get(out)) return fail(reject::kOutOfRange, name, "integer out of range");
    return true;
  }

  // An integer in [min, max]; `fallback` is used when absent (else required).
  bool int32(std::string_view name, int32_t& out, int32_t min, int32_t max,
             std::optional<int32_t> fallback = std::nullopt) {
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

  template <class E>
  bool enumeration(std::string_view name, E& out) {
    std::string_view s;
    bool present;
    return string(name, true, s, present) && enum_value(name, s, out);
  }
  template <class E>
  bool enum_value(std::string_view name, std::string_view s, E& out) {
    if (parse_enum(s, out)) return true;
    return fail(reject::kInvalidEnum, name, "\"" + std::string(s) + "\" is not an allowed value");
  }
  bool time(std::string_view name, Timestamp& out) {
    std::string_view s;
    bool present;
    if (!string(name, true, s, present)) return false;
    auto t = text::parse_rfc3339(s);
    if (!t) {
      return fail(reject::kInvalidTime, name,
                  "expected an RFC 3339 time with seconds and an offset, like "
                  "2013-01-07T19:36:31+01:00");
    }
    out = *t;
    return true;
  }

  // A required member that must be an object; `sub` reads it.
  template <class F>
  bool object(std::string_view name, F&& sub) {
    od::value v;
    bool present;
    if (!find(name, true, v, present)) return false;
    od::object o;
    if (v.get_object().get(o)) return fail(reject::kWrongType, name, "expected an object");
    Reader reader(o, path(name), rejection_);
    return sub(reader);
  }

  // A required, non-empty array of objects; `each` reads one element.
  template <class F>
  bool object_array(std::string_view name, F&& each) {
    od::value v;
    bool present;
    if (!find(name, true, v, present)) return false;
    od::array array;
    if (v.get_array().get(array)) return fail(reject::kWrongType, name, "expected an array");
    size_t index = 0;
    for (auto element : array) {
      const std::string element_name = std::string(name) + "[" + std::to_string(index++) + "]";
      od::value ev;
      od::object o;
      if (std::move(element).get(ev))
        return fail(reject::kInvalidJson, element_name, "malformed JSON");
      if (ev.get_object().get(o))
        return fail(reject::kWrongType, element_name, "expected an object");
      Reader reader(o, path(element_name), rejection_);
      if (!each(reader)) return false;
    }
    if (index == 0) return fail(reject::kInvalidLength, name, "expected at least one element");
    return true;
  }

  // An optional array of strings (free text each).
  bool opt_string_array(std::string_view name, std::optional<std::vector<std::string>>& out) {
    od::value v;
    bool present;
    if (!find(name, false, v, present)) return false;
    if (!present) return true;
    od::array array;
    if (v.get_array().get(array)) return fail(reject::kWrongType, name, "expected an array");
    std::vector<std::string> values;
    for (auto element : array) {
      const std::string element_name =
          std::string(name) + "[" + std::to_string(values.size()) + "]";
      od::value ev;
      std::string_view s;
      if (std::move(element).get(ev))
        return fail(reject::kInvalidJson, element_name, "malformed JSON");
      if (ev.get_string().get(s))
        return fail(reject::kWrongType, element_name, "expected a string");
      values.emplace_back(s);
    }
    out = std::move(values);
    return true;
  }

  bool money(std::string_view name, Money& out) {
    return object(name, [&out](Reader& m) {
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

  bool address(std::string_view name, Address& out) {
    return object(name, [&out](Reader& a) {
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

 private:
  bool id_member(std::string_view name, bool required, std::optional<std::string>& out,
                 size_t max_len) {
    std::string_view s;
    bool present;
    if (!string(name, required, s, present)) return false;
    if (!present) return true;
    const size_t n = text::code_points(s);
    if (n < 1 || n > max_len) {
      return fail(
          reject::kInvalidLength, name,
          "expected 1.." + std::to_string(max_len) + " characters, got " + std::to_string(n));
    }
    if (text::has_control_chars(s))
      return fail(reject::kInvalidId, name, "control characters in an id");
    out.emplace(s);
    return true;
  }

  bool text_member(std::string_view name, bool required, std::optional<std::string>& out,
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

  bool order_id_member(std::string_view name, bool required, std::optional<std::string>& out) {
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

  od::object object_;
  std::string path_;
  Rejection& rejection_;
};

// ---- payloads: one reader per type, members as in spec/events.md ----------------

bool read(Reader& r, OrderPlaced& d, int32_t) {
  return r.order_id("order_id", d.order_id) && r.id("buyer_id", d.buyer_id) &&
         r.object_array("items",
                        [&d](Reader& item) {
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
bool read(Reader& r, OrderShipped& d, int32_t) {
  return r.order_id("order_id", d.order_id) && r.opt_id("tracking_id", d.tracking_id) &&
         r.opt_text("carrier", d.carrier);
}
bool read(Reader& r, OrderDelivered& d, int32_t) { return r.order_id("order_id", d.order_id); }
bool read(Reader& r, OrderCancelled& d, int32_t) {
  return r.order_id("order_id", d.order_id) && r.enumeration("cancelled_by", d.cancelled_by) &&
         r.opt_text("reason", d.reason);
}
bool read(Reader& r, MessageReceived& d, int32_t) {
  return r.id("message_id", d.message_id) && r.id("thread_id", d.thread_id) &&
         r.id("buyer_id", d.buyer_id) && r.id("buyer_alias", d.buyer_alias, kMaxAliasCodePoints) &&
         r.opt_order_id("order_id", d.order_id) && r.opt_id("asin", d.asin) &&
         r.text("subject", d.subject, 0, 200) && r.text("body", d.body, 0, 16000) &&
         r.boolean("auto_reply", d.auto_reply);
}
bool read(Reader& r, MessageSent& d, int32_t version) {
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
bool read(Reader& r, MessageNoResponseNeeded& d, int32_t) {
  return r.id("message_id", d.message_id);
}
bool read(Reader& r, ReturnRequested& d, int32_t) {
  return r.id("return_id", d.return_id) && r.order_id("order_id", d.order_id) &&
         r.id("buyer_id", d.buyer_id) &&
         r.object_array("items",
                        [&d](Reader& item) {
                          ReturnItem& i = d.items.emplace_back();
                          return item.id("sku", i.sku) && item.id("asin", i.asin) &&
                                 item.int32("quantity", i.quantity, 1, INT32_MAX);
                        }) &&
         r.enumeration("reason", d.reason) && r.opt_text("comment", d.comment, 200) &&
         r.boolean("gift", d.gift);
}
bool read(Reader& r, ReturnAuthorized& d, int32_t) {
  return r.id("return_id", d.return_id) && r.id("rma", d.rma, 32) &&
         r.address("return_address", d.return_address) && r.enumeration("label", d.label) &&
         r.enumeration("authorized_by", d.authorized_by);
}
bool read(Reader& r, ReturnClosed& d, int32_t) {
  return r.id("return_id", d.return_id) && r.enumeration("close_reason", d.close_reason) &&
         r.opt_text("message", d.message, 1000) && r.enumeration("closed_by", d.closed_by);
}
bool read(Reader& r, ReturnCancelled& d, int32_t) { return r.id("return_id", d.return_id); }
bool read(Reader& r, ReturnItemReceived& d, int32_t) {
  return r.id("return_id", d.return_id) && r.opt_text("condition", d.condition);
}
bool read(Reader& r, RefundIssued& d, int32_t) {
  return r.id("refund_id", d.refund_id) && r.order_id("order_id", d.order_id) &&
         r.opt_id("return_id", d.return_id) && r.money("amount", d.amount) &&
         r.enumeration("refund_kind", d.refund_kind) && r.opt_text("reason", d.reason);
}
bool read(Reader& r, ClaimFiled& d, int32_t) {
  return r.id("claim_id", d.claim_id) && r.order_id("order_id", d.order_id) &&
         r.enumeration("kind", d.kind) && r.opt_text("reason", d.reason);
}
bool read(Reader& r, ClaimDecided& d, int32_t) {
  return r.id("claim_id", d.claim_id) && r.enumeration("outcome", d.outcome);
}
bool read(Reader& r, FeedbackReceived& d, int32_t) {
  return r.id("feedback_id", d.feedback_id) && r.order_id("order_id", d.order_id) &&
         r.int32("rating", d.rating, 1, 5) && r.opt_text("comment", d.comment, 1000);
}
bool read(Reader& r, ReturnSettingsChanged& d, int32_t) {
  return r.enumeration("auto_authorize", d.auto_authorize) &&
         r.int32("return_window_days", d.return_window_days, 1, 365, 30) &&
         r.address("return_address", d.return_address) &&
         r.boolean("email_action_links", d.email_action_links);
}
bool read(Reader& r, NotificationRequested& d, int32_t) {
  return r.enumeration("to", d.to) && r.id("template", d.template_name) &&
         r.opt_id("return_id", d.return_id) && r.opt_id("message_id", d.message_id) &&
         r.opt_string_array("action_links", d.action_links);
}

// Reads the payload of alternative I of EventData when I == index.
template <size_t I = 0>
bool read_payload(size_t index, Reader& r, int32_t version, EventData& out) {
  if constexpr (I < std::variant_size_v<EventData>) {
    if (index != I) return read_payload<I + 1>(index, r, version, out);
    return read(r, out.emplace<I>(), version);
  } else {
    return r.fail(reject::kUnknownType, "", "no payload reader for this type");
  }
}

// The envelope members, in the order the spec lists them.
bool read_envelope(Reader& r, const DecoderOptions& options, std::optional<std::string_view> key,
                   Event& e) {
  std::string_view s;
  bool present;
  if (!r.string("event_id", true, s, present)) return false;
  if (!text::event_id_chars(s))
    return r.fail(reject::kInvalidId, "event_id", "expected printable ASCII");
  if (s.empty() || s.size() > kMaxEventIdChars) {
    return r.fail(reject::kInvalidLength, "event_id", "expected 1..128 characters");
  }
  e.event_id = std::string(s);

  if (!r.string("type", true, s, present)) return false;
  EventType type;
  if (!parse_enum(s, type)) {
    return r.fail(reject::kUnknownType, "type",
                  "\"" + std::string(s) + "\" is not a known event type");
  }
  if (type == EventType::kNotificationRequested && !options.allow_derived_types) {
    return r.fail(reject::kReservedType, "type",
                  "notification.requested is emitted by the engine only");
  }

  if (!r.time("occurred_at", e.occurred_at)) return false;

  if (!r.string("seller_id", true, s, present)) return false;
  if (!text::seller_id_chars(s))
    return r.fail(reject::kInvalidId, "seller_id", "expected [A-Za-z0-9_-]");
  if (s.empty() || s.size() > kMaxSellerIdChars) {
    return r.fail(reject::kInvalidLength, "seller_id", "expected 1..64 characters");
  }
  if (key && *key != s) {
    return r.fail(reject::kKeyMismatch, "seller_id",
                  "differs from the record key \"" + std::string(*key) + "\"");
  }
  e.seller_id = std::string(s);

  if (!r.string("marketplace", true, s, present)) return false;
  if (std::find(options.marketplaces.begin(), options.marketplaces.end(), s) ==
      options.marketplaces.end()) {
    return r.fail(reject::kInvalidMarketplace, "marketplace",
                  "\"" + std::string(s) + "\" is not a configured marketplace");
  }
  e.marketplace = std::string(s);

  // Absent: version 0, the pre-v1 form. Null is not a version.
  int64_t version = 0;
  if (!r.int64("schema_version", false, version, present, /*null_is_absent=*/false)) return false;
  if (version < 0) return r.fail(reject::kOutOfRange, "schema_version", "must not be negative");
  if (version > kCurrentSchemaVersion) {
    return r.fail(reject::kUnsupportedSchema, "schema_version",
                  "version " + std::to_string(version) + " is newer than " +
                      std::to_string(kCurrentSchemaVersion));
  }

  od::value v;
  if (!r.find("data", true, v, present, /*null_is_absent=*/false)) return false;
  od::object data;
  if (v.get_object().get(data)) return r.fail(reject::kNotObject, "data", "expected an object");
  Reader data_reader(data, "data", r.rejection());
  if (!read_payload(static_cast<size_t>(type), data_reader, static_cast<int32_t>(version),
                    e.data)) {
    return false;
  }
  e.schema_version = kCurrentSchemaVersion;  // upcast done
  return true;
}

}  // namespace

struct JsonDecoder::Impl {
  DecoderOptions options;
  od::parser parser;
  std::vector<char> buffer;  // the record plus SIMDJSON_PADDING, reused across calls
};

JsonDecoder::JsonDecoder(DecoderOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

JsonDecoder::~JsonDecoder() = default;

Result<Event> JsonDecoder::decode(std::string_view bytes, std::optional<std::string_view> key) {
  const DecoderOptions& options = impl_->options;
  if (bytes.size() > options.max_record_bytes) {
    return make_rejection(reject::kTooLarge, "",
                          "record of " + std::to_string(bytes.size()) + " bytes exceeds " +
                              std::to_string(options.max_record_bytes));
  }
  if (!text::valid_utf8(bytes)) return make_rejection(reject::kInvalidUtf8, "", "not valid UTF-8");

  std::vector<char>& buffer = impl_->buffer;
  if (buffer.size() < bytes.size() + simdjson::SIMDJSON_PADDING) {
    buffer.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
  }
  std::memcpy(buffer.data(), bytes.data(), bytes.size());
  std::memset(buffer.data() + bytes.size(), 0, simdjson::SIMDJSON_PADDING);

  od::document doc;
  if (impl_->parser.iterate(buffer.data(), bytes.size(), buffer.size()).get(doc)) {
    return make_rejection(reject::kInvalidJson, "", "not valid JSON");
  }

  // Pass 1: the whole document is valid JSON, and nothing follows it.
  od::json_type root_type;
  if (doc.type().get(root_type)) return make_rejection(reject::kInvalidJson, "", "not valid JSON");
  if (root_type == od::json_type::object || root_type == od::json_type::array) {
    od::value root;
    if (doc.get_value().get(root) || validate(root, 0)) {
      return make_rejection(reject::kInvalidJson, "", "not valid JSON");
    }
    if (!doc.current_location().error()) {  // a location past the root value exists
      return make_rejection(reject::kInvalidJson, "", "trailing data after the JSON value");
    }
  } else {
    // Scalar documents: the token must be the whole document, blanks aside.
    std::string_view token;
    simdjson::error_code error = doc.raw_json_token().get(token);
    if (!error && trim(token) != trim(bytes)) error = simdjson::TRAILING_CONTENT;
    doc.rewind();
    if (error) {
      // reported below
    } else if (root_type == od::json_type::string) {
      error = doc.get_string().error();
    } else if (root_type == od::json_type::number) {
      if (!valid_number_token(token)) error = simdjson::NUMBER_ERROR;
    } else if (root_type == od::json_type::boolean) {
      error = doc.get_bool().error();
    } else {
      bool is_null = false;
      error = doc.is_null().get(is_null);
      if (!error && !is_null) error = simdjson::N_ATOM_ERROR;
    }
    if (error) return make_rejection(reject::kInvalidJson, "", "not valid JSON");
  }
  if (root_type != od::json_type::object) {
    return make_rejection(reject::kNotObject, "", "the record must be a JSON object");
  }

  // Pass 2: the typed read.
  doc.rewind();
  od::object root;
  if (doc.get_object().get(root)) return make_rejection(reject::kInvalidJson, "", "not valid JSON");
  Rejection rejection;
  Reader reader(root, "", rejection);
  Event event;
  if (!read_envelope(reader, options, key, event)) return rejection;
  return event;
}

}  // namespace carelog
