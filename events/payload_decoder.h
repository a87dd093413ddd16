// Internal to events/: the typed read of one decoded JSON document (pass 2 of
// json_decoder.cc). FieldReader reads the members of one object under the
// spec's field rules; read_payload reads the `data` object of each event type,
// members as in spec/events.md.
//
// Rejections are values: every reader returns false after recording exactly
// one Rejection, and the caller returns immediately.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "events/rejection.h"

namespace carelog::decoding {

namespace od = simdjson::ondemand;

inline constexpr size_t kMaxIdCodePoints = 128;  // generic ids: message_id, sku, ...
inline constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

Rejection make_rejection(const char* code, std::string field, std::string_view what);

// Reads the members of one JSON object at JSON path `path` ("" for the
// envelope, "data", "data.items[0]", ...). Borrows the rejection slot.
class FieldReader {
 public:
  FieldReader(od::object object, std::string path, Rejection& rejection)
      : object_(object), path_(std::move(path)), rejection_(rejection) {}

  std::string path(std::string_view name) const;
  bool fail(const char* code, std::string_view name, std::string_view what);
  Rejection& rejection() { return rejection_; }

  // Looks up `name`. Absent, or null when `null_is_absent`: `present` is false,
  // which is a missing_field (absent) or wrong_type (null) when `required`.
  bool find(std::string_view name, bool required, od::value& out, bool& present,
            bool null_is_absent = true);

  // A string member; `present` false when optional and absent/null.
  bool string(std::string_view name, bool required, std::string_view& out, bool& present);

  // Identifier: 1..max_len code points, no control characters.
  bool id(std::string_view name, std::string& out, size_t max_len = kMaxIdCodePoints);
  bool opt_id(std::string_view name, std::optional<std::string>& out,
              size_t max_len = kMaxIdCodePoints);

  // Free text: any valid UTF-8, min_len..max_len code points.
  bool text(std::string_view name, std::string& out, size_t min_len = 0, size_t max_len = kNoLimit);
  bool opt_text(std::string_view name, std::optional<std::string>& out, size_t max_len = kNoLimit);

  bool order_id(std::string_view name, std::string& out);
  bool opt_order_id(std::string_view name, std::optional<std::string>& out);

  bool boolean(std::string_view name, bool& out);

  // A JSON integer (1.0 and "1" are wrong_type). `present` as for find().
  bool int64(std::string_view name, bool required, int64_t& out, bool& present,
             bool null_is_absent = true);

  // An integer in [min, max]; `fallback` is used when absent (else required).
  bool int32(std::string_view name, int32_t& out, int32_t min, int32_t max,
             std::optional<int32_t> fallback = std::nullopt);

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
  bool time(std::string_view name, Timestamp& out);

  // A required member that must be an object; `sub` reads it.
  template <class F>
  bool object(std::string_view name, F&& sub) {
    od::value v;
    bool present;
    if (!find(name, true, v, present)) return false;
    od::object o;
    if (v.get_object().get(o)) return fail(reject::kWrongType, name, "expected an object");
    FieldReader reader(o, path(name), rejection_);
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
      FieldReader reader(o, path(element_name), rejection_);
      if (!each(reader)) return false;
    }
    if (index == 0) return fail(reject::kInvalidLength, name, "expected at least one element");
    return true;
  }

  // An optional array of strings (free text each).
  bool opt_string_array(std::string_view name, std::optional<std::vector<std::string>>& out);

  bool money(std::string_view name, Money& out);

  bool address(std::string_view name, Address& out);

 private:
  bool id_member(std::string_view name, bool required, std::optional<std::string>& out,
                 size_t max_len);
  bool text_member(std::string_view name, bool required, std::optional<std::string>& out,
                   size_t min_len, size_t max_len);
  bool order_id_member(std::string_view name, bool required, std::optional<std::string>& out);

  od::object object_;
  std::string path_;
  Rejection& rejection_;
};

// Reads the `data` object of an event of `type`, written with schema `version`
// (older ones are upcast, see upcast.h), into `out`.
bool read_payload(EventType type, FieldReader& data, int32_t version, EventData& out);

}  // namespace carelog::decoding
